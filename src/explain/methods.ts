/**
 * The CAM methods as pure functions of one image's activations A and gradients dY/dA of the target
 * class logit Y, both height × width × channels (HWC). Each returns the map at feature resolution.
 */
import { checkFeatureMaps, type CamMethod, type FeatureMaps } from './types.ts';

/** Grad-CAM (Selvaraju et al. 2017): w_k = mean over pixels of dY/dA_k. */
export function gradCamWeights(gradients: FeatureMaps): Float32Array {
  checkFeatureMaps(gradients, 'gradients');
  const { height, width, channels, data } = gradients;
  const weights = new Float32Array(channels);
  const sums = new Float64Array(channels);
  for (let p = 0; p < height * width; p++) {
    for (let k = 0; k < channels; k++) sums[k] += data[p * channels + k];
  }
  for (let k = 0; k < channels; k++) weights[k] = sums[k] / (height * width);
  return weights;
}

/** Below this the Grad-CAM++ denominator is treated as zero, as in pytorch-grad-cam. */
const GRADCAM_PLUS_PLUS_EPSILON = 1e-6;

/**
 * Grad-CAM++ (Chattopadhay et al. 2018) in closed form: with an exponential link the second and third
 * derivatives are powers of the first, so
 *   alpha_ij^k = g² / (2 g² + (Σ_ab A_ab^k) g³),   g = dY/dA_ij^k   (0 where g = 0),
 *   w_k = Σ_ij alpha_ij^k · ReLU(g).
 */
export function gradCamPlusPlusWeights(activations: FeatureMaps, gradients: FeatureMaps): Float32Array {
  checkSameShape(activations, gradients);
  const { height, width, channels } = activations;
  const pixels = height * width;
  const activationSums = new Float64Array(channels);
  for (let p = 0; p < pixels; p++) {
    for (let k = 0; k < channels; k++) activationSums[k] += activations.data[p * channels + k];
  }
  const weights = new Float64Array(channels);
  for (let p = 0; p < pixels; p++) {
    for (let k = 0; k < channels; k++) {
      const g = gradients.data[p * channels + k];
      if (g <= 0) continue; // ReLU(g) = 0, and alpha is 0 where g = 0
      const g2 = g * g;
      const alpha = g2 / (2 * g2 + activationSums[k] * g2 * g + GRADCAM_PLUS_PLUS_EPSILON);
      weights[k] += alpha * g;
    }
  }
  return Float32Array.from(weights);
}

/** ReLU(Σ_k w_k A_k): the map of any channel-weighting method (Grad-CAM, Grad-CAM++, the GAP fast path). */
export function weightedActivationMap(activations: FeatureMaps, weights: Float32Array): Float32Array {
  checkFeatureMaps(activations, 'activations');
  const { height, width, channels, data } = activations;
  if (weights.length !== channels) {
    throw new Error(`got ${weights.length} channel weights for a feature map of ${channels} channels`);
  }
  const map = new Float32Array(height * width);
  for (let p = 0; p < height * width; p++) {
    let sum = 0;
    for (let k = 0; k < channels; k++) sum += weights[k] * data[p * channels + k];
    map[p] = Math.max(0, sum);
  }
  return map;
}

/** HiRes-CAM (Draelos & Carin 2020): ReLU(Σ_k dY/dA_k ⊙ A_k), the gradient kept per pixel. */
export function hiResCamMap(activations: FeatureMaps, gradients: FeatureMaps): Float32Array {
  checkSameShape(activations, gradients);
  const { height, width, channels } = activations;
  const map = new Float32Array(height * width);
  for (let p = 0; p < height * width; p++) {
    let sum = 0;
    for (let k = 0; k < channels; k++) sum += gradients.data[p * channels + k] * activations.data[p * channels + k];
    map[p] = Math.max(0, sum);
  }
  return map;
}

export const CAM_MAP_FUNCTIONS: Readonly<Record<CamMethod, (activations: FeatureMaps, gradients: FeatureMaps) => Float32Array>> = {
  gradcam: (activations, gradients) => weightedActivationMap(activations, gradCamWeights(gradients)),
  'gradcam++': (activations, gradients) => weightedActivationMap(activations, gradCamPlusPlusWeights(activations, gradients)),
  hirescam: hiResCamMap,
};

function checkSameShape(activations: FeatureMaps, gradients: FeatureMaps): void {
  checkFeatureMaps(activations, 'activations');
  checkFeatureMaps(gradients, 'gradients');
  if (activations.height !== gradients.height || activations.width !== gradients.width || activations.channels !== gradients.channels) {
    throw new Error(
      `activations (${activations.height} × ${activations.width} × ${activations.channels}) and gradients ` +
        `(${gradients.height} × ${gradients.width} × ${gradients.channels}) differ in shape`,
    );
  }
}
