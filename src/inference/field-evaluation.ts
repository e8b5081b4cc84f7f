/** A tile model's whole-field decision fitted on labelled photos, and whole-field figures, through the bundle's field path. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FieldDecisionRule, FieldReferral, MorphotypeGroup } from '../contract/index.ts';
import { confusionMatrix, meanDefined, perClassMetrics, type ClassMetrics } from '../evaluate/index.ts';
import { fitFieldDecision, fitFieldReferral, scoredClass, type FittedFieldDecision, type LabelledField, type ReferralSample } from '../fields/index.ts';
import { readBundleMetadata } from '../models/index.ts';
import { fitFieldSignature, type FieldSignature, type FieldSignatureStatistics } from '../ood/index.ts';
import { writeFileAtomically } from '../io/index.ts';
import { loadBundle, type ModelBundle } from './bundle.ts';
import type { FieldPrediction } from './field-predictor.ts';

/** A whole-field photo with its known class. */
export interface LabelledPhoto {
  path: string;
  label: string;
}

export interface FieldRunOptions {
  /** The photos' scale (pixels per micrometre). */
  pxPerUm?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface FitBundleDecisionOptions extends FieldRunOptions {
  /** Confusable morphotypes, stored with the rule. */
  groups?: MorphotypeGroup[];
  /** Least share of single-morphotype fields left not multiple (default 0.95). */
  minMultipleSpecificity?: number;
}

/** Every photo through the field path (forced past the quality gate: a validation photo is labelled, not judged). */
async function eachField<T>(bundle: ModelBundle, photos: readonly LabelledPhoto[], options: FieldRunOptions, read: (prediction: FieldPrediction, photo: LabelledPhoto) => T): Promise<T[]> {
  const results: T[] = [];
  for (const [i, photo] of photos.entries()) {
    options.signal?.throwIfAborted();
    results.push(read(await bundle.predictField(await readFile(photo.path), { pxPerUm: options.pxPerUm, force: true, signal: options.signal }), photo));
    options.onProgress?.(i + 1, photos.length);
  }
  return results;
}

/**
 * Fits the bundle's whole-field decision (fitFieldDecision) on labelled photos, validation fields
 * only, read through its own field path, and stores it in the bundle's metadata.json as
 * `fieldDecision` (with the groups). Photos without a tile (no field of view) are left out.
 */
export async function fitBundleFieldDecision(bundleDir: string, photos: readonly LabelledPhoto[], options: FitBundleDecisionOptions = {}): Promise<FittedFieldDecision & { rule: FieldDecisionRule; fields: number; withoutTiles: number }> {
  const bundle = await loadBundle(bundleDir);
  let fields: (LabelledField | null)[];
  let setting: { classes: string[]; backgroundClass: string; mixedClass: string | undefined };
  try {
    const predictor = bundle.fieldPredictor();
    setting = { classes: bundle.metadata.classes, backgroundClass: predictor.backgroundClass, mixedClass: predictor.mixedClass };
    fields = await eachField(bundle, photos, options, ({ tiles }, photo) =>
      tiles.length === 0 ? null : { label: photo.label, tileProbabilities: tiles.map((tile) => tile.probabilities), counted: tiles.map((tile) => !tile.background) },
    );
  } finally {
    await bundle.dispose();
  }
  const usable = fields.filter((field): field is LabelledField => field !== null);
  const fitted = fitFieldDecision(usable, { ...setting, groups: options.groups, minMultipleSpecificity: options.minMultipleSpecificity });
  const rule: FieldDecisionRule = { ...fitted.params, ...(options.groups ? { groups: options.groups } : {}) };
  await writeFileAtomically(join(bundleDir, 'metadata.json'), JSON.stringify({ ...(await readBundleMetadata(bundleDir)), fieldDecision: rule }, null, 2));
  return { ...fitted, rule, fields: usable.length, withoutTiles: fields.length - usable.length };
}

/**
 * Fits the field signature (fitFieldSignature) of a bundle on its validation fields, read through its
 * own field path, and stores it in metadata.json as `ood.field`, beside the other out-of-distribution
 * statistics; the field path then refuses fields unlike them. Photos without tiles read are left out.
 */
export async function fitBundleFieldSignature(bundleDir: string, photos: readonly LabelledPhoto[], options: FieldRunOptions = {}): Promise<FieldSignatureStatistics> {
  const metadata = await readBundleMetadata(bundleDir);
  if (!metadata.ood) throw new Error(`bundle ${bundleDir} has no out-of-distribution statistics (metadata.json "ood"): retrain it before fitting its field signature`);
  const bundle = await loadBundle(bundleDir);
  let signatures: (FieldSignature | null)[];
  try {
    signatures = await eachField(bundle, photos, options, (prediction) => prediction.signature);
  } finally {
    await bundle.dispose();
  }
  const field = fitFieldSignature(signatures.filter((signature): signature is FieldSignature => signature !== null));
  await writeFileAtomically(join(bundleDir, 'metadata.json'), JSON.stringify({ ...metadata, ood: { ...metadata.ood, field } }, null, 2));
  return field;
}

/**
 * Fits the field referral (fitFieldReferral) of a bundle with a fitted decision on its validation
 * fields, read through its own field path as a phone photo is (give no pxPerUm), and stores it in
 * metadata.json with the decision (`fieldDecision.referral`): then a field's "uncertain: refer"
 * follows its own evidence. Photos without tiles read are left out.
 */
export async function fitBundleFieldReferral(bundleDir: string, photos: readonly LabelledPhoto[], options: FieldRunOptions & { target?: number } = {}): Promise<FieldReferral> {
  const metadata = await readBundleMetadata(bundleDir);
  if (!metadata.fieldDecision) throw new Error(`bundle ${bundleDir} has no fitted field decision (metadata.json "fieldDecision"): fit it before its referral`);
  const bundle = await loadBundle(bundleDir);
  let samples: (ReferralSample | null)[];
  try {
    samples = await eachField(bundle, photos, options, ({ decision, tiles }, photo) => {
      const read = tiles.filter((tile) => !tile.background);
      if (!decision || read.length === 0) return null;
      const right = scoredClass(decision, photo.label, metadata.classes) === metadata.classes.indexOf(photo.label);
      return { evidenceShare: decision.evidenceShare, right, unfamiliarShare: read.filter((tile) => tile.unfamiliar).length / read.length };
    });
  } finally {
    await bundle.dispose();
  }
  const referral = fitFieldReferral(samples.filter((sample): sample is ReferralSample => sample !== null), options.target);
  await writeFileAtomically(join(bundleDir, 'metadata.json'), JSON.stringify({ ...metadata, fieldDecision: { ...metadata.fieldDecision, referral } }, null, 2));
  return referral;
}

/** One labelled photo's whole-field answer. */
export interface FieldOutcome {
  truth: string;
  /** The field's label; null when there was no answer (no field of view, so no tile). */
  answer: string | null;
  /** Class index the answer is scored as (scoredClass); classes.length for no answer. */
  scored: number;
  multiple: boolean;
  uncertain: boolean;
  /** The quality gate's reasons (the photo was predicted anyway). */
  qualityReasons: string[];
}

export interface FieldEvaluation {
  classes: string[];
  outcomes: FieldOutcome[];
  /** Per class; a photo without an answer is a miss of its class. */
  perClass: ClassMetrics[];
  macroF1: number;
  accuracy: number;
  /** Share of mixed-class photos answered "several morphotypes". */
  multipleSensitivity: number;
  /** Share of single-morphotype photos (neither background nor mixed class) not answered "several". */
  multipleSpecificity: number;
  /** Photos answered with a group (its morphotypes not told apart). */
  groupAnswers: number;
}

/** Per-class metrics, macro-F1 and accuracy of scored outcomes; `weights` (e.g. bootstrap counts) count each outcome that many times. */
export function fieldMetrics(outcomes: readonly FieldOutcome[], classes: readonly string[], weights?: ArrayLike<number>): Pick<FieldEvaluation, 'perClass' | 'macroF1' | 'accuracy'> {
  const truth = outcomes.map((o) => classes.indexOf(o.truth));
  const cm = confusionMatrix(truth, outcomes.map((o) => o.scored), classes.length + 1, weights);
  const perClass = perClassMetrics(cm).slice(0, classes.length);
  const total = outcomes.reduce((sum, _, i) => sum + (weights ? weights[i] : 1), 0);
  return { perClass, macroF1: meanDefined(perClass.map((m) => m.f1)), accuracy: perClass.reduce((sum, m) => sum + m.tp, 0) / total };
}

/** Whole-field figures of a bundle on labelled photos (test fields), each predicted once through its field path with its stored decision. */
export async function evaluateBundleFields(bundleDir: string, photos: readonly LabelledPhoto[], options: FieldRunOptions = {}): Promise<FieldEvaluation> {
  const bundle = await loadBundle(bundleDir);
  const classes = bundle.metadata.classes;
  const unknown = photos.find((photo) => !classes.includes(photo.label));
  if (unknown) {
    await bundle.dispose();
    throw new Error(`${unknown.path}: label "${unknown.label}" is not one of the model's classes (${classes.join(', ')})`);
  }
  let outcomes: FieldOutcome[];
  let kinds: { background: string; mixed: string | undefined };
  try {
    const predictor = bundle.fieldPredictor();
    kinds = { background: predictor.backgroundClass, mixed: predictor.mixedClass };
    outcomes = await eachField(bundle, photos, options, (prediction, photo) => {
      const { decision } = prediction;
      return {
        truth: photo.label,
        answer: decision?.label ?? null,
        scored: decision ? scoredClass(decision, photo.label, classes) : classes.length,
        multiple: decision?.multiple ?? false,
        uncertain: prediction.uncertain,
        qualityReasons: prediction.quality.reasons,
      };
    });
  } finally {
    await bundle.dispose();
  }
  const share = (selected: FieldOutcome[], test: (o: FieldOutcome) => boolean): number => (selected.length === 0 ? Number.NaN : selected.filter(test).length / selected.length);
  const mixed = outcomes.filter((o) => o.truth === kinds.mixed);
  const single = outcomes.filter((o) => o.truth !== kinds.mixed && o.truth !== kinds.background);
  return {
    classes,
    outcomes,
    ...fieldMetrics(outcomes, classes),
    multipleSensitivity: kinds.mixed === undefined ? Number.NaN : share(mixed, (o) => o.multiple),
    multipleSpecificity: share(single, (o) => !o.multiple),
    groupAnswers: outcomes.filter((o) => o.answer !== null && !classes.includes(o.answer)).length,
  };
}
