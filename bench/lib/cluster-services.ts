// Throwaway services on loopback for the scale-out benchmark and test: PostgreSQL (a cluster in a
// temporary folder on a unix socket, as .ci/run starts it), Redis, nginx and child processes, each
// undone by a Teardown, also on Ctrl-C.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { standaloneNginxConfig } from './nginx-site.ts';

const run = promisify(execFile);

/** Steps that undo what was started, run last first; each step's failure is reported, not thrown. */
export class Teardown {
  private readonly steps: Array<{ name: string; undo: () => Promise<void> | void }> = [];
  private running: Promise<void> | null = null;

  constructor(private readonly log: (text: string) => void = () => {}) {}

  add(name: string, undo: () => Promise<void> | void): void {
    this.steps.push({ name, undo });
  }

  /** Runs every step once, even when called again (a Ctrl-C during the normal teardown). */
  run(): Promise<void> {
    this.running ??= (async () => {
      for (let step = this.steps.pop(); step; step = this.steps.pop()) {
        try {
          await step.undo();
        } catch (error) {
          this.log(`could not ${step.name}: ${(error as Error).message}`);
        }
      }
    })();
    return this.running;
  }

  /** Ctrl-C and SIGTERM run the teardown, then end the process with 130; returns the remover of the handlers. */
  onInterrupt(): () => void {
    const handler = (signal: NodeJS.Signals) => {
      this.log(`${signal}: stopping every service started`);
      void this.run().finally(() => process.exit(130));
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    return () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    };
  }
}

/** A free TCP port on 127.0.0.1 (free when asked; the caller binds it next). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Resolves once 127.0.0.1:port accepts connections; rejects after timeoutMs. */
export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > until) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The first executable of this name on PATH or in the usual system folders, or null. */
export function findExecutable(name: string, extraDirs: readonly string[] = []): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin', ...extraDirs];
  return dirs.filter((folder) => folder.startsWith('/')).map((folder) => join(folder, name)).find((path) => existsSync(path)) ?? null;
}

export interface Child {
  name: string;
  child: ChildProcess;
  pid: number;
  /** The last 20,000 characters it wrote (stdout and stderr). */
  output(): string;
  /** Whether it has ended. */
  ended(): boolean;
  /** SIGTERM, then SIGKILL after graceMs; resolves when it has ended. */
  stop(graceMs?: number): Promise<void>;
}

/** Spawns a child whose output is kept, resolving when `ready` matches it (or at once without `ready`); stopped by the teardown. */
export async function startChild(
  teardown: Teardown,
  name: string,
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; ready?: RegExp; timeoutMs?: number } = {},
): Promise<Child & { match: RegExpMatchArray | null }> {
  const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  let exit: string | null = null;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = signal ? `killed by ${signal}` : `exit code ${code}`;
      resolve();
    }),
  );
  const handle: Child = {
    name,
    child,
    pid: child.pid ?? -1,
    output: () => text,
    ended: () => exit !== null,
    stop: async (graceMs = 10_000) => {
      if (exit !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  teardown.add(`stop ${name}`, () => handle.stop());
  const match = await new Promise<RegExpMatchArray | null>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${(options.timeoutMs ?? 120_000) / 1000} s: ${text.slice(-800)}`)), options.timeoutMs ?? 120_000);
    const look = (chunk: Buffer) => {
      text = (text + chunk.toString()).slice(-20_000);
      const found = options.ready ? text.match(options.ready) : null;
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    child.once('error', (error) => reject(new Error(`${name} could not start: ${error.message}`)));
    void exited.then(() => reject(new Error(`${name} ended (${exit}) before it was ready: ${text.slice(-800)}`)));
    if (!options.ready) {
      clearTimeout(timer);
      resolve(null);
    }
  });
  return { ...handle, match };
}

/** The bin folder of Debian's newest PostgreSQL, or of the initdb on PATH; null when absent. */
export function postgresBin(): string | null {
  const versions = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql')
        .filter((version) => existsSync(`/usr/lib/postgresql/${version}/bin/initdb`))
        .sort((a, b) => Number(a) - Number(b))
    : [];
  if (versions.length > 0) return `/usr/lib/postgresql/${versions.at(-1)}/bin`;
  const initdb = findExecutable('initdb');
  return initdb ? initdb.slice(0, -'/initdb'.length) : null;
}

/**
 * A throwaway PostgreSQL cluster in a temporary folder, reached on a unix socket there (no TCP),
 * without fsync; run as the `postgres` user when this process is root (initdb refuses root).
 * Returns the URL of its database `gramlens` (user gramlens, trust authentication).
 */
export async function startPostgres(teardown: Teardown): Promise<string> {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  const folder = await mkdtemp(join(tmpdir(), 'gramlens-scale-pg-'));
  teardown.add('remove the PostgreSQL folder', () => rm(folder, { recursive: true, force: true }));
  let asPostgres: string[] = [];
  if (process.getuid?.() === 0) {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    await chown(folder, Number(uid.stdout), Number(gid.stdout));
    asPostgres = ['runuser', '-u', 'postgres', '--'];
  }
  const as = (command: string, args: string[]) => (asPostgres.length ? run(asPostgres[0], [...asPostgres.slice(1), `${bin}/${command}`, ...args]) : run(`${bin}/${command}`, args));
  const data = join(folder, 'data');
  await as('initdb', ['-D', data, '-U', 'gramlens', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  teardown.add('stop PostgreSQL', async () => {
    await as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  });
  await as('pg_ctl', ['-D', data, '-l', join(folder, 'log'), '-w', '-o', `-k ${folder} -c listen_addresses='' -c fsync=off -c max_connections=300`, 'start']);
  await run(`${bin}/createdb`, ['-h', folder, '-U', 'gramlens', 'gramlens']);
  return `postgres://gramlens@localhost/gramlens?host=${folder}`;
}

/** A throwaway Redis on 127.0.0.1 that keeps nothing on disk; returns its redis:// URL. */
export async function startRedis(teardown: Teardown): Promise<string> {
  const binary = findExecutable('redis-server');
  if (!binary) throw new Error('Redis is not installed (apt-get install redis-server)');
  const folder = await mkdtemp(join(tmpdir(), 'gramlens-scale-redis-'));
  teardown.add('remove the Redis folder', () => rm(folder, { recursive: true, force: true }));
  const port = await freePort();
  await startChild(teardown, 'redis-server', binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', folder], {
    ready: /Ready to accept connections/,
    timeoutMs: 30_000,
  });
  return `redis://127.0.0.1:${port}`;
}

export interface Nginx extends Child {
  url: string;
  /** The folder of its access log (access.log), error log and temporary files. */
  prefix: string;
}

/** nginx in the foreground on a free port of 127.0.0.1 with this site (see nginx-site.ts); `site(listen)` writes the site for the chosen listen address. */
export async function startNginx(teardown: Teardown, site: (listen: string) => string, accessLogFormat: string): Promise<Nginx> {
  const binary = findExecutable('nginx');
  if (!binary) throw new Error('nginx is not installed (apt-get install nginx)');
  const prefix = await mkdtemp(join(tmpdir(), 'gramlens-scale-nginx-'));
  teardown.add('remove the nginx folder', () => rm(prefix, { recursive: true, force: true }));
  // nginx's workers run as another user when started by root: they must reach the temporary files.
  await chmod(prefix, 0o755);
  const port = await freePort();
  const config = join(prefix, 'nginx.conf');
  await writeFile(config, standaloneNginxConfig(site(`127.0.0.1:${port}`), prefix, accessLogFormat));
  const child = await startChild(teardown, 'nginx', binary, ['-e', 'stderr', '-p', prefix, '-c', config]);
  await waitForPort(port, 15_000).catch((error: Error) => {
    throw new Error(`nginx did not start: ${child.output().slice(-800) || error.message}`);
  });
  return { ...child, url: `http://127.0.0.1:${port}`, prefix };
}
