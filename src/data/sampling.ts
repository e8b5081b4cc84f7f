import type { Rng } from '../util/index.ts';

export type SamplingStrategy = 'none' | 'oversample' | 'undersample' | 'class-weights' | 'balanced-batches';

export const SAMPLING_STRATEGIES: readonly SamplingStrategy[] = [
  'none',
  'oversample',
  'undersample',
  'class-weights',
  'balanced-batches',
];

/**
 * Balanced class weights n / (k · count_c), so every class contributes equally to the loss.
 * A class with no samples gets weight 0 (it never occurs, so its weight is never used).
 *
 * With coarse labels (label k + j stands for the set of classes coarse[j]), a coarse sample counts
 * towards the classes of its set in proportion to their class-labelled counts (evenly if none of
 * them has any), and its own weight is the count-weighted mean of those classes' weights: the
 * weight it would have, on average, had it been labelled with its class. Every class then still
 * carries n / k of the total weight. Returns k + coarse.length weights.
 */
export function classWeights(labels: ArrayLike<number>, numClasses: number, coarse: readonly (readonly number[])[] = []): Float32Array {
  const counts = countPerLabel(labels, numClasses + coarse.length);
  const effective = counts.slice(0, numClasses);
  coarse.forEach((set, j) => {
    const known = set.reduce((sum, c) => sum + counts[c], 0);
    for (const c of set) effective[c] += counts[numClasses + j] * (known > 0 ? counts[c] / known : 1 / set.length);
  });
  const weights = Float32Array.from(effective, (count) => (count === 0 ? 0 : labels.length / (numClasses * count)));
  const coarseWeights = coarse.map((set) => {
    const total = set.reduce((sum, c) => sum + effective[c], 0);
    return total === 0 ? 0 : set.reduce((sum, c) => sum + effective[c] * weights[c], 0) / total;
  });
  return Float32Array.from([...weights, ...coarseWeights]);
}

function countPerLabel(labels: ArrayLike<number>, numLabels: number): number[] {
  const counts = new Array<number>(numLabels).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= numLabels) {
      throw new Error(`Label ${label} at index ${i} is not a class index in 0..${numLabels - 1}`);
    }
    counts[label]++;
  }
  return counts;
}

/** The given indices grouped by label, only for labels that occur. */
function indicesByClass(indices: readonly number[], labels: ArrayLike<number>): number[][] {
  const byClass = new Map<number, number[]>();
  for (const i of indices) {
    const list = byClass.get(labels[i]);
    if (list) list.push(i);
    else byClass.set(labels[i], [i]);
  }
  return [...byClass.keys()].sort((a, b) => a - b).map((label) => byClass.get(label)!);
}

/** Every class repeated up to the largest class's count (whole copies, then a random remainder), shuffled. */
export function oversample(indices: readonly number[], labels: ArrayLike<number>, rng: Rng): number[] {
  const groups = indicesByClass(indices, labels);
  const target = Math.max(0, ...groups.map((g) => g.length));
  const result: number[] = [];
  for (const group of groups) {
    for (let i = 0; i < target - (target % group.length); i++) result.push(group[i % group.length]);
    for (const index of rng.shuffle([...group]).slice(0, target % group.length)) result.push(index);
  }
  return rng.shuffle(result);
}

/** A random subset of every class, cut to the smallest class's count, shuffled. */
export function undersample(indices: readonly number[], labels: ArrayLike<number>, rng: Rng): number[] {
  const groups = indicesByClass(indices, labels);
  const target = Math.min(...groups.map((g) => g.length));
  return rng.shuffle(groups.flatMap((group) => rng.shuffle([...group]).slice(0, target)));
}

/**
 * Batches with the classes in equal shares: each class gets floor(batchSize / k) places, the
 * remaining places go to distinct random classes. Within a class, samples are drawn from a
 * reshuffled cycle, so minority samples repeat and majority samples rarely do.
 */
export function balancedBatches(
  indices: readonly number[],
  labels: ArrayLike<number>,
  options: { batchSize: number; numBatches: number },
  rng: Rng,
): number[][] {
  const { batchSize, numBatches } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const groups = indicesByClass(indices, labels);
  if (groups.length === 0) return [];
  const cycles = groups.map((group) => ({ pool: rng.shuffle([...group]), position: 0 }));
  const draw = (c: number): number => {
    const cycle = cycles[c];
    if (cycle.position === cycle.pool.length) {
      rng.shuffle(cycle.pool);
      cycle.position = 0;
    }
    return cycle.pool[cycle.position++];
  };
  const classOrder = groups.map((_, c) => c);
  const batches: number[][] = [];
  for (let b = 0; b < numBatches; b++) {
    const batch: number[] = [];
    const perClass = Math.floor(batchSize / groups.length);
    for (let c = 0; c < groups.length; c++) for (let i = 0; i < perClass; i++) batch.push(draw(c));
    const extra = rng.shuffle(classOrder).slice(0, batchSize - batch.length);
    for (const c of extra) batch.push(draw(c));
    batches.push(rng.shuffle(batch));
  }
  return batches;
}

/**
 * The sample order for one training epoch. 'none' and 'class-weights' shuffle all samples (for
 * 'class-weights' the trainer also weights the loss with classWeights()); 'balanced-batches'
 * returns as many samples as there are labels, in class-balanced consecutive batches of `batchSize`.
 */
export function epochIndices(
  strategy: SamplingStrategy,
  labels: ArrayLike<number>,
  rng: Rng,
  options: { batchSize?: number } = {},
): number[] {
  const all = Array.from({ length: labels.length }, (_, i) => i);
  switch (strategy) {
    case 'none':
    case 'class-weights':
      return rng.shuffle(all);
    case 'oversample':
      return oversample(all, labels, rng);
    case 'undersample':
      return undersample(all, labels, rng);
    case 'balanced-batches': {
      const batchSize = options.batchSize ?? 32;
      const numBatches = Math.ceil(labels.length / batchSize);
      return balancedBatches(all, labels, { batchSize, numBatches }, rng).flat().slice(0, labels.length);
    }
    default:
      throw new Error(`Unknown sampling strategy "${strategy as string}"; use one of ${SAMPLING_STRATEGIES.join(', ')}`);
  }
}
