import type { ClassPrediction, ClassProbability, Refusal } from '../contract/index.ts';

/** One image's answer, as `gramlens predict --json` prints it: its classes, or a refusal and no class. */
export type ImagePrediction = AnsweredImage | RefusedImage;

export interface AnsweredImage extends ClassPrediction {
  /** The file, or `#n` for the n-th buffer or image given. */
  source: string;
  refusal: null;
}

/** A refusal carries no class: `classes` is empty and `top` null. */
export interface RefusedImage {
  source: string;
  refusal: Refusal;
  classes: ClassProbability[];
  top: null;
  uncertain: false;
}

export function refusedImage(source: string, refusal: Refusal): RefusedImage {
  return { source, refusal, classes: [], top: null, uncertain: false };
}

/** softmax(log p / T): the same as dividing the logits by T, since log p differs from them by a constant per row. */
export function calibrate(probabilities: Float32Array, k: number, temperature: number): Float32Array {
  if (temperature === 1) return probabilities;
  const out = new Float32Array(probabilities.length);
  for (let row = 0; row < probabilities.length / k; row++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, Math.log(Math.max(probabilities[row * k + c], 1e-30)) / temperature);
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const value = Math.exp(Math.log(Math.max(probabilities[row * k + c], 1e-30)) / temperature - max);
      out[row * k + c] = value;
      sum += value;
    }
    for (let c = 0; c < k; c++) out[row * k + c] /= sum;
  }
  return out;
}

export function toPrediction(source: string, probabilities: Float32Array, row: number, classes: readonly string[], referBelow: number): AnsweredImage {
  const k = classes.length;
  const ranked = classes
    .map((label, c) => ({ label, probability: probabilities[row * k + c] }))
    .sort((a, b) => b.probability - a.probability);
  return { source, top: ranked[0], classes: ranked, uncertain: ranked[0].probability < referBelow, refusal: null };
}
