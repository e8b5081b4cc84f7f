// npm run bench:engine [-- --json] [--rounds N] [--quick]
// Training and inference throughput of the reference net (seed-cnn: 3 × [conv3×3 16/32/64 + ReLU +
// maxpool 2] + dense; 64×64×3, batch 32, Adam, 9 classes) and of the default model (resnet-small),
// each engine in a fresh process, interleaved round by round; medians; ratios to PyTorch.
import { execFileSync, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { benchArgs, median, round } from './stats.ts';

const here = import.meta.dirname;
const tsx = join(here, '../node_modules/.bin/tsx');
const args = benchArgs(process.argv.slice(2));
const log = (text: string) => process.stderr.write(`${text}\n`);

function probe(mode: string, model: string, workers = 1): { img_s: number; backend?: string } | null {
  const result = spawnSync(tsx, [join(here, 'engine-probe.ts'), mode, model, String(workers)], { encoding: 'utf8', timeout: 300_000 });
  const line = result.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    log(`  ${mode} ${model} x${workers} failed: ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ')}`);
    return null;
  }
}

function findTorchPython(): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
      return python;
    } catch {
      // try the next interpreter
    }
  }
  return null;
}

function pytorch(python: string): { train: number; infer: number } | null {
  const threads = availableParallelism();
  const result = spawnSync(python, [join(here, 'pytorch_reference.py'), JSON.stringify({ rounds: 1, threads, steps: 30 })], { encoding: 'utf8', timeout: 300_000 });
  try {
    const parsed = JSON.parse(result.stdout.trim().split('\n').pop() ?? '');
    return { train: parsed.train_img_s[0], infer: parsed.infer_img_s[0] };
  } catch {
    log(`  pytorch failed: ${result.stderr.trim().split('\n').slice(-2).join(' | ')}`);
    return null;
  }
}

const python = findTorchPython();
if (!python) log('PyTorch not found (install the reference with: apt-get install python3-torch); its columns stay empty');
const parallel = availableParallelism() > 1;
const samples: Record<string, number[]> = {};
const add = (key: string, value: number | undefined | null) => {
  if (value == null) return;
  (samples[key] ??= []).push(value);
};
let backend = 'unknown';

for (let r = 0; r < args.rounds; r++) {
  log(`round ${r + 1}/${args.rounds}`);
  const train1 = probe('train', 'seed-cnn', 1);
  backend = train1?.backend ?? backend;
  add('train_1', train1?.img_s);
  if (parallel) add('train_n', probe('train', 'seed-cnn', availableParallelism())?.img_s);
  if (python) {
    const torch = pytorch(python);
    add('torch_train', torch?.train);
    add('torch_infer', torch?.infer);
  }
  add('wasm_infer', probe('infer-stock-wasm', 'seed-cnn')?.img_s);
  add('ort_infer', probe('infer-ort', 'seed-cnn')?.img_s);
  if (!args.quick) {
    add('default_train', probe('train', 'resnet-small', parallel ? availableParallelism() : 1)?.img_s);
    add('default_ort_infer', probe('infer-ort', 'resnet-small')?.img_s);
  }
}

const m = (key: string) => (samples[key] ? median(samples[key]) : null);
const train = Math.max(m('train_1') ?? 0, m('train_n') ?? 0) || null;
const torchTrain = m('torch_train');
const result = {
  backend,
  rounds: args.rounds,
  train_img_s: round(train),
  train_img_s_one_thread: round(m('train_1')),
  train_img_s_all_cores: round(m('train_n')),
  pytorch_train_img_s: round(torchTrain),
  train_ratio_vs_pytorch: train && torchTrain ? round(train / torchTrain, 3) : null,
  ort_infer_img_s: round(m('ort_infer')),
  wasm_infer_img_s: round(m('wasm_infer')),
  ort_over_wasm_infer: m('ort_infer') && m('wasm_infer') ? round(m('ort_infer')! / m('wasm_infer')!, 2) : null,
  pytorch_infer_img_s: round(m('torch_infer')),
  default_model_train_img_s: round(m('default_train')),
  default_model_ort_infer_img_s: round(m('default_ort_infer')),
  samples,
};

const rows: [string, number | null][] = [
  ['train, our wasm kernels, 1 thread', result.train_img_s_one_thread],
  [`train, our wasm kernels, ${availableParallelism()} workers`, result.train_img_s_all_cores],
  [`train, PyTorch ${availableParallelism()} threads`, result.pytorch_train_img_s],
  ['infer, onnxruntime-node', result.ort_infer_img_s],
  ['infer, stock TF.js wasm', result.wasm_infer_img_s],
  ['infer, PyTorch', result.pytorch_infer_img_s],
  ['default model (resnet-small) train', result.default_model_train_img_s],
  ['default model (resnet-small) infer, onnxruntime', result.default_model_ort_infer_img_s],
];
console.log(`Engine benchmark: seed-cnn 64×64×3, batch 32, Adam; medians of ${args.rounds} interleaved round(s); backend ${backend}`);
for (const [name, value] of rows) console.log(`  ${name.padEnd(50)} ${value === null ? '—' : `${value.toFixed(0)} img/s`}`);
console.log(`  training vs PyTorch: ${result.train_ratio_vs_pytorch ?? '—'}×   onnxruntime vs stock wasm inference: ${result.ort_over_wasm_infer ?? '—'}×`);
if (args.json) console.log(JSON.stringify(result));
