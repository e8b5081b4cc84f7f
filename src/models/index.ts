export {
  buildModel,
  seedCnn,
  resnetSmall,
  countParameters,
  stagesForInput,
  MODEL_NAMES,
  FEATURE_LAYER_NAME,
  LOGITS_LAYER_NAME,
  type ModelName,
  type ModelSpec,
} from './zoo.ts';
export {
  serializeTensors,
  deserializeTensors,
  serializeModelWeights,
  loadModelWeights,
  weightsToBytes,
  weightsFromBytes,
  type SerializedWeights,
  type WeightEntry,
} from './weights.ts';
export {
  saveBundle,
  readBundleMetadata,
  loadBundleModel,
  resizePolicyOf,
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  type BundleMetadata,
  type InputPolicy,
  type LabelTreeNode,
  type SaveBundleInput,
} from './bundle.ts';
export { treeLevels, aggregateProbabilities, type TreeLevel } from './label-tree.ts';
