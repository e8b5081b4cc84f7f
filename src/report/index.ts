export { buildReportData } from './build.ts';
export { renderReportHtml } from './render.ts';
export { writeReport, type WrittenReport } from './write.ts';
export { mostConfidentErrors } from './errors.ts';
export { treeDisplayNames } from './summary.ts';
export { MAX_CURVE_POINTS } from './curves.ts';
export { type Point, type Scale } from './svg.ts';

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
