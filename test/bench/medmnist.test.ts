import { SHARED_DATASETS } from '../shared-data.ts';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../src/engine/index.ts';
import { fitMedMnist, medMnistRecipe, upsampleSet } from '../../bench/lib/index.ts';
import { createRng } from '../../src/util/index.ts';

const BREASTMNIST = join(SHARED_DATASETS, 'medmnist', 'breastmnist.npz');

/** A version-1 .npy file of uint8 values. */
function npy(shape: number[], data: Uint8Array): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': ${shapeText}, }`;
  header += ' '.repeat(63 - ((10 + header.length + 1) % 64)) + '\n';
  const head = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), data]);
}

/** An uncompressed zip archive, as numpy.savez writes one. */
function zip(entries: [name: string, data: Buffer][]): Buffer {
  const parts: Buffer[] = [];
  const directory: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    parts.push(local, nameBytes, data);
    directory.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const centralBytes = Buffer.concat(directory);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, centralBytes, end]);
}

/** 28×28 noisy images: class 1 has a bright disc in the middle, class 0 does not. Labels (N, 1) as in pneumoniamnist.npz. */
function toySplit(count: number, seed: number): [string, Buffer][] {
  const rng = createRng(seed);
  const images = new Uint8Array(count * 28 * 28);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 2;
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const inDisc = (x - 14) ** 2 + (y - 14) ** 2 < 36;
        const value = (labels[i] === 1 && inDisc ? 190 : 70) + rng.normal() * 30;
        images[i * 784 + y * 28 + x] = Math.max(0, Math.min(255, Math.round(value)));
      }
    }
  }
  return [
    ['images.npy', npy([count, 28, 28], images)],
    ['labels.npy', npy([count, 1], labels)],
  ];
}

async function writeToyNpz(dir: string): Promise<string> {
  const entries = (['train', 'val', 'test'] as const).flatMap((split, s) =>
    toySplit([48, 24, 24][s], s + 1).map(([name, data]): [string, Buffer] => [`${split}_${name}`, data]),
  );
  const file = join(dir, 'toymnist.npz');
  await writeFile(file, zip(entries));
  return file;
}

let dir: string;

beforeAll(async () => {
  await initEngine();
  dir = await mkdtemp(join(tmpdir(), 'gl-medmnist-'));
});

describe('fitMedMnist', () => {
  it('trains on train, calibrates on val and reports test metrics of a synthetic npz', async () => {
    const npzPath = await writeToyNpz(dir);
    const events: string[] = [];
    const result = await fitMedMnist(npzPath, {
      train: { width: 4, epochs: 5, batchSize: 16, learningRate: 0.01 },
      augment: 'none',
      runDir: join(dir, 'toy-run'),
      seed: 3,
      onProgress: (event) => events.push(event.kind),
    });
    expect(result.dataset).toBe('toymnist');
    expect(result.classes).toEqual(['class 0', 'class 1']);
    expect(result.fit.counts).toEqual({ train: 48, val: 24, test: 24 });
    expect(result.auc).toBe(result.report.perClass[1].auc.value);
    expect(result.auc).toBeGreaterThan(0.9);
    expect(result.acc).toBeGreaterThan(0.8);
    for (const value of [result.ece, result.eceBeforeCalibration, result.temperature, result.trainSeconds]) expect(Number.isFinite(value)).toBe(true);
    expect(result.recipe.train.epochs).toBe(5);
    expect(events).toContain('train');
  });

  it.skipIf(!existsSync(BREASTMNIST))('runs a one-epoch smoke training on a subset of the real BreastMNIST', async () => {
    const result = await fitMedMnist(BREASTMNIST, {
      train: { width: 4, epochs: 1 },
      limit: { train: 96, val: 48, test: 48 },
      runDir: join(dir, 'breast-run'),
    });
    expect(result.classes).toEqual(['malignant', 'normal, benign']);
    expect(result.fit.counts).toEqual({ train: 96, val: 48, test: 48 });
    expect(result.recipe.augment).toEqual(medMnistRecipe('breastmnist').augment);
    for (const value of [result.auc, result.acc, result.ece, result.eceBeforeCalibration]) {
      expect(value).not.toBeNull();
      expect(Number.isFinite(value)).toBe(true);
    }
  });

  it('refuses an upsampling factor that is not a positive integer', async () => {
    await expect(fitMedMnist(join(dir, 'toymnist.npz'), { upsample: 1.5, runDir: join(dir, 'bad') })).rejects.toThrow('upsample must be an integer ≥ 1; got 1.5');
  });
});

describe('upsampleSet', () => {
  it('enlarges bilinearly with pixel centres aligned, scaling uint8 images to 0..1', () => {
    const set = { images: Uint8Array.of(0, 255, 255, 0), shape: [1, 2, 2, 1] as [number, number, number, number], labels: Int32Array.of(0) };
    const big = upsampleSet(set, 2);
    expect(big.shape).toEqual([1, 4, 4, 1]);
    const row = (y: number) => Array.from(big.images.subarray(y * 4, y * 4 + 4), (v) => Number(v.toFixed(4)));
    expect(row(0)).toEqual([0, 0.25, 0.75, 1]);
    expect(row(1)).toEqual([0.25, 0.375, 0.625, 0.75]);
    expect(row(3)).toEqual([1, 0.75, 0.25, 0]);
  });
});
