import { parseArgs, type ParseArgsConfig } from 'node:util';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface CliContext {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Aborted on Ctrl-C: long jobs stop cleanly (saving what they must) and return. */
  signal: AbortSignal;
}

export interface Command {
  name: string;
  /** Help text shown by `gramlens <name> --help`: its usage paragraph first (the summary in run.ts is shown after it). */
  help: string;
  options: OptionSpec;
  allowPositionals?: boolean;
  run(values: OptionValues, positionals: string[], context: CliContext): Promise<number>;
}

/** A mistake in how the command was called: printed with a pointer to --help, never with a stack. */
export class UsageError extends Error {}

export function parseCommandArgs(command: Command, argv: string[]): { values: OptionValues; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
    return { values: values as OptionValues, positionals };
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function numberOption(values: OptionValues, name: string, { integer = false, min = -Infinity } = {}): number | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}${min > -Infinity ? ` ≥ ${min}` : ''}; got "${raw}"`);
  }
  return value;
}
