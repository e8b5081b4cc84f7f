import { hostname } from 'node:os';
import type { Runner } from '../store/index.ts';

export type RunnerRole = 'server' | 'worker';

const RUNNER_PATTERN = /^(server|worker) (\S+) pid (\d+)(?: #\d+)?$/;

let instances = 0;

/**
 * This process's name as the runner of a run, e.g. "worker lab-2 pid 4242"; a second queue or
 * worker in the same process (tests) gets " #2" and so on, so that the two never pass for each other.
 */
export function runnerName(role: RunnerRole): Runner {
  instances += 1;
  const base = `${role} ${hostname()} pid ${process.pid}`;
  return instances === 1 ? base : `${base} #${instances}`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, as another user's process
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether a run left 'running' by `runner` can never be finished by it, as far as a server with
 * the local queue can tell: a server process of this host that is gone, or no runner recorded
 * (a run started before runners were recorded). Runs of other hosts and of queue workers are not
 * its to judge (the Redis queue hands a dead worker's job to another).
 */
export function isLocalRunnerGone(runner: Runner | null, host = hostname()): boolean {
  if (runner === null) return true;
  const match = RUNNER_PATTERN.exec(runner);
  if (!match || match[1] !== 'server' || match[2] !== host) return false;
  return !isAlive(Number(match[3]));
}
