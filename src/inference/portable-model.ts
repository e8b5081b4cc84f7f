import type { ModelRunner } from '../engine/onnx/portable.ts';
import { modelVersionOf, type BundleMetadata } from '../models/portable.ts';
import type { RawImage } from '../data/index.ts';
import type { ReadingModel } from './field-reading.ts';
import { ImageGuard } from './guard.ts';
import { inferImages, type Inference, type InferOptions } from './infer.ts';

/**
 * A model bundle as the web app holds it on the device: its metadata, any model runner (the ONNX
 * model on onnxruntime-web) and the dense kernel of its head, read by the same inference, guard and
 * field code as the server's ModelBundle.
 */
export class PortableModel implements ReadingModel {
  readonly guard: ImageGuard;

  constructor(
    readonly metadata: BundleMetadata,
    private readonly runner: ModelRunner,
    private readonly kernel: Float32Array | null,
    private readonly batchSize = 32,
  ) {
    const { height, width, channels } = metadata.input;
    if (runner.inputShape.join() !== [height, width, channels].join()) {
      throw new Error(`the model's input is ${runner.inputShape.join('×')}, its metadata says ${height}×${width}×${channels}`);
    }
    this.guard = new ImageGuard(metadata);
  }

  get modelVersion(): string {
    return modelVersionOf(this.metadata);
  }

  infer(images: readonly RawImage[], options: InferOptions = {}): Promise<Inference> {
    return inferImages(this.runner, this.metadata, images, { ...options, batchSize: options.batchSize ?? this.batchSize });
  }

  async denseKernel(): Promise<Float32Array | null> {
    return this.kernel;
  }

  dispose(): Promise<void> {
    return this.runner.dispose();
  }
}
