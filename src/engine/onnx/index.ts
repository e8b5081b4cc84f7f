export { exportToOnnx, SUPPORTED_LAYER_TYPES, ONNX_OPSET_VERSION, ONNX_BATCH_DIM, type OnnxExportOptions } from './export.ts';
export { OnnxClassifier, type OnnxClassifierOptions, type OnnxOutput, type OnnxPrediction } from './classifier.ts';
