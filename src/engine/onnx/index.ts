export { exportToOnnx, exportEnsembleToOnnx, SUPPORTED_LAYER_TYPES, ONNX_OPSET_VERSION, ONNX_BATCH_DIM, type OnnxExportOptions } from './export.ts';
export { OnnxClassifier, type OnnxClassifierOptions } from './classifier.ts';
export type { ModelRunner, OnnxOutput, OnnxPrediction } from './runner.ts';
