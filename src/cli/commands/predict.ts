import { readFile, writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { SpecimenDecision } from '../../fields/index.ts';
import { ImageDecodeError } from '../../data/index.ts';
import { loadBundle, type FieldPrediction, type ImagePrediction, type ModelBundle, type Runtime } from '../../inference/index.ts';
import { refusalMessage } from '../../ood/index.ts';
import { UsageError, numberOption, stringOption, type CliContext, type Command, type OptionValues } from '../command.ts';
import { BACKEND_OPTION, flagOptions, valueOptions } from '../options.ts';
import { collectImagePaths, startEngine } from '../shared.ts';

const percent = (p: number) => `${(p * 100).toFixed(1)}%`;

/** Quality verdict first (reasons one per line), then the field's answer, its morphotypes, tiles and timings. */
function formatFieldPrediction(source: string, field: FieldPrediction, top: number): string[] {
  const { quality, decision } = field;
  const lines = [`${source}: ${field.width}×${field.height}`];
  const measures = quality.measures;
  const readings = `sharpness ${measures.sharpness.toFixed(2)}, background ${measures.backgroundLuminance.toFixed(2)}${measures.magnification === null ? '' : `, magnification ${measures.magnification.toFixed(2)}×`}`;
  if (quality.ok) lines.push(`  quality: ok (${readings})`);
  else {
    lines.push(`  quality: FAILED (${readings})`);
    for (const reason of quality.reasons) lines.push(`    - ${reason}`);
  }
  for (const warning of field.warnings) lines.push(`  warning: ${warning}`);
  if (field.refusal) {
    lines.push(`  ${refusalMessage(field.refusal)}${field.refusal.code === 'quality' ? ' (--force predicts anyway)' : ''}`);
    return lines;
  }
  if (!decision || !field.top) {
    lines.push('  no prediction');
    return lines;
  }
  if (field.forced) lines.push('  PREDICTED ANYWAY despite the failed quality check (--force)');
  lines.push(`  field: ${decision.label}${field.uncertain ? '  [uncertain: refer]' : ''}`);
  const present = decision.morphotypes.map((m) => `${m.label} (${m.tileCount} tiles, ${m.confidentTiles} confident)`).join(', ');
  const apart = decision.morphotypes.length >= 2 && !decision.multiple ? ' (not told apart)' : '';
  lines.push(`  morphotypes present: ${present || 'none'}${apart}`);
  lines.push(`  multiple morphotypes: ${decision.multiple ? 'yes' : 'no'}`);
  const along = [...field.treeTop, ...field.classes.slice(0, 1)].map((c) => `${c.label} ${percent(c.probability)}`).join(' › ');
  if (field.treeTop.length > 0) lines.push(`  along the label tree: ${along}`);
  lines.push(`  field classes: ${field.classes.slice(0, top).map((c) => `${c.label} ${percent(c.probability)}`).join(', ')}`);
  const inferred = field.tiles.filter((tile) => !tile.background).length;
  lines.push(`  tiles: ${field.tiles.length} in the field of view, ${inferred} classified, ${field.tiles.length - inferred} empty (not sent to the model)`);
  const t = field.timings;
  const ms = (v: number) => `${Math.round(v)} ms`;
  lines.push(
    `  timings: decode ${ms(t.decodeMs)}, quality ${ms(t.qualityMs)}, checks ${ms(t.checkMs)}, tiling ${ms(t.tilingMs)}, inference ${ms(t.inferenceMs)}, decision ${ms(t.decisionMs)}, tile map ${ms(t.tileMapMs)}, total ${ms(t.totalMs)}`,
  );
  return lines;
}

/** The specimen's answer from all its predicted fields. */
function formatSpecimen(specimen: SpecimenDecision | null, photos: number): string {
  if (!specimen) return `\nspecimen (${photos} photo${photos === 1 ? '' : 's'}): no prediction, no photo passed the checks`;
  const seen = specimen.morphotypes.map((m) => `${m.label} (${m.fieldCount} of ${specimen.fields} fields, ${m.tileCount} tiles)`).join(', ');
  return [`\nspecimen (${specimen.fields} of ${photos} photos predicted): ${specimen.label}`, `  morphotypes: ${seen || 'none'}`, `  several morphotypes: ${specimen.multiple ? 'yes' : 'no'}`].join('\n');
}

/** JSON of a field prediction: everything but the PNG bytes. */
function fieldJson(source: string, field: FieldPrediction) {
  const { tileMap, heatmap, ...rest } = field;
  return { source, ...rest, tileMap: tileMap && { width: tileMap.width, height: tileMap.height, scale: tileMap.scale } };
}

/** Images that could not be read: skipped and counted (named on stderr), or the end of the run with --strict. */
class Skipped {
  readonly problems: string[] = [];

  constructor(
    private readonly context: CliContext,
    private readonly strict: boolean,
  ) {}

  add(problem: string): void {
    if (this.strict) throw new Error(`${problem} (--strict stops at the first unreadable image)`);
    this.problems.push(problem);
    this.context.err(`skipped ${problem}`);
  }

  /** The closing count, like train's; fails when nothing could be read at all. */
  finish(total: number): void {
    if (this.problems.length === 0) return;
    if (this.problems.length === total) throw new Error(`none of the ${total} images could be read (first problem: ${this.problems[0]})`);
    this.context.err(`skipped ${this.problems.length} unreadable image(s) of ${total}; --strict makes this an error`);
  }
}

/** Why an image file cannot be read (its header, as sharp sees it), or null when it can. */
async function unreadableReason(file: string): Promise<string | null> {
  try {
    await sharp(await readFile(file)).metadata();
    return null;
  } catch (error) {
    return (error as Error).message.split('\n')[0];
  }
}

/** One image's line: its top classes, or its refusal. */
function formatImagePrediction(prediction: ImagePrediction, top: number): string {
  if (prediction.refusal) return `${prediction.source}: ${refusalMessage(prediction.refusal)}`;
  const ranked = prediction.classes
    .slice(0, top)
    .map((c) => `${c.label} ${percent(c.probability)}`)
    .join(', ');
  return `${prediction.source}: ${ranked}${prediction.uncertain ? '  [uncertain: refer]' : ''}`;
}

/** Each photo as the bundle reads it (whole-field by default, see ModelBundle.readPhotos), printed in order. */
async function predictPhotos(classifier: ModelBundle, files: string[], values: OptionValues, context: CliContext, top: number, skipped: Skipped): Promise<number> {
  const results: unknown[] = [];
  for (const source of files) {
    const problem = await unreadableReason(source);
    if (problem !== null) {
      skipped.add(`${source}: ${problem}`);
      continue;
    }
    try {
      for await (const reading of classifier.readPhotos([source], { signal: context.signal })) {
        if (reading.kind === 'image') {
          if (values.json) results.push(reading.prediction);
          else context.out(formatImagePrediction(reading.prediction, top));
        } else if (values.json) {
          results.push({ wholeField: reading.reason, ...fieldJson(source, reading.field) });
        } else {
          context.out([`${source}: ${reading.reason}`, ...formatFieldPrediction(source, reading.field, top).slice(1)].join('\n'));
        }
      }
    } catch (error) {
      if (!(error instanceof ImageDecodeError)) throw error;
      skipped.add(`${source}: ${error.reason}`);
    }
  }
  skipped.finish(files.length);
  if (values.json) context.out(JSON.stringify(results));
  return 0;
}

async function predictFields(bundle: string, files: string[], values: OptionValues, context: CliContext, top: number, skipped: Skipped): Promise<number> {
  const pxPerUm = numberOption(values, 'px-per-um');
  if (pxPerUm !== undefined && pxPerUm <= 0) throw new UsageError(`--px-per-um must be a positive number of pixels per micrometre; got ${pxPerUm}`);
  const tileMapPath = stringOption(values, 'tile-map');
  if (tileMapPath !== undefined && files.length !== 1) throw new UsageError('--tile-map writes one photo\'s tile map: give exactly one photo');
  const loaded = await loadBundle(bundle, { runtime: 'onnx' });
  for (const notice of loaded.guard.notices) context.err(`note: ${notice}`);
  try {
    const predictor = loaded.fieldPredictor();
    const results = [];
    // Only the decisions are kept for the specimen: a photo's tile map and heatmap are dropped once printed.
    const decisions: Pick<FieldPrediction, 'decision'>[] = [];
    for (const file of files) {
      const unreadable = await unreadableReason(file);
      if (unreadable !== null) {
        skipped.add(`${file}: ${unreadable}`);
        continue;
      }
      const photo = await readFile(file);
      const field = await predictor.predict(photo, { pxPerUm, force: values.force === true, signal: context.signal }).catch((error: unknown) => {
        if (context.signal.aborted) throw error;
        throw new Error(`${file}: ${error instanceof Error ? error.message : String(error)}`);
      });
      decisions.push({ decision: field.decision });
      if (tileMapPath !== undefined) {
        if (field.tileMap) await writeFile(tileMapPath, field.tileMap.png);
        else context.err(`no tile map written to ${tileMapPath}: nothing was predicted`);
      }
      if (values.json) results.push(fieldJson(file, field));
      else context.out(formatFieldPrediction(file, field, top).join('\n'));
    }
    skipped.finish(files.length);
    const specimen = values.specimen ? predictor.combineSpecimen(decisions) : undefined;
    if (values.json) context.out(JSON.stringify(specimen === undefined ? results : { fields: results, specimen }));
    else if (specimen !== undefined) context.out(formatSpecimen(specimen, decisions.length));
    return 0;
  } finally {
    await loaded.dispose();
  }
}

export const predictCommand: Command = {
  name: 'predict',
  help: `Usage: gramlens predict BUNDLE IMAGE_OR_FOLDER... [options]

Prints the most probable classes of each image (folders are searched recursively), with calibrated
probabilities and "uncertain: refer" when the top probability is below the bundle's referral level.

Before any answer, each image is checked: one the model cannot read gets "this is not something I
can read: <reason>" and no class. The reasons: blank or uniform, random noise, no colour (not a
stained slide), too dark for bright-field, green-to-blue colours no Gram stain has, or unlike
anything the model was trained on (its out-of-distribution score, with a threshold chosen on
validation images at training; bundles trained before it have the image checks only, and say so).

Whole-field by default: a photo whose shorter side is more than 4 times the model's input side
(e.g. over 256 px for a 64 px model; resizing it would throw most of it away) is read as a whole
microscope field, as with --field, when the bundle can read fields; a microscope tile model that
cannot is refused with that reason (a whole-image model, e.g. chest X-rays, reads it as usual).

With --field, each image is a whole microscope photo: the image checks, then its quality check
(the reasons it failed, one per line), then, if it passed, the field's answer from its tiles, the
morphotypes present with their tile counts, whether there are several, and the time of each step.
A photo that fails the quality check is refused with the check's reasons (refusal code 'quality';
--force predicts anyway, labelled as such); a refusal is a verdict on the photo, not an error, so
the exit code stays 0. A field is also refused when most of the
tiles read are unlike the training images (a few such tiles are left out of its answer), or when
the field as a whole is unlike the microscope fields the model was trained on (its field signature:
stained objects and the share read as organism-free, fitted on validation fields); --force never
overrides those.

Options:
  --top K             classes shown per image (default 3)
  --strict            stop at the first unreadable image (default: skip it, name it on stderr and count
                      the skipped images at the end; the exit code is 1 only when none could be read)
  --runtime onnx|tfjs (default onnx when the bundle has model.onnx)
  --json              one JSON array: each image's classes with their probabilities, or its refusal
                      (classes empty, top null); a photo read as a whole field has wholeField (why)
                      and the whole field result (with --field: the whole result, tiles included)
  --field             whole microscope photos: quality check, tiles at the model's scale, field answer
  --px-per-um N       (--field) the photo's scale in pixels per micrometre, from the device's calibration:
                      tiles at the model's scale and the magnification check; without it the scale is
                      estimated from the widths of stained objects (a warning says so)
  --force             (--field) predict even when the photo fails the quality check (labelled as such)
  --specimen          (--field) the photos are fields of one specimen: also print the specimen's answer
                      (a morphotype seen in any field counts; two or more make it polymicrobial)
  --tile-map FILE     (--field, one photo) writes the tile map: a transparent PNG of the photo's aspect,
                      each classified tile in its class colour, opacity = probability`,
  options: { ...valueOptions('top', 'runtime', 'px-per-um', 'tile-map'), ...flagOptions('json', 'field', 'force', 'specimen', 'strict'), ...BACKEND_OPTION },
  allowPositionals: true,
  async run(values, positionals, context) {
    const [bundle, ...inputs] = positionals;
    if (!bundle || inputs.length === 0) throw new UsageError('give a model bundle and at least one image or folder');
    const top = numberOption(values, 'top', { integer: true, min: 1 }) ?? 3;
    const runtime = stringOption(values, 'runtime') as Runtime | undefined;
    if (runtime !== undefined && runtime !== 'onnx' && runtime !== 'tfjs') throw new UsageError(`--runtime must be onnx or tfjs; got "${runtime}"`);
    if (!values.field) {
      for (const name of ['px-per-um', 'force', 'tile-map', 'specimen']) if (values[name] !== undefined) throw new UsageError(`--${name} goes with --field`);
    }
    const files = await collectImagePaths(inputs);
    const skipped = new Skipped(context, values.strict === true);
    if (values.field) {
      if (runtime === 'tfjs') throw new UsageError('--field runs on onnx only');
      return predictFields(bundle, files, values, context, top, skipped);
    }
    if (runtime === 'tfjs') await startEngine(values, context, true);
    const classifier = await loadBundle(bundle, { runtime });
    for (const notice of classifier.guard.notices) context.err(`note: ${notice}`);
    try {
      return await predictPhotos(classifier, files, values, context, top, skipped);
    } finally {
      await classifier.dispose();
    }
  },
};
