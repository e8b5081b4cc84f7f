/**
 * Seeded lattice noise evaluated at any point without state, so a texture does not depend on the
 * order in which pixels or objects are drawn.
 */

/** Hash of an integer lattice point to [0, 1). */
function hash2(ix: number, iy: number, seed: number): number {
  let h = Math.imul(ix, 0x27d4eb2d) ^ Math.imul(iy, 0x165667b1) ^ Math.imul(seed, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

const fade = (t: number): number => t * t * (3 - 2 * t);

/** Smooth value noise in [0, 1) with features of size ~1 in (x, y). */
export function valueNoise(x: number, y: number, seed: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const tx = fade(x - x0);
  const ty = fade(y - y0);
  const a = hash2(x0, y0, seed);
  const b = hash2(x0 + 1, y0, seed);
  const c = hash2(x0, y0 + 1, seed);
  const d = hash2(x0 + 1, y0 + 1, seed);
  const top = a + (b - a) * tx;
  const bottom = c + (d - c) * tx;
  return top + (bottom - top) * ty;
}

/** Fractal sum of value noise, normalised to [0, 1). */
export function fractalNoise(x: number, y: number, seed: number, octaves: number): number {
  let sum = 0;
  let amplitude = 1;
  let norm = 0;
  let frequency = 1;
  for (let o = 0; o < octaves; o++) {
    sum += amplitude * valueNoise(x * frequency, y * frequency, seed + o * 101);
    norm += amplitude;
    amplitude *= 0.5;
    frequency *= 2.03;
  }
  return sum / norm;
}

/** Thin filaments where fractal noise crosses its mid-level: a fibrous, reticular network in [0, 1]. */
export function filamentNoise(x: number, y: number, seed: number, sharpness: number): number {
  const ridge = 1 - Math.abs(fractalNoise(x, y, seed, 3) - 0.5) * 2;
  return ridge ** sharpness;
}

/**
 * Samples a slowly varying function on a coarse grid (every stepPx pixels) and interpolates it
 * bilinearly to every pixel centre: much cheaper than evaluating fractal noise per pixel.
 */
export function smoothField(width: number, height: number, stepPx: number, at: (x: number, y: number) => number): Float32Array {
  const gw = Math.ceil(width / stepPx) + 1;
  const gh = Math.ceil(height / stepPx) + 1;
  const grid = new Float32Array(gw * gh);
  for (let j = 0; j < gh; j++) for (let i = 0; i < gw; i++) grid[j * gw + i] = at(i * stepPx, j * stepPx);
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const gy = (y + 0.5) / stepPx;
    const j = Math.min(gh - 2, Math.floor(gy));
    const fy = gy - j;
    for (let x = 0; x < width; x++) {
      const gx = (x + 0.5) / stepPx;
      const i = Math.min(gw - 2, Math.floor(gx));
      const fx = gx - i;
      const top = grid[j * gw + i] * (1 - fx) + grid[j * gw + i + 1] * fx;
      const bottom = grid[(j + 1) * gw + i] * (1 - fx) + grid[(j + 1) * gw + i + 1] * fx;
      out[y * width + x] = top + (bottom - top) * fy;
    }
  }
  return out;
}
