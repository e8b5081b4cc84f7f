/** Everything the HTML report shows, computed once and kept as plain JSON. */
import {
  averagePrecision,
  brierScore,
  evaluateClassifier,
  expectedCalibrationError,
  precisionRecallCurve,
  referralRate,
  reliabilityBins,
  rocCurve,
  summariseFolds,
  type Labels,
} from '../evaluate/index.ts';
import { compactCurve, stepPoints } from './curves.ts';
import { outOfFoldData } from './folds.ts';
import { toErrorExample, toGalleryItem } from './errors.ts';
import { orNull, wilsonEstimate } from './estimate.ts';
import { evaluateOperatingPoint } from './operating.ts';
import type { CalibrationSummary, ClassCurves, DatasetCard, DatasetCardInput, JsonValue, ReferralData, ReportData, ReportInput } from './types.ts';

const DEFAULT_BOOTSTRAP_ITERATIONS = 1000;

export function buildReportData(input: ReportInput): ReportData {
  const { labels, probabilities, classNames, groups, seed } = input;
  const k = classNames.length;
  const iterations = input.bootstrapIterations ?? DEFAULT_BOOTSTRAP_ITERATIONS;
  if (input.uncalibratedProbabilities && input.uncalibratedProbabilities.length !== probabilities.length) {
    throw new Error(`uncalibratedProbabilities: ${input.uncalibratedProbabilities.length} values, probabilities has ${probabilities.length}`);
  }
  const evaluation = evaluateClassifier({ labels, probabilities, classNames, groups, seed, bootstrapIterations: iterations });
  const bins = evaluation.calibrationBins;

  let referral: ReferralData | null = null;
  if (input.referral) {
    const result = referralRate(probabilities, k, input.referral.confidenceLevel, labels);
    // referralRate gives the retained accuracy, not the count behind it; rounding recovers the count exactly.
    const correctRetained = result.retainedCount === 0 ? 0 : Math.round(result.retainedAccuracy * result.retainedCount);
    referral = {
      confidenceLevel: result.confidenceLevel,
      referredCount: result.referredCount,
      retainedCount: result.retainedCount,
      referralRate: wilsonEstimate(result.referredCount, labels.length),
      retainedAccuracy: wilsonEstimate(correctRetained, result.retainedCount),
      overallAccuracy: evaluation.accuracy,
    };
  }

  return {
    format: 'gramlens-evaluation-report',
    version: 1,
    title: input.title,
    model: input.model,
    createdAt: (input.createdAt ?? new Date()).toISOString(),
    evaluation,
    curves: classNames.map((className, c) => classCurves(labels, probabilities, k, c, className)),
    calibration: {
      temperature: input.temperature ?? null,
      bins,
      before: input.uncalibratedProbabilities ? calibrationSummary(labels, input.uncalibratedProbabilities, bins) : null,
      after: calibrationSummary(labels, probabilities, bins),
    },
    referral,
    operatingPoints:
      input.operatingPoints?.map((choice) => evaluateOperatingPoint(choice, { labels, probabilities, classNames, groups, seed, iterations })) ?? null,
    errors: input.errors?.map((error) => toErrorExample(error, k)) ?? null,
    gallery: input.gallery?.map((item) => toGalleryItem(item, k)) ?? null,
    levels: input.levels ?? null,
    slices: input.slices ?? null,
    crossValidation: input.folds
      ? { folds: input.folds, summary: summariseFolds(input.folds), outOfFold: input.foldRuns ? outOfFoldData(input.foldRuns, input.folds, labels.length) : null }
      : null,
    datasetCard: datasetCard(input.datasetCard, k),
    displayNames: { ...input.displayNames },
    synthetic: input.synthetic ?? false,
    patientsPerClass: groups ? patientsPerClass(labels, groups, k) : null,
  };
}

/** Distinct patients among each class's images. */
export function patientsPerClass(labels: Labels, groups: ArrayLike<string | number>, k: number): number[] {
  const patients = Array.from({ length: k }, () => new Set<string | number>());
  for (let i = 0; i < labels.length; i++) patients[labels[i]].add(groups[i]);
  return patients.map((set) => set.size);
}

function classCurves(labels: Labels, probabilities: Float32Array, k: number, c: number, className: string): ClassCurves {
  const isClass = Array.from(labels, (label) => (label === c ? 1 : 0));
  const scores = Float64Array.from({ length: labels.length }, (_, i) => probabilities[i * k + c]);
  const positives = isClass.reduce((sum: number, x) => sum + x, 0);
  const hasPositives = positives > 0;
  const hasNegatives = positives < labels.length;
  let roc = null;
  if (hasPositives && hasNegatives) {
    const curve = rocCurve(isClass, scores);
    roc = compactCurve(curve.fpr, curve.tpr);
  }
  let precisionRecall = null;
  if (hasPositives) {
    const { recall, precision } = precisionRecallCurve(isClass, scores);
    const steps = stepPoints(recall.map((r, i) => [r, precision[i]]));
    precisionRecall = compactCurve(
      steps.map(([x]) => x),
      steps.map(([, y]) => y),
    );
  }
  return {
    className,
    roc,
    precisionRecall,
    averagePrecision: hasPositives ? averagePrecision(isClass, scores) : null,
    prevalence: positives / labels.length,
  };
}

function calibrationSummary(labels: Labels, probabilities: Float32Array, bins: number): CalibrationSummary {
  return {
    expectedCalibrationError: expectedCalibrationError(labels, probabilities, { bins }),
    brierScore: brierScore(labels, probabilities),
    reliability: reliabilityBins(labels, probabilities, { bins }).map((bin) => ({
      lower: bin.lower,
      upper: bin.upper,
      count: bin.count,
      meanConfidence: orNull(bin.meanConfidence),
      accuracy: orNull(bin.accuracy),
    })),
  };
}

function datasetCard(card: DatasetCardInput, k: number): DatasetCard {
  for (const split of card.splits) {
    if (split.classCounts.length !== k) throw new Error(`dataset card: split "${split.name}" has ${split.classCounts.length} class counts for ${k} classes`);
  }
  return {
    description: card.description,
    splits: card.splits.map((split) => ({ name: split.name, classCounts: [...split.classCounts], patients: split.patients })),
    imageSize: { ...card.imageSize },
    config: toJson(card.config),
    seed: card.seed,
  };
}

/** A detached JSON copy; throws on what JSON cannot hold faithfully (functions, NaN, cycles). */
function toJson(value: object): JsonValue {
  const text = JSON.stringify(value, (key, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`dataset card config: ${key} = ${v} is not representable in JSON`);
    if (typeof v === 'function' || typeof v === 'bigint' || typeof v === 'symbol') throw new Error(`dataset card config: ${key} is a ${typeof v}`);
    return v;
  });
  return JSON.parse(text) as JsonValue;
}
