import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLASS_IDS,
  DEFAULT_DIFFICULTY,
  MANIFEST_COLUMNS,
  MASK_LABELS,
  SYNTH_FORMAT_VERSION,
  isOrganismMaskValue,
  resolvePrevalence,
  syntheticDatasetStatus,
  writeSyntheticDataset,
  type SyntheticDatasetOptions,
} from '../../src/synth/index.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'gramlens-synth-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const small: SyntheticDatasetOptions = {
  tiles: 90,
  fields: 2,
  tileSize: 48,
  fieldWidth: 240,
  fieldHeight: 180,
  seed: 3,
  tilesPerField: 4,
  fieldsPerPatient: 2,
  tileMasks: true,
};

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : Promise.resolve([`${prefix}${e.name}`]))),
  );
  return nested.flat().sort();
}

function parseManifest(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trim().split('\n');
  const columns = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [columns[i], v])));
}

describe('writeSyntheticDataset', () => {
  it('writes folder-per-class tiles, a manifest, fields with annotations and dataset.json', async () => {
    const out = path.join(root, 'a');
    const progress: [number, number][] = [];
    const summary = await writeSyntheticDataset(out, small, (done, total) => progress.push([done, total]));
    expect(summary).toMatchObject({ tiles: 90, fields: 2 });
    expect(progress.at(-1)).toEqual([92, 92]);
    expect(progress.map(([d]) => d)).toEqual(Array.from({ length: 92 }, (_, i) => i + 1));

    const manifest = await readFile(path.join(out, 'manifest.csv'), 'utf8');
    expect(manifest.split('\n')[0]).toBe(MANIFEST_COLUMNS.join(','));
    expect(MANIFEST_COLUMNS).toEqual(['path', 'label', 'patient_id', 'field_id', 'specimen', 'stain', 'device']);
    const rows = parseManifest(manifest);
    expect(rows).toHaveLength(90);
    for (const row of rows) {
      expect(row.path).toMatch(new RegExp(`^tiles/${row.label}/t\\d{7}\\.png$`));
      expect(CLASS_IDS).toContain(row.label);
      expect(row.patient_id).toMatch(/^p\d{5}$/);
      expect(row.field_id).toMatch(/^f\d{6}$/);
      expect(['good', 'over_decolorised', 'under_decolorised', 'thick']).toContain(row.stain);
      expect(row.device).toMatch(/^phone-[a-h]$/);
    }
    const tileFiles = (await listFiles(out)).filter((f) => f.startsWith('tiles/'));
    expect(tileFiles).toEqual(rows.map((r) => r.path).sort());

    // A field's tiles share a patient and a label; a patient has one label.
    const byField = new Map<string, Set<string>>();
    const byPatient = new Map<string, Set<string>>();
    for (const r of rows) {
      byField.set(r.field_id, (byField.get(r.field_id) ?? new Set()).add(`${r.patient_id}/${r.label}`));
      byPatient.set(r.patient_id, (byPatient.get(r.patient_id) ?? new Set()).add(r.label));
    }
    expect([...byField.values()].every((s) => s.size === 1)).toBe(true);
    expect([...byPatient.values()].every((s) => s.size === 1)).toBe(true);
    expect(Math.max(...[...byField.keys()].map((f) => rows.filter((r) => r.field_id === f).length))).toBeLessThanOrEqual(4);

    const meta = await sharp(path.join(out, rows[0].path)).metadata();
    // Lossless RGB: a palette PNG would quantise and dither the stain colours.
    expect([meta.width, meta.height, meta.channels, meta.format, meta.isPalette]).toEqual([48, 48, 3, 'png', false]);
    const maskFiles = (await listFiles(out)).filter((f) => f.startsWith('masks/'));
    expect(maskFiles).toEqual(tileFiles.map((f) => f.replace(/^tiles\//, 'masks/')));
    const gnrRow = rows.find((r) => r.label === 'gnr')!;
    expect((await sharp(path.join(out, maskFiles[0])).metadata()).channels).toBe(1);
    const gnrMask = await sharp(path.join(out, gnrRow.path.replace(/^tiles\//, 'masks/'))).extractChannel(0).raw().toBuffer();
    expect(gnrMask.length).toBe(48 * 48);
    expect(gnrMask.includes(5)).toBe(true);

    const fields = parseManifest(await readFile(path.join(out, 'fields.csv'), 'utf8'));
    expect(fields).toHaveLength(2);
    for (const f of fields) {
      expect(f.path).toMatch(/^fields\/f\d{6}\.jpg$/);
      const annotation = JSON.parse(await readFile(path.join(out, f.path.replace('.jpg', '.json')), 'utf8'));
      expect(annotation).toMatchObject({ field_id: f.field_id, patient_id: f.patient_id, label: f.label, width: 240, height: 180 });
      expect(Array.isArray(annotation.objects)).toBe(true);
      const mask = await sharp(path.join(out, f.path.replace('.jpg', '.mask.png'))).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      expect([mask.info.width, mask.info.height, mask.info.channels]).toEqual([240, 180, 1]);
      expect(Math.max(...mask.data)).toBeLessThan(MASK_LABELS.length);
      if (f.label !== 'no_bacteria') expect([...mask.data].some(isOrganismMaskValue)).toBe(true);
    }
    expect(new Set(fields.map((f) => f.patient_id)).size).toBeGreaterThanOrEqual(1);
    expect(fields.every((f) => !rows.some((r) => r.patient_id === f.patient_id))).toBe(true);

    const description = JSON.parse(await readFile(path.join(out, 'dataset.json'), 'utf8'));
    expect(description).toMatchObject({ generator: 'gramlens-synth', seed: 3, classes: [...CLASS_IDS] });
    expect(description.options).toMatchObject({ tiles: 90, fields: 2, tileSize: 48, pxPerUm: 9 });
    expect(description.difficulty).toEqual(DEFAULT_DIFFICULTY);
  });

  it('is byte-identical for the same seed and differs for another seed', async () => {
    const opts = { ...small, fields: 1 };
    await writeSyntheticDataset(path.join(root, 'b1'), opts);
    await writeSyntheticDataset(path.join(root, 'b2'), opts);
    await writeSyntheticDataset(path.join(root, 'b3'), { ...opts, seed: 4 });
    const files = await listFiles(path.join(root, 'b1'));
    expect(await listFiles(path.join(root, 'b2'))).toEqual(files);
    for (const f of files) {
      const [x, y] = await Promise.all([readFile(path.join(root, 'b1', f)), readFile(path.join(root, 'b2', f))]);
      expect(x.equals(y), f).toBe(true);
    }
    const manifest1 = await readFile(path.join(root, 'b1', 'manifest.csv'), 'utf8');
    expect(await readFile(path.join(root, 'b3', 'manifest.csv'), 'utf8')).not.toBe(manifest1);
  });

  it('follows the configured prevalence, clinical by default and balanced on request', async () => {
    const countLabels = async (dir: string) => {
      const rows = parseManifest(await readFile(path.join(dir, 'manifest.csv'), 'utf8'));
      return Object.fromEntries(CLASS_IDS.map((id) => [id, rows.filter((r) => r.label === id).length]));
    };
    await writeSyntheticDataset(path.join(root, 'c1'), { tiles: 200, tileSize: 8, seed: 1 });
    await writeSyntheticDataset(path.join(root, 'c2'), { tiles: 180, tileSize: 8, seed: 1, prevalence: 'balanced' });
    await writeSyntheticDataset(path.join(root, 'c3'), { tiles: 100, tileSize: 8, seed: 1, prevalence: { gnr: 3, yeast: 1 } });
    const clinical = resolvePrevalence('clinical');
    const c1 = await countLabels(path.join(root, 'c1'));
    for (const id of CLASS_IDS) expect(Math.abs(c1[id] - 200 * clinical[id])).toBeLessThanOrEqual(1);
    expect(Object.values(await countLabels(path.join(root, 'c2')))).toEqual(Array(9).fill(20));
    expect(await countLabels(path.join(root, 'c3'))).toMatchObject({ gnr: 75, yeast: 25, gpc_clusters: 0 });
  });

  it('refuses to overwrite unless asked, and replaces the folder when asked', async () => {
    const out = path.join(root, 'd');
    await writeSyntheticDataset(out, { tiles: 9, tileSize: 8, prevalence: 'balanced' });
    await expect(writeSyntheticDataset(out, { tiles: 9, tileSize: 8 })).rejects.toThrow(/already exists \(pass overwrite: true/);
    await writeSyntheticDataset(out, { tiles: 4, tileSize: 8, overwrite: true, prevalence: { gnr: 1 } });
    expect(parseManifest(await readFile(path.join(out, 'manifest.csv'), 'utf8'))).toHaveLength(4);
    expect((await readdir(root)).filter((f) => f.includes('.partial-'))).toEqual([]);
  });

  it('tells whether a folder holds the dataset it would write again, and refuses anything but a synthetic dataset', async () => {
    const out = path.join(root, 'g');
    const options = { tiles: 9, tileSize: 8, seed: 2 };
    expect(await syntheticDatasetStatus(out, options)).toBe('missing');
    await writeSyntheticDataset(out, options);
    expect(await syntheticDatasetStatus(out, options)).toBe('same');
    expect(await syntheticDatasetStatus(out, { ...options, tileSize: 9 })).toBe('different');
    expect(await syntheticDatasetStatus(out, { ...options, seed: 3 })).toBe('different');
    expect(await syntheticDatasetStatus(out, { ...options, tiles: 10 })).toBe('different');
    expect(await syntheticDatasetStatus(out, { ...options, prevalence: 'balanced' })).toBe('different');
    expect(await syntheticDatasetStatus(out, { ...options, difficulty: 'hard' })).toBe('different');

    const description = JSON.parse(await readFile(path.join(out, 'dataset.json'), 'utf8'));
    expect(description.version).toBe(SYNTH_FORMAT_VERSION);
    await writeFile(path.join(out, 'dataset.json'), JSON.stringify({ ...description, version: SYNTH_FORMAT_VERSION - 1 }));
    expect(await syntheticDatasetStatus(out, options)).toBe('different');

    // The other synthetic kind (tiles cut from whole fields) may be replaced; anything else may not.
    await writeFile(path.join(out, 'dataset.json'), JSON.stringify({ ...description, generator: 'gramlens-field-tiles' }));
    expect(await syntheticDatasetStatus(out, options)).toBe('different');
    const notOurs = /exists but is not a synthetic dataset/;
    await writeFile(path.join(out, 'dataset.json'), JSON.stringify({ ...description, generator: 'someone-else' }));
    await expect(syntheticDatasetStatus(out, options)).rejects.toThrow(notOurs);
    await writeFile(path.join(out, 'dataset.json'), '{ not json');
    await expect(syntheticDatasetStatus(out, options)).rejects.toThrow(notOurs);
    await rm(path.join(out, 'dataset.json'));
    await expect(syntheticDatasetStatus(out, options)).rejects.toThrow(notOurs);
  });

  it('leaves nothing that looks like a dataset when a run fails midway', async () => {
    const out = path.join(root, 'e');
    const failing = writeSyntheticDataset(out, { tiles: 40, tileSize: 8 }, (done) => {
      if (done === 10) throw new Error('disk full');
    });
    await expect(failing).rejects.toThrow('disk full');
    expect(existsSync(out)).toBe(false);
    expect((await readdir(root)).filter((f) => f.includes('.partial-'))).toEqual([]);
  });

  it('rejects bad options with clear one-line errors', async () => {
    const out = path.join(root, 'never');
    await expect(writeSyntheticDataset(out, { tiles: -1 })).rejects.toThrow(/tiles must be an integer between 0 and/);
    await expect(writeSyntheticDataset(out, { tiles: 10, fields: -2 })).rejects.toThrow(/fields must be an integer between 0 and/);
    await expect(writeSyntheticDataset(out, { tiles: 0 })).rejects.toThrow(/nothing to generate/);
    await expect(writeSyntheticDataset(out, { tiles: 10, tileSize: 0 })).rejects.toThrow(/tileSize must be a positive integer/);
    await expect(writeSyntheticDataset(out, { tiles: 10, prevalence: { staph: 1 } as never })).rejects.toThrow(/unknown class "staph"/);
    await expect(writeSyntheticDataset(out, { tiles: 10, seed: -1 })).rejects.toThrow(/seed must be an integer >= 0/);
    expect(existsSync(out)).toBe(false);
  });
});
