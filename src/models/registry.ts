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
}

export interface RegisteredModel extends ModelDefinition {
  name: ModelName;
}

/** A name is a CLI choice and is stored in bundles: lower-case letters, digits and hyphens. */
const NAME_PATTERN = /^[a-z][a-z0-9-]*$/;

export function checkSpec(spec: ModelSpec): void {
  const [h, w, c] = spec.inputShape;
  if (![h, w, c].every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(`input shape must be three positive integers [height, width, channels], got [${spec.inputShape.join(', ')}]`);
  }
  if (!Number.isInteger(spec.numClasses) || spec.numClasses < 2) {
    throw new Error(`a classifier needs at least 2 classes, got ${spec.numClasses}`);
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

  build(name: ModelName, spec: ModelSpec): tfl.LayersModel {
    const entry = this.models.get(name);
    if (!entry) throw new Error(`unknown model "${name}"; choose one of: ${this.order.join(', ')}`);
    checkSpec(spec);
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

/** Every registered model name, in registration order. */
export const MODEL_NAMES: readonly ModelName[] = registry.names;
