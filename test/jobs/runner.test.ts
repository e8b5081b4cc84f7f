import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { isLocalRunnerGone, runnerName } from '../../src/jobs/index.ts';

/** The pid of a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

describe('runners', () => {
  it('are named by role, host and process, a second one in the same process told apart', () => {
    const first = runnerName('worker');
    const second = runnerName('worker');
    expect(first).toMatch(new RegExp(`^worker ${hostname()} pid ${process.pid}( #\\d+)?$`));
    expect(second).not.toBe(first);
    expect(second.startsWith(`worker ${hostname()} pid ${process.pid} #`)).toBe(true);
  });

  it('are gone, for a server with the local queue, only when a server process of this host has exited or none was recorded', () => {
    const dead = deadPid();
    expect(isLocalRunnerGone(`server ${hostname()} pid ${dead}`)).toBe(true);
    expect(isLocalRunnerGone(`server ${hostname()} pid ${dead} #3`)).toBe(true);
    expect(isLocalRunnerGone(null)).toBe(true);
    expect(isLocalRunnerGone(`server ${hostname()} pid ${process.pid}`)).toBe(false);
    expect(isLocalRunnerGone(`server another-host pid ${dead}`)).toBe(false);
    expect(isLocalRunnerGone(`worker ${hostname()} pid ${dead}`)).toBe(false);
    expect(isLocalRunnerGone('an operator-chosen name')).toBe(false);
  });
});
