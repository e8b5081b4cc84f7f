/** A feature map [height, width, channels], channels last (the model's 'features' output for one image). */
export interface FeatureMap {
  data: ArrayLike<number>;
  height: number;
  width: number;
  channels: number;
}

/** Global average pooling: the mean of each channel over the map, the embedding the head of the model sees. */
export function averagePool(map: FeatureMap): Float64Array {
  const { data, height, width, channels } = map;
  if (data.length !== height * width * channels) throw new Error(`expected a ${height}×${width}×${channels} feature map, got ${data.length} values`);
  const embedding = new Float64Array(channels);
  for (let p = 0; p < height * width; p++) {
    for (let c = 0; c < channels; c++) embedding[c] += data[p * channels + c];
  }
  for (let c = 0; c < channels; c++) embedding[c] /= height * width;
  return embedding;
}
