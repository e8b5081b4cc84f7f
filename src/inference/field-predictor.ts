import sharp from 'sharp';
import type { SpecimenDecision } from '../fields/index.ts';
import { decodePhoto } from '../fields/index.ts';
import type { BundleMetadata } from '../models/index.ts';
import type { ModelBundle } from './bundle.ts';
import type { RgbaLayer } from './field-layers.ts';
import { FieldReader, FieldUnsupportedError, type FieldPredictOptions, type FieldReaderOptions, type FieldResult } from './field-reading.ts';

export type FieldPredictorOptions = FieldReaderOptions;

/** A transparent PNG layer over a photo. */
export interface FieldLayer {
  png: Buffer;
  width: number;
  height: number;
  /** Layer pixels per photo pixel. */
  scale: number;
}

/** A whole field's answer as the server gives it: its layers as PNG. */
export type FieldPrediction = FieldResult<FieldLayer>;

/**
 * A whole microscope photo through a loaded bundle's ONNX session: decoded by sharp, read by the
 * FieldReader (the same code the web app runs on the device), its layers encoded as PNG.
 */
export class FieldPredictor {
  private readonly reader: FieldReader;

  /** Throws FieldUnsupportedError when the bundle cannot read whole fields. */
  constructor(bundle: ModelBundle, options: FieldPredictorOptions = {}) {
    if (!bundle.metadata.onnx) throw new FieldUnsupportedError(`bundle ${bundle.dir} has no ONNX model; run 'gramlens export' first`);
    if (bundle.runtime !== 'onnx') throw new FieldUnsupportedError(`whole-field prediction runs on the ONNX model; bundle ${bundle.dir} was loaded on ${bundle.runtime}`);
    this.reader = new FieldReader(bundle, options);
  }

  get metadata(): BundleMetadata {
    return this.reader.metadata;
  }

  get backgroundClass(): string {
    return this.reader.backgroundClass;
  }

  get mixedClass(): string | undefined {
    return this.reader.mixedClass;
  }

  async predict(photo: Buffer, options: FieldPredictOptions = {}): Promise<FieldPrediction> {
    options.signal?.throwIfAborted();
    const started = performance.now();
    const decoded = await decodePhoto(photo);
    const reading = await this.reader.read(decoded, options, performance.now() - started);
    const encodeStarted = performance.now();
    const tileMap = reading.tileMap && (await encodeLayer(reading.tileMap));
    const heatmap = reading.heatmap && (await encodeLayer(reading.heatmap));
    const encodeMs = performance.now() - encodeStarted;
    const timings = { ...reading.timings, tileMapMs: reading.timings.tileMapMs + encodeMs, totalMs: reading.timings.totalMs + encodeMs };
    return { ...reading, tileMap, heatmap, timings };
  }

  /** Several fields of one specimen combined (combineFields); null when none of them was predicted. */
  combineSpecimen(fields: readonly Pick<FieldPrediction, 'decision'>[], minFields = 1): SpecimenDecision | null {
    return this.reader.combineSpecimen(fields, minFields);
  }
}

async function encodeLayer({ rgba, width, height, scale }: RgbaLayer): Promise<FieldLayer> {
  return { png: await sharp(rgba, { raw: { width, height, channels: 4 } }).png({ compressionLevel: 4 }).toBuffer(), width, height, scale };
}
