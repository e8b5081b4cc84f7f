/**
 * Grad-CAM without a backward pass, for serving. When the feature map A feeds global average pooling
 * and then the dense logits layer, Y_c = Σ_k W[k, c] · mean_ij A_ij^k + b_c, so dY_c/dA_ij^k = W[k, c] / (H·W)
 * at every pixel and the Grad-CAM weights are w_k = W[k, c] / (H·W): the CAM follows from the forward
 * features alone (e.g. an ONNX model exporting 'features' as an extra output).
 */
import { weightedActivationMap } from './methods.ts';
import { checkFeatureMaps, type FeatureMaps, type Heatmap } from './types.ts';

/** Grad-CAM at feature resolution from the features (H × W × K) and the dense kernel (K × classes, row-major). */
export function camFromFeatures(features: FeatureMaps, denseKernel: Float32Array, targetClass: number): Heatmap {
  checkFeatureMaps(features, 'features');
  const { height, width, channels } = features;
  const classes = denseKernel.length / channels;
  if (!Number.isInteger(classes) || classes < 1) {
    throw new Error(`dense kernel has ${denseKernel.length} values, not a multiple of the ${channels} feature channels`);
  }
  if (!Number.isInteger(targetClass) || targetClass < 0 || targetClass >= classes) {
    throw new Error(`class index ${targetClass} is out of range; valid classes: 0..${classes - 1}`);
  }
  const weights = new Float32Array(channels);
  for (let k = 0; k < channels; k++) weights[k] = denseKernel[k * classes + targetClass] / (height * width);
  return { map: weightedActivationMap(features, weights), height, width };
}
