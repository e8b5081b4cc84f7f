import { join } from 'node:path';
import { readManifest } from '../../data/index.ts';
import { evaluateClassifier, formatReportTable } from '../../evaluate/index.ts';
import { loadBundle } from '../../inference/index.ts';
import { fitClassifier, poolByGroup, writeFitReport } from '../../pipeline/index.ts';
import { CLASS_IDS, LABEL_TREE, syntheticDatasetStatus, writeSyntheticDataset } from '../../synth/index.ts';
import { numberOption, stringOption, type Command } from '../command.ts';
import { BACKEND_HELP, BACKEND_OPTION, OUT_OPTION, flagOptions, parseSeed, parseSize, parseStainNorm, parseTrainConfig, parseWorkers, valueOptions } from '../options.ts';
import { ProgressLine } from '../progress.ts';
import { fitProgressPrinter, startEngine } from '../shared.ts';

export const demoCommand: Command = {
  name: 'demo',
  help: `Usage: gramlens demo [options]

Runs gramlens end to end on its built-in synthetic Gram-stain generator: synthesises a dataset of
microscope tiles (9 classes, imbalanced like clinical data, with stain faults, blur and phone colour
casts), splits it by patient, trains the default model, evaluates it on patients it never saw, and
classifies a few test images with the exported ONNX model. Metrics are given per tile and per
microscope field (the mean of the field's tile probabilities).

Options:
  --out DIR           working folder (default gramlens-demo)
  --tiles N           synthetic tiles to make (default 4000)
  --size N            network input size (default 64)
  --epochs N          (default 24)
  --seed N            (default 1)
  --stain-norm none|reinhard|macenko   stain normalisation (default none; see gramlens train)
  --workers N         model replicas training in parallel (default: one per CPU core)
  --json              end with one line of JSON: macro_f1 and accuracy per field, tile_macro_f1,
                      tile_accuracy, train_seconds, classes, ...
${BACKEND_HELP}`,
  options: { ...OUT_OPTION, ...valueOptions('tiles', 'size', 'epochs', 'seed', 'stain-norm', 'workers'), ...flagOptions('json'), ...BACKEND_OPTION },
  async run(values, _positionals, context) {
    const out = stringOption(values, 'out') ?? 'gramlens-demo';
    const tiles = numberOption(values, 'tiles', { integer: true, min: 100 }) ?? 4000;
    const seed = parseSeed(values) ?? 1;
    const size = parseSize(values, 64);
    const stainNormalisation = parseStainNorm(values, 3);
    const started = performance.now();
    await startEngine(values, context);
    const line = new ProgressLine();

    const dataDir = join(out, 'data');
    const synthOptions = { tiles, seed, tilesPerField: 4, fieldsPerPatient: 2 };
    const status = await syntheticDatasetStatus(dataDir, synthOptions);
    if (status === 'same') {
      line.log(`using the synthetic dataset already in ${dataDir} (same seed, tiles and generator version)`);
    } else {
      line.log(`${status === 'different' ? 'remaking the synthetic dataset (it was made with other settings or an older generator)' : 'synthesising'}: ${tiles} Gram-stain tiles in ${dataDir}`);
      await writeSyntheticDataset(dataDir, { ...synthOptions, overwrite: true }, (done, total) => line.update(done / total, `synthesising ${done}/${total}`));
    }
    const dataset = await readManifest(join(dataDir, 'manifest.csv'), { classes: CLASS_IDS });
    const result = await fitClassifier(dataset, {
      size,
      train: { epochs: 24, seed, ...withoutUndefined(parseTrainConfig(values)) },
      augment: 'microscopy',
      stainNormalisation,
      workers: parseWorkers(values),
      runDir: join(out, 'run'),
      labelTree: LABEL_TREE.map((node) => structuredClone(node)),
      signal: context.signal,
      onProgress: fitProgressPrinter(line),
      seed,
    });
    if (result.status === 'cancelled' || !result.report || !result.test) {
      context.err('demo cancelled');
      return 130;
    }
    const { samples, probabilities, set } = result.test;
    const fields = poolByGroup(probabilities, set.labels, samples.map((s) => s.extra?.field_id ?? s.path), dataset.classes.length);
    const patientOfField = new Map(samples.map((s) => [s.extra?.field_id ?? s.path, s.patientId]));
    const fieldReport = evaluateClassifier({
      labels: fields.labels,
      probabilities: fields.probabilities,
      classNames: dataset.classes,
      groups: fields.groups.map((field) => patientOfField.get(field)!),
      seed,
    });
    context.out(`Per tile (${set.labels.length} tiles of patients never seen in training)\n`);
    context.out(formatReportTable(result.report));
    context.out(`\nPer microscope field (${fields.labels.length} fields; a field's prediction is the mean of its tiles' probabilities)\n`);
    context.out(formatReportTable(fieldReport));
    const { htmlPath } = await writeFitReport(join(out, 'report'), result, {
      title: 'Synthetic Gram stains: patients never seen in training',
      description: `gramlens synthetic Gram-stain tiles (seed ${seed}): 9 morphotype classes, clinical prevalence, stain faults, blur, phone colour casts`,
      classes: dataset.classes,
      labelTree: LABEL_TREE,
      extraLevels: [{ name: "Per microscope field (mean of the field's tiles)", report: fieldReport }],
      seed,
    });

    const classifier = await loadBundle(result.bundleDir);
    const examples = result.test.samples.slice(0, 5);
    const predictions = await classifier.predict(examples.map((s) => s.path));
    await classifier.dispose();
    context.out('\nPredictions on unseen test images (ONNX runtime):');
    predictions.forEach((p, i) => {
      const top = p.classes.slice(0, 3).map((c) => `${c.label} ${(c.probability * 100).toFixed(1)}%`).join(', ');
      context.out(`  ${examples[i].label.padEnd(15)} -> ${top}${p.uncertain ? '  [uncertain: refer]' : ''}`);
    });
    const seconds = (performance.now() - started) / 1000;
    context.out(`\nModel bundle: ${result.bundleDir}\nReport: ${htmlPath}\nTotal time ${seconds.toFixed(0)} s`);
    if (values.json) {
      context.out(
        JSON.stringify({
          macro_f1: fieldReport.macroF1.value,
          accuracy: fieldReport.accuracy.value,
          balanced_accuracy: fieldReport.balancedAccuracy.value,
          macro_auc: fieldReport.macroAuc.value,
          fields: fields.labels.length,
          tile_macro_f1: result.report.macroF1.value,
          tile_accuracy: result.report.accuracy.value,
          tile_macro_auc: result.report.macroAuc.value,
          ece: result.report.expectedCalibrationError,
          train_seconds: Math.round(result.trainSeconds * 10) / 10,
          total_seconds: Math.round(seconds * 10) / 10,
          classes: dataset.classes,
          counts: result.counts,
          bundle: result.bundleDir,
        }),
      );
    }
    return 0;
  },
};

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
