export type { Dataset, RawImage, Sample } from './types.ts';
export { csvField, csvRow, formatCsv, parseCsv, type CsvRecord, type CsvValue } from './csv.ts';
export { buildManifestFromFilenames, isImageFile, labelIndices, labelNames, readFolderDataset, readManifest, type FilenameManifestOptions, type ReadFolderOptions, type ReadManifestOptions } from './dataset.ts';
export { parseLabelTree, type CoarseLabel } from './labels.ts';
export { ImageDecodeError, decodeImage, type DecodedPixels, type ResizePolicy } from './decode.ts';
export { loadImages, type LoadImagesOptions, type LoadImagesResult, type SkippedImage } from './load.ts';
export { parseNpy, type NpyArray, type NpyData } from './npy.ts';
export { readZip } from './zip.ts';
export { imageAt, loadMedMnist, readNpz, type MedMnist, type PackedImages } from './medmnist.ts';
export {
  assertPatientDisjoint,
  kFoldByPatient,
  splitByPatient,
  type PatientFold,
  type PatientLabelled,
  type PatientSplit,
  type SplitFractions,
} from './split.ts';
export {
  SAMPLING_STRATEGIES,
  balancedBatches,
  classWeights,
  epochIndices,
  oversample,
  undersample,
  type SamplingStrategy,
} from './sampling.ts';
export { datasetInputPxPerUm, isSyntheticDataset, readDatasetScale } from './scale.ts';
