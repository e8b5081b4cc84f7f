/** The heatmap maths without TF.js or Node APIs, for the web app's on-device reading (index.ts has the rest). */
export { camFromFeatures } from './cam.ts';
export { upsampleBilinear, normaliseHeatmap } from './heatmap.ts';
export { applyColourMap } from './colour-map.ts';
export type { FeatureMaps, Heatmap } from './types.ts';
