/** Measuring tools of the benchmarks (and of the tests that check them); nothing in src/ uses them. */
export { measureExplainCost, type ExplainCost, type ExplainCostOptions } from './explain-cost.ts';
export { profileKernels, type KernelTiming } from './kernel-profile.ts';
export { fitMedMnist, medMnistRecipe, upsampleSet, type MedMnistOptions, type MedMnistRecipe, type MedMnistResult } from './medmnist.ts';
export { INFERENCE_ENGINES, measureOnnxInference, type EngineThroughput, type InferenceEngine, type InferenceMeasurement, type InferenceMeasurementOptions } from './onnx-inference.ts';
export { measureStepThroughput, type StepThroughput, type StepThroughputOptions } from './step-throughput.ts';
export { measureTrainThroughput, type ThroughputOptions } from './train-throughput.ts';
export { bccdFolds, gramStainSpeciesFolds, macroF1Of, runPytorchBaseline, torchPython, type PytorchRun, type RealDataset, type RealFold } from './real-data.ts';
export { compareRuntimes, largestGap, serveComparePage, type RuntimeComparison, type RuntimeFigures } from './runtime-compare.ts';
