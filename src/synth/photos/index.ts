/**
 * Synthetic fields put through the photo path of src/fields: training tiles cut from JPEG-encoded
 * fields as a photo is tiled at inference, and the quality gate's calibration on degraded fields.
 */
export {
  FIELD_TILE_DEFAULTS,
  FIELD_TILES_FORMAT_VERSION,
  fieldTileDatasetStatus,
  morphotypePixels,
  tileLabelFromCounts,
  writeFieldTileDataset,
  type FieldSplitCounts,
  type FieldTileDatasetOptions,
  type FieldTileDatasetSummary,
  type MaskRegion,
} from './field-tiles.ts';
export {
  DEGRADATIONS,
  DEGRADATION_LEVELS,
  measureQualityGate,
  type Degradation,
  type GateCase,
  type GateOptions,
  type GateRates,
} from './gate-calibration.ts';
