import { join } from 'node:path';
import type { FieldPredictorResult, PredictorResult, WholeFieldResult } from '../contract/index.ts';
import type { BundleMetadata } from '../models/index.ts';
import type { DeviceModelFiles, Predictor } from '../server/index.ts';
import { loadBundle, type ModelBundle } from './bundle.ts';
import { toServedField } from './field-served.ts';
import { HEATMAP_LAYER_MAX_SIDE } from './heatmap-layer.ts';
import { renderHeatmapOverPhoto } from './heatmap-photo.ts';


/** What the web app reads of metadata.json to run the model on the device (not the training record, figures or weight layout). */
const DEVICE_METADATA_KEYS = ['format', 'version', 'createdAt', 'architecture', 'classes', 'labelTree', 'input', 'temperature', 'referBelow', 'ood', 'onnx', 'fieldDecision', 'calibration'] as const;

/**
 * The model behind the HTTP API's predict routes: one loaded bundle (one ONNX session for single
 * images and whole fields), swapped for a newly activated one only once that has loaded. What a
 * bundle lacks (e.g. out-of-distribution statistics) is told to `onNotice` once, when it loads.
 */
export class BundlePredictor implements Predictor {
  private current: ModelBundle | null = null;

  private constructor(private readonly onNotice: (notice: string) => void) {}

  static async load(bundleDir: string | null, onNotice: (notice: string) => void = () => undefined): Promise<BundlePredictor> {
    const predictor = new BundlePredictor(onNotice);
    if (bundleDir) predictor.current = await predictor.loadServed(bundleDir);
    return predictor;
  }

  get metadata(): BundleMetadata | null {
    return this.current?.metadata ?? null;
  }

  /** One photo: a tile, or a whole field when it is far larger than the model's input (whole-field by default), or a refusal. */
  async predict(image: Buffer): Promise<PredictorResult | WholeFieldResult> {
    const bundle = this.active();
    const served = { modelVersion: bundle.modelVersion, tree: bundle.metadata.labelTree };
    const route = await bundle.routePhoto(image);
    if (route.kind === 'refuse') return { ...served, refusal: route.refusal };
    if (route.kind === 'field') return { ...(await this.predictField(image, { force: false })), wholeField: route.reason };
    const { prediction, heatmap } = await bundle.predictWithHeatmap(image);
    if (heatmap === null) return { ...served, refusal: prediction.refusal };
    return {
      ...served,
      classes: prediction.classes,
      top: prediction.top,
      uncertain: prediction.uncertain,
      heatmapPng: await renderHeatmapOverPhoto(image, heatmap, bundle.metadata.input, { style: 'layer', maxSide: HEATMAP_LAYER_MAX_SIDE }),
    };
  }

  async predictField(photo: Buffer, options: { pxPerUm?: number; force: boolean }): Promise<FieldPredictorResult> {
    return toServedField(await this.active().predictField(photo, { ...options, explain: true }));
  }

  async deviceFiles(): Promise<DeviceModelFiles | null> {
    const bundle = this.current;
    if (!bundle?.metadata.onnx) return null;
    const metadata = Object.fromEntries(DEVICE_METADATA_KEYS.filter((key) => bundle.metadata[key] !== undefined).map((key) => [key, bundle.metadata[key]]));
    return { modelVersion: bundle.modelVersion, onnxPath: join(bundle.dir, bundle.metadata.onnx.file), metadata, denseKernel: await bundle.denseKernel() };
  }

  /** Loads the model's bundle in place of the current one; nothing to do when that bundle is the one loaded (e.g. at a server's start). */
  async activate(model: { path: string }): Promise<void> {
    if (this.current?.dir === model.path) return;
    const next = await this.loadServed(model.path);
    const previous = this.current;
    this.current = next;
    await previous?.dispose();
  }

  async dispose(): Promise<void> {
    await this.current?.dispose();
    this.current = null;
  }

  private active(): ModelBundle {
    if (!this.current) throw new Error('no model is active: an admin must activate one first');
    return this.current;
  }

  /** Every served heatmap needs the TF.js model's dense kernel (or the model itself): read it before activation commits, so a broken bundle is refused. */
  private async loadServed(dir: string): Promise<ModelBundle> {
    const bundle = await loadBundle(dir);
    try {
      await bundle.denseKernel();
    } catch (error) {
      await bundle.dispose();
      throw error;
    }
    for (const notice of bundle.guard.notices) this.onNotice(`${dir}: ${notice}`);
    return bundle;
  }
}
