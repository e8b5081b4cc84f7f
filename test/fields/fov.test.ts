import { describe, expect, it } from 'vitest';
import { detectFieldOfView } from '../../src/fields/index.ts';
import { fitCircle } from '../../src/fields/fov.ts';
import { generateField } from '../../src/synth/index.ts';
import { createRng } from '../../src/util/index.ts';

interface Spot {
  x: number;
  y: number;
  r: number;
}

/**
 * An eyepiece photo: a lit disc (pale pink with noise and a few dark-violet spots) on a near-black
 * surround; `inside` may cover the whole frame.
 */
function eyepiecePhoto(width: number, height: number, disc: Spot | null, spots: Spot[] = [], seed = 1): Uint8Array {
  const rng = createRng(seed);
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const lit = disc === null || (x + 0.5 - disc.x) ** 2 + (y + 0.5 - disc.y) ** 2 <= disc.r ** 2;
      const stained = spots.some((s) => (x + 0.5 - s.x) ** 2 + (y + 0.5 - s.y) ** 2 <= s.r ** 2);
      const base = !lit ? [4, 3, 5] : stained ? [60, 30, 110] : [225, 200, 220];
      for (let c = 0; c < 3; c++) rgb[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(base[c] + 4 * rng.normal())));
    }
  }
  return rgb;
}

describe('circle fit', () => {
  it('recovers a circle from noisy edge points and ignores a bite out of the edge', () => {
    const rng = createRng(3);
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < 400; i++) {
      const a = (i / 400) * 2 * Math.PI;
      // A sixth of the edge sits 30 px inside (a dark clump at the rim).
      const r = (i < 67 ? 170 : 200) + 0.5 * rng.normal();
      xs.push(320 + r * Math.cos(a));
      ys.push(240 + r * Math.sin(a));
    }
    const circle = fitCircle(Float64Array.from(xs), Float64Array.from(ys));
    expect(circle!.cx).toBeCloseTo(320, 0);
    expect(circle!.cy).toBeCloseTo(240, 0);
    expect(circle!.r).toBeCloseTo(200, 0);
  });
});

describe('detectFieldOfView', () => {
  it('finds a centred disc within 1% of its radius', () => {
    const fov = detectFieldOfView(eyepiecePhoto(800, 600, { x: 410, y: 290, r: 270 }), 800, 600);
    expect(fov).not.toBeNull();
    expect(Math.abs(fov!.cx - 410)).toBeLessThan(3);
    expect(Math.abs(fov!.cy - 290)).toBeLessThan(3);
    expect(Math.abs(fov!.r - 270)).toBeLessThan(3);
  });

  it('finds a disc clipped by the top and bottom of the frame', () => {
    const fov = detectFieldOfView(eyepiecePhoto(800, 600, { x: 400, y: 300, r: 360 }), 800, 600);
    expect(Math.abs(fov!.cx - 400)).toBeLessThan(4);
    expect(Math.abs(fov!.r - 360)).toBeLessThan(4);
  });

  it('is not thrown off by dark stained clumps inside and at the rim', () => {
    const spots = [
      { x: 400, y: 300, r: 40 },
      { x: 660, y: 300, r: 25 },
      { x: 400, y: 40, r: 30 },
      { x: 250, y: 200, r: 15 },
    ];
    const fov = detectFieldOfView(eyepiecePhoto(800, 600, { x: 400, y: 300, r: 260 }, spots), 800, 600);
    expect(Math.abs(fov!.cx - 400)).toBeLessThan(3);
    expect(Math.abs(fov!.cy - 300)).toBeLessThan(3);
    expect(Math.abs(fov!.r - 260)).toBeLessThan(3);
  });

  it('takes the whole frame when the photo is cropped inside the field', () => {
    const rng = createRng(2);
    const spots = Array.from({ length: 40 }, () => ({ x: rng.uniform(0, 640), y: rng.uniform(0, 480), r: 8 }));
    const fov = detectFieldOfView(eyepiecePhoto(640, 480, null, spots), 640, 480);
    expect(fov).toEqual({ cx: 320, cy: 240, r: 400 });
  });

  it('returns null for a dark photo, a blank bright one and a lit region that is not a disc', () => {
    const dark = eyepiecePhoto(400, 300, { x: 0, y: 0, r: 0 });
    expect(detectFieldOfView(dark, 400, 300)).toBeNull();
    expect(detectFieldOfView(new Uint8Array(400 * 300 * 3).fill(252), 400, 300)).toBeNull();
    const strip = new Uint8Array(400 * 300 * 3);
    for (let y = 120; y < 180; y++) strip.fill(220, y * 400 * 3, (y + 1) * 400 * 3);
    expect(detectFieldOfView(strip, 400, 300)).toBeNull();
  });

  it('matches the eyepiece of a synthetic field (inside its soft edge)', () => {
    const field = generateField({ label: 'gpc_clusters', seed: 5, width: 640, height: 480, pxPerUm: 4 });
    const fov = detectFieldOfView(field.rgb, field.width, field.height)!;
    const { cx, cy, radius } = field.eyepiece;
    expect(Math.hypot(fov.cx - cx, fov.cy - cy)).toBeLessThan(3);
    // The field stop fades over the outer 2.5% of its radius; the fit lands inside the fade.
    expect(fov.r).toBeGreaterThan(radius * 0.96);
    expect(fov.r).toBeLessThan(radius * 1.0);
  });
});
