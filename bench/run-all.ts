// npm run bench [-- --json] [--quick]: every benchmark in turn, each in its own process; with
// --json each benchmark's closing JSON line is collected into one final line.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const here = import.meta.dirname;
const tsx = join(here, '../node_modules/.bin/tsx');
const passThrough = process.argv.slice(2);
const benchmarks = ['engine', 'medmnist', 'explain', 'serve', 'browser', 'fields', 'stain', 'refusals', 'real-photos'].filter((name) => existsSync(join(here, `${name}.ts`)));
const results: Record<string, unknown> = {};
for (const name of benchmarks) {
  process.stderr.write(`\n=== bench:${name}\n`);
  const run = spawnSync(tsx, [join(here, `${name}.ts`), ...passThrough, ...(passThrough.includes('--json') ? [] : ['--json'])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = run.stdout.trim().split('\n');
  process.stdout.write(`${lines.slice(0, -1).join('\n')}\n`);
  try {
    results[name] = JSON.parse(lines[lines.length - 1]);
  } catch {
    results[name] = { error: `exit code ${run.status}` };
  }
}
if (passThrough.includes('--json')) console.log(JSON.stringify(results));
