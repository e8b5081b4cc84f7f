export {
  buildModel,
  registerModel,
  registeredModels,
  registeredModel,
  parameterGroupsOf,
  ModelRegistry,
  MODEL_NAMES,
  type ModelDefinition,
  type ParameterGroups,
  type ModelName,
  type ModelSpec,
  type RegisteredModel,
} from './registry.ts';
export { FEATURE_LAYER_NAME, LOGITS_LAYER_NAME, PROBABILITIES_LAYER_NAME, ONNX_EXPORTABLE_LAYERS } from './rules.ts';
// The built-in models register themselves when zoo.ts and mobilenet-v2.ts are loaded.
export { seedCnn, stagesForInput } from './zoo.ts';
export { mobileNetV2 } from './mobilenet-v2.ts';
export { mobileNetV2Weights, dequantise } from './pretrained-weights.ts';
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
export { saveBundle, readBundleMetadata, updateBundleCalibration, restoreBundleCalibration, loadBundleModel, loadBundleMembers, loadEnsembleMember, resizePolicyOf, type BundleMetadata, type CalibrationRecord, type CalibrationSource, type CalibrationValues, type InputPolicy, type SaveBundleInput } from './bundle.ts';
export { treeLevels, aggregateProbabilities, type TreeLevel } from './label-tree.ts';
export { modelVersionOf } from './version.ts';
