import { writeFile } from 'node:fs/promises';
import { exportToOnnx } from '../../engine/onnx/index.ts';
import { FEATURE_LAYER_NAME, loadBundleModel, saveBundle } from '../../models/index.ts';
import { stringOption, UsageError, type Command } from '../command.ts';
import { BACKEND_OPTION, OUT_OPTION } from '../options.ts';
import { startEngine } from '../shared.ts';

export const exportCommand: Command = {
  name: 'export',
  help: `Usage: gramlens export BUNDLE [--out FILE.onnx]

Writes the bundle's model as ONNX (input NHWC float32, outputs "probabilities" and the last feature
map "features" for Grad-CAM). Without --out, the bundle's own model.onnx is (re)written in place.`,
  options: { ...OUT_OPTION, ...BACKEND_OPTION },
  allowPositionals: true,
  async run(values, positionals, context) {
    const [bundle] = positionals;
    if (!bundle || positionals.length > 1) throw new UsageError('give one model bundle');
    await startEngine(values, context, true);
    const { model, metadata } = await loadBundleModel(bundle);
    const outputs = ['probabilities', FEATURE_LAYER_NAME];
    const bytes = exportToOnnx(model, { extraOutputs: [FEATURE_LAYER_NAME] });
    const out = stringOption(values, 'out');
    if (out) {
      await writeFile(out, bytes);
      context.err(`wrote ${out} (${(bytes.length / 1024).toFixed(0)} KiB)`);
    } else {
      const { format, version, createdAt, weights, onnx, ...rest } = metadata;
      await saveBundle(bundle, { model, metadata: rest, onnx: { bytes, outputs } });
      context.err(`wrote ${bundle}/model.onnx (${(bytes.length / 1024).toFixed(0)} KiB)`);
    }
    return 0;
  },
};
