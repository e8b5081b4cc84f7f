import { describe, expect, it } from 'vitest';
import { IMAGE_CHECKS, UNIVERSAL_CHECKS, failedImageCheck, hueOf, inkMeasures, measureImage, type Overview } from '../../src/ood/index.ts';
import { createRng } from '../../src/util/index.ts';

const SIZE = 160;

type Paint = (x: number, y: number) => [number, number, number];

function image(paint: Paint, size = SIZE): Uint8Array {
  const rgb = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) rgb.set(paint(x, y).map((v) => Math.max(0, Math.min(255, Math.round(v)))), (y * size + x) * 3);
  }
  return rgb;
}

/** Pale pink glass with soft violet cocci and a little sensor noise: what a stained bright-field slide looks like. */
function stainedSlide(seed = 1): Paint {
  const rng = createRng(seed);
  const cocci = Array.from({ length: 40 }, () => [rng.uniform(0, SIZE), rng.uniform(0, SIZE)]);
  return (x, y) => {
    const near = Math.min(...cocci.map(([cx, cy]) => Math.hypot(x - cx, y - cy)));
    const ink = Math.exp(-((near / 3) ** 2));
    const glass = [232, 212, 230];
    const violet = [90, 40, 130];
    return glass.map((g, c) => g + (violet[c] - g) * ink + 2 * rng.normal()) as [number, number, number];
  };
}

/** Overview triples (0..1), row-major, every pixel inside. */
function overviewOf(rgb: number[], width: number): Overview {
  return { width, height: rgb.length / 3 / width, rgb, inside: Array.from({ length: rgb.length / 3 }, () => true) };
}

const judge = (rgb: Uint8Array, size = SIZE) => failedImageCheck(measureImage(rgb, size, size));

describe('the image checks', () => {
  it('pass a stained bright-field slide', () => {
    const measures = measureImage(image(stainedSlide()), SIZE, SIZE);
    expect(failedImageCheck(measures)).toBeNull();
    expect(measures.neighbourCorrelation).toBeGreaterThan(0.8);
    expect(measures.offStainShare).toBe(0);
  });

  it('refuse a blank or uniform image', () => {
    expect(judge(image(() => [255, 255, 255]))).toBe('blank');
    expect(judge(image(() => [200, 120, 190]))).toBe('blank');
  });

  it('refuse Gaussian and salt-and-pepper noise', () => {
    const rng = createRng(2);
    expect(judge(image(() => [128, 110, 140].map((v) => v + 50 * rng.normal()) as [number, number, number]))).toBe('noise');
    const sprinkled = image(() => {
      const u = rng.next();
      return u < 0.1 ? [0, 0, 0] : u < 0.2 ? [255, 255, 255] : [180, 150, 170];
    });
    const measures = measureImage(sprinkled, SIZE, SIZE);
    expect(Math.abs(measures.neighbourCorrelation)).toBeLessThan(0.1);
    expect(failedImageCheck(measures)).toBe('noise');
  });

  it('refuse an image without colour, one too dark for bright-field and one of green to blue colours', () => {
    const slide = stainedSlide(3);
    expect(judge(image((x, y) => { const [r, g, b] = slide(x, y); const grey = 0.3 * r + 0.59 * g + 0.11 * b; return [grey, grey, grey]; }))).toBe('greyscale');
    expect(judge(image((x, y) => slide(x, y).map((v) => v * 0.2) as [number, number, number]))).toBe('dark');
    expect(judge(image((x, y) => (x < SIZE * 0.6 ? [60, 170, 80] : slide(x, y))))).toBe('colours');
  });

  it('refuse colourless marks on white paper (a page), not coloured stains or grey debris on tinted glass', () => {
    // Lines of dark ink, a little navy, on cream paper: chroma 0.05 passes the greyscale check.
    const page = (ink: [number, number, number]): Paint => (x, y) => (y % 12 < 2 && x % 9 < 6 ? ink : [251, 248, 239]);
    const navy = measureImage(image(page([26, 42, 74])), SIZE, SIZE);
    expect(navy.chroma).toBeGreaterThan(0.04);
    expect(navy.inkChroma).toBeCloseTo((74 - 26) / 255 / (navy.brightLuminance - (0.299 * 26 + 0.587 * 42 + 0.114 * 74) / 255), 2);
    expect(failedImageCheck(navy)).toBe('page');
    expect(judge(image(page([17, 17, 17])))).toBe('page');
    // The same marks violet (a stain's colour) pass; grey debris on the slide's pink glass too.
    // (Flat-filled, they are a drawing: the drawing check's to refuse.)
    const violet = measureImage(image(page([90, 40, 130])), SIZE, SIZE);
    expect(failedImageCheck(violet, ['page'])).toBeNull();
    expect(failedImageCheck(violet)).toBe('drawing');
    const slide = stainedSlide(5);
    const grain = createRng(8);
    expect(judge(image((x, y) => (y % 40 < 3 && x % 40 < 20 ? ([60, 60, 60].map((v) => v + 2 * grain.normal()) as [number, number, number]) : slide(x, y))))).toBeNull();
  });

  it('measure the marks against the brightest fifth of the pixels, and not below half a percent of marked pixels', () => {
    // A 10 × 10 overview: 90 white pixels, then a row of 10 dark ones (0..1).
    const pixels = [...Array.from({ length: 90 }, () => [1, 1, 1]), ...Array.from({ length: 10 }, () => [0.1, 0.1, 0.2])].flat();
    const measured = inkMeasures(overviewOf(pixels, 10), 0.99, 1);
    expect(measured.paperChroma).toBe(0);
    expect(measured.paperLuminance).toBeCloseTo(1, 6);
    expect(measured.inkChroma).toBeCloseTo(0.1 / (1 - (0.299 * 0.1 + 0.587 * 0.1 + 0.114 * 0.2)), 6);
    const fewMarks = [...Array.from({ length: 999 }, () => [0.9, 0.8, 0.85]).flat(), 0, 0, 0];
    expect(inkMeasures(overviewOf(fewMarks, 100), 0.8, 0.82).inkChroma).toBeNull();
    expect(inkMeasures(overviewOf(fewMarks, 100), 0.8, 0.82).flatMarkShare).toBeNull();
  });

  it('count the marks whose right and lower neighbours inside have exactly their colour', () => {
    // 4 × 3 overview on white: a 2 × 2 block of one violet at the top left, two other violets below it.
    const white = [1, 1, 1];
    const violet = [0.4, 0.1, 0.5];
    const rows = [
      [violet, violet, white, white],
      [violet, violet, white, white],
      [[0.4, 0.1, 0.51], [0.4, 0.11, 0.5], white, white],
    ];
    const overview = overviewOf(rows.flat(2), 4);
    // Six marks; only the top-left one has both neighbours of its colour (the bottom row has no lower neighbours).
    expect(inkMeasures(overview, 0.99, 1).flatMarkShare).toBeCloseTo(1 / 6, 9);
    // A neighbour outside the disc does not count.
    overview.inside[1] = false;
    expect(inkMeasures(overview, 0.99, 1).flatMarkShare).toBeCloseTo(0, 9);
  });

  it('refuse flat-filled drawings, not a photographed slide or crisp stained objects with sensor noise', () => {
    // Flat ellipses of a stain's violet on pale pink: coloured marks (the page check passes them), but flat fills.
    const blobs = (x: number, y: number): boolean => ((x % 40) - 20) ** 2 / 150 + ((y % 50) - 25) ** 2 / 60 < 1;
    const drawing = measureImage(image((x, y) => (blobs(x, y) ? [120, 50, 150] : [240, 215, 235])), SIZE, SIZE);
    expect(drawing.flatMarkShare).toBeGreaterThan(0.8);
    expect(failedImageCheck(drawing)).toBe('drawing');
    const rng = createRng(6);
    const photographed = measureImage(image((x, y) => (blobs(x, y) ? [120, 50, 150] : [240, 215, 235]).map((v) => v + 2 * rng.normal()) as [number, number, number]), SIZE, SIZE);
    expect(photographed.flatMarkShare).toBeLessThan(0.05);
    expect(failedImageCheck(photographed)).toBeNull();
    expect(measureImage(image(stainedSlide(7)), SIZE, SIZE).flatMarkShare).toBeLessThan(0.05);
  });

  it('apply only the checks asked for', () => {
    const grey = image((x) => [x, x, x]);
    expect(failedImageCheck(measureImage(grey, SIZE, SIZE))).toBe('greyscale');
    expect(failedImageCheck(measureImage(grey, SIZE, SIZE), UNIVERSAL_CHECKS)).toBeNull();
    expect(IMAGE_CHECKS[0]).toBe('blank');
  });

  it('look only inside the field of view when given one', () => {
    const slide = stainedSlide(4);
    const disc = { cx: 80, cy: 80, r: 25 };
    const eyepiece = image((x, y) => (Math.hypot(x - disc.cx, y - disc.cy) <= disc.r + 2 ? slide(x, y) : [2, 2, 2]));
    expect(judge(eyepiece)).toBe('dark');
    const inside = measureImage(eyepiece, SIZE, SIZE, disc);
    expect(inside.pixels).toBeLessThan(SIZE * SIZE * 0.1);
    expect(failedImageCheck(inside)).toBeNull();
  });

  it('refuse pixel counts that do not match the size', () => {
    expect(() => measureImage(new Uint8Array(10), 2, 2)).toThrow(/2x2 RGB pixels/);
  });
});

describe('hueOf', () => {
  it('gives the hue angle of primary and secondary colours', () => {
    expect(hueOf(1, 0, 0)).toBe(0);
    expect(hueOf(0, 1, 0)).toBe(120);
    expect(hueOf(0, 0, 1)).toBe(240);
    expect(hueOf(1, 0, 1)).toBe(300);
    expect(hueOf(0.5, 0.5, 0.5)).toBe(0);
  });
});
