/**
 * Pools per-image probabilities into one prediction per group (e.g. the tiles of one microscope
 * field, or the fields of one specimen) by averaging them; groups keep their first appearance order.
 */
export function poolByGroup(
  probabilities: Float32Array,
  labels: Int32Array,
  groupOf: readonly string[],
  k: number,
): { probabilities: Float32Array; labels: Int32Array; groups: string[] } {
  if (groupOf.length !== labels.length) throw new Error(`${groupOf.length} group ids for ${labels.length} images`);
  const index = new Map<string, number>();
  const order: string[] = [];
  for (const group of groupOf) if (!index.has(group)) index.set(group, order.push(group) - 1);
  const sums = new Float64Array(order.length * k);
  const counts = new Int32Array(order.length);
  const pooledLabels = new Int32Array(order.length).fill(-1);
  groupOf.forEach((group, i) => {
    const g = index.get(group)!;
    for (let c = 0; c < k; c++) sums[g * k + c] += probabilities[i * k + c];
    counts[g]++;
    if (pooledLabels[g] === -1) pooledLabels[g] = labels[i];
    else if (pooledLabels[g] !== labels[i]) throw new Error(`group "${group}" mixes images of different classes`);
  });
  const pooled = Float32Array.from(sums, (sum, j) => sum / counts[Math.floor(j / k)]);
  return { probabilities: pooled, labels: pooledLabels, groups: order };
}
