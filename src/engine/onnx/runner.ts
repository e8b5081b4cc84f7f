/** What the inference code asks of a model, whatever runs it: onnxruntime-node on the server, onnxruntime-web in the page. */

export interface OnnxOutput {
  data: Float32Array;
  /** TF.js layout, batch first, e.g. [n, classes] or [n, h, w, c]. */
  shape: number[];
}

export interface OnnxPrediction {
  /** The first graph output (the TF.js model's softmax output), [n, classes] row-major. */
  probabilities: Float32Array;
  /** Every graph output by name (the first one and 'features' included). */
  outputs: Record<string, OnnxOutput>;
}

/** One model run on a batch of `n` images laid out NHWC float32. */
export interface ModelRunner {
  /** Per-image input shape [height, width, channels]. */
  readonly inputShape: readonly number[];
  run(batch: Float32Array, n: number): Promise<OnnxPrediction>;
  dispose(): Promise<void>;
}

/** Throws unless `batch` holds exactly n images of `inputShape`. */
export function checkBatch(inputShape: readonly number[], batch: Float32Array, n: number): void {
  const perImage = inputShape.reduce((a, b) => a * b, 1);
  if (!Number.isInteger(n) || n < 1) throw new Error(`batch size must be a positive integer, got ${n}`);
  if (batch.length !== n * perImage) throw new Error(`expected ${n} x [${inputShape.join(', ')}] = ${n * perImage} values, got ${batch.length}`);
}

/** The one float32 input's per-image shape of a session, or null when the model is not what exportToOnnx writes. */
export function perImageShape(inputs: readonly { isTensor: boolean; shape?: readonly (number | string)[] }[]): number[] | null {
  const [input, ...others] = inputs;
  const shape = input?.isTensor && input.shape ? input.shape.slice(1) : [];
  if (others.length > 0 || shape.length === 0 || shape.some((d) => typeof d !== 'number')) return null;
  return shape as number[];
}
