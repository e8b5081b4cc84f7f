export { fitClassifier, fitImageSets, type FitOptions, type FitSetsOptions, type FitProgress, type FitResult, type LabelledSet } from './fit.ts';
export { Classifier, calibrate, modelInput, toPrediction, type ClassProbability, type ClassifierOptions, type Prediction, type Runtime } from './classifier.ts';
export { packImages, prepareImageSet, datasetHash, type PreparedSet } from './prepare.ts';
export { BundleExplainer, visibleRegion, type ExplainFileOptions, type FileExplanation } from './explain.ts';
export { fitReportInput, writeFitReport, levelReports, sliceReports, type FitReportOptions } from './report.ts';
export { BundlePredictor, createProjectTrainer, type ProjectTrainerOptions, type ServedPrediction } from './serving.ts';
export { poolByGroup } from './groups.ts';
export { crossValidate, type CrossValidateOptions, type CrossValidationProgress, type CrossValidationResult } from './crossval.ts';
