// npm run bench:engine [-- --json] [--rounds N] [--quick] [--mobilenet-only]
// Training and inference throughput of the reference net (seed-cnn: 3 × [conv3×3 16/32/64 + ReLU +
// maxpool 2] + dense; 64×64×3, batch 32, Adam, 9 classes) and of the default model (resnet-small),
// each engine in a fresh process, interleaved round by round; medians; ratios to PyTorch.
// Then (not with --quick) training of the MobileNetV2 backbone at 224×224×3, batch 32, every layer
// trainable, beside torchvision's mobilenet_v2 and the same trunk with gramlens's head in PyTorch,
// at least 5 interleaved rounds: medians with their range.
import { execFileSync, spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { benchArgs, median, round } from './stats.ts';

const here = import.meta.dirname;
const tsx = join(here, '../node_modules/.bin/tsx');
const args = benchArgs(process.argv.slice(2));
const log = (text: string) => process.stderr.write(`${text}\n`);

function probe(mode: string, model: string, workers = 1, size = 64): { img_s: number; backend?: string } | null {
  const result = spawnSync(tsx, [join(here, 'engine-probe.ts'), mode, model, String(workers), String(size)], { encoding: 'utf8', timeout: 600_000 });
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

function pytorch(python: string, settings: Record<string, unknown> = { steps: 30 }): { train: number; infer?: number } | null {
  const threads = availableParallelism();
  const result = spawnSync(python, [join(here, 'pytorch_reference.py'), JSON.stringify({ rounds: 1, threads, ...settings })], { encoding: 'utf8', timeout: 600_000 });
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
  log(`  ${key}: ${value.toFixed(2)} img/s`);
};
let backend = 'unknown';

const mobilenetOnly = process.argv.includes('--mobilenet-only');
for (let r = 0; r < (mobilenetOnly ? 0 : args.rounds); r++) {
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

// MobileNetV2 at 224 px, batch 32: our engine on every core beside PyTorch on as many threads.
const MOBILENET_SIZE = 224;
const mobilenetRounds = args.quick ? 0 : Math.max(args.rounds, 5);
const loadAverages: number[] = [];
for (let r = 0; r < mobilenetRounds; r++) {
  log(`MobileNetV2 ${MOBILENET_SIZE} px round ${r + 1}/${mobilenetRounds} (load average ${loadavg()[0].toFixed(1)})`);
  loadAverages.push(loadavg()[0]);
  add('mobilenet_train', probe('train', 'mobilenetv2', availableParallelism(), MOBILENET_SIZE)?.img_s);
  if (python) {
    const settings = { size: MOBILENET_SIZE, steps: 2, warmup_steps: 1, no_infer: true };
    add('torch_mobilenet_train', pytorch(python, { ...settings, model: 'mobilenet_v2' })?.train);
    add('torch_mobilenet_gramlens_train', pytorch(python, { ...settings, model: 'mobilenet_v2_gramlens' })?.train);
  }
}

const m = (key: string) => (samples[key] ? median(samples[key]) : null);
const range = (key: string) => (samples[key] ? [round(Math.min(...samples[key])), round(Math.max(...samples[key]))] : null);
const ratio = (a: number | null, b: number | null) => (a && b ? round(a / b, 3) : null);
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
  mobilenetv2_224: mobilenetRounds === 0 ? null : {
    batch: 32,
    rounds: mobilenetRounds,
    train_img_s: round(m('mobilenet_train')),
    train_img_s_range: range('mobilenet_train'),
    pytorch_train_img_s: round(m('torch_mobilenet_train')),
    pytorch_train_img_s_range: range('torch_mobilenet_train'),
    train_ratio_vs_pytorch: ratio(m('mobilenet_train'), m('torch_mobilenet_train')),
    pytorch_same_trunk_train_img_s: round(m('torch_mobilenet_gramlens_train')),
    pytorch_same_trunk_train_img_s_range: range('torch_mobilenet_gramlens_train'),
    train_ratio_vs_pytorch_same_trunk: ratio(m('mobilenet_train'), m('torch_mobilenet_gramlens_train')),
    load_average_range: loadAverages.length > 0 ? [round(Math.min(...loadAverages)), round(Math.max(...loadAverages))] : null,
  },
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
  [`MobileNetV2 backbone 224 px train, ${availableParallelism()} workers`, result.mobilenetv2_224?.train_img_s ?? null],
  [`torchvision mobilenet_v2 224 px train, ${availableParallelism()} threads`, result.mobilenetv2_224?.pytorch_train_img_s ?? null],
  [`PyTorch, the backbone's trunk and head, ${availableParallelism()} threads`, result.mobilenetv2_224?.pytorch_same_trunk_train_img_s ?? null],
];
console.log(`Engine benchmark: seed-cnn 64×64×3, batch 32, Adam; medians of ${args.rounds} interleaved round(s); backend ${backend}`);
for (const [name, value] of rows) console.log(`  ${name.padEnd(50)} ${value === null ? '—' : `${value.toFixed(0)} img/s`}`);
console.log(`  training vs PyTorch: ${result.train_ratio_vs_pytorch ?? '—'}×   onnxruntime vs stock wasm inference: ${result.ort_over_wasm_infer ?? '—'}×`);
if (result.mobilenetv2_224) {
  const mobile = result.mobilenetv2_224;
  console.log(`  MobileNetV2 224 px (medians of ${mobile.rounds}, ranges ${JSON.stringify(mobile.train_img_s_range)} / ${JSON.stringify(mobile.pytorch_train_img_s_range)} img/s; load average ${JSON.stringify(mobile.load_average_range)}):`);
  console.log(`  training vs torchvision mobilenet_v2: ${mobile.train_ratio_vs_pytorch ?? '—'}×   vs the same trunk and head in PyTorch: ${mobile.train_ratio_vs_pytorch_same_trunk ?? '—'}×`);
}
if (args.json) console.log(JSON.stringify(result));
