export type { Labels, ScoreMatrix } from './inputs.ts';
export {
  confusionMatrix,
  perClassMetrics,
  binaryMetrics,
  accuracy,
  balancedAccuracy,
  macroF1,
  meanDefined,
  type ConfusionMatrix,
  type BinaryCounts,
  type BinaryMetrics,
  type ClassMetrics,
} from './confusion.ts';
export { rocCurve, rocAuc, aucTrapezoid, rocAucOvr, precisionRecallCurve, averagePrecision, type RocCurve, type PrecisionRecallCurve, type OneVsRestAuc } from './roc.ts';
export {
  reliabilityBins,
  expectedCalibrationError,
  brierScore,
  fitTemperature,
  applyTemperature,
  TEMPERATURE_RANGE,
  calibratedEceDraws,
  type ReliabilityBin,
  type BinningOptions,
  type CalibratedDrawOptions,
} from './calibration.ts';
export {
  bootstrapCi,
  bootstrapCis,
  expandWeights,
  wilsonInterval,
  normalQuantile,
  quantileOfSorted,
  type Interval,
  type BootstrapInterval,
  type BootstrapOptions,
  type ResampleStatistic,
  type ResampleStatistics,
} from './intervals.ts';
export { thresholdForSensitivity, referralRate, selectConfidenceForAccuracy, type BinaryOperatingPoint, type Referral } from './operating.ts';
export { cohensKappa, fleissKappa } from './agreement.ts';
export { evaluateClassifier, OVERALL_METRICS, type EvaluateOptions, type ClassifierReport, type ClassReport, type Estimate, type CiMethod, type OverallMetricName, type PerClassMetricName } from './report.ts';
export { formatReportTable, formatEstimate, formatPercent, MISSING } from './format.ts';
export { summariseFolds, formatFoldSummary, meanSd, formatMeanSd, type FoldSummary, type MeanSd } from './folds.ts';
export { MIN_TEST_IMAGES, operatingPointOutcomes, summariseTestReport, targetVerdict } from './test-summary.ts';
