import { runCli } from './run.ts';

const controller = new AbortController();
let interrupts = 0;
// Ctrl-C, or SIGTERM from systemd, Docker or kill: stop cleanly (a second one quits at once).
const stop = (signal: 'SIGINT' | 'SIGTERM'): void => {
  interrupts++;
  if (interrupts > 1) process.exit(signal === 'SIGINT' ? 130 : 143);
  process.stderr.write(signal === 'SIGINT' ? '\nStopping after the current step (Ctrl-C again quits at once)...\n' : 'SIGTERM: stopping after the current step...\n');
  controller.abort();
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
process.exitCode = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  signal: controller.signal,
});
