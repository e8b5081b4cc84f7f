import * as tfl from '@tensorflow/tfjs-layers';

type Tensor = tfl.SymbolicTensor;

export interface MobileNetLikeOptions {
  inputShape: [number, number, number];
  classes: number;
  seed: number;
}

/**
 * A tiny model built like Keras's MobileNetV2, with the same layer classes and the same structure:
 * a stride-2 stem behind ZeroPadding2D, inverted-residual blocks (1×1 expansion + BN + ReLU6, 3×3
 * depthwise + BN + ReLU6 with ZeroPadding2D before the stride-2 ones, 1×1 projection + BN, Add when
 * the shapes match), a 1×1 head, global average pooling and a dense classifier. Channel counts
 * include ones that are not multiples of 4 or 16.
 */
export function mobileNetLike({ inputShape, classes, seed }: MobileNetLikeOptions): tfl.LayersModel {
  let nextSeed = seed;
  const init = () => tfl.initializers.glorotUniform({ seed: nextSeed++ });
  const apply = (layer: tfl.layers.Layer, x: Tensor | Tensor[]) => layer.apply(x) as Tensor;
  const conv1x1 = (x: Tensor, filters: number, name: string) =>
    apply(tfl.layers.batchNormalization({ name: `${name}_BN` }), apply(tfl.layers.conv2d({ filters, kernelSize: 1, useBias: false, kernelInitializer: init(), name }), x));
  const relu6 = (x: Tensor, name: string) => apply(tfl.layers.reLU({ maxValue: 6, name }), x);
  /** Keras's correct_pad: the padding that makes a 3×3 stride-2 'valid' window cover the image. */
  const padFor = (x: Tensor, name: string) => {
    const [, h, w] = x.shape as number[];
    return apply(tfl.layers.zeroPadding2d({ padding: [[h % 2, 1], [w % 2, 1]], name }), x);
  };

  const input = tfl.input({ shape: inputShape, name: 'image' });
  let x = apply(tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'valid', useBias: false, kernelInitializer: init(), name: 'stem' }), padFor(input, 'stem_pad'));
  x = relu6(apply(tfl.layers.batchNormalization({ name: 'stem_BN' }), x), 'stem_relu');

  const block = (inputs: Tensor, expansion: number, filters: number, stride: number, name: string) => {
    const channels = inputs.shape[3] as number;
    let y = expansion === 1 ? inputs : relu6(conv1x1(inputs, channels * expansion, `${name}_expand`), `${name}_expand_relu`);
    if (stride === 2) y = padFor(y, `${name}_pad`);
    y = apply(tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: stride, padding: stride === 2 ? 'valid' : 'same', useBias: false, depthwiseInitializer: init(), name: `${name}_depthwise` }), y);
    y = relu6(apply(tfl.layers.batchNormalization({ name: `${name}_depthwise_BN` }), y), `${name}_depthwise_relu`);
    y = conv1x1(y, filters, `${name}_project`);
    return stride === 1 && channels === filters ? apply(tfl.layers.add({ name: `${name}_add` }), [inputs, y]) : y;
  };
  x = block(x, 1, 6, 1, 'block_0');
  x = block(x, 3, 10, 2, 'block_1');
  x = block(x, 3, 10, 1, 'block_2');
  x = block(x, 2, 12, 2, 'block_3');
  x = relu6(conv1x1(x, 24, 'head'), 'out_relu');
  x = apply(tfl.layers.globalAveragePooling2d({ name: 'pool' }), x);
  const out = apply(tfl.layers.dense({ units: classes, activation: 'softmax', kernelInitializer: init(), name: 'probabilities' }), x);
  return tfl.model({ inputs: input, outputs: out, name: 'mobilenet-like' });
}
