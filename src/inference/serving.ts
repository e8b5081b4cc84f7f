import type { FieldPredictorResult, PredictorResult } from '../contract/index.ts';
import type { BundleMetadata } from '../models/index.ts';
import type { Predictor } from '../server/index.ts';
import { loadBundle, type ModelBundle } from './bundle.ts';
import { toServedField } from './field-served.ts';
import { renderHeatmapOverPhoto } from './heatmap-photo.ts';

/** Longest side of a served heatmap layer. */
const SERVED_HEATMAP_MAX_SIDE = 768;

/**
 * The model behind the HTTP API's predict routes: one loaded bundle (one ONNX session for single
 * images and whole fields), swapped for a newly activated one only once that has loaded.
 */
export class BundlePredictor implements Predictor {
  private current: ModelBundle | null = null;

  static async load(bundleDir: string | null): Promise<BundlePredictor> {
    const predictor = new BundlePredictor();
    if (bundleDir) predictor.current = await loadServedBundle(bundleDir);
    return predictor;
  }

  get metadata(): BundleMetadata | null {
    return this.current?.metadata ?? null;
  }

  async predict(image: Buffer): Promise<PredictorResult> {
    const bundle = this.active();
    const { prediction, heatmap } = await bundle.predictWithHeatmap(image);
    return {
      classes: prediction.classes,
      top: prediction.top,
      uncertain: prediction.uncertain,
      heatmapPng: await renderHeatmapOverPhoto(image, heatmap, bundle.metadata.input, { style: 'layer', maxSide: SERVED_HEATMAP_MAX_SIDE }),
      modelVersion: bundle.modelVersion,
      tree: bundle.metadata.labelTree,
    };
  }

  async predictField(photo: Buffer, options: { pxPerUm?: number; force: boolean }): Promise<FieldPredictorResult> {
    return toServedField(await this.active().predictField(photo, { ...options, explain: true }));
  }

  async activate(model: { path: string }): Promise<void> {
    const next = await loadServedBundle(model.path);
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
}

/** Every served heatmap needs the TF.js model's dense kernel (or the model itself): read it before activation commits, so a broken bundle is refused. */
async function loadServedBundle(dir: string): Promise<ModelBundle> {
  const bundle = await loadBundle(dir);
  try {
    await bundle.denseKernel();
    return bundle;
  } catch (error) {
    await bundle.dispose();
    throw error;
  }
}
