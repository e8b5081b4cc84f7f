// Temporary experiment (not committed): where is cluster throughput lost?
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startPostgres, startNginx, Teardown } from './lib/cluster-services.ts';
import { nginxSite } from './lib/nginx-site.ts';
import { ACCESS_LOG_FORMAT, startCluster } from './lib/scale-cluster.ts';
import { predictionsPerSecond, runLoad } from './lib/scale-load.ts';
import { predictClient, seedCluster } from './lib/scale-seed.ts';
import { benchBundle } from './lib/serve-harness.ts';
import { median } from './stats.ts';
const t = new Teardown(console.error);
t.onInterrupt();
const servers = Number(process.env.SERVERS ?? 3);
try {
  const work = await mkdtemp(join(tmpdir(), 'gramlens-scale-exp-'));
  t.add('rm', () => rm(work, { recursive: true, force: true }));
  const bundle = resolve(await benchBundle(work, process.env.MODEL, console.error));
  const database = await startPostgres(t);
  const cluster = await startCluster(t, { dataDir: join(work, 'data'), database, bundle, servers, workers: 0, log: console.error });
  const one = await startNginx(t, (listen) => nginxSite({ servers: [cluster.servers[0].address], listen }), ACCESS_LOG_FORMAT);
  const seeded = await seedCluster(cluster.nginx.url, 45, console.error);
  const clients = Array.from({ length: 16 }, (_, i) => predictClient(seeded, i));
  for (const s of cluster.servers) await runLoad(s.url, clients.slice(0, 2), 1, 'scale-w');
  const res: Record<string, number[]> = { single: [], nginx1: [], cluster: [] };
  for (let r = 0; r < Number(process.env.ROUNDS ?? 4); r++) {
    for (const [name, url] of [['single', cluster.servers[0].url], ['nginx1', one.url], ['cluster', cluster.nginx.url]] as const) {
      const at = performance.now();
      const out = await runLoad(url, clients, 6, `scale-${name}${r}`);
      res[name].push(predictionsPerSecond(out, at, 6, 1));
    }
    console.error(JSON.stringify(Object.fromEntries(Object.entries(res).map(([k, v]) => [k, v.at(-1)!.toFixed(1)]))));
  }
  console.log(JSON.stringify({ servers, single: median(res.single), nginx1: median(res.nginx1), cluster: median(res.cluster), res }));
} finally {
  await t.run();
}
