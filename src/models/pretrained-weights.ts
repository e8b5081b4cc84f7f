import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** One pretrained weight: dequantised float32 values and their shape. */
export interface PretrainedWeight {
  shape: number[];
  values: Float32Array;
}

/** The npm package that carries the weights inside its tarball, and the folder of the model in it. */
const CARRIER = { package: 'nsfwjs', version: '4.4.0', model: 'dist/models/mobilenet_v2' } as const;

/** TF.js's weights manifest entry, as written by the converter. */
export interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; min?: number; scale?: number };
}

interface ModelFile {
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: ManifestEntry[] }[];
}

let cache: Map<string, PretrainedWeight> | null = null;

/**
 * Keras's MobileNetV2 (alpha 1, 224 px), as shipped base64-encoded and uint8-quantised inside the
 * nsfwjs npm package: nothing is downloaded. Keyed by Keras weight name (`block_3_expand/kernel`,
 * `block_3_expand_BN/gamma`, ...). Blocks 0-10 hold Keras's ImageNet weights; nsfwjs tuned blocks
 * 11-16 and Conv_1 for its own task. Read once per process.
 */
export function mobileNetV2Weights(): Map<string, PretrainedWeight> {
  cache ??= readCarrier();
  return cache;
}

function readCarrier(): Map<string, PretrainedWeight> {
  const require = createRequire(import.meta.url);
  const root = packageRoot(require);
  const modelDir = join(root, CARRIER.model);
  // The files are CommonJS modules whose export is the model JSON, or a shard as a base64 string.
  const model = require(join(modelDir, 'model.min.js')) as ModelFile;
  const weights = new Map<string, PretrainedWeight>();
  for (const group of model.weightsManifest) {
    const shards = group.paths.map((path) => Buffer.from(base64Export(join(modelDir, `${path}.min.js`)), 'base64'));
    const bytes = new Uint8Array(Buffer.concat(shards));
    let offset = 0;
    for (const entry of group.weights) {
      const size = entry.shape.reduce((a, b) => a * b, 1);
      if (offset + size > bytes.length) throw new Error(`the ${CARRIER.package} weights are shorter than their manifest says (at "${entry.name}")`);
      weights.set(entry.name, { shape: entry.shape, values: dequantise(bytes.subarray(offset, offset + size), entry) });
      offset += size;
    }
  }
  return weights;
}

/** uint8 → float32 as TF.js's own loader does it: value = q · scale + min. */
export function dequantise(quantised: Uint8Array, entry: ManifestEntry): Float32Array {
  const { quantization } = entry;
  if (entry.dtype !== 'float32' || quantization?.dtype !== 'uint8' || quantization.min === undefined || quantization.scale === undefined) {
    throw new Error(`pretrained weight "${entry.name}" is not uint8-quantised float32, the only encoding read here`);
  }
  const { min, scale } = quantization;
  const values = new Float32Array(quantised.length);
  for (let i = 0; i < quantised.length; i++) values[i] = quantised[i] * scale + min;
  return values;
}

/** The string a shard module exports, read as text: parsing 3.5 MB of JavaScript for it takes 200 ms. */
function base64Export(file: string): string {
  const match = /exports="([A-Za-z0-9+/=]+)"/.exec(readFileSync(file, 'latin1'));
  if (!match) throw new Error(`${file} is not a weight shard of ${CARRIER.package}@${CARRIER.version}`);
  return match[1];
}

function packageRoot(require: NodeJS.Require): string {
  let entry: string;
  try {
    entry = require.resolve(CARRIER.package);
  } catch {
    throw new Error(`the pretrained MobileNetV2 weights come from the npm package ${CARRIER.package}@${CARRIER.version}, which is not installed: run npm ci`);
  }
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    if (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, CARRIER.model))) continue;
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
    if (version !== CARRIER.version) throw new Error(`the pretrained MobileNetV2 weights are read from ${CARRIER.package}@${CARRIER.version}, but ${version} is installed: run npm ci`);
    return dir;
  }
  throw new Error(`the installed ${CARRIER.package} has no ${CARRIER.model}: install ${CARRIER.package}@${CARRIER.version}`);
}
