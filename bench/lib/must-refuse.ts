// Images no Gram-stain model should answer, for bench/refusals.ts: blank and uniform images,
// Gaussian and salt-and-pepper noise, drawn everyday scenes and pages of text (SVG rendered by
// sharp), blood smears (BCCD) and MedMNIST chest X-rays and breast ultrasound. Seeded.
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { readNpz } from '../../src/data/index.ts';
import type { Rng } from '../../src/util/index.ts';

export interface SourceImage {
  name: string;
  bytes: Buffer;
}

/** A random size: a tile-sized square half of the time, else a photo up to `max` px wide. */
function size(rng: Rng, max = 900): [number, number] {
  if (rng.chance(0.5)) {
    const side = 64 + rng.int(97);
    return [side, side];
  }
  return [200 + rng.int(max - 200), 150 + rng.int(Math.round(0.75 * max) - 150)];
}

async function encode(rng: Rng, pixels: Buffer, width: number, height: number): Promise<Buffer> {
  const image = sharp(pixels, { raw: { width, height, channels: 3 } });
  return rng.chance(0.5) ? image.jpeg({ quality: 75 + rng.int(21) }).toBuffer() : image.png().toBuffer();
}

function randomColour(rng: Rng): [number, number, number] {
  return [rng.int(256), rng.int(256), rng.int(256)];
}

/** White, black and grey frames. */
export async function blankImages(n: number, rng: Rng): Promise<SourceImage[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const [width, height] = size(rng, 2000);
      const level = rng.pick([255, 0, 128, 200, 240]);
      return { name: `blank-${i}`, bytes: await encode(rng, Buffer.alloc(width * height * 3, level), width, height) };
    }),
  );
}

/** Frames of one random colour. */
export async function uniformImages(n: number, rng: Rng): Promise<SourceImage[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const [width, height] = size(rng, 2000);
      const colour = randomColour(rng);
      const pixels = Buffer.alloc(width * height * 3);
      for (let p = 0; p < width * height; p++) pixels.set(colour, p * 3);
      return { name: `uniform-${i}`, bytes: await encode(rng, pixels, width, height) };
    }),
  );
}

/** Gaussian noise (sd 0.03–0.3 of full scale, grey or per channel) around a random colour. */
export async function gaussianNoise(n: number, rng: Rng): Promise<SourceImage[]> {
  const images: SourceImage[] = [];
  for (let i = 0; i < n; i++) {
    const [width, height] = size(rng);
    const mean = randomColour(rng).map((v) => 40 + (v * 175) / 255);
    const sd = 255 * rng.uniform(0.03, 0.3);
    const grey = rng.chance(0.3);
    const pixels = Buffer.alloc(width * height * 3);
    for (let p = 0; p < width * height; p++) {
      const shared = rng.normal();
      for (let c = 0; c < 3; c++) pixels[p * 3 + c] = Math.max(0, Math.min(255, Math.round(mean[c] + sd * (grey ? shared : rng.normal()))));
    }
    images.push({ name: `gaussian-${i}`, bytes: await encode(rng, pixels, width, height) });
  }
  return images;
}

/** Salt-and-pepper noise (2–50% of pixels black or white) on a random colour. */
export async function saltAndPepper(n: number, rng: Rng): Promise<SourceImage[]> {
  const images: SourceImage[] = [];
  for (let i = 0; i < n; i++) {
    const [width, height] = size(rng);
    const colour = randomColour(rng);
    const density = rng.uniform(0.02, 0.5);
    const pixels = Buffer.alloc(width * height * 3);
    for (let p = 0; p < width * height; p++) {
      const u = rng.next();
      pixels.set(u < density / 2 ? [0, 0, 0] : u < density ? [255, 255, 255] : colour, p * 3);
    }
    images.push({ name: `salt-pepper-${i}`, bytes: await encode(rng, pixels, width, height) });
  }
  return images;
}

const hsl = (rng: Rng, s = 70, l = 50) => `hsl(${rng.int(360)},${s}%,${l}%)`;

function shapesSvg(rng: Rng, width: number, height: number): string {
  const shapes = Array.from({ length: 4 + rng.int(12) }, () => {
    const x = rng.int(width);
    const y = rng.int(height);
    const s = 10 + rng.int(Math.round(Math.min(width, height) / 2));
    const fill = hsl(rng, 40 + rng.int(60), 30 + rng.int(50));
    if (rng.chance(0.4)) return `<circle cx="${x}" cy="${y}" r="${s / 2}" fill="${fill}"/>`;
    if (rng.chance(0.5)) return `<rect x="${x}" y="${y}" width="${s}" height="${s * rng.uniform(0.3, 1.5)}" fill="${fill}" stroke="#222" stroke-width="${rng.int(4)}"/>`;
    return `<polygon points="${x},${y} ${x + s},${y + rng.int(s)} ${x + rng.int(s)},${y + s}" fill="${fill}"/>`;
  });
  return `<rect width="${width}" height="${height}" fill="${hsl(rng, rng.int(60), 60 + rng.int(35))}"/>${shapes.join('')}`;
}

function streetSvg(rng: Rng, width: number, height: number): string {
  const horizon = height * rng.uniform(0.4, 0.6);
  const parts = [
    `<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="hsl(${200 + rng.int(25)},70%,${55 + rng.int(20)}%)"/><stop offset="1" stop-color="#e8f0f8"/></linearGradient></defs>`,
    `<rect width="${width}" height="${height}" fill="url(#sky)"/>`,
    `<rect y="${horizon}" width="${width}" height="${height - horizon}" fill="hsl(100,${20 + rng.int(30)}%,${30 + rng.int(20)}%)"/>`,
    `<polygon points="${width * 0.35},${horizon} ${width * 0.65},${horizon} ${width},${height} 0,${height}" fill="#6b6b70"/>`,
  ];
  for (let x = 0; x < width; x += 40 + rng.int(60)) {
    const h = horizon * rng.uniform(0.3, 0.9);
    const w = 30 + rng.int(50);
    parts.push(`<rect x="${x}" y="${horizon - h}" width="${w}" height="${h}" fill="${hsl(rng, 20 + rng.int(30), 35 + rng.int(40))}"/>`);
    for (let wy = horizon - h + 8; wy < horizon - 10; wy += 16) parts.push(`<rect x="${x + 6}" y="${wy}" width="${w - 12}" height="6" fill="#f4e9a0"/>`);
  }
  for (let i = 0; i < 2 + rng.int(5); i++) {
    const x = rng.int(width);
    const r = 10 + rng.int(30);
    parts.push(`<rect x="${x - 3}" y="${horizon - r}" width="6" height="${r + 10}" fill="#5a3a1a"/><circle cx="${x}" cy="${horizon - r * 1.5}" r="${r}" fill="hsl(${90 + rng.int(50)},50%,30%)"/>`);
  }
  const carY = horizon + (height - horizon) * rng.uniform(0.3, 0.7);
  parts.push(`<rect x="${rng.int(width)}" y="${carY}" width="${40 + rng.int(40)}" height="18" rx="5" fill="${hsl(rng)}"/>`);
  return parts.join('');
}

const WORDS = 'the of microscope slide sample report patient result culture stain negative positive laboratory specimen date time analysis method blood urine sputum ward doctor nurse please note'.split(' ');

function textSvg(rng: Rng, width: number, height: number): string {
  const paper = rng.pick(['#ffffff', '#fbf8ef', '#f4f4f4', '#fffdf5']);
  const ink = rng.pick(['#111111', '#1a2a4a', '#333333', '#2b1b10']);
  const size = 10 + rng.int(10);
  const lines = [`<rect width="${width}" height="${height}" fill="${paper}"/>`];
  lines.push(`<text x="16" y="${size * 2}" font-family="sans-serif" font-size="${size * 1.6}" font-weight="bold" fill="${ink}">${WORDS[rng.int(WORDS.length)].toUpperCase()} ${WORDS[rng.int(WORDS.length)]}</text>`);
  for (let y = size * 4; y < height - size; y += size * 1.5) {
    const words = Array.from({ length: Math.max(2, Math.round(width / (size * 4))) }, () => WORDS[rng.int(WORDS.length)]);
    lines.push(`<text x="16" y="${y}" font-family="${rng.pick(['serif', 'sans-serif', 'monospace'])}" font-size="${size}" fill="${ink}">${words.join(' ')}</text>`);
  }
  return lines.join('');
}

/** Drawn scenes: 'shapes', 'street' or 'text' (a page of text), rendered from SVG. */
export async function drawnScenes(kind: 'shapes' | 'street' | 'text', n: number, rng: Rng): Promise<SourceImage[]> {
  const draw = { shapes: shapesSvg, street: streetSvg, text: textSvg }[kind];
  const images: SourceImage[] = [];
  for (let i = 0; i < n; i++) {
    const [width, height] = size(rng);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${draw(rng, width, height)}</svg>`;
    const image = sharp(Buffer.from(svg)).flatten({ background: '#ffffff' });
    const bytes = rng.chance(0.5) ? await image.jpeg({ quality: 85 }).toBuffer() : await image.png().toBuffer();
    images.push({ name: `${kind}-${i}`, bytes });
  }
  return images;
}

/** Up to n blood-smear photos (BCCD, 640 × 480 JPEG), a seeded sample. */
export async function bloodSmears(root: string, n: number, rng: Rng): Promise<SourceImage[]> {
  const files = readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => readdirSync(join(root, entry.name)).filter((file) => /\.jpe?g$/i.test(file)).map((file) => join(root, entry.name, file)))
    .sort();
  const chosen = rng.shuffle(files).slice(0, n);
  return Promise.all(chosen.map(async (file) => ({ name: file, bytes: await readFile(file) })));
}

/** The first n test images of a MedMNIST .npz (28 × 28 grey), as PNG. */
export async function medMnistTest(npzPath: string, n: number): Promise<SourceImage[]> {
  const images = (await readNpz(npzPath)).get('test_images');
  if (!images) throw new Error(`${npzPath} has no test_images`);
  const [count, height, width] = images.shape;
  const pixels = images.data as Uint8Array;
  return Promise.all(
    Array.from({ length: Math.min(n, count) }, async (_, i) => ({
      name: `${npzPath}#${i}`,
      bytes: await sharp(Buffer.from(pixels.subarray(i * width * height, (i + 1) * width * height)), { raw: { width, height, channels: 1 } }).png().toBuffer(),
    })),
  );
}
