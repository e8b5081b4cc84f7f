import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A dataset's declared scale from its dataset.json: pxPerUm of its written images of side imageSize (top level, or the synthetic generator's options). */
export async function readDatasetScale(root: string): Promise<{ pxPerUm: number; imageSize: number } | null> {
  const text = await readFile(join(root, 'dataset.json'), 'utf8').catch(() => null);
  if (text === null) return null;
  let description: { pxPerUm?: unknown; tileSize?: unknown; options?: { pxPerUm?: unknown; tileSize?: unknown } };
  try {
    description = JSON.parse(text);
  } catch {
    return null;
  }
  const pxPerUm = description.pxPerUm ?? description.options?.pxPerUm;
  const imageSize = description.tileSize ?? description.options?.tileSize;
  const valid = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
  return valid(pxPerUm) && valid(imageSize) ? { pxPerUm, imageSize } : null;
}

/** The scale at a square model input of `inputSize` px made from square images of `imageSize` px at `pxPerUm`. */
export function inputPxPerUm(pxPerUm: number, imageSize: number, inputSize: number): number {
  return (pxPerUm * inputSize) / imageSize;
}

/** The model input's scale for a dataset that declares its own in dataset.json (square inputs only); undefined otherwise. */
export async function datasetInputPxPerUm(root: string, [height, width]: readonly [number, number]): Promise<number | undefined> {
  const declared = await readDatasetScale(root);
  return declared && height === width ? inputPxPerUm(declared.pxPerUm, declared.imageSize, height) : undefined;
}

/** Whether a dataset folder was written by gramlens's synthetic generators (its dataset.json names one). */
export async function isSyntheticDataset(root: string): Promise<boolean> {
  const text = await readFile(join(root, 'dataset.json'), 'utf8').catch(() => null);
  if (text === null) return false;
  try {
    const generator = (JSON.parse(text) as { generator?: unknown }).generator;
    return typeof generator === 'string' && SYNTHETIC_GENERATORS.includes(generator);
  } catch {
    return false;
  }
}

const SYNTHETIC_GENERATORS = ['gramlens-synth', 'gramlens-field-tiles'];
