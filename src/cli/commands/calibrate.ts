import { resolve } from 'node:path';
import { loadBundle } from '../../inference/index.ts';
import { restoreBundleCalibration, updateBundleCalibration, type BundleMetadata } from '../../models/index.ts';
import { logitsOfProbabilities, recalibrateOnSite, type SiteRecalibration } from '../../pipeline/index.ts';
import { UsageError, numberOption, type Command, type OptionValues } from '../command.ts';
import { SPECIMEN_PATTERN_HELP, SPECIMEN_PATTERN_OPTION, flagOptions, parseSeed, specimenPatternOption, valueOptions } from '../options.ts';
import { ProgressLine } from '../progress.ts';
import { classifySamples, loadDatasetArg } from '../shared.ts';

/** Below this many images a temperature is still fitted, with a warning: its sampling error is large. */
const FEW_IMAGES = 100;

export const calibrateCommand: Command = {
  name: 'calibrate',
  help: `Usage: gramlens calibrate BUNDLE DATASET [options]
       gramlens calibrate BUNDLE --restore

A bundle is calibrated on its validation split at training. Where it is used (another hospital,
phone, microscope or stain batch) its confidences may no longer match how often it is right, and
"uncertain: refer" then misses the cases it should catch. This refits the temperature, the referral
level and the per-class operating points on labelled images from that place (a class-folder tree or
a CSV manifest with patient_id), and writes them into the bundle; the weights are not touched and
the replaced calibration is kept in the bundle's metadata.

It prints the calibration before and after: the ECE after is cross-fitted (each image scored by a
temperature fitted on the other patients' images), so it is what new images from that place should
see, not a fit to the images themselves. A few hundred images, from many patients, are advisable.

Options:
  --folds N               patient-grouped folds of the before/after estimate (default 5)
  --target-sensitivity X  sensitivity each class's operating point must reach (default 0.95)
  --target-accuracy X     accuracy the predictions kept above the referral level must reach (default 0.95)
  --seed N                seed of the folds (default 1)
  --dry-run               measure and print, but leave the bundle as it is
  --restore               bring back the calibration the last recalibration replaced
  --json                  print the measurement as JSON
${SPECIMEN_PATTERN_HELP}`,
  options: { ...valueOptions('folds', 'target-sensitivity', 'target-accuracy', 'seed'), ...flagOptions('dry-run', 'restore', 'json'), ...SPECIMEN_PATTERN_OPTION },
  allowPositionals: true,
  async run(values, positionals, context) {
    const [bundle, datasetPath] = positionals;
    if (values.restore) {
      if (!bundle || positionals.length > 1) throw new UsageError('--restore takes the model bundle only');
      const restored = await restoreBundleCalibration(bundle);
      if (!restored) throw new Error(`${bundle} has no earlier calibration to restore`);
      context.err(`restored the calibration from ${describeSource(restored)}: temperature ${restored.temperature.toFixed(3)}`);
      return 0;
    }
    if (!bundle || !datasetPath || positionals.length > 2) throw new UsageError('give a model bundle and one labelled dataset');
    const folds = numberOption(values, 'folds', { integer: true, min: 2 }) ?? 5;
    const seed = parseSeed(values) ?? 1;
    const targetSensitivity = fractionOption(values, 'target-sensitivity');
    const referralTargetAccuracy = fractionOption(values, 'target-accuracy');
    const specimenPattern = specimenPatternOption(values);

    const classifier = await loadBundle(bundle);
    let result: SiteRecalibration;
    try {
      const dataset = await loadDatasetArg(datasetPath, classifier.metadata.labelTree, specimenPattern);
      const known = new Set(classifier.classes);
      const unknown = dataset.classes.filter((name) => !known.has(name));
      if (unknown.length > 0) throw new Error(`the dataset has classes the model does not know: ${unknown.join(', ')} (model classes: ${classifier.classes.join(', ')})`);
      const samples = dataset.samples.filter((sample) => known.has(sample.label));
      if (samples.length === 0) throw new Error(`no image of the dataset is labelled with one of the model's classes (${classifier.classes.join(', ')})`);
      const line = new ProgressLine();
      const classified = await classifySamples(classifier, samples, line, 'uncalibrated');
      const leftOut = [classified.skipped > 0 ? `${classified.skipped} unreadable` : '', samples.length < dataset.samples.length ? `${dataset.samples.length - samples.length} labelled only with a label-tree group` : ''].filter(Boolean);
      line.log(`classified ${classified.labels.length} images${leftOut.length > 0 ? ` (left out: ${leftOut.join('; ')})` : ''}`);
      result = recalibrateOnSite({
        logits: logitsOfProbabilities(classified.probabilities),
        labels: classified.labels,
        groups: classified.groups,
        classes: classifier.classes,
        currentTemperature: classifier.metadata.temperature,
        folds,
        seed,
        targetSensitivity,
        referralTargetAccuracy,
      });
    } finally {
      await classifier.dispose();
    }

    if (result.images < FEW_IMAGES) context.err(`warning: ${result.images} images give a noisy temperature; a few hundred from many patients are advisable`);
    const write = !values['dry-run'];
    if (write) {
      const { temperature, referBelow, operatingPoints } = result.choice;
      // No level reaching the target accuracy here means no prediction here should go unreferred.
      await updateBundleCalibration(bundle, { temperature, referBelow: referBelow ?? 1, operatingPoints }, { source: 'site', dataset: resolve(datasetPath), images: result.images, patients: result.patients, at: new Date().toISOString() });
    }
    context.out(values.json ? JSON.stringify(toJson(result, write)) : formatRecalibration(result, write, bundle));
    return 0;
  },
};

function fractionOption(values: OptionValues, name: string): number | undefined {
  const value = numberOption(values, name);
  if (value !== undefined && !(value > 0 && value <= 1)) throw new UsageError(`--${name} must be in (0, 1]; got ${value}`);
  return value;
}

function describeSource(metadata: BundleMetadata): string {
  const source = metadata.calibration;
  if (!source || source.source === 'validation') return 'the validation split';
  return `${source.dataset ?? 'site images'} (${source.images} images, ${source.at ?? 'date unknown'})`;
}

function toJson(result: SiteRecalibration, written: boolean) {
  const { probabilities, ...choice } = result.choice;
  return { images: result.images, patients: result.patients, folds: result.folds, accuracy: result.accuracy, current: result.current, recalibrated: result.recalibrated, eceFloor: result.eceFloor, choice, written };
}

function formatRecalibration(result: SiteRecalibration, written: boolean, bundle: string): string {
  const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
  const { current, recalibrated, choice } = result;
  const row = (title: string, now: string, after: string) => `${title.padEnd(21)}${now.padEnd(22)}${after}`;
  const referral = choice.referBelow === undefined ? '1 (every image: no level reaches the target accuracy)' : `${choice.referBelow.toFixed(3)} (${pct(choice.referralRate ?? 0)} of these images)`;
  const lines = [
    `${result.images} images of ${result.patients} patients; accuracy ${pct(result.accuracy)} (recalibration does not change it)`,
    row('', `now (T = ${current.temperature.toFixed(3)})`, `recalibrated (T = ${choice.temperature.toFixed(3)}; cross-fitted over ${result.folds} patient-grouped folds)`),
    row('mean confidence', pct(current.meanConfidence), pct(recalibrated.meanConfidence)),
    row('ECE', pct(current.ece), pct(recalibrated.ece)),
    row('Brier score', current.brier.toFixed(4), recalibrated.brier.toFixed(4)),
    `a perfectly calibrated model would measure an ECE of about ${pct(result.eceFloor)} on this many images`,
    `uncertain: refer below ${referral}`,
    ...((choice.referralRate ?? 1) > 0.5 ? ['most images here would be referred: the model is not fit for this place without training on images from it'] : []),
    `operating points: ${choice.operatingPoints.map((point) => `${point.class} ≥ ${point.threshold.toFixed(3)}`).join(', ') || 'none'}`,
    written ? `wrote the new calibration into ${bundle}/metadata.json (the old one is kept: --restore brings it back)` : 'dry run: the bundle is unchanged',
  ];
  return lines.join('\n');
}
