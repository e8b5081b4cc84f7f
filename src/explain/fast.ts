/**
 * Grad-CAM without a backward pass, for serving. When the feature map A feeds global average pooling
 * and then the dense logits layer, Y_c = Σ_k W[k, c] · mean_ij A_ij^k + b_c, so dY_c/dA_ij^k = W[k, c] / (H·W)
 * at every pixel and the Grad-CAM weights are w_k = W[k, c] / (H·W): the CAM follows from the forward
 * features alone (e.g. an ONNX model exporting 'features' as an extra output).
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { FEATURE_LAYER_NAME, LOGITS_LAYER_NAME } from '../models/index.ts';
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

function inboundLayer(layer: tfl.layers.Layer): tfl.layers.Layer | null {
  return layer.inboundNodes.length === 1 && layer.inboundNodes[0].inboundLayers.length === 1 ? layer.inboundNodes[0].inboundLayers[0] : null;
}

/** The layers of the head: 'logits', the layer that feeds it, and the one before that. */
function head(model: tfl.LayersModel) {
  const logits = model.layers.find((l) => l.name === LOGITS_LAYER_NAME) ?? null;
  const pooling = logits ? inboundLayer(logits) : null;
  const features = pooling ? inboundLayer(pooling) : null;
  const isGapDense =
    logits?.getClassName() === 'Dense' &&
    (logits.getConfig().activation ?? 'linear') === 'linear' &&
    pooling?.getClassName() === 'GlobalAveragePooling2D' &&
    features?.name === FEATURE_LAYER_NAME;
  return { logits, pooling, features, isGapDense };
}

/** True when 'features' feeds global average pooling and then the linear 'logits' layer (resnet-small), so `camFromFeatures` applies. */
export function hasGapDenseHead(model: tfl.LayersModel): boolean {
  return head(model).isGapDense;
}

/** The dense kernel (K × classes) of a model with a GAP + dense head (see `hasGapDenseHead`); throws for other heads, whose CAM needs `explain()`. */
export function gapDenseKernel(model: tfl.LayersModel): Float32Array {
  const { logits, pooling, features, isGapDense } = head(model);
  if (!logits || !isGapDense) {
    const chain = [features?.name, pooling?.name, logits?.name].filter((name) => name !== undefined).join(' → ');
    throw new Error(
      `the fast CAM needs '${FEATURE_LAYER_NAME}' → global average pooling → linear dense '${LOGITS_LAYER_NAME}'; ` +
        `model "${model.name}" has ${chain || 'no such head'}; use explain() instead`,
    );
  }
  // A copy: on the cpu backend dataSync() hands out the variable's own storage.
  return (logits.getWeights()[0].dataSync() as Float32Array).slice();
}
