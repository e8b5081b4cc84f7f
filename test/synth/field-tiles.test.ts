import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../src/data/index.ts';
import { CLASS_IDS, MORPHOTYPES } from '../../src/synth/index.ts';
import { fieldTileDatasetStatus, morphotypePixels, tileLabelFromCounts, writeFieldTileDataset } from '../../src/synth/photos/index.ts';

describe('morphotypePixels and tileLabelFromCounts', () => {
  // 6 x 4 mask: gpc_clusters (1) in the top-left 2 x 2, gnr (5) at (4, 1), host cell (8) and debris (9) elsewhere.
  const mask = Uint8Array.from([1, 1, 0, 0, 0, 8, 1, 1, 0, 0, 5, 9, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0]);

  it('counts each morphotype inside the square, ignoring host cells and debris', () => {
    const all = morphotypePixels(mask, 6, 4, { x: 0, y: 0, size: 6 });
    expect(all).toEqual([4, 0, 0, 0, 1, 0, 0]);
    expect(morphotypePixels(mask, 6, 4, { x: 1, y: 1, size: 2 })).toEqual([1, 0, 0, 0, 0, 0, 0]);
    expect(morphotypePixels(mask, 6, 4, { x: 3.6, y: 0.6, size: 3 })).toEqual([0, 0, 0, 0, 1, 0, 0]);
    expect(() => morphotypePixels(mask, 5, 4, { x: 0, y: 0, size: 2 })).toThrow(/expected 5 x 4/);
  });

  it('labels by the morphotypes reaching the least pixel count', () => {
    const counts = (entries: Record<number, number>): number[] => MORPHOTYPES.map((_, i) => entries[i] ?? 0);
    expect(tileLabelFromCounts(counts({}), 10)).toBe('no_bacteria');
    expect(tileLabelFromCounts(counts({ 4: 9 }), 10)).toBe('no_bacteria');
    expect(tileLabelFromCounts(counts({ 4: 10, 0: 3 }), 10)).toBe('gnr');
    expect(tileLabelFromCounts(counts({ 4: 10, 6: 50 }), 10)).toBe('polymicrobial');
  });
});

describe('writeFieldTileDataset', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'gramlens-field-tiles-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const small = { fieldWidth: 400, fieldHeight: 320, tileSizePx: 32, tilePxPerUm: 6, seed: 5, backgroundKeepRate: 1 };

  it('cuts labelled tiles at the model scale from whole fields, with patient-disjoint splits and the photos', async () => {
    const out = path.join(root, 'a');
    const progress: number[] = [];
    const summary = await writeFieldTileDataset(out, { ...small, fieldsPerClass: { train: { gnr: 2, no_bacteria: 1 }, test: { polymicrobial: 1 } } }, (done) => progress.push(done));
    expect(progress).toEqual([1, 2, 3, 4]);
    expect(summary).toMatchObject({ fields: 4, patients: 3, fieldsPerSplit: { train: 3, test: 1 } });

    const tiles = await readManifest(path.join(out, 'manifest.csv'), { classes: CLASS_IDS });
    expect(tiles.samples.length).toBe(summary.tiles);
    const labels = new Set(tiles.samples.map((s) => s.label));
    expect(labels.has('gnr') && labels.has('no_bacteria')).toBe(true);
    for (const sample of tiles.samples) expect(['gnr', 'no_bacteria', ...MORPHOTYPES, 'polymicrobial']).toContain(sample.label);
    const first = await sharp(tiles.samples[0].path).metadata();
    expect([first.width, first.height, first.channels, first.isPalette]).toEqual([32, 32, 3, false]);

    const fields = await readManifest(path.join(out, 'fields.csv'), { classes: CLASS_IDS });
    expect(fields.samples.map((s) => s.label).sort()).toEqual(['gnr', 'gnr', 'no_bacteria', 'polymicrobial']);
    const splitOf = (patient: string): Set<string> => new Set(fields.samples.filter((s) => s.patientId === patient).map((s) => s.extra!.split));
    for (const sample of fields.samples) expect(splitOf(sample.patientId).size).toBe(1);
    expect((await stat(fields.samples[0].path)).size).toBeGreaterThan(1000);
    // The organism-free field gives only no_bacteria tiles (kept at rate 1 here).
    const emptyField = fields.samples.find((s) => s.label === 'no_bacteria')!.extra!.field_id;
    const emptyFieldTiles = tiles.samples.filter((s) => s.extra!.field_id === emptyField);
    expect(emptyFieldTiles.length).toBeGreaterThan(0);
    expect(emptyFieldTiles.every((s) => s.label === 'no_bacteria')).toBe(true);

    const description = JSON.parse(await readFile(path.join(out, 'dataset.json'), 'utf8'));
    expect(description).toMatchObject({ pxPerUm: 6, tileSize: 32, seed: 5 });
  });

  it('is reproducible from its seed, on worker threads too, and refuses to overwrite by default', async () => {
    const options = { ...small, fieldsPerClass: { train: { gpc_chains: 1, yeast: 1 } } };
    await writeFieldTileDataset(path.join(root, 'b'), options);
    await writeFieldTileDataset(path.join(root, 'c'), { ...options, workers: 2 });
    expect(await readFile(path.join(root, 'c', 'manifest.csv'), 'utf8')).toBe(await readFile(path.join(root, 'b', 'manifest.csv'), 'utf8'));
    await expect(writeFieldTileDataset(path.join(root, 'b'), options)).rejects.toThrow(/already exists/);
  });

  it('knows whether a folder holds the dataset the same options and seed would write, whatever the threads', async () => {
    const options = { ...small, fieldsPerClass: { train: { gpc_chains: 1, yeast: 1 } } };
    expect(await fieldTileDatasetStatus(path.join(root, 'none'), options)).toBe('missing');
    expect(await fieldTileDatasetStatus(path.join(root, 'b'), { ...options, workers: 2 })).toBe('same');
    expect(await fieldTileDatasetStatus(path.join(root, 'b'), { ...options, seed: 6 })).toBe('different');
    expect(await fieldTileDatasetStatus(path.join(root, 'b'), { ...options, maxTilesPerLabel: 3 })).toBe('different');
    expect(await fieldTileDatasetStatus(path.join(root, 'b'), { ...options, fieldsPerClass: { train: { gpc_chains: 2, yeast: 1 } } })).toBe('different');
    const description = path.join(root, 'b', 'dataset.json');
    const recorded = JSON.parse(await readFile(description, 'utf8'));
    await writeFile(description, JSON.stringify({ ...recorded, version: recorded.version - 1 }));
    expect(await fieldTileDatasetStatus(path.join(root, 'b'), options)).toBe('different');
    await writeFile(description, JSON.stringify({ generator: 'someone-else' }));
    await expect(fieldTileDatasetStatus(path.join(root, 'b'), options)).rejects.toThrow(/not a synthetic dataset/);
  });

  it('rejects bad options with one clear line', async () => {
    const out = path.join(root, 'bad');
    await expect(writeFieldTileDataset(out, { fieldsPerClass: { train: 0 } })).rejects.toThrow(/nothing to generate/);
    await expect(writeFieldTileDataset(out, { fieldsPerClass: { train: { gnr: 1.5 } } })).rejects.toThrow(/integers/);
    await expect(writeFieldTileDataset(out, { fieldsPerClass: { train: { rods: 1 } as never } })).rejects.toThrow(/unknown class "rods"/);
    await expect(writeFieldTileDataset(out, { fieldsPerClass: { train: 1 }, tilePxPerUm: 12 })).rejects.toThrow(/tilePxPerUm/);
    await expect(writeFieldTileDataset(out, { fieldsPerClass: { train: 1 }, backgroundKeepRate: 2 })).rejects.toThrow(/backgroundKeepRate/);
  });
});
