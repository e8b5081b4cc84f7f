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
