import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.ts';
import { writeSyntheticDataset } from '../../src/synth/index.ts';
import { createRng } from '../../src/util/index.ts';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t), signal: new AbortController().signal });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A folder-per-class tree of 12×12 PNGs: "dark" and "light" images, 6 patients each. */
async function writeFolderDataset(root: string, levels: Record<string, number> = { dark: 60, light: 190 }, seed = 5): Promise<void> {
  const rng = createRng(seed);
  for (const [label, level] of Object.entries(levels)) {
    await mkdir(join(root, label), { recursive: true });
    for (let i = 0; i < 18; i++) {
      const pixels = Buffer.from(Array.from({ length: 12 * 12 * 3 }, () => Math.max(0, Math.min(255, Math.round(level + 30 * rng.normal())))));
      await sharp(pixels, { raw: { width: 12, height: 12, channels: 3 } }).png().toFile(join(root, label, `p${i % 6}_${i}.png`));
    }
  }
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'gl-cli-'));
  await writeFolderDataset(join(root, 'data'));
});

describe('gramlens CLI', () => {
  it('lists the commands and shows help for each', async () => {
    const main = await cli('--help');
    expect(main.code).toBe(0);
    for (const command of ['demo', 'synth', 'manifest', 'train', 'evaluate', 'calibrate', 'predict', 'explain', 'export']) {
      expect(main.out).toContain(command);
      const help = await cli(command, '--help');
      expect(help.code).toBe(0);
      expect(help.out).toMatch(new RegExp(`^Usage: gramlens ${command}`));
    }
  });

  it("gives each command one summary: the command list's is the one its own help shows under the usage", async () => {
    const main = (await cli('--help')).out;
    const listed = [...main.matchAll(/^ {2}(\S+) {2,}(.+)$/gm)].map(([, name, summary]) => ({ name, summary }));
    expect(listed.map((command) => command.name)).toEqual(['demo', 'synth', 'manifest', 'train', 'evaluate', 'calibrate', 'predict', 'explain', 'serve', 'worker', 'export']);
    for (const { name, summary } of listed) {
      const paragraphs = (await cli(name, '--help')).out.split('\n\n');
      expect(paragraphs[0], name).toMatch(new RegExp(`^Usage: gramlens ${name}`));
      expect(paragraphs[1].toLowerCase(), name).toBe(`${summary.toLowerCase()}.`);
    }
  });

  it('answers mistakes with one clear line and a non-zero exit', async () => {
    expect(await cli('trian')).toMatchObject({ code: 2, err: expect.stringContaining('unknown command "trian"') });
    expect(await cli('train', join(root, 'data'))).toMatchObject({ code: 2, err: expect.stringContaining('--out RUN_DIR is required') });
    expect(await cli('train', join(root, 'data'), '--out', 'x', '--epochs', 'many')).toMatchObject({ code: 2, err: expect.stringContaining('--epochs must be an integer') });
    expect(await cli('train', join(root, 'data'), '--frobnicate')).toMatchObject({ code: 2, err: expect.stringContaining("Unknown option '--frobnicate'") });
    const missing = await cli('train', join(root, 'nope'), '--out', join(root, 'r'));
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('dataset not found');
    expect(missing.err).not.toMatch(/\n\s+at /);
  });

  it('demo trains on tiles cut from whole fields, stores the fitted field decision, its referral and the field signature, remakes a dataset made with other settings and refuses a folder that is not one', async () => {
    const out = join(root, 'demo');
    await writeSyntheticDataset(join(out, 'data'), { tiles: 100, seed: 5, tilesPerField: 4, fieldsPerPatient: 2 });
    const tiny = ['--out', out, '--splits', 'train=1,val=1,test=1', '--field-size', '400x300', '--train-field-size', '320x240', '--epochs', '1', '--size', '16', '--workers', '1'];
    const run = await cli('demo', ...tiny, '--real-photos', 'none', '--json');
    expect(run.code, run.err).toBe(0);
    expect(JSON.parse(await readFile(join(out, 'data', 'dataset.json'), 'utf8'))).toMatchObject({ generator: 'gramlens-field-tiles', options: { fieldWidth: 400, fieldsPerClass: { test: 1 } } });
    expect(JSON.parse(await readFile(join(out, 'data-train', 'dataset.json'), 'utf8'))).toMatchObject({ seed: 1, options: { fieldWidth: 320, fieldsPerClass: { train: { gnr: 1, polymicrobial: 2 } } } });
    const figures = JSON.parse(run.out.split('\n').at(-1)!);
    expect(figures.fields).toBe(9);
    for (const key of ['macro_f1', 'multiple_specificity', 'tile_macro_f1']) expect(typeof figures[key], key).toBe('number');
    expect(figures.real_photos).toBeNull();
    const metadata = JSON.parse(await readFile(join(figures.bundle, 'metadata.json'), 'utf8'));
    expect(metadata.fieldDecision).toEqual({
      ...figures.field_decision,
      groups: [expect.objectContaining({ name: 'GPC' }), { name: 'Gram-negative', members: ['gnr', 'gnc'] }],
      referral: figures.field_referral,
    });
    expect(metadata.ood.field).toMatchObject({ threshold: figures.field_signature_threshold, validation: { fields: expect.any(Number) } });
    expect(metadata.ood.field.threshold).toBeGreaterThan(0);
    expect(figures.field_referral.minEvidenceShare).toBeGreaterThan(0);
    const made = await Promise.all(['data', 'data-train'].map(async (dir) => (await stat(join(out, dir, 'manifest.csv'))).mtimeMs));
    // Real photos of Gram-negative rods stand in as two of the demo's own test fields in a species folder.
    const real = join(root, 'real-photos');
    await mkdir(join(real, 'Escherichia_coli'), { recursive: true });
    const fieldPhotos = (await readdir(join(out, 'data', 'fields'))).filter((name) => name.endsWith('.jpg')).slice(0, 2);
    for (const name of fieldPhotos) await writeFile(join(real, 'Escherichia_coli', name), await readFile(join(out, 'data', 'fields', name)));
    const again = await cli('demo', ...tiny, '--real-photos', real, '--json');
    expect(again.code, again.err).toBe(0);
    const withReal = JSON.parse(again.out.split('\n').at(-1)!).real_photos;
    expect(withReal.photos).toBe(2);
    expect(Object.values(withReal.answers as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(2);
    expect(again.out).toContain('Real photos of Gram-negative rods (2,');
    expect(await Promise.all(['data', 'data-train'].map(async (dir) => (await stat(join(out, dir, 'manifest.csv'))).mtimeMs))).toEqual(made);

    const foreign = join(root, 'demo-foreign');
    await mkdir(join(foreign, 'data'), { recursive: true });
    await writeFile(join(foreign, 'data', 'notes.txt'), 'mine');
    const refused = await cli('demo', '--out', foreign, '--epochs', '1');
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('is not a synthetic dataset');
    expect(await readFile(join(foreign, 'data', 'notes.txt'), 'utf8')).toBe('mine');
    expect(await cli('demo', '--splits', 'train=2,val=1')).toMatchObject({ code: 2, err: expect.stringContaining('--splits must give train, val and test') });
  }, 240_000);

  it('refuses a dataset with a single class', async () => {
    const single = join(root, 'single');
    await mkdir(join(single, 'only'), { recursive: true });
    await sharp({ create: { width: 4, height: 4, channels: 3, background: 'red' } }).png().toFile(join(single, 'only', 'a.png'));
    const result = await cli('train', single, '--out', join(root, 'r1'), '--backend', 'cpu');
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/class/i);
  });

  it('trains, predicts, evaluates and exports a model from a class-folder dataset', async () => {
    const run = join(root, 'run');
    const trained = await cli('train', join(root, 'data'), '--out', run, '--size', '12', '--model', 'seed-cnn', '--width', '4', '--epochs', '4', '--batch', '8', '--lr', '0.01', '--augment', 'none', '--backend', 'cpu', '--json');
    expect(trained.code, trained.err).toBe(0);
    const report = JSON.parse(trained.out);
    expect(report.classNames).toEqual(['dark', 'light']);
    expect(report.accuracy.value).toBeGreaterThan(0.8);

    const predicted = await cli('predict', join(run, 'model'), join(root, 'data', 'light'), '--json');
    expect(predicted.code, predicted.err).toBe(0);
    const predictions = JSON.parse(predicted.out);
    expect(predictions).toHaveLength(18);
    expect(predictions.filter((p: { top: { label: string } }) => p.top.label === 'light').length).toBeGreaterThan(14);

    const trainReport = await readFile(join(run, 'report', 'report.html'), 'utf8');
    expect(trainReport).toContain('What the model looked at');
    const evaluated = await cli('evaluate', join(run, 'model'), join(root, 'data'), '--json', '--report', join(root, 'evaluation'));
    expect(evaluated.code, evaluated.err).toBe(0);
    expect(JSON.parse(evaluated.out).sampleCount).toBe(36);
    const html = await readFile(join(root, 'evaluation', 'report.html'), 'utf8');
    expect(html).toContain('dark');
    expect(html).not.toMatch(/src="https?:/);

    const explained = await cli('explain', join(run, 'model'), join(root, 'data', 'dark', 'p0_0.png'), '--out', join(root, 'cams'), '--method', 'gradcam++', '--backend', 'cpu');
    expect(explained.code, explained.err).toBe(0);
    const cam = JSON.parse(await readFile(join(root, 'cams', 'p0_0.cam.json'), 'utf8'));
    expect(cam.method).toBe('gradcam++');
    expect(cam.map.values.length).toBe(cam.map.width * cam.map.height);
    expect((await sharp(join(root, 'cams', 'p0_0.cam.png')).metadata()).width).toBe(12);
    const badClass = await cli('explain', join(run, 'model'), join(root, 'data', 'dark', 'p0_0.png'), '--out', join(root, 'cams'), '--class', 'grey', '--backend', 'cpu');
    expect(badClass.err).toContain('unknown class "grey"; valid classes: 0 (dark), 1 (light)');

    const exported = await cli('export', join(run, 'model'), '--out', join(root, 'm.onnx'), '--backend', 'cpu');
    expect(exported.code, exported.err).toBe(0);
    expect(exported.err).toContain('m.onnx');
  });

  it('evaluates a manifest with images labelled only with a label-tree group, leaving them out of the per-class metrics', async () => {
    const tree = join(root, 'tree.json');
    await writeFile(tree, JSON.stringify([{ name: 'any_tone', children: [{ name: 'dark' }, { name: 'light' }] }]));
    const run = join(root, 'tree-run');
    const trained = await cli('train', join(root, 'data'), '--label-tree', tree, '--out', run, '--size', '12', '--model', 'seed-cnn', '--width', '4', '--epochs', '2', '--batch', '8', '--augment', 'none', '--workers', '1', '--backend', 'cpu', '--json');
    expect(trained.code, trained.err).toBe(0);
    const rows = ['path,label,patient_id'];
    for (const label of ['dark', 'light']) for (let i = 0; i < 18; i++) rows.push(`${label}/p${i % 6}_${i}.png,${i < 3 ? 'any_tone' : label},p${i % 6}`);
    const manifest = join(root, 'data', 'tree-manifest.csv');
    await writeFile(manifest, `${rows.join('\n')}\n`);
    const evaluated = await cli('evaluate', join(run, 'model'), manifest, '--json');
    expect(evaluated.code, evaluated.err).toBe(0);
    expect(JSON.parse(evaluated.out).sampleCount).toBe(30);
  });

  it('recalibrates a bundle on a site whose images it is less sure of, keeps the old calibration and restores it', async () => {
    const run = join(root, 'calibrate-run');
    const trained = await cli('train', join(root, 'data'), '--out', run, '--size', '12', '--model', 'seed-cnn', '--width', '4', '--epochs', '4', '--batch', '8', '--lr', '0.01', '--augment', 'none', '--workers', '1', '--backend', 'cpu');
    expect(trained.code, trained.err).toBe(0);
    const bundle = join(run, 'model');
    const metadataPath = join(bundle, 'metadata.json');
    const before = await readFile(metadataPath, 'utf8');
    // The same two classes, closer together and noisier: a shifted site.
    await writeFolderDataset(join(root, 'site'), { dark: 122, light: 132 }, 9);

    const dry = await cli('calibrate', bundle, join(root, 'site'), '--dry-run', '--json');
    expect(dry.code, dry.err).toBe(0);
    expect(dry.err).toContain('warning: 36 images give a noisy temperature');
    const measured = JSON.parse(dry.out);
    expect(measured).toMatchObject({ images: 36, patients: 18, folds: 5, written: false });
    expect(measured.current.temperature).toBe(JSON.parse(before).temperature);
    expect(measured.choice.temperature).toBeGreaterThan(0);
    expect(await readFile(metadataPath, 'utf8')).toBe(before);

    const written = await cli('calibrate', bundle, join(root, 'site'));
    expect(written.code, written.err).toBe(0);
    expect(written.out).toMatch(/36 images of 18 patients; accuracy \d+\.\d%/);
    expect(written.out).toMatch(/ECE +\d+\.\d% +\d+\.\d%/);
    expect(written.out).toContain('--restore brings it back');
    expect(written.out).toMatch(/uncertain: refer below (\d\.\d{3} \(\d+\.\d% of these images\)|1 \(every image)/);
    const metadata = JSON.parse(await readFile(metadataPath, 'utf8'));
    expect(metadata.temperature).toBeCloseTo(measured.choice.temperature, 10);
    expect(metadata.calibration).toMatchObject({ source: 'site', dataset: join(root, 'site'), images: 36, patients: 18 });
    expect(metadata.calibrationHistory).toHaveLength(1);
    expect(metadata.calibrationHistory[0].temperature).toBe(JSON.parse(before).temperature);

    const predicted = await cli('predict', bundle, join(root, 'site', 'dark', 'p0_0.png'), '--json');
    expect(predicted.code, predicted.err).toBe(0);
    const evaluated = await cli('evaluate', bundle, join(root, 'site'), '--json');
    expect(evaluated.code, evaluated.err).toBe(0);
    expect(evaluated.err).toContain('warning: the bundle was recalibrated on this dataset');

    // Grouped by the specimen in the file name (p<specimen>_<n>.png) instead of one patient per file name.
    const bySpecimen = await cli('calibrate', bundle, join(root, 'site'), '--specimen-pattern', '^p(?<specimen>\\d)_', '--dry-run', '--json');
    expect(bySpecimen.code, bySpecimen.err).toBe(0);
    expect(JSON.parse(bySpecimen.out)).toMatchObject({ images: 36, patients: 12 });

    const restored = await cli('calibrate', bundle, '--restore');
    expect(restored.code, restored.err).toBe(0);
    expect(restored.err).toContain('restored the calibration from the validation split');
    expect(JSON.parse(await readFile(metadataPath, 'utf8')).temperature).toBe(JSON.parse(before).temperature);
    expect(await cli('calibrate', bundle, '--restore')).toMatchObject({ code: 1, err: expect.stringContaining('has no earlier calibration to restore') });

    await writeFolderDataset(join(root, 'odd-site'), { dark: 60, grey: 120 }, 3);
    expect(await cli('calibrate', bundle, join(root, 'odd-site'))).toMatchObject({ code: 1, err: expect.stringContaining('classes the model does not know: grey') });
    expect(await cli('calibrate', bundle, join(root, 'site'), '--target-accuracy', '2')).toMatchObject({ code: 2, err: expect.stringContaining('--target-accuracy must be in (0, 1]') });
    expect(await cli('calibrate', bundle)).toMatchObject({ code: 2, err: expect.stringContaining('give a model bundle and one labelled dataset') });
  });

  it('writes a manifest grouping images by the specimen named in their file names', async () => {
    const data = join(root, 'specimens');
    await writeFolderDataset(data, { dark: 60, light: 190 }, 4);
    const written = await cli('manifest', data, '--specimen-pattern', '^p(?<specimen>\\d)_');
    expect(written.code, written.err).toBe(0);
    expect(written.out).toBe(join(data, 'manifest.csv'));
    expect(written.err).toMatch(/dark +18 images from 6 specimens/);
    const lines = (await readFile(join(data, 'manifest.csv'), 'utf8')).trim().split(/\r?\n/);
    expect(lines[0]).toBe('path,label,patient_id,specimen');
    expect(lines).toContain('dark/p3_9.png,dark,dark/3,3');
    expect(lines).toHaveLength(37);
    const trained = await cli('train', join(data, 'manifest.csv'), '--out', join(root, 'specimen-run'), '--size', '12', '--model', 'seed-cnn', '--width', '4', '--epochs', '1', '--batch', '8', '--augment', 'none', '--workers', '1', '--backend', 'cpu', '--json');
    expect(trained.code, trained.err).toBe(0);

    await writeFile(join(data, 'dark', 'stray.png'), await readFile(join(data, 'dark', 'p0_0.png')));
    expect(await cli('manifest', data, '--specimen-pattern', '^p(?<specimen>\\d)_')).toMatchObject({ code: 1, err: expect.stringContaining('do not match') });
    expect((await cli('manifest', data, '--specimen-pattern', '^p(?<specimen>\\d)_', '--skip-unmatched')).code).toBe(0);
    expect(await cli('manifest', data, '--specimen-pattern', '^p(\\d)_')).toMatchObject({ code: 2, err: expect.stringContaining('needs a named group (?<specimen>...)') });
    expect(await cli('manifest', data, '--specimen-pattern', '(?<specimen>[')).toMatchObject({ code: 2, err: expect.stringContaining('not a valid regular expression') });
    expect(await cli('manifest', data, '--specimen-pattern', '^p(?<specimen>\\d)_', '--out', join(root, 'elsewhere', 'm.csv'))).toMatchObject({ code: 2, err: expect.stringContaining('write it in') });
    const tree = join(root, 'specimen-tree.json');
    await writeFile(tree, JSON.stringify([{ name: 'any_tone', children: [{ name: 'dark' }, { name: 'light' }] }]));
    expect(await cli('train', data, '--out', join(root, 'x'), '--specimen-pattern', '^p(?<specimen>\\d)_', '--label-tree', tree)).toMatchObject({ code: 2, err: expect.stringContaining('do not combine') });
    expect(await cli('evaluate', join(root, 'specimen-run', 'model'), join(data, 'manifest.csv'), '--specimen-pattern', '^p(?<specimen>\\d)_')).toMatchObject({ code: 2, err: expect.stringContaining('reads class-folder trees') });
  });

  it('cross-validates by patient with --folds', async () => {
    const result = await cli('train', join(root, 'data'), '--out', join(root, 'cv'), '--folds', '3', '--size', '12', '--model', 'seed-cnn', '--width', '4', '--epochs', '2', '--batch', '8', '--augment', 'none', '--workers', '1', '--backend', 'cpu', '--json');
    expect(result.code, result.err).toBe(0);
    const { folds, summary } = JSON.parse(result.out);
    expect(folds).toHaveLength(3);
    expect(summary.accuracy.mean).toBeGreaterThan(0.5);
    expect(existsSync(join(root, 'cv', 'crossval.json'))).toBe(true);
    expect(existsSync(join(root, 'cv', 'report.html'))).toBe(true);
    expect((await cli('train', join(root, 'data'), '--out', join(root, 'cv'), '--folds', '1')).err).toContain('--folds must be an integer ≥ 2');
    expect((await cli('train', join(root, 'data'), '--out', join(root, 'cv'), '--train-only', join(root, 'data'))).err).toContain('--train-only goes with --folds');
  });

  it('trains on the split a manifest column gives (fixed folds), refusing a column that is not a split', async () => {
    const data = join(root, 'data');
    // Patients p0-p3 train, p4 validates, p5 is the test part, in both classes.
    const rows = ['dark', 'light'].flatMap((label) => Array.from({ length: 18 }, (_, i) => ({ path: `${label}/p${i % 6}_${i}.png`, label, patient: `${label}-p${i % 6}`, split: ['train', 'train', 'train', 'train', 'Val', 'test'][i % 6] })));
    const manifest = (column: (row: (typeof rows)[number]) => string) => ['path,label,patient_id,fold', ...rows.map((row) => `${row.path},${row.label},${row.patient},${column(row)}`)].join('\n');
    await writeFile(join(data, 'fixed-split.csv'), manifest((row) => row.split));
    const run = join(root, 'split-run');
    const trained = await cli('train', join(data, 'fixed-split.csv'), '--split-column', 'fold', '--out', run, '--size', '12', '--model', 'seed-cnn', '--width', '4', '--epochs', '1', '--batch', '8', '--augment', 'none', '--workers', '1', '--backend', 'cpu');
    expect(trained.code, trained.err).toBe(0);
    const record = JSON.parse(await readFile(join(run, 'run.json'), 'utf8'));
    expect(record.splits).toEqual({ train: 24, val: 6, test: 6 });

    await writeFile(join(data, 'bad-split.csv'), manifest((row) => (row.patient === 'dark-p5' ? 'holdout' : row.split)));
    expect((await cli('train', join(data, 'bad-split.csv'), '--split-column', 'fold', '--out', join(root, 'x'))).err).toMatch(/has fold "holdout"; use train, val or test/);
    await writeFile(join(data, 'leaky-split.csv'), manifest((row) => (row.path.endsWith('_11.png') ? 'train' : row.split)));
    expect((await cli('train', join(data, 'leaky-split.csv'), '--split-column', 'fold', '--out', join(root, 'x'))).err).toContain('--split-column: Patient "dark-p5" is in both');
    expect((await cli('train', join(data, 'fixed-split.csv'), '--split-column', 'part', '--out', join(root, 'x'))).err).toContain('the dataset has no column "part"');
    expect((await cli('train', join(data, 'fixed-split.csv'), '--split-column', 'fold', '--folds', '3', '--out', join(root, 'x'))).err).toContain('--split-column and --folds do not combine');
  });

  it('predict reports a non-image file clearly', async () => {
    await writeFile(join(root, 'note.png'), 'hello');
    const run = join(root, 'run');
    const result = await cli('predict', join(run, 'model'), join(root, 'note.png'));
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/none of the 1 images could be read \(first problem: .*note\.png: /);
  });

  it('predict skips unreadable images in a folder, names them and counts them (--strict stops at the first)', async () => {
    const mixed = join(root, 'mixed');
    await mkdir(mixed, { recursive: true });
    for (let i = 0; i < 20; i++) await sharp({ create: { width: 12, height: 12, channels: 3, background: { r: 10 * i, g: 60, b: 90 } } }).png().toFile(join(mixed, `good-${String(i).padStart(2, '0')}.png`));
    const good = await readFile(join(mixed, 'good-00.png'));
    await writeFile(join(mixed, 'bad-text.png'), 'not an image');
    await writeFile(join(mixed, 'bad-truncated.png'), good.subarray(0, 40));
    await writeFile(join(mixed, 'bad-empty.jpg'), '');
    const model = join(root, 'run', 'model');
    const result = await cli('predict', model, mixed, '--json');
    expect(result.code, result.err).toBe(0);
    expect(JSON.parse(result.out).map((p: { source: string }) => p.source.split('/').at(-1))).toEqual(Array.from({ length: 20 }, (_, i) => `good-${String(i).padStart(2, '0')}.png`));
    for (const name of ['bad-text.png', 'bad-truncated.png', 'bad-empty.jpg']) expect(result.err).toMatch(new RegExp(`skipped .*${name}: `));
    expect(result.err).toContain('skipped 3 unreadable image(s) of 23; --strict makes this an error');

    const strict = await cli('predict', model, mixed, '--strict');
    expect(strict.code).toBe(1);
    expect(strict.err).toMatch(/bad-empty\.jpg: .*--strict stops at the first unreadable image/);
  });

  it('train refuses an --out that is an existing file before reading anything', async () => {
    const file = join(root, 'a-file.txt');
    await writeFile(file, 'keep me');
    const result = await cli('train', join(root, 'data'), '--out', file);
    expect(result.code).toBe(2);
    expect(result.err.split('\n')[0]).toBe(`gramlens train: --out ${file} is a file; give a folder for the run (it is created if missing)`);
    expect(await readFile(file, 'utf8')).toBe('keep me');
  });
});
