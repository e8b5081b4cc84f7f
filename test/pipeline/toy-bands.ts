import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { createRng } from '../../src/util/index.ts';

export const BAND_CLASSES = ['bright_top', 'bright_bottom', 'bright_left'];

export interface BandRow {
  file: string;
  label: string;
  patient: number;
}

/**
 * 16×16 noisy RGB images whose class is where a bright band lies, 8 patients × 3 images per class,
 * and a manifest (path,label,patient_id); `labelOf` may relabel a row, `extraRows` adds raw lines.
 */
export async function writeBandManifest(root: string, options: { seed: number; labelOf?: (row: BandRow) => string; extraRows?: string[] }): Promise<string> {
  const rng = createRng(options.seed);
  const rows = ['path,label,patient_id'];
  for (const [c, label] of BAND_CLASSES.entries()) {
    await mkdir(join(root, label), { recursive: true });
    for (let patient = 0; patient < 8; patient++) {
      for (let i = 0; i < 3; i++) {
        const pixels = Buffer.alloc(16 * 16 * 3);
        for (let y = 0; y < 16; y++) {
          for (let x = 0; x < 16; x++) {
            const band = c === 0 ? y < 6 : c === 1 ? y >= 10 : x < 6;
            const value = (band ? 200 : 60) + rng.normal() * 25;
            pixels.fill(Math.max(0, Math.min(255, Math.round(value))), (y * 16 + x) * 3, (y * 16 + x) * 3 + 3);
          }
        }
        const file = `${label}/${patient}-${i}.png`;
        await sharp(pixels, { raw: { width: 16, height: 16, channels: 3 } }).png().toFile(join(root, file));
        rows.push(`${file},${options.labelOf ? options.labelOf({ file, label, patient }) : label},${label}-p${patient}`);
      }
    }
  }
  rows.push(...(options.extraRows ?? []));
  await writeFile(join(root, 'manifest.csv'), `${rows.join('\n')}\n`);
  return join(root, 'manifest.csv');
}
