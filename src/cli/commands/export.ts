import { writeFile } from 'node:fs/promises';
import { exportEnsembleToOnnx } from '../../engine/onnx/index.ts';
import { FEATURE_LAYER_NAME, loadBundleMembers, saveBundle } from '../../models/index.ts';
import { stringOption, UsageError, type Command } from '../command.ts';
import { BACKEND_OPTION, OUT_OPTION } from '../options.ts';
import { startEngine } from '../shared.ts';

export const exportCommand: Command = {
  name: 'export',
  help: `Usage: gramlens export BUNDLE [--out FILE.onnx]

Writes the bundle's model as ONNX (input NHWC float32, outputs "probabilities" and the last feature
map "features" for Grad-CAM). Without --out, the bundle's own model.onnx is (re)written in place.
An ensemble (train --ensemble K) is one graph: its members side by side, "probabilities" their
mean, "features" the first member's.`,
  options: { ...OUT_OPTION, ...BACKEND_OPTION },
  allowPositionals: true,
  async run(values, positionals, context) {
    const [bundle] = positionals;
    if (!bundle || positionals.length > 1) throw new UsageError('give one model bundle');
    await startEngine(values, context, true);
    const { models, metadata } = await loadBundleMembers(bundle);
    const [model, ...others] = models;
    const outputs = ['probabilities', FEATURE_LAYER_NAME];
    const bytes = exportEnsembleToOnnx(models, { extraOutputs: [FEATURE_LAYER_NAME] });
    const out = stringOption(values, 'out');
    if (out) {
      await writeFile(out, bytes);
      context.err(`wrote ${out} (${(bytes.length / 1024).toFixed(0)} KiB)`);
    } else {
      const { format, version, createdAt, weights, onnx, ensemble, ...rest } = metadata;
      const members = others.map((member, i) => ({ model: member, seed: ensemble!.seeds[i + 1] }));
      await saveBundle(bundle, { model, members, metadata: rest, onnx: { bytes, outputs } });
      context.err(`wrote ${bundle}/model.onnx (${(bytes.length / 1024).toFixed(0)} KiB)`);
    }
    return 0;
  },
};
