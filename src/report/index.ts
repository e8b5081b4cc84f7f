export { buildReportData } from './build.ts';
export { renderReportHtml } from './render.ts';
export { writeReport, type WrittenReport } from './write.ts';
export { mostConfidentErrors } from './errors.ts';
export { MAX_CURVE_POINTS, thinCurve } from './curves.ts';
export { axisTicks, linearScale, polylinePath, type Point, type Scale } from './svg.ts';
export { colourRamp, textColourFor } from './colour.ts';
export { escapeHtml } from './html.ts';
export type {
  CalibrationData,
  CalibrationSummary,
  ClassCurves,
  ConfidentError,
  CrossValidationData,
  DatasetCard,
  DatasetCardInput,
  DatasetSplit,
  ErrorExample,
  ErrorExampleInput,
  FoldRunData,
  FoldRunInput,
  GalleryItem,
  GalleryItemInput,
  JsonValue,
  NamedReport,
  OperatingPointChoice,
  OperatingPointResult,
  OutOfFoldData,
  ReferralData,
  ReliabilityBinData,
  ReportData,
  ReportInput,
} from './types.ts';
