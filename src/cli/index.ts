export { runCli } from './run.ts';
export type { CliContext, Command } from './command.ts';
