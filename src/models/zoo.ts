import * as tfl from '@tensorflow/tfjs-layers';
import { checkSpec, registerModel, type ModelSpec } from './registry.ts';
import { FEATURE_LAYER_NAME, LOGITS_LAYER_NAME, PROBABILITIES_LAYER_NAME } from './rules.ts';

/**
 * Deterministic initialisers: each layer gets its own seed derived from the model seed, so the same
 * spec always builds the same weights.
 */
function initialiserFactory(seed: number) {
  let counter = 0;
  return {
    heNormal: () => tfl.initializers.heNormal({ seed: seed * 1000 + counter++ }),
    glorotUniform: () => tfl.initializers.glorotUniform({ seed: seed * 1000 + counter++ }),
  };
}

/**
 * The seed CNN: blocks of conv3x3 + ReLU + maxpool 2, flatten, dense softmax.
 * With the default filters [16, 32, 64] this is the reference net of the engine benchmark.
 */
export function seedCnn(spec: ModelSpec & { filters?: number[] }): tfl.LayersModel {
  checkSpec(spec);
  const base = spec.width ?? 16;
  const filters = spec.filters ?? [base, base * 2, base * 4];
  const init = initialiserFactory(spec.seed ?? 1);
  const model = tfl.sequential({ name: 'seed-cnn' });
  filters.forEach((f, i) => {
    const isLast = i === filters.length - 1;
    model.add(
      tfl.layers.conv2d({
        ...(i === 0 ? { inputShape: spec.inputShape } : {}),
        filters: f,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: init.heNormal(),
        name: isLast ? FEATURE_LAYER_NAME : `conv${i + 1}`,
      }),
    );
    model.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool${i + 1}` }));
  });
  model.add(tfl.layers.flatten({ name: 'flatten' }));
  model.add(tfl.layers.dense({ units: spec.numClasses, kernelInitializer: init.glorotUniform(), name: LOGITS_LAYER_NAME }));
  model.add(tfl.layers.activation({ activation: 'softmax', name: PROBABILITIES_LAYER_NAME }));
  return model;
}

/** Residual stages (the first at full resolution, each later one halving it) that bring a map of this size down to 8 pixels or less. */
export function stagesForInput(inputSize: number): number {
  let halvings = 0;
  let size = inputSize;
  while (size > 8 && halvings < 4) {
    size = Math.ceil(size / 2);
    halvings++;
  }
  return halvings + 1;
}

/**
 * A small ResNet: conv-BN-ReLU stem, one basic residual block per stage (the first stage at full
 * resolution, each later one halving it), global average pooling, dense softmax.
 * The number of stages follows the input size, so the last feature map is about 4-8 pixels.
 */
export function resnetSmall(spec: ModelSpec): tfl.LayersModel {
  checkSpec(spec);
  const width = spec.width ?? 16;
  const init = initialiserFactory(spec.seed ?? 1);
  const [h, w] = spec.inputShape;
  const input = tfl.input({ shape: spec.inputShape, name: 'image' });

  const convBn = (x: tfl.SymbolicTensor, filters: number, kernel: number, stride: number, name: string, relu: boolean) => {
    let y = tfl.layers
      .conv2d({ filters, kernelSize: kernel, strides: stride, padding: 'same', useBias: false, kernelInitializer: init.heNormal(), name: `${name}_conv` })
      .apply(x) as tfl.SymbolicTensor;
    y = tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3, name: `${name}_bn` }).apply(y) as tfl.SymbolicTensor;
    if (relu) y = tfl.layers.reLU({ name: `${name}_relu` }).apply(y) as tfl.SymbolicTensor;
    return y;
  };

  // A large input is first brought down with a strided stem so that the residual stages stay cheap.
  const stemStride = Math.min(h, w) >= 48 ? 2 : 1;
  let x = convBn(input, width, 3, stemStride, 'stem', true);
  const stages = stagesForInput(Math.min(h, w) / stemStride);
  let channels = width;
  for (let s = 0; s < stages; s++) {
    const stride = s === 0 ? 1 : 2;
    const filters = width * 2 ** s;
    const name = `stage${s + 1}`;
    let shortcut = x;
    if (stride !== 1 || filters !== channels) {
      shortcut = convBn(x, filters, 1, stride, `${name}_down`, false);
    }
    let y = convBn(x, filters, 3, stride, `${name}_a`, true);
    y = convBn(y, filters, 3, 1, `${name}_b`, false);
    y = tfl.layers.add({ name: `${name}_add` }).apply([y, shortcut]) as tfl.SymbolicTensor;
    const isLast = s === stages - 1;
    x = tfl.layers.reLU({ name: isLast ? FEATURE_LAYER_NAME : `${name}_out` }).apply(y) as tfl.SymbolicTensor;
    channels = filters;
  }
  let y = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tfl.SymbolicTensor;
  y = tfl.layers.dense({ units: spec.numClasses, kernelInitializer: init.glorotUniform(), name: LOGITS_LAYER_NAME }).apply(y) as tfl.SymbolicTensor;
  const out = tfl.layers.activation({ activation: 'softmax', name: PROBABILITIES_LAYER_NAME }).apply(y) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: 'resnet-small' });
}

registerModel('seed-cnn', {
  build: seedCnn,
  description: 'blocks of conv 3×3 + ReLU + max-pool, flatten, dense: the reference net of the engine benchmark',
});
registerModel('resnet-small', {
  build: resnetSmall,
  description: 'a small ResNet, one basic block per stage down to a 4-8 pixel map, global average pooling, dense (closed-form Grad-CAM)',
});

/** Number of trainable parameters. */
export function countParameters(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((sum, w) => sum + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
}
