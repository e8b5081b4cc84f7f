import * as ort from 'onnxruntime-web/wasm';
import { checkBatch, perImageShape, type ModelRunner, type OnnxOutput, type OnnxPrediction } from './runner.ts';

export interface WebClassifierOptions {
  /** WASM threads; default: up to 4 when the page is cross-origin isolated (SharedArrayBuffer), else 1. */
  threads?: number;
}

/**
 * An exported classifier (see exportToOnnx) on onnxruntime-web's WASM (SIMD) backend in a page: the
 * same model file and outputs as OnnxClassifier on the server. The runtime's .wasm is the one the
 * web build copies from the npm package, served by our own server.
 */
export class WebOnnxClassifier implements ModelRunner {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly inputShape: readonly number[],
  ) {}

  static async load(model: Uint8Array, options: WebClassifierOptions = {}): Promise<WebOnnxClassifier> {
    ort.env.wasm.numThreads = options.threads ?? (globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1);
    const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const shape = perImageShape(session.inputMetadata);
    if (!shape) {
      await session.release();
      throw new Error('the model needs one float32 input of fixed per-image shape, as written by exportToOnnx');
    }
    return new WebOnnxClassifier(session, shape);
  }

  async run(batch: Float32Array, n: number): Promise<OnnxPrediction> {
    checkBatch(this.inputShape, batch, n);
    const results = await this.session.run({ [this.session.inputNames[0]]: new ort.Tensor('float32', batch, [n, ...this.inputShape]) });
    const outputs: Record<string, OnnxOutput> = {};
    for (const name of this.session.outputNames) {
      const tensor = results[name];
      outputs[name] = { data: tensor.data as Float32Array, shape: tensor.dims.map(Number) };
      tensor.dispose();
    }
    return { probabilities: outputs[this.session.outputNames[0]].data, outputs };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
