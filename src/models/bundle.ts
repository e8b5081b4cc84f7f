import type { TtaView } from '../augment/index.ts';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { FieldDecisionRule, LabelTreeNode } from '../contract/index.ts';
import type { ResizePolicy } from '../data/index.ts';
import type { OodStatistics } from '../ood/index.ts';
import { writeDirAtomically, writeFileAtomically } from '../io/index.ts';
import { loadModelWeights, serializeModelWeights, weightsFromBytes, weightsToBytes, type WeightEntry } from './weights.ts';
import { buildModel, MODEL_NAMES, type ModelName } from './registry.ts';

export const BUNDLE_FORMAT = 'gramlens-bundle';
export const BUNDLE_VERSION = 1;

/** How a source image becomes the model's input. */
export interface InputPolicy {
  height: number;
  width: number;
  channels: 1 | 3;
  fit: 'cover' | 'contain' | 'fill';
  mean: number[];
  std: number[];
  /** Physical scale of the input: pixels per micrometre at the model's input size (whole-field tiling); unknown when absent. */
  pxPerUm?: number;
  /**
   * Stain normalisation applied to each image before mean/std (src/preprocess StainNormalisation and
   * normaliseStainFor), with its reference estimated on training images; none when absent.
   */
  stain?:
    | { method: 'reinhard'; reference: { mean: number[]; sd: number[] }; images: number }
    | { method: 'macenko'; reference: { stains: number[][]; maxConcentrations: number[]; background: number[] }; images: number };
  /**
   * Test-time augmentation (`train --tta`): every prediction averages the model's probabilities
   * over these views of the input (flipped left to right, then turned), before
   * the temperature; the image alone when absent. Feature maps and heatmaps come from the image itself.
   */
  tta?: TtaView[];
}

/** The labelled images a calibration was chosen on. */
export interface CalibrationSource {
  source: 'validation' | 'site';
  /** The dataset given to `gramlens calibrate`. */
  dataset?: string;
  images?: number;
  patients?: number;
  at?: string;
}

/** The calibrated values of a bundle, as replaced by a recalibration. */
export interface CalibrationValues {
  temperature: number;
  referBelow?: number;
  operatingPoints?: BundleMetadata['operatingPoints'];
}

export interface CalibrationRecord extends CalibrationValues {
  calibration: CalibrationSource;
  replacedAt: string;
}

export interface BundleMetadata {
  format: typeof BUNDLE_FORMAT;
  version: number;
  createdAt: string;
  architecture: { name: ModelName; width?: number; seed: number };
  classes: string[];
  labelTree?: LabelTreeNode[];
  input: InputPolicy;
  /** Softmax temperature fitted on validation (1 = uncalibrated). */
  temperature: number;
  /** A calibrated top probability below this means "uncertain: refer" (chosen on validation). */
  referBelow?: number;
  /** Per-class one-vs-rest thresholds chosen on validation for a target sensitivity. */
  operatingPoints?: { class: string; threshold: number; targetSensitivity: number }[];
  /** Where temperature, referBelow and operatingPoints were chosen; the validation split when absent. */
  calibration?: CalibrationSource;
  /** Calibrations this bundle had before, oldest first (`gramlens calibrate --restore` brings the last back). */
  calibrationHistory?: CalibrationRecord[];
  /** Whole-field decision rule fitted on validation fields (src/fields decideField; its defaults when absent). */
  fieldDecision?: FieldDecisionRule;
  /** What refuses inputs unlike the training images (src/ood), fitted at training; bundles trained before it have only the image checks. */
  ood?: OodStatistics;
  training?: Record<string, unknown>;
  dataHash?: string;
  metrics?: Record<string, unknown>;
  weights: WeightEntry[];
  onnx?: { file: string; outputs: string[] };
  /**
   * An ensemble (`train --ensemble K`): the same architecture trained with these seeds, the first
   * being architecture.seed (weights.bin), member i's weights in ensembleWeightsFile(i), all with the
   * `weights` layout. Its probabilities are the mean of the members' softmax before the temperature;
   * feature maps, heatmaps and the out-of-distribution check are the first member's.
   */
  ensemble?: { seeds: number[] };
}

export interface SaveBundleInput {
  model: tfl.LayersModel;
  metadata: Omit<BundleMetadata, 'format' | 'version' | 'createdAt' | 'weights' | 'onnx' | 'ensemble'>;
  /** ONNX bytes of the same model (of the whole ensemble) and the names of its outputs, when exported. */
  onnx?: { bytes: Uint8Array; outputs: string[] };
  /** The ensemble's further members (same architecture as `model`, which is its first) and their seeds. */
  members?: { model: tfl.LayersModel; seed: number }[];
}

/** The weights file of an ensemble's member i (0 is the bundle's own weights.bin). */
function ensembleWeightsFile(member: number): string {
  return member === 0 ? 'weights.bin' : `weights-member-${member}.bin`;
}

/**
 * Writes weights.bin, metadata.json and model.onnx into `dir` atomically: the previous bundle in
 * that place stays whole until the new one is completely written.
 */
export async function saveBundle(dir: string, input: SaveBundleInput): Promise<BundleMetadata> {
  const weights = serializeModelWeights(input.model);
  const members = input.members ?? [];
  const metadata: BundleMetadata = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    createdAt: new Date().toISOString(),
    ...input.metadata,
    weights: weights.entries,
    ...(input.onnx ? { onnx: { file: 'model.onnx', outputs: input.onnx.outputs } } : {}),
    ...(members.length > 0 ? { ensemble: { seeds: [input.metadata.architecture.seed, ...members.map((member) => member.seed)] } } : {}),
  };
  await writeDirAtomically(dir, async (temp) => {
    await writeFile(join(temp, 'weights.bin'), weightsToBytes(weights));
    for (const [i, member] of members.entries()) {
      await writeFile(join(temp, ensembleWeightsFile(i + 1)), weightsToBytes(serializeModelWeights(member.model)));
    }
    if (input.onnx) await writeFile(join(temp, 'model.onnx'), input.onnx.bytes);
    await writeFile(join(temp, 'metadata.json'), JSON.stringify(metadata, null, 2));
  });
  return metadata;
}

export function resizePolicyOf(input: InputPolicy): ResizePolicy {
  return { size: [input.height, input.width], channels: input.channels, fit: input.fit };
}

export async function readBundleMetadata(dir: string): Promise<BundleMetadata> {
  const path = join(dir, 'metadata.json');
  if (!existsSync(path)) throw new Error(`${dir} is not a gramlens model bundle (no metadata.json)`);
  let metadata: BundleMetadata;
  try {
    metadata = JSON.parse(await readFile(path, 'utf8')) as BundleMetadata;
  } catch {
    throw new Error(`${path} is not valid JSON: the bundle is corrupt`);
  }
  if (metadata.format !== BUNDLE_FORMAT) throw new Error(`${dir} is not a gramlens model bundle (format "${String(metadata.format)}")`);
  if (metadata.version !== BUNDLE_VERSION) {
    throw new Error(`model bundle ${dir} has version ${metadata.version}; this gramlens reads version ${BUNDLE_VERSION}: re-export it with a matching gramlens`);
  }
  if (!MODEL_NAMES.includes(metadata.architecture?.name)) {
    throw new Error(`model bundle ${dir} uses an unknown architecture "${metadata.architecture?.name}"`);
  }
  return metadata;
}

/**
 * Replaces the bundle's temperature, referral level and operating points (the weights are not
 * touched) and keeps the values they replace in `calibrationHistory`. metadata.json is rewritten
 * atomically.
 */
export async function updateBundleCalibration(dir: string, values: CalibrationValues, source: CalibrationSource): Promise<BundleMetadata> {
  const metadata = await readBundleMetadata(dir);
  const previous: CalibrationRecord = {
    temperature: metadata.temperature,
    referBelow: metadata.referBelow,
    operatingPoints: metadata.operatingPoints,
    calibration: metadata.calibration ?? { source: 'validation' },
    replacedAt: new Date().toISOString(),
  };
  const updated: BundleMetadata = {
    ...metadata,
    temperature: values.temperature,
    referBelow: values.referBelow,
    operatingPoints: values.operatingPoints,
    calibration: source,
    calibrationHistory: [...(metadata.calibrationHistory ?? []), previous],
  };
  await writeFileAtomically(join(dir, 'metadata.json'), JSON.stringify(updated, null, 2));
  return updated;
}

/** Brings back the calibration the last `updateBundleCalibration` replaced; null when there is none. */
export async function restoreBundleCalibration(dir: string): Promise<BundleMetadata | null> {
  const metadata = await readBundleMetadata(dir);
  const history = metadata.calibrationHistory ?? [];
  const last = history.at(-1);
  if (!last) return null;
  const restored: BundleMetadata = {
    ...metadata,
    temperature: last.temperature,
    referBelow: last.referBelow,
    operatingPoints: last.operatingPoints,
    calibration: last.calibration,
    calibrationHistory: history.length > 1 ? history.slice(0, -1) : undefined,
  };
  await writeFileAtomically(join(dir, 'metadata.json'), JSON.stringify(restored, null, 2));
  return restored;
}

/** Rebuilds the TF.js model of a bundle and loads its weights (an ensemble's first member). */
export async function loadBundleModel(dir: string): Promise<{ model: tfl.LayersModel; metadata: BundleMetadata }> {
  const metadata = await readBundleMetadata(dir);
  return { model: await loadEnsembleMember(dir, metadata, 0), metadata };
}

/** Every member of a bundle's ensemble, the first being loadBundleModel's; one model for a bundle that is not an ensemble. */
export async function loadBundleMembers(dir: string): Promise<{ models: tfl.LayersModel[]; metadata: BundleMetadata }> {
  const metadata = await readBundleMetadata(dir);
  const count = metadata.ensemble?.seeds.length ?? 1;
  const models: tfl.LayersModel[] = [];
  try {
    for (let i = 0; i < count; i++) models.push(await loadEnsembleMember(dir, metadata, i));
  } catch (error) {
    models.forEach((model) => model.dispose());
    throw error;
  }
  return { models, metadata };
}

/** Member `member` of a bundle's ensemble (0: the bundle's own model), rebuilt with its weights. */
export async function loadEnsembleMember(dir: string, metadata: BundleMetadata, member: number): Promise<tfl.LayersModel> {
  const { height, width, channels } = metadata.input;
  const file = join(dir, ensembleWeightsFile(member));
  if (!existsSync(file)) throw new Error(`model bundle ${dir} has no ${ensembleWeightsFile(member)}: the bundle is incomplete`);
  const model = buildModel(metadata.architecture.name, {
    inputShape: [height, width, channels],
    numClasses: metadata.classes.length,
    width: metadata.architecture.width,
    seed: metadata.ensemble?.seeds[member] ?? metadata.architecture.seed,
  });
  try {
    loadModelWeights(model, weightsFromBytes(metadata.weights, new Uint8Array(await readFile(file))));
  } catch (error) {
    model.dispose();
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  return model;
}
