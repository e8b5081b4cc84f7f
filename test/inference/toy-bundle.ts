import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { readFolderDataset } from '../../src/data/index.ts';
import { fitClassifier } from '../../src/pipeline/index.ts';
import { createRng } from '../../src/util/index.ts';

export const TOY_CLASSES = ['cocci', 'no_bacteria', 'rods'];
const TILE_SIZE = 24;
const TILE_PX_PER_UM = 3;

/** A noisy 24 px toy tile: a dark blob (cocci), pale glass (no_bacteria) or a dark bar (rods). */
export function toyTile(label: string, seed: number, size = TILE_SIZE): Uint8Array {
  const rng = createRng(seed);
  const pixels = new Uint8Array(size * size * 3);
  const centre = size / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dark = label === 'cocci' ? (x - centre) ** 2 + (y - centre) ** 2 < (size * size) / 28 : label === 'rods' ? Math.abs(y - centre) < size / 12 : false;
      const base = dark ? [90, 40, 120] : [225, 205, 225];
      for (let c = 0; c < 3; c++) pixels[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(base[c] + 12 * rng.normal())));
    }
  }
  return pixels;
}

/**
 * A model bundle trained in seconds on toy tiles (16 px input at 2 px/µm, ONNX exported), its
 * out-of-distribution thresholds lifted so that synthetic fields are read rather than refused.
 */
export async function trainToyBundle(root: string): Promise<string> {
  await tf.setBackend('cpu');
  const tiles = join(root, 'tiles');
  for (const label of TOY_CLASSES) {
    await mkdir(join(tiles, label), { recursive: true });
    for (let i = 0; i < 12; i++) {
      await sharp(toyTile(label, 100 * TOY_CLASSES.indexOf(label) + i), { raw: { width: TILE_SIZE, height: TILE_SIZE, channels: 3 } }).png().toFile(join(tiles, label, `p${i % 4}_${i}.png`));
    }
  }
  await writeFile(join(tiles, 'dataset.json'), JSON.stringify({ generator: 'test', pxPerUm: TILE_PX_PER_UM, tileSize: TILE_SIZE }));
  const { bundleDir } = await fitClassifier(await readFolderDataset(tiles), {
    size: [16, 16],
    train: { model: 'resnet-small', width: 4, epochs: 2, batchSize: 8, learningRate: 0.01, patience: 0 },
    fractions: { train: 0.5, val: 0.25, test: 0.25 },
    runDir: join(root, 'run'),
    seed: 1,
  });
  const metadataPath = join(bundleDir, 'metadata.json');
  const metadata = JSON.parse(await readFile(metadataPath, 'utf8'));
  metadata.ood.features.threshold = 1e300;
  metadata.ood.colour.threshold = 1e300;
  await writeFile(metadataPath, JSON.stringify(metadata));
  return bundleDir;
}
