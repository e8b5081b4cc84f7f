// A scaled-out gramlens on loopback: N `gramlens serve` processes sharing one PostgreSQL database,
// one data folder and (optionally) one Redis job queue, nginx in front, M `gramlens worker`s.
// Used by `npm run bench:scale` and the scale-out test; everything is stopped by the Teardown.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { nginxSite } from './nginx-site.ts';
import { startChild, startNginx, type Child, type Nginx, type Teardown } from './cluster-services.ts';
import type { AttemptLog } from './scale-load.ts';
import { ADMIN_PASSWORD } from './serve-harness.ts';

const BIN = join(import.meta.dirname, '../../bin/gramlens.js');

/** What nginx logs of each request: the client's request tag, the answer, and the servers tried. */
export const ACCESS_LOG_FORMAT = '$http_x_request_tag|$status|$upstream_addr|$upstream_status';

export interface ClusterOptions {
  dataDir: string;
  database: string;
  /** redis:// URL of the job queue; none: each server trains in its own local worker. */
  queue?: string;
  /** Registered and activated by the first server. */
  bundle: string;
  servers: number;
  workers: number;
  /** Input size of the models the workers train (`--train-size`). */
  trainSize?: number;
  /** `--threads` of each server's ONNX session (default: every core). */
  threads?: number;
  /** More options for every server and worker, e.g. `--backend cpu`. */
  extraArgs?: readonly string[];
  log?: (text: string) => void;
}

export interface ServeChild extends Child {
  url: string;
  /** host:port, as nginx names it in $upstream_addr. */
  address: string;
}

export interface Cluster {
  servers: ServeChild[];
  workers: Child[];
  nginx: Nginx;
}

/** `gramlens serve` on a free port of 127.0.0.1, resolved once it serves. */
export async function startServeChild(teardown: Teardown, name: string, options: ClusterOptions, withModel: boolean): Promise<ServeChild> {
  const args = ['serve', '--data-dir', options.dataDir, '--database', options.database, '--host', '127.0.0.1', '--port', '0'];
  if (options.queue) args.push('--queue', options.queue);
  if (options.trainSize) args.push('--train-size', String(options.trainSize));
  if (withModel) args.push('--model', resolve(options.bundle));
  if (options.threads) args.push('--threads', String(options.threads));
  args.push(...(options.extraArgs ?? []));
  const child = await startChild(teardown, name, process.execPath, [BIN, ...args], {
    env: { ...process.env, GRAMLENS_ADMIN_PASSWORD: ADMIN_PASSWORD },
    ready: /serving on (http:\/\/(127\.0\.0\.1:\d+))/,
    timeoutMs: 180_000,
  });
  return { ...child, url: child.match![1], address: child.match![2] };
}

/** `gramlens worker` taking jobs from the queue, recorded as the runner `name` of the runs it trains. */
export async function startWorkerChild(teardown: Teardown, name: string, options: ClusterOptions): Promise<Child> {
  if (!options.queue) throw new Error('workers need a queue');
  const args = ['worker', '--queue', options.queue, '--database', options.database, '--data-dir', options.dataDir, '--name', name];
  if (options.trainSize) args.push('--train-size', String(options.trainSize));
  args.push(...(options.extraArgs ?? []));
  return startChild(teardown, name, process.execPath, [BIN, ...args], { ready: /takes jobs from/, timeoutMs: 180_000 });
}

/**
 * Starts the first server alone (it migrates the database, creates the admin from ADMIN_PASSWORD and
 * activates the bundle), then the others and the workers together, then nginx in front of the servers.
 */
export async function startCluster(teardown: Teardown, options: ClusterOptions): Promise<Cluster> {
  const log = options.log ?? (() => {});
  log(`starting gramlens serve 1 of ${options.servers} (migrations, admin, model)`);
  const first = await startServeChild(teardown, 'serve-1', options, true);
  log(`starting ${options.servers - 1} more servers and ${options.workers} workers`);
  const [others, workers] = await Promise.all([
    Promise.all(Array.from({ length: options.servers - 1 }, (_, i) => startServeChild(teardown, `serve-${i + 2}`, options, false))),
    Promise.all(Array.from({ length: options.workers }, (_, i) => startWorkerChild(teardown, `worker-${i + 1}`, options))),
  ]);
  const servers = [first, ...others];
  const nginx = await startNginx(teardown, (listen) => nginxSite({ servers: servers.map((server) => server.address), listen }), ACCESS_LOG_FORMAT);
  log(`nginx on ${nginx.url} in front of ${servers.map((server) => server.address).join(', ')}`);
  return { servers, workers, nginx };
}

/** The process ids of a process's children (Linux /proc), e.g. a worker's training process. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Whether a process is still running (not a zombie). */
export function isRunning(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** Parses nginx's access log written with ACCESS_LOG_FORMAT. */
export function parseAccessLog(text: string): AttemptLog[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [tag, status, upstreams] = line.split('|');
      return { tag, status: Number(status), upstreams: upstreams === '-' ? [] : upstreams.split(/,\s*|\s+:\s+/).filter(Boolean) };
    });
}
