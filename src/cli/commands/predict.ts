import { Classifier, type Runtime } from '../../pipeline/index.ts';
import { UsageError, numberOption, stringOption, type Command } from '../command.ts';
import { collectImagePaths, startEngine } from '../shared.ts';

export const predictCommand: Command = {
  name: 'predict',
  summary: 'classify images',
  help: `Usage: gramlens predict BUNDLE IMAGE_OR_FOLDER... [options]

Prints the most probable classes of each image (folders are searched recursively), with calibrated
probabilities and "uncertain: refer" when the top probability is below the bundle's referral level.

Options:
  --top K             classes shown per image (default 3)
  --runtime onnx|tfjs (default onnx when the bundle has model.onnx)
  --json              one JSON array with every class's probability`,
  options: { top: { type: 'string' }, runtime: { type: 'string' }, json: { type: 'boolean' }, backend: { type: 'string' } },
  allowPositionals: true,
  async run(values, positionals, context) {
    const [bundle, ...inputs] = positionals;
    if (!bundle || inputs.length === 0) throw new UsageError('give a model bundle and at least one image or folder');
    const top = numberOption(values, 'top', { integer: true, min: 1 }) ?? 3;
    const runtime = stringOption(values, 'runtime') as Runtime | undefined;
    if (runtime !== undefined && runtime !== 'onnx' && runtime !== 'tfjs') throw new UsageError(`--runtime must be onnx or tfjs; got "${runtime}"`);
    const files = await collectImagePaths(inputs);
    if (runtime === 'tfjs') await startEngine(values, context, true);
    const classifier = await Classifier.load(bundle, { runtime });
    try {
      const predictions = await classifier.predict(files);
      if (values.json) {
        context.out(JSON.stringify(predictions));
        return 0;
      }
      for (const prediction of predictions) {
        const ranked = prediction.classes
          .slice(0, top)
          .map((c) => `${c.label} ${(c.probability * 100).toFixed(1)}%`)
          .join(', ');
        context.out(`${prediction.source}: ${ranked}${prediction.uncertain ? '  [uncertain: refer]' : ''}`);
      }
      return 0;
    } finally {
      await classifier.dispose();
    }
  },
};
