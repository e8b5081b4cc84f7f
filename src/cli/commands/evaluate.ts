import { evaluateClassifier, formatReportTable } from '../../evaluate/index.ts';
import { loadBundle } from '../../inference/index.ts';
import { isSyntheticDataset } from '../../data/index.ts';
import { basename, resolve } from 'node:path';
import { buildReportData, treeDisplayNames, writeReport } from '../../report/index.ts';
import { UsageError, stringOption, type Command } from '../command.ts';
import { SPECIMEN_PATTERN_HELP, SPECIMEN_PATTERN_OPTION, flagOptions, parseSeed, specimenPatternOption, valueOptions } from '../options.ts';
import { ProgressLine } from '../progress.ts';
import { classifySamples, loadDatasetArg } from '../shared.ts';

export const evaluateCommand: Command = {
  name: 'evaluate',
  help: `Usage: gramlens evaluate BUNDLE DATASET [options]

Evaluates the bundle on every image of DATASET (a class-folder tree or a CSV manifest): accuracy,
balanced accuracy, macro F1 and AUC, per-class sensitivity, specificity, PPV, NPV, F1 and AUC with
95% bootstrap intervals (resampling patients when the data names them), calibration and the
confusion matrix.

Options:
  --seed N            seed of the bootstrap (default 1)
  --report DIR        also write DIR/report.html (self-contained, opens offline) and DIR/report.json
  --json              print the report as JSON
${SPECIMEN_PATTERN_HELP}`,
  options: { ...flagOptions('json'), ...valueOptions('seed', 'report'), ...SPECIMEN_PATTERN_OPTION },
  allowPositionals: true,
  async run(values, positionals, context) {
    const [bundle, datasetPath] = positionals;
    if (!bundle || !datasetPath || positionals.length > 2) throw new UsageError('give a model bundle and one dataset');
    const specimenPattern = specimenPatternOption(values);
    const classifier = await loadBundle(bundle);
    try {
      const dataset = await loadDatasetArg(datasetPath, classifier.metadata.labelTree, specimenPattern);
      const index = new Map(classifier.classes.map((name, i) => [name, i]));
      const unknown = dataset.classes.filter((name) => !index.has(name));
      if (unknown.length > 0) throw new Error(`the dataset has classes the model does not know: ${unknown.join(', ')} (model classes: ${classifier.classes.join(', ')})`);
      const line = new ProgressLine();
      const site = classifier.metadata.calibration;
      if (site?.source === 'site' && site.dataset && resolve(site.dataset) === resolve(datasetPath)) {
        context.err(`warning: the bundle was recalibrated on this dataset (gramlens calibrate): its calibration figures here are measured on the images they were fitted on`);
      }
      // Per-class metrics need the class: images labelled only with a tree node are left out of them.
      const classSamples = dataset.samples.filter((s) => index.has(s.label));
      const coarseCount = dataset.samples.length - classSamples.length;
      if (classSamples.length === 0) throw new Error(`no image of the dataset is labelled with one of the model's classes (${classifier.classes.join(', ')})`);
      const { labels, groups, probabilities, skipped } = await classifySamples(classifier, classSamples, line, 'calibrated');
      const seed = parseSeed(values) ?? 1;
      const report = evaluateClassifier({ labels, probabilities, classNames: classifier.classes, groups, seed });
      const leftOut = [skipped > 0 ? `${skipped} unreadable, skipped` : '', coarseCount > 0 ? `${coarseCount} labelled only with a label-tree group, left out` : ''].filter(Boolean);
      line.log(`evaluated ${labels.length} images${leftOut.length > 0 ? ` (${leftOut.join('; ')})` : ''}`);
      context.out(values.json ? JSON.stringify(report) : formatReportTable(report));
      const reportDir = stringOption(values, 'report');
      if (reportDir) {
        const { metadata } = classifier;
        const classCounts = classifier.classes.map((_, c) => labels.filter((label) => label === c).length);
        const { htmlPath } = await writeReport(
          reportDir,
          buildReportData({
            title: `${basename(datasetPath)}: evaluation of ${basename(bundle)}`,
            model: `${metadata.architecture.name}, ${metadata.input.height}×${metadata.input.width}×${metadata.input.channels}`,
            classNames: classifier.classes,
            labels: Int32Array.from(labels),
            probabilities,
            groups,
            seed,
            temperature: metadata.temperature,
            referral: metadata.referBelow === undefined ? undefined : { confidenceLevel: metadata.referBelow },
            operatingPoints: metadata.operatingPoints,
            displayNames: metadata.labelTree ? treeDisplayNames(metadata.labelTree) : undefined,
            synthetic: await isSyntheticDataset(datasetPath),
            datasetCard: {
              description: `${datasetPath}: ${labels.length} images`,
              splits: [{ name: 'evaluated', classCounts, patients: new Set(groups).size }],
              imageSize: { width: metadata.input.width, height: metadata.input.height, channels: metadata.input.channels },
              config: { bundle, training: metadata.training?.config ?? null, dataHash: metadata.dataHash ?? null },
              seed,
            },
          }),
        );
        context.err(`report: ${htmlPath}`);
      }
      return 0;
    } finally {
      await classifier.dispose();
    }
  },
};
