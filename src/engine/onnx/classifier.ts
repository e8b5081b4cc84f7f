import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { checkBatch, perImageShape, type ModelRunner, type OnnxOutput, type OnnxPrediction } from './runner.ts';

export interface OnnxClassifierOptions {
  /** Intra-op threads of the session; default: all cores. */
  threads?: number;
}

/** An exported classifier (see `exportToOnnx`) running on onnxruntime-node's CPU provider. */
export class OnnxClassifier implements ModelRunner {
  private constructor(
    private readonly session: ort.InferenceSession,
    /** Per-image input shape [height, width, channels]. */
    readonly inputShape: readonly number[],
    readonly outputNames: readonly string[],
  ) {}

  /** Loads an ONNX model from a file path or from bytes (as returned by `exportToOnnx`). */
  static async load(source: string | Uint8Array, options: OnnxClassifierOptions = {}): Promise<OnnxClassifier> {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be a positive integer, got ${threads}`);
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    };
    // Two calls because create() is overloaded per source type.
    const session = typeof source === 'string'
      ? await ort.InferenceSession.create(source, sessionOptions)
      : await ort.InferenceSession.create(source, sessionOptions);
    const shape = perImageShape(session.inputMetadata);
    if (!shape) {
      await session.release();
      throw new Error('OnnxClassifier needs a model with one float32 input of fixed per-image shape, as written by exportToOnnx');
    }
    return new OnnxClassifier(session, shape, session.outputNames);
  }

  /** Runs `n` images laid out NHWC float32 in `batch` (exactly n * height * width * channels values). */
  async run(batch: Float32Array, n: number): Promise<OnnxPrediction> {
    checkBatch(this.inputShape, batch, n);
    const feeds = { [this.session.inputNames[0]]: new ort.Tensor('float32', batch, [n, ...this.inputShape]) };
    const results = await this.session.run(feeds);
    const outputs: Record<string, OnnxOutput> = {};
    for (const name of this.outputNames) {
      const tensor = results[name];
      outputs[name] = { data: tensor.data as Float32Array, shape: tensor.dims.map(Number) };
    }
    return { probabilities: outputs[this.outputNames[0]].data, outputs };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
