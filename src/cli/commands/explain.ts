import { mkdir, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { CAM_METHODS, COLOUR_MAP_NAMES, type CamMethod, type ColourMapName } from '../../explain/index.ts';
import { loadBundle } from '../../inference/index.ts';
import { refusalMessage } from '../../ood/index.ts';
import { UsageError, numberOption, stringOption, type Command } from '../command.ts';
import { BACKEND_OPTION, OUT_OPTION, valueOptions } from '../options.ts';
import { collectImagePaths, startEngine } from '../shared.ts';

export const explainCommand: Command = {
  name: 'explain',
  help: `Usage: gramlens explain BUNDLE IMAGE_OR_FOLDER... --out DIR [options]

For each image writes DIR/<name>.cam.png (the heatmap blended over the part of the photo the model
saw) and DIR/<name>.cam.json (the raw map at feature resolution, the prediction and the target
class), and prints the explained class. An image the model cannot read (blank, noise, not a
stained slide, unlike its training images; see gramlens predict --help) is reported, not explained.

Options:
  -o, --out DIR       output folder (required)
  --method ${CAM_METHODS.join('|')}   (default gradcam)
  --class NAME        explain this class instead of the predicted one
  --layer NAME        target layer (default: the last convolutional feature map, "features")
  --alpha X           heatmap opacity 0..1 (default 0.5)
  --colormap ${COLOUR_MAP_NAMES.join('|')}   (default turbo)
  --max-side N        longest side of the overlay PNG (default 1024)`,
  options: { ...OUT_OPTION, ...valueOptions('method', 'class', 'layer', 'alpha', 'colormap', 'max-side'), ...BACKEND_OPTION },
  allowPositionals: true,
  async run(values, positionals, context) {
    const [bundle, ...inputs] = positionals;
    const out = stringOption(values, 'out');
    if (!bundle || inputs.length === 0) throw new UsageError('give a model bundle and at least one image or folder');
    if (!out) throw new UsageError('--out DIR is required');
    const method = (stringOption(values, 'method') ?? 'gradcam') as CamMethod;
    if (!CAM_METHODS.includes(method)) throw new UsageError(`--method must be one of ${CAM_METHODS.join(', ')}; got "${method}"`);
    const colormap = (stringOption(values, 'colormap') ?? 'turbo') as ColourMapName;
    if (!COLOUR_MAP_NAMES.includes(colormap)) throw new UsageError(`--colormap must be one of ${COLOUR_MAP_NAMES.join(', ')}; got "${colormap}"`);
    const alpha = numberOption(values, 'alpha', { min: 0 });
    const maxSide = numberOption(values, 'max-side', { integer: true, min: 16 });
    const files = await collectImagePaths(inputs);
    await startEngine(values, context, true);
    const explainer = await loadBundle(bundle, { runtime: 'tfjs' });
    for (const notice of explainer.guard.notices) context.err(`note: ${notice}`);
    try {
      await mkdir(out, { recursive: true });
      const used = new Set<string>();
      for (const file of files) {
        const result = await explainer.explain(file, { method, layer: stringOption(values, 'layer'), targetClass: stringOption(values, 'class'), alpha, colormap, maxSide });
        if (result.explanation === null) {
          context.out(`${file}: ${refusalMessage(result.prediction.refusal)} (nothing explained)`);
          continue;
        }
        let stem = basename(file, extname(file));
        while (used.has(stem)) stem = `${stem}_`;
        used.add(stem);
        await writeFile(join(out, `${stem}.cam.png`), result.overlayPng);
        const { prediction, explanation, map } = result;
        await writeFile(
          join(out, `${stem}.cam.json`),
          JSON.stringify({ source: file, method, layer: explanation.layer, target: explanation.className, score: explanation.score, prediction, map }),
        );
        context.out(`${file}: ${method} for ${explanation.className} (predicted ${prediction.top.label} ${(prediction.top.probability * 100).toFixed(1)}%) -> ${join(out, `${stem}.cam.png`)}`);
      }
      return 0;
    } finally {
      await explainer.dispose();
    }
  },
};
