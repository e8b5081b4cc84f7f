import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

export interface WeightEntry {
  name: string;
  shape: number[];
}

/** Flat little-endian float32 buffer plus the names and shapes needed to read it back. */
export interface SerializedWeights {
  entries: WeightEntry[];
  data: Float32Array;
}

export function serializeTensors(named: { name: string; tensor: tf.Tensor }[]): SerializedWeights {
  const total = named.reduce((sum, { tensor }) => sum + tensor.size, 0);
  const data = new Float32Array(total);
  let offset = 0;
  const entries = named.map(({ name, tensor }) => {
    data.set(tensor.dataSync() as Float32Array, offset);
    offset += tensor.size;
    return { name, shape: [...tensor.shape] };
  });
  return { entries, data };
}

/** Splits a serialized buffer back into tensors (the caller owns and disposes them). */
export function deserializeTensors(weights: SerializedWeights): { name: string; tensor: tf.Tensor }[] {
  let offset = 0;
  return weights.entries.map(({ name, shape }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    if (offset + size > weights.data.length) throw new Error(`weight file is too short for "${name}"`);
    const tensor = tf.tensor(weights.data.subarray(offset, offset + size), shape, 'float32');
    offset += size;
    return { name, tensor };
  });
}

/** All weights of the model (trainable and batch-norm statistics), in the model's own order. */
export function serializeModelWeights(model: tfl.LayersModel): SerializedWeights {
  return serializeTensors(model.weights.map((w) => ({ name: w.originalName, tensor: w.read() })));
}

export function loadModelWeights(model: tfl.LayersModel, weights: SerializedWeights): void {
  const variables = model.weights;
  if (variables.length !== weights.entries.length) {
    throw new Error(`the weights hold ${weights.entries.length} tensors but the model has ${variables.length}: they belong to another architecture`);
  }
  const tensors = deserializeTensors(weights);
  try {
    variables.forEach((variable, i) => {
      const { name, tensor } = tensors[i];
      if (variable.shape.join(",") !== tensor.shape.join(",")) {
        throw new Error(`weight "${name}" has shape [${tensor.shape}] but the model expects [${variable.shape}] for "${variable.originalName}"`);
      }
    });
    model.setWeights(tensors.map((t) => t.tensor));
  } finally {
    tensors.forEach((t) => t.tensor.dispose());
  }
}

export function weightsToBytes(weights: SerializedWeights): Uint8Array {
  return new Uint8Array(weights.data.buffer, weights.data.byteOffset, weights.data.byteLength);
}

export function weightsFromBytes(entries: WeightEntry[], bytes: Uint8Array): SerializedWeights {
  if (bytes.byteLength % 4 !== 0) throw new Error('weight file size is not a multiple of 4 bytes: it is truncated or corrupt');
  const expected = entries.reduce((sum, e) => sum + e.shape.reduce((a, b) => a * b, 1), 0);
  if (bytes.byteLength / 4 !== expected) {
    throw new Error(`weight file holds ${bytes.byteLength / 4} values but its manifest lists ${expected}: it is truncated or corrupt`);
  }
  const copy = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(copy.buffer).set(bytes);
  return { entries, data: copy };
}
