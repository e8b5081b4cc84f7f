import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type NpyArray, parseNpy } from './npy.ts';
import type { RawImage } from './types.ts';
import { readZip } from './zip.ts';

/** Images of one split packed in one array (N × H × W × C, values 0..1), ready for a 4-D tensor. */
export interface PackedImages {
  images: Float32Array;
  shape: [count: number, height: number, width: number, channels: number];
  labels: Int32Array;
}

export interface MedMnist {
  train: PackedImages;
  val: PackedImages;
  test: PackedImages;
  /** Largest label + 1 over all splits. */
  numClasses: number;
}

/** The arrays in a numpy .npz archive, keyed by name without ".npy". */
export async function readNpz(npzPath: string): Promise<Map<string, NpyArray>> {
  const bytes = await readFile(npzPath).catch(() => {
    throw new Error(`File not found: ${npzPath}`);
  });
  const arrays = new Map<string, NpyArray>();
  try {
    for (const [name, content] of readZip(bytes)) {
      if (name.endsWith('.npy')) arrays.set(name.slice(0, -4), parseNpy(content));
    }
  } catch (error) {
    throw new Error(`Cannot read ${path.basename(npzPath)}: ${(error as Error).message}`);
  }
  return arrays;
}

function toInt32Labels(array: NpyArray, key: string): Int32Array {
  const [count, perImage = 1, ...rest] = array.shape;
  if (array.shape.length < 1 || perImage !== 1 || rest.length > 0) {
    throw new Error(`${key} has shape (${array.shape.join(', ')}); expected (N,) or (N, 1): multi-label data is not supported`);
  }
  if (array.data instanceof Float32Array || array.data instanceof Float64Array) {
    throw new Error(`${key} must hold integers, found ${array.dtype}`);
  }
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) labels[i] = Number(array.data[i]);
  if (labels.some((label) => label < 0)) throw new Error(`${key} has negative labels`);
  return labels;
}

function toPackedImages(array: NpyArray, key: string): { images: Float32Array; shape: PackedImages['shape'] } {
  const [count, height, width, channels = 1] = array.shape;
  const validShape = (array.shape.length === 3 || array.shape.length === 4) && [1, 3].includes(channels);
  if (!validShape) throw new Error(`${key} has shape (${array.shape.join(', ')}); expected N×H×W or N×H×W×C with C = 1 or 3`);
  const source = array.data;
  const images = new Float32Array(source.length);
  if (source instanceof Uint8Array) {
    for (let i = 0; i < source.length; i++) images[i] = source[i] / 255;
  } else if (source instanceof Float32Array || source instanceof Float64Array) {
    for (let i = 0; i < source.length; i++) {
      if (!(source[i] >= 0 && source[i] <= 1)) throw new Error(`${key}: floating-point images must lie in 0..1`);
      images[i] = source[i];
    }
  } else {
    throw new Error(`${key} has dtype ${array.dtype}; expected uint8 or float images`);
  }
  return { images, shape: [count, height, width, channels] };
}

/** A MedMNIST .npz with its official train/val/test split (keys {split}_images and {split}_labels). */
export async function loadMedMnist(npzPath: string): Promise<MedMnist> {
  const arrays = await readNpz(npzPath);
  const found = [...arrays.keys()].join(', ');
  const loadSplit = (split: 'train' | 'val' | 'test'): PackedImages => {
    const imageKey = `${split}_images`;
    const labelKey = `${split}_labels`;
    const images = arrays.get(imageKey);
    const labels = arrays.get(labelKey);
    if (!images || !labels) throw new Error(`${path.basename(npzPath)} has no ${imageKey}/${labelKey}; found: ${found}`);
    const packed = toPackedImages(images, imageKey);
    const labelArray = toInt32Labels(labels, labelKey);
    if (labelArray.length !== packed.shape[0]) {
      throw new Error(`${split}: ${packed.shape[0]} images but ${labelArray.length} labels`);
    }
    return { ...packed, labels: labelArray };
  };
  const train = loadSplit('train');
  const val = loadSplit('val');
  const test = loadSplit('test');
  let maxLabel = 0;
  for (const split of [train, val, test]) for (const label of split.labels) maxLabel = Math.max(maxLabel, label);
  return { train, val, test, numClasses: maxLabel + 1 };
}

/** One image of a packed set, sharing its memory (no copy). */
export function imageAt(set: PackedImages, index: number): RawImage {
  const [count, height, width, channels] = set.shape;
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new Error(`Image index ${index} out of range 0..${count - 1}`);
  const size = height * width * channels;
  return { data: set.images.subarray(index * size, (index + 1) * size), height, width, channels };
}
