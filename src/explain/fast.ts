/** The dense kernel behind the closed-form Grad-CAM (camFromFeatures in cam.ts), read from a TF.js model with a GAP + dense head. */
import type * as tfl from '@tensorflow/tfjs-layers';
import { FEATURE_LAYER_NAME, LOGITS_LAYER_NAME } from '../models/index.ts';

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
