/**
 * Reading tiles and whole fields without Node APIs, for the web app's on-device mode: the same
 * inference, guard, field and layer code the server runs behind index.ts (which adds decoding by
 * sharp, PNG layers, TF.js and onnxruntime-node).
 */
export { PortableModel } from './portable-model.ts';
export { readTile, photoToInput, type TileReading } from './tile-reading.ts';
export { FieldReader, FieldUnsupportedError, type FieldReading, type FieldPredictOptions, type RgbPhoto } from './field-reading.ts';
export { DEFAULT_BACKGROUND_CLASS } from './field-classes.ts';
export { HEATMAP_LAYER_MAX_SIDE, heatmapLayer } from './heatmap-layer.ts';
export { routePhoto, type PhotoRoute } from './guard.ts';
export type { RgbaLayer } from './field-layers.ts';
export { fieldSummaryOf } from './field-served.ts';
