import { UsageError, parseCommandArgs, type CliContext, type Command } from './command.ts';

/**
 * Commands are loaded on demand so that `gramlens --help` starts instantly. Each summary here is
 * the only one: the command list shows it and `gramlens <command> --help` shows it under the usage.
 */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  demo: { summary: 'synthesise Gram-stain data, train, evaluate and predict: the whole pipeline', load: async () => (await import('./commands/demo.ts')).demoCommand },
  synth: { summary: 'generate a synthetic Gram-stain dataset (tiles, fields, manifest)', load: async () => (await import('./commands/synth.ts')).synthCommand },
  manifest: { summary: 'write a CSV manifest for class folders whose file names carry the specimen', load: async () => (await import('./commands/manifest.ts')).manifestCommand },
  train: { summary: 'train a classifier on a folder-per-class dataset or a CSV manifest', load: async () => (await import('./commands/train.ts')).trainCommand },
  evaluate: { summary: 'evaluate a model bundle on a labelled dataset', load: async () => (await import('./commands/evaluate.ts')).evaluateCommand },
  calibrate: { summary: 'recalibrate a model bundle on labelled images from where it is used', load: async () => (await import('./commands/calibrate.ts')).calibrateCommand },
  predict: { summary: 'classify image files or folders with a model bundle', load: async () => (await import('./commands/predict.ts')).predictCommand },
  explain: { summary: 'heatmaps (Grad-CAM and kin) of what the model looked at', load: async () => (await import('./commands/explain.ts')).explainCommand },
  serve: { summary: 'run the web app and HTTP API (clinician, annotation, admin)', load: async () => (await import('./commands/serve.ts')).serveCommand },
  worker: { summary: 'take training jobs from a Redis queue that `gramlens serve --queue` fills', load: async () => (await import('./commands/worker.ts')).workerCommand },
  export: { summary: 'export a model bundle to ONNX', load: async () => (await import('./commands/export.ts')).exportCommand },
};

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    'gramlens: train, explain and serve medical image classifiers (Gram-stain microscopy first).',
    'Research use only: not a medical device.',
    '',
    'Usage: gramlens <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`),
    '',
    "Run 'gramlens <command> --help' for a command's options.",
  ].join('\n');
}

/** The command's own help with its summary as a sentence after the usage paragraph. */
function commandHelp(summary: string, help: string): string {
  const [usage, ...rest] = help.split('\n\n');
  return [usage, `${summary[0].toUpperCase()}${summary.slice(1)}.`, ...rest].join('\n\n');
}

export async function runCli(argv: string[], context: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    context.out(mainHelp());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    context.out('gramlens 0.1.0');
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    context.err(`gramlens: unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(', ')}.`);
    return 2;
  }
  const command = await entry.load();
  try {
    const { values, positionals } = parseCommandArgs(command, rest);
    if (values.help) {
      context.out(commandHelp(entry.summary, command.help));
      return 0;
    }
    return await command.run(values, positionals, context);
  } catch (error) {
    if (error instanceof UsageError) {
      context.err(`gramlens ${name}: ${error.message}\nRun 'gramlens ${name} --help' for usage.`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    context.err(`gramlens ${name}: error: ${message}`);
    if (process.env.GRAMLENS_DEBUG && error instanceof Error) context.err(error.stack ?? '');
    return 1;
  }
}
