/** What the web app needs of a model bundle without TF.js or Node APIs: the label tree's levels, the output names and the metadata's types. */
export { treeLevels, aggregateProbabilities, type TreeLevel } from './label-tree.ts';
export { FEATURE_LAYER_NAME } from './rules.ts';
export type { BundleMetadata, InputPolicy } from './bundle.ts';
export { modelVersionOf } from './version.ts';
