import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { csvRow } from '../../data/index.ts';
import { processPhoto } from '../../fields/index.ts';
import { createRng } from '../../util/index.ts';
import { MORPHOTYPES, generateField, type ClassId, type DifficultyOption, type Specimen, type SynthField } from '../index.ts';

/** One field of a field-tile dataset: everything needed to render and write it, in any thread. */
export interface FieldJob {
  split: string;
  label: ClassId;
  patientId: string;
  fieldId: string;
  specimen: Specimen;
  seed: number;
}

export interface FieldJobOptions {
  difficulty: DifficultyOption;
  fieldWidth: number;
  fieldHeight: number;
  fieldPxPerUm: number;
  tileSizePx: number;
  tilePxPerUm: number;
  overlap: number;
  minOrganismAreaUm2: number;
  backgroundKeepRate: number;
  maxTilesPerLabel: number;
}

export interface FieldOutcome {
  /** Manifest lines of the written tiles. */
  tileRows: string[];
  tileLabels: ClassId[];
  /** Tiles left out by backgroundKeepRate or maxTilesPerLabel. */
  dropped: number;
}

/** A square of the field in field pixels. */
export interface MaskRegion {
  x: number;
  y: number;
  size: number;
}

/** Mask pixels of each morphotype (MORPHOTYPES order) inside a square of the field. */
export function morphotypePixels(mask: Uint8Array, width: number, height: number, region: MaskRegion): number[] {
  if (mask.length !== width * height) throw new Error(`mask has ${mask.length} values, expected ${width} x ${height}`);
  const counts = new Array<number>(MORPHOTYPES.length).fill(0);
  const x0 = Math.max(0, Math.round(region.x));
  const y0 = Math.max(0, Math.round(region.y));
  const x1 = Math.min(width, Math.round(region.x + region.size));
  const y1 = Math.min(height, Math.round(region.y + region.size));
  for (let y = y0; y < y1; y++) {
    for (let i = y * width + x0, end = y * width + x1; i < end; i++) {
      const value = mask[i];
      if (value >= 1 && value <= MORPHOTYPES.length) counts[value - 1]++;
    }
  }
  return counts;
}

/** A tile's class from its morphotype pixel counts: none reaching minPixels → no_bacteria, one → it, more → polymicrobial. */
export function tileLabelFromCounts(counts: readonly number[], minPixels: number): ClassId {
  const present = MORPHOTYPES.filter((_, i) => counts[i] >= minPixels);
  if (present.length === 0) return 'no_bacteria';
  return present.length === 1 ? present[0] : 'polymicrobial';
}

function photoJpeg(field: SynthField): Promise<Buffer> {
  return sharp(Buffer.from(field.rgb.buffer, field.rgb.byteOffset, field.rgb.byteLength), { raw: { width: field.width, height: field.height, channels: 3 } })
    .jpeg({ quality: 95, chromaSubsampling: '4:4:4' })
    .toBuffer();
}

function tilePng(rgb: Float32Array, size: number): Promise<Buffer> {
  const bytes = Buffer.alloc(rgb.length);
  for (let i = 0; i < rgb.length; i++) bytes[i] = Math.round(Math.min(1, Math.max(0, rgb[i])) * 255);
  return sharp(bytes, { raw: { width: size, height: size, channels: 3 } }).png({ compressionLevel: 1, adaptiveFiltering: false }).toBuffer();
}

/**
 * Renders one field, writes its photo (fields/<id>.jpg under dir), cuts the decoded photo like an
 * inference photo and writes the kept, labelled tiles (tiles/<class>/<field>-<row>-<column>.png).
 */
export async function writeFieldJob(dir: string, job: FieldJob, o: FieldJobOptions): Promise<FieldOutcome> {
  const field = generateField({ specimen: job.specimen, seed: job.seed, pxPerUm: o.fieldPxPerUm, width: o.fieldWidth, height: o.fieldHeight, difficulty: o.difficulty });
  const jpeg = await photoJpeg(field);
  await writeFile(path.join(dir, 'fields', `${job.fieldId}.jpg`), jpeg);
  const photo = await processPhoto(jpeg, { tileSizePx: o.tileSizePx, targetPxPerUm: o.tilePxPerUm, sourcePxPerUm: o.fieldPxPerUm, overlap: o.overlap });
  // The photo is tiled at its declared scale; organisms are measured at the scale it was rendered at (they differ with scale jitter).
  const minPixels = o.minOrganismAreaUm2 * field.pxPerUm ** 2;
  const rng = createRng(job.seed ^ 0x5eed);
  const byLabel = new Map<ClassId, typeof photo.tiles>();
  let dropped = 0;
  for (const tile of photo.tiles) {
    const label = tileLabelFromCounts(morphotypePixels(field.mask, field.width, field.height, { x: tile.x, y: tile.y, size: tile.sourceSize }), minPixels);
    if (label === 'no_bacteria' && !rng.chance(o.backgroundKeepRate)) dropped++;
    else {
      const same = byLabel.get(label) ?? [];
      same.push(tile);
      byLabel.set(label, same);
    }
  }
  const outcome: FieldOutcome = { tileRows: [], tileLabels: [], dropped };
  const writes: Promise<void>[] = [];
  for (const [label, tiles] of byLabel) {
    const kept = rng.shuffle(tiles).slice(0, o.maxTilesPerLabel);
    outcome.dropped += tiles.length - kept.length;
    for (const tile of kept) {
      const relative = `tiles/${label}/${job.fieldId}-${tile.row}-${tile.column}.png`;
      outcome.tileRows.push(csvRow([relative, label, job.patientId, job.fieldId, job.specimen.specimenType, job.specimen.stain, job.specimen.device, job.split]));
      outcome.tileLabels.push(label);
      writes.push(tilePng(tile.rgb, tile.size).then((png) => writeFile(path.join(dir, relative), png)));
    }
  }
  await Promise.all(writes);
  return outcome;
}
