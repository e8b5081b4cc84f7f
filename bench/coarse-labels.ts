// Training with coarse labels on synthetic Gram stains: the same patient split is trained three
// ways and evaluated on the same, fully labelled test patients:
//   all-leaf  every image labelled with its class
//   coarse    the images of a random half of the GPC patients (train and validation) labelled only "GPC"
//   dropped   those images left out
// The test split is never relabelled. Each seed draws its own patient split, coin flips and initial
// weights. Prints class (leaf) macro-F1, the mean F1 of the three GPC classes and Gram-group
// macro-F1 of every run and their means over the seeds, then one JSON line.
// Usage: npx tsx bench/coarse-labels.ts [--tiles 1500] [--tile-size 48] [--size 32] [--epochs 12]
//          [--seeds 3] [--first-seed 1] [--workers 1] [--data DIR] [--out DIR]
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readManifest, splitByPatient, type Dataset, type Sample } from '../src/data/index.ts';
import { initEngine } from '../src/engine/index.ts';
import { fitClassifier, levelReports } from '../src/pipeline/index.ts';
import { LABEL_TREE, syntheticDatasetStatus, writeSyntheticDataset } from '../src/synth/index.ts';
import { createRng, hashSeed } from '../src/util/index.ts';

const { values } = parseArgs({
  options: {
    tiles: { type: 'string', default: '1500' },
    'tile-size': { type: 'string', default: '48' },
    size: { type: 'string', default: '32' },
    epochs: { type: 'string', default: '12' },
    seeds: { type: 'string', default: '3' },
    'first-seed': { type: 'string', default: '1' },
    workers: { type: 'string', default: '1' },
    data: { type: 'string', default: '/tmp/gramlens-coarse-bench/data' },
    out: { type: 'string', default: '/tmp/gramlens-coarse-bench/runs' },
  },
});
const tiles = Number(values.tiles);
const size = Number(values.size);
const seeds = Array.from({ length: Number(values.seeds) }, (_, i) => i + Number(values['first-seed']));
const GROUP = LABEL_TREE.find((node) => node.name === 'GPC')!;
const GPC_CLASSES = GROUP.children!.map((leaf) => leaf.name);

const engine = await initEngine();
console.error(`engine: ${engine.backend}`);
const synthOptions = { tiles, tileSize: Number(values['tile-size']), prevalence: 'balanced', seed: 1, tilesPerField: 4, fieldsPerPatient: 2 } as const;
if ((await syntheticDatasetStatus(values.data, synthOptions)) !== 'same') {
  console.error(`synthesising ${tiles} balanced tiles of ${values['tile-size']} px in ${values.data}`);
  await writeSyntheticDataset(values.data, { ...synthOptions, overwrite: true });
}
const dataset = await readManifest(join(values.data, 'manifest.csv'), { labelTree: LABEL_TREE });

type Condition = 'all-leaf' | 'coarse' | 'dropped';
interface Row {
  seed: number;
  condition: Condition;
  trainImages: number;
  coarseImages: number;
  leafMacroF1: number;
  gpcF1: number;
  groupMacroF1: number;
  leafAccuracy: number;
  seconds: number;
}
const rows: Row[] = [];

for (const seed of seeds) {
  const split = splitByPatient(dataset.samples, { fractions: { train: 0.7, val: 0.15, test: 0.15 }, seed });
  // Half of the GPC patients of train and validation, chosen by a seeded coin per patient.
  const rng = createRng(hashSeed(seed, 0xc0a5e));
  const gpcPatients = [...new Set([...split.train, ...split.val].filter((s) => GPC_CLASSES.includes(s.label)).map((s) => s.patientId))].sort();
  const coarsePatients = new Set(gpcPatients.filter(() => rng.chance(0.5)));
  const isCoarse = (s: Sample) => GPC_CLASSES.includes(s.label) && coarsePatients.has(s.patientId);

  for (const condition of ['all-leaf', 'coarse', 'dropped'] as Condition[]) {
    const relabel = (samples: Sample[]): Sample[] =>
      condition === 'all-leaf' ? samples : condition === 'coarse' ? samples.map((s) => (isCoarse(s) ? { ...s, label: 'GPC' } : s)) : samples.filter((s) => !isCoarse(s));
    const splits = { train: relabel(split.train), val: relabel(split.val), test: split.test };
    const variant: Dataset = {
      ...dataset,
      samples: [...splits.train, ...splits.val, ...splits.test],
      ...(condition === 'coarse' ? { coarseLabels: [{ name: 'GPC', classes: GPC_CLASSES }] } : {}),
    };
    const started = performance.now();
    const result = await fitClassifier(variant, {
      size: [size, size],
      splits,
      train: { model: 'resnet-small', epochs: Number(values.epochs), patience: 0, seed },
      augment: 'microscopy',
      labelTree: LABEL_TREE.map((node) => structuredClone(node)),
      workers: Number(values.workers),
      runDir: join(values.out, `seed-${seed}`, condition),
      seed,
      onProgress: (event) => {
        if (event.kind === 'train' && event.event.kind === 'epoch') {
          const r = event.event.record;
          console.error(`  ${condition} seed ${seed} epoch ${r.epoch + 1}: loss ${r.loss.toFixed(3)} val loss ${r.valLoss.toFixed(3)} val acc ${(r.valAccuracy * 100).toFixed(1)}%`);
        }
      },
    });
    const test = result.test!;
    const [groups] = levelReports(test.set.labels, test.probabilities, dataset.classes, LABEL_TREE, seed, test.groups, test.coarse);
    rows.push({
      seed,
      condition,
      trainImages: result.counts.train,
      coarseImages: splits.train.filter((s) => s.label === 'GPC').length,
      leafMacroF1: result.report!.macroF1.value!,
      gpcF1: mean(result.report!.perClass.filter((c) => GPC_CLASSES.includes(c.name)).map((c) => c.f1.value!)),
      groupMacroF1: groups.report.macroF1.value!,
      leafAccuracy: result.report!.accuracy.value!,
      seconds: (performance.now() - started) / 1000,
    });
    console.error(JSON.stringify(rows.at(-1)));
  }
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

const line = (seed: string, condition: string, r: Pick<Row, 'trainImages' | 'coarseImages' | 'leafMacroF1' | 'gpcF1' | 'groupMacroF1' | 'leafAccuracy'>) =>
  `${seed.padEnd(5)} ${condition.padEnd(9)} ${r.trainImages.toFixed(0).padStart(10)} ${r.coarseImages.toFixed(0).padStart(7)} ${r.leafMacroF1.toFixed(3).padStart(13)} ${r.gpcF1.toFixed(3).padStart(7)} ${r.groupMacroF1.toFixed(3).padStart(14)} ${r.leafAccuracy.toFixed(3).padStart(8)}`;
console.log('seed  condition train imgs  coarse leaf macro-F1  GPC F1 group macro-F1 leaf acc');
for (const r of rows) console.log(line(String(r.seed), r.condition, r));
for (const condition of ['all-leaf', 'coarse', 'dropped'] as Condition[]) {
  const of = rows.filter((r) => r.condition === condition);
  const average = (key: keyof Row) => mean(of.map((r) => r[key] as number));
  console.log(line('mean', condition, { trainImages: average('trainImages'), coarseImages: average('coarseImages'), leafMacroF1: average('leafMacroF1'), gpcF1: average('gpcF1'), groupMacroF1: average('groupMacroF1'), leafAccuracy: average('leafAccuracy') }));
}
console.log(JSON.stringify({ tiles, size, epochs: Number(values.epochs), backend: engine.backend, rows }));
