/** From tile predictions (one probability row per tile) to field-level class probabilities. */

export type TileProbabilities = readonly (readonly number[])[];

export interface AggregateOptions {
  /** Index of the class meaning "nothing here" (no organisms on the tile). */
  backgroundClass: number;
  /** Optional per-tile weights (e.g. the share of the tile inside the field); default 1. */
  weights?: readonly number[];
}

function checkRows(rows: TileProbabilities, classIndex: number, name: string): number {
  if (rows.length === 0) throw new Error('no tile probabilities');
  const k = rows[0].length;
  if (rows.some((row) => row.length !== k)) throw new Error('every tile must have the same number of class probabilities');
  if (!(Number.isInteger(classIndex) && classIndex >= 0 && classIndex < k)) throw new Error(`${name} must be a class index in [0, ${k}) (got ${classIndex})`);
  return k;
}

/**
 * Field probabilities from tile probabilities: the mean over the tiles that show organisms
 * (P(background) < 0.5), each weighted by 1 - P(background) (and its weight), so empty glass does
 * not dilute a few infected tiles. When no tile shows organisms, the weighted mean of all tiles,
 * in which background is then the most probable class.
 */
export function aggregateTiles(tileProbabilities: TileProbabilities, options: AggregateOptions): number[] {
  const { backgroundClass, weights } = options;
  const k = checkRows(tileProbabilities, backgroundClass, 'backgroundClass');
  if (weights && weights.length !== tileProbabilities.length) throw new Error(`expected ${tileProbabilities.length} weights, got ${weights.length}`);
  const weightOf = (i: number): number => weights?.[i] ?? 1;
  const organismTiles = tileProbabilities.map((_, i) => i).filter((i) => tileProbabilities[i][backgroundClass] < 0.5 && weightOf(i) > 0);
  const chosen = organismTiles.length > 0 ? organismTiles : tileProbabilities.map((_, i) => i);
  const tileWeight = (i: number): number => (organismTiles.length > 0 ? (1 - tileProbabilities[i][backgroundClass]) * weightOf(i) : weightOf(i));
  const field = new Array<number>(k).fill(0);
  let total = 0;
  for (const i of chosen) {
    const w = tileWeight(i);
    total += w;
    for (let c = 0; c < k; c++) field[c] += w * tileProbabilities[i][c];
  }
  if (total <= 0) throw new Error('tile weights sum to zero');
  return field.map((v) => v / total);
}
