import { SHARED_DATASETS } from '../shared-data.ts';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildManifestFromFilenames, labelIndices, readFolderDataset, readManifest } from '../../src/data/index.ts';
import { makeTempDir, writeSolidPng } from './fixtures.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await makeTempDir()));
afterEach(() => cleanup());

describe('readFolderDataset', () => {
  it('reads one class per subfolder, recursively, sorted, with the file stem as patient id', async () => {
    await writeSolidPng(path.join(dir, 'positive', 'b.png'));
    await writeSolidPng(path.join(dir, 'positive', 'nested', 'a.PNG'));
    await writeSolidPng(path.join(dir, 'negative', 'c.png'));
    await writeFile(path.join(dir, 'negative', 'notes.txt'), 'not an image');
    await writeFile(path.join(dir, 'README.txt'), 'ignored');
    const dataset = await readFolderDataset(dir);
    expect(dataset.root).toBe(dir);
    expect(dataset.classes).toEqual(['negative', 'positive']);
    expect(dataset.samples.map((s) => [path.relative(dir, s.path), s.label, s.patientId])).toEqual([
      ['negative/c.png', 'negative', 'c'],
      ['positive/b.png', 'positive', 'b'],
      ['positive/nested/a.PNG', 'positive', 'a'],
    ]);
    expect(Array.from(labelIndices(dataset))).toEqual([0, 1, 1]);
  });

  it('explains a missing root, a root without class folders, an empty class and a single class', async () => {
    await expect(readFolderDataset(path.join(dir, 'nope'))).rejects.toThrow(`Dataset folder not found: ${path.join(dir, 'nope')}`);
    await expect(readFolderDataset(dir)).rejects.toThrow('No class folders');
    await writeSolidPng(path.join(dir, 'cats', 'x.png'));
    await expect(readFolderDataset(dir)).rejects.toThrow('Only one class folder ("cats")');
    await mkdir(path.join(dir, 'dogs'));
    await writeFile(path.join(dir, 'dogs', 'x.txt'), '');
    await expect(readFolderDataset(dir)).rejects.toThrow('Class folder "dogs"');
  });
});

describe('readManifest', () => {
  beforeEach(async () => {
    await writeSolidPng(path.join(dir, 'img', 'a.png'));
    await writeSolidPng(path.join(dir, 'img', 'b,1.png'));
    await writeSolidPng(path.join(dir, 'img', 'c.png'));
  });
  const write = (text: string, name = 'manifest.csv'): Promise<void> => writeFile(path.join(dir, name), text);

  it('reads required, optional and extra columns, with quoting, CRLF, a BOM and header case', async () => {
    await write(
      '\uFEFFPath,Label,patient_id,stain,Site\r\n' +
        'img/a.png,gram-,P1,crystal violet,ward 3\r\n' +
        '"img/b,1.png",gram+,P2,,"ICU, bed 2"\r\n' +
        `${path.join(dir, 'img', 'c.png')},gram+,P2,safranin,\r\n`,
    );
    const dataset = await readManifest(path.join(dir, 'manifest.csv'));
    expect(dataset.classes).toEqual(['gram+', 'gram-']);
    expect(dataset.root).toBe(dir);
    expect(dataset.samples).toEqual([
      { path: path.join(dir, 'img/a.png'), label: 'gram-', patientId: 'P1', stain: 'crystal violet', extra: { Site: 'ward 3' } },
      { path: path.join(dir, 'img/b,1.png'), label: 'gram+', patientId: 'P2', extra: { Site: 'ICU, bed 2' } },
      { path: path.join(dir, 'img/c.png'), label: 'gram+', patientId: 'P2', stain: 'safranin', extra: { Site: '' } },
    ]);
  });

  it('keeps a given class order and refuses unknown labels with the line number', async () => {
    await write('path,label,patient_id\nimg/a.png,neg,1\nimg/c.png,pos,2\n');
    const dataset = await readManifest(path.join(dir, 'manifest.csv'), { classes: ['pos', 'neg', 'other'] });
    expect(dataset.classes).toEqual(['pos', 'neg', 'other']);
    await expect(readManifest(path.join(dir, 'manifest.csv'), { classes: ['neg'] })).rejects.toThrow(
      'Manifest manifest.csv line 3: unknown label "pos" (classes: neg)',
    );
  });

  it('lists the columns it found when a required one is missing', async () => {
    await write('file,label,species\nimg/a.png,x,y\n');
    await expect(readManifest(path.join(dir, 'manifest.csv'))).rejects.toThrow(
      'Manifest manifest.csv is missing column(s) path, patient_id; found: file, label, species',
    );
  });

  it('refuses paths that leave the dataset folder', async () => {
    await write('path,label,patient_id\nimg/a.png,x,1\n../outside.png,y,2\n');
    await expect(readManifest(path.join(dir, 'manifest.csv'))).rejects.toThrow('line 3: path "../outside.png" is outside the dataset folder');
    await write('path,label,patient_id\nimg/a.png,x,1\n/etc/passwd,y,2\n');
    await expect(readManifest(path.join(dir, 'manifest.csv'))).rejects.toThrow('line 3: path "/etc/passwd" is outside');
    await write('path,label,patient_id\nimg/a.png,x,1\nimg/../../x.png,y,2\n');
    await expect(readManifest(path.join(dir, 'manifest.csv'))).rejects.toThrow('is outside the dataset folder');
 
    await writeSolidPng(path.join(dir, '..dotted.png'));
    await write('path,label,patient_id\nimg/a.png,x,1\n..dotted.png,y,2\n');
    expect((await readManifest(path.join(dir, 'manifest.csv'))).samples).toHaveLength(2);
  });

  it('accepts a manifest stored outside the dataset when the root is given', async () => {
    await mkdir(path.join(dir, 'runs'));
    await write('path,label,patient_id\n../img/a.png,x,1\n../img/c.png,y,2\n', 'runs/m.csv');
    await expect(readManifest(path.join(dir, 'runs', 'm.csv'))).rejects.toThrow('outside');
    const dataset = await readManifest(path.join(dir, 'runs', 'm.csv'), { root: dir });
    expect(dataset.samples.map((s) => s.path)).toEqual([path.join(dir, 'img/a.png'), path.join(dir, 'img/c.png')]);
  });

  it('names missing files, duplicate rows, ragged rows and empty fields', async () => {
    await write('path,label,patient_id\nimg/a.png,x,1\nimg/gone.png,y,2\nimg/gone2.png,y,3\n');
    await expect(readManifest(path.join(dir, 'manifest.csv'))).rejects.toThrow(
      'Manifest manifest.csv: 2 listed file(s) do not exist, e.g. line 3: img/gone.png; line 4: img/gone2.png',
    );
    await write('path,label,patient_id\nimg/a.png,x,1\nimg/./a.png,y,2\n');
    await expect(readManifest(path.join(dir, 'manifest.csv'))).rejects.toThrow('line 3: "img/./a.png" is already listed on line 2');
    await write('path,label,patient_id\nimg/a.png,x\n');
    await expect(readManifest(path.join(dir, 'manifest.csv'))).rejects.toThrow('line 2: 2 fields, but the header has 3');
    await write('path,label,patient_id\nimg/a.png,x, \n');
    await expect(readManifest(path.join(dir, 'manifest.csv'))).rejects.toThrow('line 2: empty patient_id');
    await expect(readManifest(path.join(dir, 'none.csv'))).rejects.toThrow('Manifest not found');
  });
});

describe('buildManifestFromFilenames', () => {
  const pattern = /^[A-Za-z]+(?<specimen>\d{3})\d{2}\./;
  beforeEach(async () => {
    for (const name of ['Ecoli00201.JPG', 'Ecoli00202.JPG', 'Ecoli00301.JPG']) {
      await writeSolidPng(path.join(dir, 'Escherichia_coli', name));
    }
    for (const name of ['Paeruginosa00201.JPG', 'Paeruginosa00101.JPG']) {
      await writeSolidPng(path.join(dir, 'Pseudomonas_aeruginosa', name));
    }
  });

  it('derives specimen and class-scoped patient ids from file names', async () => {
    const dataset = await buildManifestFromFilenames(dir, { pattern });
    expect(dataset.classes).toEqual(['Escherichia_coli', 'Pseudomonas_aeruginosa']);
    expect(dataset.samples.map((s) => [path.basename(s.path), s.specimen, s.patientId])).toEqual([
      ['Ecoli00201.JPG', '002', 'Escherichia_coli/002'],
      ['Ecoli00202.JPG', '002', 'Escherichia_coli/002'],
      ['Ecoli00301.JPG', '003', 'Escherichia_coli/003'],
      ['Paeruginosa00101.JPG', '001', 'Pseudomonas_aeruginosa/001'],
      ['Paeruginosa00201.JPG', '002', 'Pseudomonas_aeruginosa/002'],
    ]);
    const global = await buildManifestFromFilenames(dir, { pattern: pattern.source, specimenScope: 'dataset' });
    expect(global.samples.map((s) => s.patientId)).toEqual(['002', '002', '003', '001', '002']);
  });

  it('writes a manifest that readManifest reads back identically', async () => {
    const output = path.join(dir, 'manifest.csv');
    const built = await buildManifestFromFilenames(dir, { pattern, output });
    expect((await readFile(output, 'utf8')).split('\n')[0]).toBe('path,label,patient_id,specimen');
    const reread = await readManifest(output);
    expect(reread.samples).toEqual(built.samples);
    expect(reread.classes).toEqual(built.classes);
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('lists unmatched file names unless told to skip them, and needs a specimen group', async () => {
    await writeSolidPng(path.join(dir, 'Escherichia_coli', 'Ecoli001.JPG'));
    await expect(buildManifestFromFilenames(dir, { pattern })).rejects.toThrow(
      `1 file name(s) in ${dir} do not match ${pattern}, e.g. Escherichia_coli/Ecoli001.JPG`,
    );
    const skipped = await buildManifestFromFilenames(dir, { pattern, unmatched: 'skip' });
    expect(skipped.samples).toHaveLength(5);
    await expect(buildManifestFromFilenames(dir, { pattern: /^(\d+)/ })).rejects.toThrow('needs a named group (?<specimen>...)');
  });
});

const gramstainr = path.join(SHARED_DATASETS, 'gramstainr');
describe.skipIf(!existsSync(gramstainr))('GramStainR (real data)', () => {
  it('clinical: 71 E. coli from 7 specimens and 26 P. aeruginosa from 3, as SOURCE.txt says', async () => {
    const dataset = await buildManifestFromFilenames(path.join(gramstainr, 'clinical'), { pattern: /^[A-Za-z]+(?<specimen>\d{3})\d{2}\./ });
    const patients = (label: string): number => new Set(dataset.samples.filter((s) => s.label === label).map((s) => s.patientId)).size;
    expect(dataset.samples.filter((s) => s.label === 'Escherichia_coli')).toHaveLength(71);
    expect(dataset.samples.filter((s) => s.label === 'Pseudomonas_aeruginosa')).toHaveLength(26);
    expect([patients('Escherichia_coli'), patients('Pseudomonas_aeruginosa')]).toEqual([7, 3]);
  });

  it('dibas reads as a folder dataset of three species', async () => {
    const dataset = await readFolderDataset(path.join(gramstainr, 'dibas'));
    expect(dataset.classes).toEqual(['Bacteroides_fragilis', 'Escherichia_coli', 'Pseudomonas_aeruginosa']);
    expect(dataset.samples).toHaveLength(63);
  });
});
