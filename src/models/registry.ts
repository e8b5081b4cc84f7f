import type * as tfl from '@tensorflow/tfjs-layers';
import { modelRuleViolations } from './rules.ts';

/** The name of a registered model (see `registerModel`); bundles record it to rebuild the model. */
export type ModelName = string;

export interface ModelSpec {
  /** [height, width, channels] */
  inputShape: [number, number, number];
  numClasses: number;
  /** Base width (filters of the first stage). */
  width?: number;
  seed?: number;
}

export interface ModelDefinition {
  /**
   * Builds the model for a spec (already checked), with weights that depend only on the spec (seed
   * included). The model must keep the rules in rules.ts: its last convolutional feature map from a
   * layer named 'features', the class scores from a linear Dense layer 'logits', one softmax output
   * 'probabilities' on them, and only layer classes the ONNX exporter converts. A head of global
   * average pooling then 'logits' on 'features' (like resnet-small's) also gives the closed-form
   * Grad-CAM that serving uses without a backward pass (explain's hasGapDenseHead).
   */
  build: (spec: ModelSpec) => tfl.LayersModel;
  /** One line on what the model is, for listings. */
  description?: string;
  /** Smallest input height and width in pixels the model takes (default 1). */
  minInputSize?: number;
  /** The widths are fixed by pretrained weights: a spec may not set `width`. */
  fixedWidth?: boolean;
  /**
   * The per-channel mean and sd, on [0, 1] pixels, that the model's pretrained weights expect (for
   * an input of `channels` channels); computed on the training images when absent.
   */
  inputNormalisation?: (channels: number) => { mean: number[]; std: number[] };
  /** Pretrained models: how to fine-tune them (parameter groups and the default recipe). */
  fineTune?: FineTuneDefinition;
}

/**
 * Fine-tuning a pretrained model fastai-style: the new head first with the pretrained layers frozen,
 * then every group with learning rates that fall from the head to the earliest layers.
 */
export interface FineTuneDefinition {
  /** Number of parameter groups: 0 holds the earliest layers, groups − 1 the new head. */
  groups: number;
  /** The parameter group of a layer, by layer name. */
  groupOf: (layerName: string) => number;
  /** Default epochs with only the head trained. */
  freezeEpochs: number;
  /** Default ratio of the head's learning rate to the earliest group's, once unfrozen (rates spaced geometrically between). */
  layerRateRatio: number;
  /** Default earliest groups that never train (none when absent). */
  frozenGroups?: number;
  /** Default batch-norm mode: normalise with each batch's statistics, or with the pretrained ones, kept. */
  batchNorm: 'batch' | 'frozen';
  /** Defaults of the recipe where they differ from the trainer's: training length (least epochs and least steps), base learning rate, batch, early stopping. */
  epochs?: number;
  steps?: number;
  learningRate?: number;
  batchSize?: number;
  patience?: number;
  /** Default input side in pixels. */
  inputSize: number;
}

/** Parameter groups of a built model: the group of each of its trainable weights, in `model.trainableWeights` order. */
export interface ParameterGroups {
  count: number;
  ofWeight: number[];
}

export interface RegisteredModel extends ModelDefinition {
  name: ModelName;
}

/** A name is a CLI choice and is stored in bundles: lower-case letters, digits and hyphens. */
const NAME_PATTERN = /^[a-z][a-z0-9-]*$/;

export function checkSpec(spec: ModelSpec, definition?: RegisteredModel): void {
  const [h, w, c] = spec.inputShape;
  if (![h, w, c].every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(`input shape must be three positive integers [height, width, channels], got [${spec.inputShape.join(', ')}]`);
  }
  if (!Number.isInteger(spec.numClasses) || spec.numClasses < 2) {
    throw new Error(`a classifier needs at least 2 classes, got ${spec.numClasses}`);
  }
  if (!definition) return;
  const min = definition.minInputSize ?? 1;
  if (h < min || w < min) throw new Error(`model "${definition.name}" takes inputs of at least ${min}×${min} pixels; got ${h}×${w}`);
  if (definition.fixedWidth && spec.width !== undefined) {
    throw new Error(`model "${definition.name}" has the fixed widths of its pretrained weights: leave out the width (got ${spec.width})`);
  }
}

/** Model architectures by name. Every build is checked against the model rules, so a model that breaks one fails at its first build, naming the rule. */
export class ModelRegistry {
  private readonly models = new Map<ModelName, RegisteredModel>();
  private readonly order: ModelName[] = [];

  /** The registered names in registration order (a live view: later registrations appear in it). */
  get names(): readonly ModelName[] {
    return this.order;
  }

  register(name: ModelName, definition: ModelDefinition): void {
    if (!NAME_PATTERN.test(name)) throw new Error(`model name "${name}" must be lower-case letters, digits and hyphens, starting with a letter`);
    if (this.models.has(name)) throw new Error(`a model named "${name}" is already registered`);
    if (typeof definition.build !== 'function') throw new Error(`model "${name}" needs a build(spec) function`);
    this.models.set(name, { ...definition, name });
    this.order.push(name);
  }

  list(): RegisteredModel[] {
    return this.order.map((name) => this.models.get(name)!);
  }

  get(name: ModelName): RegisteredModel {
    const entry = this.models.get(name);
    if (!entry) throw new Error(`unknown model "${name}"; choose one of: ${this.order.join(', ')}`);
    return entry;
  }

  build(name: ModelName, spec: ModelSpec): tfl.LayersModel {
    const entry = this.get(name);
    checkSpec(spec, entry);
    const model = entry.build(spec);
    const broken = modelRuleViolations(model, spec);
    if (broken.length > 0) {
      model.dispose();
      throw new Error(`model "${name}" breaks ${broken.length === 1 ? 'a rule' : `${broken.length} rules`} of the model registry: ${broken.join('; ')}`);
    }
    return model;
  }
}

const registry = new ModelRegistry();

/** Adds a model to the zoo: `buildModel`, the CLI's --model and bundles then know it by name. */
export function registerModel(name: ModelName, definition: ModelDefinition): void {
  registry.register(name, definition);
}

export function buildModel(name: ModelName, spec: ModelSpec): tfl.LayersModel {
  return registry.build(name, spec);
}

export function registeredModels(): RegisteredModel[] {
  return registry.list();
}

/** The registered definition of a model. */
export function registeredModel(name: ModelName): RegisteredModel {
  return registry.get(name);
}

/** The parameter groups of a model built from a registered definition: one group unless it is fine-tuned in groups. */
export function parameterGroupsOf(name: ModelName, model: tfl.LayersModel): ParameterGroups {
  const fineTune = registry.get(name).fineTune;
  if (!fineTune) return { count: 1, ofWeight: model.trainableWeights.map(() => 0) };
  const groupOfVariable = new Map<tfl.LayerVariable, number>();
  for (const layer of model.layers) {
    const group = fineTune.groupOf(layer.name);
    if (!(Number.isInteger(group) && group >= 0 && group < fineTune.groups)) throw new Error(`model "${name}" puts layer ${layer.name} in parameter group ${group}, not one of 0..${fineTune.groups - 1}`);
    for (const weight of layer.trainableWeights) groupOfVariable.set(weight, group);
  }
  return { count: fineTune.groups, ofWeight: model.trainableWeights.map((weight) => groupOfVariable.get(weight)!) };
}

/** Every registered model name, in registration order. */
export const MODEL_NAMES: readonly ModelName[] = registry.names;
