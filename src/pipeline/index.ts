export { fitClassifier, fitImageSets, type FitOptions, type FitSetsOptions, type FitProgress, type FitResult, type LabelledSet } from './fit.ts';
export { Classifier, calibrate, toPrediction, type ClassProbability, type ClassifierOptions, type Prediction, type Runtime } from './classifier.ts';
export { chooseCalibration, logitsOfProbabilities, recalibrateOnSite, type CalibrationChoice, type CalibrationMeasure, type CalibrationTargets, type SiteRecalibration, type SiteRecalibrationInput } from './calibration.ts';
export { packImages, prepareImageSet, datasetHash, type PreparedSet } from './prepare.ts';
export { BundleExplainer, visibleRegion, type ExplainFileOptions, type FileExplanation } from './explain.ts';
export { fitReportInput, writeFitReport, levelReports, sliceReports, type FitReportOptions } from './report.ts';
export { BundlePredictor, createProjectTrainer, type ProjectTrainerOptions, type ServedPrediction } from './serving.ts';
export {
  FieldPredictor,
  FieldUnsupportedError,
  BACKGROUND_TILE_ALPHA,
  BACKGROUND_TILE_COLOUR,
  DEFAULT_BACKGROUND_CLASS,
  DEFAULT_MIXED_CLASS,
  TILE_PALETTE,
  classColours,
  renderFieldHeatmap,
  renderTileMap,
  tileLegend,
  tileOwners,
  toServedField,
  treeTops,
  type FieldLayer,
  type FieldPredictOptions,
  type FieldPrediction,
  type FieldPredictorOptions,
  type FieldSummary,
  type FieldTile,
  type FieldTimings,
  type LegendEntry,
  type ServedFieldPrediction,
} from './field.ts';
export { poolByGroup } from './groups.ts';
export { crossValidate, type CrossValidateOptions, type CrossValidationProgress, type CrossValidationResult } from './crossval.ts';
