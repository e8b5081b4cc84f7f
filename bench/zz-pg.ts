import { startPostgres, Teardown } from './lib/cluster-services.ts';
const t = new Teardown(console.error);
const url = await startPostgres(t);
console.log(url);
process.on('SIGTERM', () => void t.run().then(() => process.exit(0)));
setInterval(() => {}, 1 << 30);
