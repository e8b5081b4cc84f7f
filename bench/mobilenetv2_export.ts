// Exports what bench/mobilenetv2_finetune.py needs to fine-tune the same pretrained MobileNetV2 in
// PyTorch: the nsfwjs weights exactly as gramlens dequantises them, the images exactly as gramlens
// decodes them, and reference activations of one image computed by gramlens's TF.js model (so the
// PyTorch port can be checked before it is trusted). Nothing is written in the repository.
//
//   npx tsx bench/mobilenetv2_export.ts [OUT_DIR] [SIZES] [MANIFEST...]
//   (defaults: /tmp/mnv2, 128,224, /tmp/bccd-inner/fold0.csv /tmp/bccd-inner/fold1.csv)
//
// OUT_DIR/weights.json + weights.bin: Keras weight names, shapes and float32 values; mid_weights.*:
// the same for nsfwjs's MobileNetV2 1.4 ('mobilenet_v2_mid', see midWeights).
// OUT_DIR/<manifest name>_<size>.bin + .json: uint8 N×H×W×3 pixels ('cover' fit, as `gramlens
// train`'s default), and the labels and splits of the manifest's rows.
// OUT_DIR/reference_<size>.json: the first image's activations at block_13_project_BN and the
// pooled Conv_1 features of the full 17-block trunk, on TF.js's cpu backend.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { decodeImage, readManifest } from '../src/data/index.ts';
import { dequantise, mobileNetV2, mobileNetV2Weights } from '../src/models/index.ts';

const [outDir = '/tmp/mnv2', sizesArg = '128,224', ...manifestArgs] = process.argv.slice(2);
const sizes = sizesArg.split(',').map(Number);
const manifests = manifestArgs.length > 0 ? manifestArgs : ['/tmp/bccd-inner/fold0.csv', '/tmp/bccd-inner/fold1.csv'];
mkdirSync(outDir, { recursive: true });

function exportWeights(name: string, weights: Map<string, { shape: number[]; values: Float32Array }>): void {
  const index: { name: string; shape: number[]; offset: number }[] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const [name, { shape, values }] of weights) {
    index.push({ name, shape, offset });
    chunks.push(values);
    offset += values.length;
  }
  const all = new Float32Array(offset);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  writeFileSync(join(outDir, `${name}.bin`), Buffer.from(all.buffer));
  writeFileSync(join(outDir, `${name}.json`), JSON.stringify(index));
}

/**
 * nsfwjs's other MobileNetV2, 'mobilenet_v2_mid': TF-Hub's imagenet/mobilenet_v2_140_224 (depth
 * multiplier 1.4, batch norm folded into each convolution's bias) fine-tuned whole by nsfwjs for 5
 * epochs at a low rate. A TF.js graph model: keyed here by the TF-slim names below 'MobilenetV2/'.
 */
function midWeights(): Map<string, { shape: number[]; values: Float32Array }> {
  const modelDir = join(dirname(createRequire(import.meta.url).resolve('nsfwjs')), '../models/mobilenet_v2_mid');
  const model = JSON.parse(JSON.stringify(createRequire(import.meta.url)(join(modelDir, 'model.min.js')))) as {
    weightsManifest: { paths: string[]; weights: Parameters<typeof dequantise>[1][] }[];
  };
  const weights = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const group of model.weightsManifest) {
    const bytes = Buffer.concat(group.paths.map((path) => Buffer.from(/exports="([A-Za-z0-9+/=]+)"/.exec(readFileSync(join(modelDir, `${path}.min.js`), 'latin1'))![1], 'base64')));
    let offset = 0;
    for (const entry of group.weights) {
      const size = entry.shape.reduce((a, b) => a * b, 1);
      const name = entry.name.includes('MobilenetV2/') ? entry.name.slice(entry.name.indexOf('MobilenetV2/') + 'MobilenetV2/'.length) : entry.name;
      weights.set(name, { shape: entry.shape, values: dequantise(new Uint8Array(bytes.subarray(offset, offset + size)), entry) });
      offset += size;
    }
  }
  return weights;
}

async function exportImages(manifest: string, size: number): Promise<Uint8Array> {
  const dataset = await readManifest(manifest);
  const pixels = new Uint8Array(dataset.samples.length * size * size * 3);
  for (const [i, sample] of dataset.samples.entries()) {
    const image = await decodeImage(sample.path, { size: [size, size], channels: 3, fit: 'cover' });
    for (let j = 0; j < image.data.length; j++) pixels[i * image.data.length + j] = Math.round(image.data[j] * 255);
  }
  const name = `${basename(manifest, '.csv')}_${size}`;
  writeFileSync(join(outDir, `${name}.bin`), pixels);
  writeFileSync(
    join(outDir, `${name}.json`),
    JSON.stringify({ size, classes: dataset.classes, labels: dataset.samples.map((s) => dataset.classes.indexOf(s.label)), splits: dataset.samples.map((s) => s.extra?.split) }),
  );
  return pixels.subarray(0, size * size * 3);
}

function referenceActivations(firstImage: Uint8Array, size: number): void {
  const model = mobileNetV2({ inputShape: [size, size, 3], numClasses: 4, seed: 1 });
  const probe = tfl.model({ inputs: model.inputs, outputs: [model.getLayer('block_13_project_BN').output, model.getLayer('pool').output] as tfl.SymbolicTensor[] });
  const input = tf.tensor(Float32Array.from(firstImage, (v) => v / 127.5 - 1), [1, size, size, 3]);
  const [block13, pooled] = probe.predict(input) as tf.Tensor[];
  writeFileSync(join(outDir, `reference_${size}.json`), JSON.stringify({ block_13_project_BN: { shape: block13.shape, values: Array.from(block13.dataSync()) }, pooled: Array.from(pooled.dataSync()) }));
  tf.dispose([input, block13, pooled]);
  model.dispose();
}

await tf.setBackend('cpu');
exportWeights('weights', mobileNetV2Weights());
exportWeights('mid_weights', midWeights());
for (const size of sizes) {
  for (const [m, manifest] of manifests.entries()) {
    const first = await exportImages(manifest, size);
    if (m === 0) referenceActivations(first, size);
  }
}
console.log(`exported weights, ${manifests.length} manifest(s) at ${sizes.join(', ')} px and reference activations to ${outDir}`);
