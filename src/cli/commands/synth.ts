import { writeSyntheticDataset, type SyntheticDatasetOptions } from '../../synth/index.ts';
import { UsageError, numberOption, stringOption, type Command, type OptionValues } from '../command.ts';
import { ProgressLine } from '../progress.ts';

function jsonOrName<T>(values: OptionValues, name: string, names: readonly string[]): T | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined || names.includes(raw)) return raw as T | undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw new UsageError(`--${name} must be ${names.join(', ')} or a JSON object; got "${raw}"`);
  }
}

export const synthCommand: Command = {
  name: 'synth',
  summary: 'generate synthetic Gram stains',
  help: `Usage: gramlens synth OUT_DIR [options]

Writes a synthetic Gram-stain dataset: tiles/<class>/*.png (one folder per class), a manifest.csv
(path,label,patient_id,field_id,specimen,stain,device), optional full eyepiece fields with object
annotations under fields/, and dataset.json with the options and seed that reproduce it.
Classes: gpc_clusters, gpc_chains, gpc_diplococci, gpr, gnr, gnc, yeast, no_bacteria, polymicrobial.

Options:
  --tiles N           tiles to render (default 2000)
  --fields N          full 1600×1200 fields with masks and boxes (default 0)
  --tile-size N       tile side in pixels (default 96)
  --prevalence clinical|balanced|JSON   class mix (default clinical: GNR and GPC common, GNC and yeast rare)
  --difficulty clean|default|hard|JSON  stain faults, blur, colour casts, debris (default default)
  --masks             also write each tile's label mask
  --seed N            (default 1)
  --overwrite         replace OUT_DIR if it exists`,
  options: {
    tiles: { type: 'string' },
    fields: { type: 'string' },
    'tile-size': { type: 'string' },
    prevalence: { type: 'string' },
    difficulty: { type: 'string' },
    masks: { type: 'boolean' },
    seed: { type: 'string' },
    overwrite: { type: 'boolean' },
  },
  allowPositionals: true,
  async run(values, positionals, context) {
    const [out] = positionals;
    if (!out || positionals.length > 1) throw new UsageError('give one output folder');
    const options: SyntheticDatasetOptions = {
      tiles: numberOption(values, 'tiles', { integer: true, min: 0 }) ?? 2000,
      fields: numberOption(values, 'fields', { integer: true, min: 0 }) ?? 0,
      tileSize: numberOption(values, 'tile-size', { integer: true, min: 8 }),
      prevalence: jsonOrName(values, 'prevalence', ['clinical', 'balanced']),
      difficulty: jsonOrName(values, 'difficulty', ['clean', 'default', 'hard']),
      tileMasks: Boolean(values.masks),
      seed: numberOption(values, 'seed', { integer: true, min: 0 }) ?? 1,
      overwrite: Boolean(values.overwrite),
    };
    const line = new ProgressLine();
    const started = performance.now();
    const summary = await writeSyntheticDataset(out, options, (done, total) => line.update(done / total, `rendering ${done}/${total}`));
    const seconds = (performance.now() - started) / 1000;
    line.log(`wrote ${summary.tiles} tiles and ${summary.fields} fields of ${summary.patients} patients to ${summary.outDir} in ${seconds.toFixed(1)} s`);
    const width = Math.max(...Object.keys(summary.tilesPerClass).map((k) => k.length));
    for (const [label, count] of Object.entries(summary.tilesPerClass)) context.out(`  ${label.padEnd(width)} ${String(count).padStart(6)} tiles`);
    return 0;
  },
};
