import sharp from 'sharp';
import { applyTemperature, evaluateClassifier, fitTemperature, type ClassifierReport } from '../../src/evaluate/index.ts';
import { mostConfidentErrors, type DatasetCardInput, type GalleryItemInput, type NamedReport, type ReportInput } from '../../src/report/index.ts';
import { createRng } from '../../src/util/index.ts';

export const GRAM_CLASSES = ['gpc_clusters', 'gpc_chains', 'gpc_diplococci', 'gpr', 'gnr', 'gnc', 'yeast', 'no_bacteria', 'polymicrobial'];

/** Three consecutive images per patient. */
const patientOf = (i: number) => Math.floor(i / 3);

export interface SyntheticRun {
  classNames: string[];
  labels: Int32Array;
  /** Over-confident, as a network straight out of training. */
  uncalibrated: Float32Array;
  calibrated: Float32Array;
  temperature: number;
  groups: string[];
}

/**
 * Labels and probabilities of a plausible classifier: each class's logit is raised for its own
 * images, and a little for its look-alike neighbours (adjacent class indices), so errors cluster.
 */
export function syntheticRun(classNames: readonly string[], countsPerClass: readonly number[], seed: number, signal = 3.2): SyntheticRun {
  const rng = createRng(seed);
  const k = classNames.length;
  const labels = Int32Array.from(countsPerClass.flatMap((count, c) => new Array<number>(count).fill(c)));
  const n = labels.length;
  const logits = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const lookAlike = Math.abs(c - labels[i]) === 1 ? 0.45 * signal : 0;
      logits[i * k + c] = 4 * ((c === labels[i] ? signal : 0) + lookAlike + rng.normal());
    }
  }
  const temperature = fitTemperature(logits, labels);
  return {
    classNames: [...classNames],
    labels,
    uncalibrated: applyTemperature(logits, 1, k),
    calibrated: applyTemperature(logits, temperature, k),
    temperature,
    groups: Array.from(labels, (_, i) => `patient-${patientOf(i)}`),
  };
}

export function datasetCardFor(testCounts: readonly number[]): DatasetCardInput {
  return {
    description: 'Synthetic Gram-stain tiles, patient-grouped split.',
    splits: [
      { name: 'train', classCounts: testCounts.map((count) => count * 6), patients: 2400 },
      { name: 'validation', classCounts: [...testCounts], patients: 400 },
      { name: 'test', classCounts: [...testCounts], patients: Math.ceil(testCounts.reduce((a, b) => a + b, 0) / 3) },
    ],
    imageSize: { width: 96, height: 96, channels: 3 },
    config: { model: 'resnet-small', epochs: 30, learningRate: 0.001, augment: { flip: true, hueShift: 0 } },
    seed: 42,
  };
}

function subsetReport(run: SyntheticRun, keep: (i: number) => boolean, seed: number, iterations: number): ClassifierReport {
  const k = run.classNames.length;
  const indices = Array.from(run.labels.keys()).filter(keep);
  return evaluateClassifier({
    labels: Int32Array.from(indices, (i) => run.labels[i]),
    probabilities: Float32Array.from(indices.flatMap((i) => Array.from(run.calibrated.subarray(i * k, (i + 1) * k)))),
    classNames: run.classNames,
    groups: indices.map((i) => run.groups[i]),
    seed,
    bootstrapIterations: iterations,
  });
}

/** The same predictions scored on groups of classes: probabilities of a group are summed. */
export function groupedReport(run: SyntheticRun, groupNames: readonly string[], groupOf: readonly number[], seed: number, iterations: number): ClassifierReport {
  const k = run.classNames.length;
  const g = groupNames.length;
  const probabilities = new Float32Array(run.labels.length * g);
  run.labels.forEach((_, i) => {
    for (let c = 0; c < k; c++) probabilities[i * g + groupOf[c]] += run.calibrated[i * k + c];
  });
  // Summing float32 values can leave a total a hair above 1.
  for (let i = 0; i < probabilities.length; i++) probabilities[i] = Math.min(1, probabilities[i]);
  return evaluateClassifier({
    labels: Int32Array.from(run.labels, (label) => groupOf[label]),
    probabilities,
    classNames: groupNames,
    groups: run.groups,
    seed,
    bootstrapIterations: iterations,
  });
}

export async function solidPng(rgb: [number, number, number], size = 8): Promise<Uint8Array> {
  const pixels = Buffer.alloc(size * size * 3);
  for (let i = 0; i < size * size; i++) pixels.set(rgb, i * 3);
  return new Uint8Array(await sharp(pixels, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer());
}

export interface FullInputOptions {
  classNames?: readonly string[];
  countsPerClass?: readonly number[];
  iterations?: number;
  errorCount?: number;
  thumbnail?: (error: { index: number; trueLabel: number }) => Promise<Uint8Array | undefined>;
}

/** A report input with every optional part given. */
export async function fullReportInput(options: FullInputOptions = {}): Promise<ReportInput> {
  const classNames = options.classNames ?? ['cocci', 'rods', 'yeast'];
  const countsPerClass = options.countsPerClass ?? classNames.map((_, c) => 20 + 10 * c);
  const iterations = options.iterations ?? 50;
  const run = syntheticRun(classNames, countsPerClass, 7);
  const k = classNames.length;
  const thumbnail = options.thumbnail ?? (async () => solidPng([120, 40, 160]));
  const errors = await Promise.all(
    mostConfidentErrors(run.labels, run.calibrated, k, options.errorCount ?? 6).map(async (error) => ({
      ...error,
      source: `slide-${error.index}.png`,
      thumbnailPng: await thumbnail(error),
    })),
  );
  const gallery: GalleryItemInput[] = errors.slice(0, 2).map(({ thumbnailPng, ...error }) => ({ ...error, method: 'Grad-CAM', overlayPng: thumbnailPng! }));
  gallery.push({ index: 0, trueLabel: run.labels[0], predicted: run.labels[0], confidence: 0.9, source: 'slide-0.png', method: 'Grad-CAM', overlayPng: (await thumbnail(errors[0]))! });
  const half = Math.ceil(k / 2);
  const levels: NamedReport[] = [
    { name: 'Two groups', report: groupedReport(run, ['first half', 'second half'], classNames.map((_, c) => (c < half ? 0 : 1)), 3, iterations) },
  ];
  const slices: NamedReport[] = [
    { name: 'stain: Hucker', report: subsetReport(run, (i) => patientOf(i) % 2 === 0, 3, iterations) },
    { name: 'stain: Kopeloff', report: subsetReport(run, (i) => patientOf(i) % 2 === 1, 3, iterations) },
  ];
  const folds = [0, 1, 2].map((fold) => subsetReport(run, (i) => patientOf(i) % 3 !== fold, fold, iterations));
  return {
    title: 'Gram-stain classifier evaluation',
    model: 'resnet-small v1 (test)',
    createdAt: new Date('2025-03-01T09:30:00Z'),
    classNames,
    labels: run.labels,
    probabilities: run.calibrated,
    uncalibratedProbabilities: run.uncalibrated,
    groups: run.groups,
    seed: 11,
    bootstrapIterations: iterations,
    temperature: run.temperature,
    referral: { confidenceLevel: 0.7 },
    operatingPoints: [{ class: classNames[0], threshold: 0.3, targetSensitivity: 0.95 }],
    datasetCard: datasetCardFor(countsPerClass),
    errors,
    gallery,
    levels,
    folds,
    slices,
  };
}

/** The same input without any optional part. */
export function minimalReportInput(full: ReportInput): ReportInput {
  const { title, model, createdAt, classNames, labels, probabilities, seed, bootstrapIterations, datasetCard } = full;
  return { title, model, createdAt, classNames, labels, probabilities, seed, bootstrapIterations, datasetCard };
}
