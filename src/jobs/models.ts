import type { ClassProbability, ExplainMethod, PredictorResult, Refusal, WholeFieldResult } from '../contract/index.ts';
import type { ModelRecord } from '../store/index.ts';

/** A model loaded to score images one by one, as POST /api/predict reads them. */
export interface ScoringModel {
  /** What the results record as the model's version (as the audit trail does). */
  readonly modelVersion: string;
  /** A tile, or a whole field when the photo is far larger than the model's input, or a refusal. */
  predict(image: Buffer): Promise<PredictorResult | WholeFieldResult>;
  dispose(): Promise<void>;
}

/** What explaining one image gives: the class explained with its probability and the heatmap over the photo, or the model's refusal. */
export type ImageReexplanation = { target: ClassProbability; heatmapPng: Buffer } | { refusal: Refusal };

/** A model loaded to explain images with a CAM method. */
export interface ExplainingModel {
  readonly modelVersion: string;
  /** Explains `targetClass` (default: the class the model predicts). */
  explain(image: Buffer, options: { method: ExplainMethod; targetClass?: string }): Promise<ImageReexplanation>;
  dispose(): Promise<void>;
}

/** Loads the models that scoring and re-explanation jobs run with (the real one: bundleJobModels; tests inject fakes). */
export interface JobModels {
  forScoring(model: ModelRecord): Promise<ScoringModel>;
  forExplaining(model: ModelRecord): Promise<ExplainingModel>;
}

export interface BundleJobModelsOptions {
  /** Intra-op threads of each job's ONNX session (default: every core). */
  threads?: number;
}

/**
 * Job models from the model bundles on disk (the registered model's folder): scoring through the
 * server's own BundlePredictor, explaining through the bundle's CAM (as `gramlens explain`).
 * The inference code (TF.js, onnxruntime) loads with the first job.
 */
export function bundleJobModels(options: BundleJobModelsOptions = {}): JobModels {
  return {
    async forScoring(model) {
      const [{ BundlePredictor }, { modelVersionOf }] = await Promise.all([import('../inference/index.ts'), import('../models/index.ts')]);
      const predictor = await BundlePredictor.load(model.path, () => undefined, { threads: options.threads });
      let modelVersion: string;
      try {
        modelVersion = modelVersionOf(predictor.metadata!);
      } catch (error) {
        await predictor.dispose();
        throw error;
      }
      return { modelVersion, predict: (image) => predictor.predict(image), dispose: () => predictor.dispose() };
    },
    async forExplaining(model) {
      const { loadBundle } = await import('../inference/index.ts');
      const bundle = await loadBundle(model.path, { threads: options.threads });
      return {
        modelVersion: bundle.modelVersion,
        async explain(image, { method, targetClass }) {
          // a whole field's label may be a Gram group, not one of the model's classes: its predicted class is explained then
          const target = targetClass !== undefined && bundle.metadata.classes.includes(targetClass) ? targetClass : undefined;
          const explained = await bundle.explain(image, { method, targetClass: target });
          if (explained.explanation === null) return { refusal: explained.prediction.refusal };
          const label = target ?? explained.prediction.top.label;
          const probability = explained.prediction.classes.find((c) => c.label === label)?.probability ?? 0;
          return { target: { label, probability }, heatmapPng: explained.overlayPng };
        },
        dispose: () => bundle.dispose(),
      };
    },
  };
}
