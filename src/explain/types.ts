/** Activations or gradients of one image at a convolutional layer, row-major height × width × channels. */
export interface FeatureMaps {
  data: Float32Array;
  height: number;
  width: number;
  channels: number;
}

/** A single-channel map, row-major height × width (a CAM, or a saliency map at photo resolution). */
export interface Heatmap {
  map: Float32Array;
  height: number;
  width: number;
}

export type CamMethod = 'gradcam' | 'gradcam++' | 'hirescam';
export const CAM_METHODS: readonly CamMethod[] = ['gradcam', 'gradcam++', 'hirescam'];

export function checkFeatureMaps(maps: FeatureMaps, what: string): void {
  const { height, width, channels, data } = maps;
  if (![height, width, channels].every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(`${what} needs positive integer height, width and channels, got ${height} × ${width} × ${channels}`);
  }
  if (data.length !== height * width * channels) {
    throw new Error(`${what} has ${data.length} values, expected ${height} × ${width} × ${channels} = ${height * width * channels}`);
  }
}

export function checkHeatmap(heatmap: Heatmap, what = 'heatmap'): void {
  const { height, width, map } = heatmap;
  if (!(Number.isInteger(height) && height > 0 && Number.isInteger(width) && width > 0)) {
    throw new Error(`${what} needs positive integer height and width, got ${height} × ${width}`);
  }
  if (map.length !== height * width) {
    throw new Error(`${what} has ${map.length} values, expected ${height} × ${width} = ${height * width}`);
  }
}
