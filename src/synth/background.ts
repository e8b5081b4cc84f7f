import { filamentNoise, fractalNoise, smoothField, valueNoise } from './noise.ts';
import { retainedViolet } from './objects.ts';
import type { Canvas } from './raster.ts';
import type { Point } from './shapes.ts';
import type { Specimen } from './specimen.ts';
import { CRYSTAL_VIOLET, SAFRANIN, addStains, scaleStain } from './stain.ts';

const smoothstep = (lo: number, hi: number, v: number): number => {
  const t = Math.min(1, Math.max(0, (v - lo) / (hi - lo)));
  return t * t * (3 - 2 * t);
};

/**
 * Paints the smear itself: a thin pink film, patches of fibrous proteinaceous strands, fine
 * granularity and, on thick smears, dark purple areas. Texture coordinates are in µm on the slide
 * (originUm is where the canvas sits), so the look does not depend on the pixel scale.
 */
export function paintBackground(canvas: Canvas, specimen: Specimen, originUm: Point, px: number): void {
  const { width, height, od } = canvas;
  const seed = specimen.seed;
  const violet = retainedViolet(specimen);
  const filmThickness = specimen.film ?? 1;
  const film = addStains(scaleStain(SAFRANIN, 0.07 * filmThickness), scaleStain(CRYSTAL_VIOLET, 0.12 * violet * filmThickness));
  const strands = addStains(scaleStain(SAFRANIN, 0.3 * specimen.backgroundTexture), scaleStain(CRYSTAL_VIOLET, 0.25 * violet * specimen.backgroundTexture));
  const thickness = specimen.stain === 'thick' ? specimen.faultSeverity : 0;
  const thickStain = addStains(scaleStain(SAFRANIN, 0.5), scaleStain(CRYSTAL_VIOLET, 0.4));
  const grain = 0.05 * specimen.backgroundTexture;
  const toUm = (x: number, y: number): [number, number] => [originUm.x + x / px, originUm.y + y / px];
  const coarse = Math.max(2, Math.round(2 * px));
  const filmAmount = smoothField(width, height, coarse, (x, y) => 0.7 + 0.6 * fractalNoise(...scaled(toUm(x, y), 30), seed, 2));
  const patch = smoothField(width, height, coarse, (x, y) => smoothstep(0.4, 0.65, fractalNoise(...scaled(toUm(x, y), 16), seed + 11, 2)));
  const thickAmount = thickness > 0 ? smoothField(width, height, coarse, (x, y) => thickness * smoothstep(0.5, 0.72, fractalNoise(...scaled(toUm(x, y), 25), seed + 41, 3))) : null;
  for (let y = 0; y < height; y++) {
    const v = originUm.y + (y + 0.5) / px;
    for (let x = 0; x < width; x++) {
      const u = originUm.x + (x + 0.5) / px;
      const p = y * width + x;
      const strandAmount = patch[p] > 0 ? patch[p] * filamentNoise(u / 1.4, v / 1.4, seed + 23, 3) * (0.4 + valueNoise(u / 0.5, v / 0.5, seed + 29)) : 0;
      const speckle = grain * valueNoise(u / 0.35, v / 0.35, seed + 37);
      const thick = thickAmount && thickAmount[p] > 0 ? thickAmount[p] * (0.55 + 0.45 * fractalNoise(u / 1.5, v / 1.5, seed + 43, 2)) : 0;
      for (let c = 0; c < 3; c++) {
        od[p * 3 + c] += film[c] * (filmAmount[p] + speckle) + strands[c] * strandAmount + thickStain[c] * thick;
      }
    }
  }
}

const scaled = ([u, v]: [number, number], featureUm: number): [number, number] => [u / featureUm, v / featureUm];
