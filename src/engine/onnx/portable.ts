/** The model runner in a browser (onnxruntime-web); index.ts has the server's (onnxruntime-node) and the exporter. */
export { WebOnnxClassifier, type WebClassifierOptions } from './web-classifier.ts';
export type { ModelRunner, OnnxOutput, OnnxPrediction } from './runner.ts';
