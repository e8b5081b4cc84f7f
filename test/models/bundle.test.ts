import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, loadBundleModel, modelVersionOf, readBundleMetadata, restoreBundleCalibration, saveBundle, updateBundleCalibration, type SaveBundleInput } from '../../src/models/index.ts';
import { writeDirAtomically } from '../../src/io/index.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function bundleInput(seed: number): SaveBundleInput {
  const model = buildModel('resnet-small', { inputShape: [12, 12, 3], numClasses: 3, width: 4, seed });
  return {
    model,
    metadata: {
      architecture: { name: 'resnet-small', width: 4, seed },
      classes: ['a', 'b', 'c'],
      input: { height: 12, width: 12, channels: 3, fit: 'cover', mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2] },
      temperature: 1,
    },
  };
}

describe('model bundle', () => {
  it('round-trips weights and metadata, predicting the same', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'gl-bundle-')), 'model');
    const input = bundleInput(3);
    // Give batch-norm statistics non-default values so that they are checked too.
    const weights = input.model.getWeights().map((w, i) => tf.add(w, (i % 3) * 0.01));
    input.model.setWeights(weights);
    await saveBundle(dir, input);
    const { model, metadata } = await loadBundleModel(dir);
    expect(metadata.classes).toEqual(['a', 'b', 'c']);
    const x = tf.randomUniform([2, 12, 12, 3], 0, 1, 'float32', 1);
    const expected = (input.model.predict(x) as tf.Tensor).arraySync() as number[][];
    const actual = (model.predict(x) as tf.Tensor).arraySync() as number[][];
    actual.flat().forEach((v, i) => expect(v).toBeCloseTo(expected.flat()[i], 6));
  });

  it('refuses a bundle of another version with a clear message', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'gl-bundle-')), 'model');
    await saveBundle(dir, bundleInput(1));
    const meta = JSON.parse(await readFile(join(dir, 'metadata.json'), 'utf8'));
    await writeFile(join(dir, 'metadata.json'), JSON.stringify({ ...meta, version: 99 }));
    await expect(readBundleMetadata(dir)).rejects.toThrow(/version 99; this gramlens reads version 1/);
    await expect(readBundleMetadata(join(dir, 'missing'))).rejects.toThrow(/not a gramlens model bundle/);
  });

  it('detects a truncated weight file', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'gl-bundle-')), 'model');
    await saveBundle(dir, bundleInput(1));
    const bytes = await readFile(join(dir, 'weights.bin'));
    await writeFile(join(dir, 'weights.bin'), bytes.subarray(0, bytes.length - 8));
    await expect(loadBundleModel(dir)).rejects.toThrow(/truncated or corrupt/);
  });

  it('keeps the previous bundle intact when a save fails midway', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'gl-bundle-')), 'model');
    await saveBundle(dir, bundleInput(1));
    const before = await readFile(join(dir, 'weights.bin'));
    await expect(
      writeDirAtomically(dir, async (temp) => {
        await writeFile(join(temp, 'weights.bin'), 'partial');
        throw new Error('ENOSPC: no space left on device');
      }),
    ).rejects.toThrow(/ENOSPC/);
    expect(Buffer.compare(await readFile(join(dir, 'weights.bin')), before)).toBe(0);
    await expect(loadBundleModel(dir)).resolves.toBeTruthy();
  });

  it('recalibrates without touching the weights, keeps each replaced calibration and restores it', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'gl-bundle-')), 'model');
    const input = bundleInput(4);
    input.metadata = { ...input.metadata, temperature: 1.5, referBelow: 0.6, operatingPoints: [{ class: 'a', threshold: 0.3, targetSensitivity: 0.95 }] };
    await saveBundle(dir, input);
    const weights = await readFile(join(dir, 'weights.bin'));
    const site = { source: 'site' as const, dataset: 'site.csv', images: 200, patients: 50, at: '2026-11-26T12:00:00.000Z' };

    const trained = await readBundleMetadata(dir);
    const updated = await updateBundleCalibration(dir, { temperature: 2.5, referBelow: 0.7, operatingPoints: [] }, site);
    expect(await readBundleMetadata(dir)).toEqual(updated);
    // The audit trail tells predictions before and after a recalibration apart.
    expect(modelVersionOf(trained)).toBe(`${trained.architecture.name}@${trained.createdAt}`);
    expect(modelVersionOf(updated)).toBe(`${modelVersionOf(trained)}+calibrated@2026-11-26T12:00:00.000Z`);
    expect(updated).toMatchObject({ temperature: 2.5, referBelow: 0.7, operatingPoints: [], calibration: site, classes: ['a', 'b', 'c'] });
    expect(updated.calibrationHistory).toEqual([
      { temperature: 1.5, referBelow: 0.6, operatingPoints: [{ class: 'a', threshold: 0.3, targetSensitivity: 0.95 }], calibration: { source: 'validation' }, replacedAt: expect.any(String) },
    ]);
    await updateBundleCalibration(dir, { temperature: 3, operatingPoints: [] }, { ...site, dataset: 'second.csv' });
    expect((await readBundleMetadata(dir)).calibrationHistory).toHaveLength(2);
    expect(Buffer.compare(await readFile(join(dir, 'weights.bin')), weights)).toBe(0);

    expect(await restoreBundleCalibration(dir)).toMatchObject({ temperature: 2.5, referBelow: 0.7, calibration: site });
    const original = await restoreBundleCalibration(dir);
    expect(original).toMatchObject({ temperature: 1.5, referBelow: 0.6, calibration: { source: 'validation' }, calibrationHistory: undefined });
    expect(modelVersionOf(original!)).toBe(modelVersionOf(trained));
    expect(await readBundleMetadata(dir)).toEqual(JSON.parse(JSON.stringify(original)));
    expect(await restoreBundleCalibration(dir)).toBeNull();
    await expect(loadBundleModel(dir)).resolves.toBeTruthy();
  });
});
