export { fitClassifier, fitImageSets, type FitOptions, type FitSetsOptions, type FitProgress, type FitResult, type LabelledSet } from './fit.ts';
export { chooseCalibration, logitsOfProbabilities, recalibrateOnSite, type CalibrationChoice, type CalibrationMeasure, type CalibrationTargets, type SiteRecalibration, type SiteRecalibrationInput } from './calibration.ts';
export { packImages, prepareImageSet, type PreparedSet } from './prepare.ts';
export { ttaLogits } from './tta.ts';
export { writeFitReport, levelReports, type FitReportOptions } from './report.ts';
export { createProjectTrainer, type ProjectTrainerOptions } from './serving.ts';
export { createProjectTrainerProcess, forkTrainer, type ProjectTrainer, type TrainingProcessOptions } from './training-process.ts';
export { crossValidate, type CrossValidateOptions, type CrossValidationProgress, type CrossValidationResult } from './crossval.ts';
export { chooseWithinBudget, formatBudgetChoice, type BudgetCandidate, type BudgetChoice, type BudgetOptions, type BudgetTrial } from './budget.ts';
