import { dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { buildManifestFromFilenames } from '../../data/index.ts';
import { UsageError, stringOption, type Command } from '../command.ts';
import { OUT_OPTION, SPECIMEN_PATTERN_OPTION, flagOptions, specimenPatternOption } from '../options.ts';

export const manifestCommand: Command = {
  name: 'manifest',
  help: `Usage: gramlens manifest DIR --specimen-pattern REGEX [--out FILE]

For a folder with one subfolder per class whose file names name the specimen (GramStainR:
Escherichia_coli/Ecoli00201.JPG = specimen 002, field 01), writes a manifest (path, label,
patient_id, specimen) in which the images of one specimen share a patient id, so that splits,
folds and bootstrap intervals never treat two fields of one specimen as independent.
train, evaluate and calibrate also take --specimen-pattern directly on DIR.

Options:
  --specimen-pattern REGEX   applied to each file name (case-insensitive); its named group
                      (?<specimen>...) is the specimen, e.g. '(?<specimen>\\d{3})\\d{2}\\.jpg$'
  --out FILE          where to write the manifest (default DIR/manifest.csv); its paths are relative
                      to it, so it must sit in DIR or a folder above it
  --skip-unmatched    leave out files whose name the pattern does not match (default: refuse)`,
  options: { ...SPECIMEN_PATTERN_OPTION, ...OUT_OPTION, ...flagOptions('skip-unmatched') },
  allowPositionals: true,
  async run(values, positionals, context) {
    const [dir] = positionals;
    if (!dir || positionals.length > 1) throw new UsageError('give one folder with a subfolder per class');
    const pattern = specimenPatternOption(values);
    if (!pattern) throw new UsageError('--specimen-pattern REGEX is required');
    const out = resolve(stringOption(values, 'out') ?? join(dir, 'manifest.csv'));
    const below = relative(dirname(out), resolve(dir));
    if (below.startsWith('..') || isAbsolute(below)) throw new UsageError(`the manifest lists paths relative to its own folder: write it in ${dir} or a folder above it, not in ${dirname(out)}`);
    const dataset = await buildManifestFromFilenames(dir, { pattern, unmatched: values['skip-unmatched'] ? 'skip' : 'error', output: out });
    for (const name of dataset.classes) {
      const samples = dataset.samples.filter((sample) => sample.label === name);
      context.err(`  ${name.padEnd(28)} ${String(samples.length).padStart(5)} images from ${new Set(samples.map((sample) => sample.patientId)).size} specimens`);
    }
    context.out(out);
    return 0;
  },
};
