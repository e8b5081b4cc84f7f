// The bench's own page (never part of the app's build): the default model on onnxruntime-web, as
// the app runs it, beside TF.js 4.22 on its WASM backend (SIMD) loading the bundle's TF.js model
// (the architecture rebuilt from metadata.json, weights.bin). bench/browser.ts builds it with vite,
// serves it with the runtimes' files and the model under /model/, and drives it through
// `window.runtimeCompare`.
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type * as tfl from '@tensorflow/tfjs-layers';
import { WebOnnxClassifier } from '../../../src/engine/onnx/portable.ts';
import type { BundleMetadata } from '../../../src/models/portable.ts';
// Browser-safe parts of src/models (its index.ts also reads bundles with Node's fs); zoo.ts registers the built-in architectures.
import '../../../src/models/zoo.ts';
import { buildModel } from '../../../src/models/registry.ts';
import { loadModelWeights, weightsFromBytes } from '../../../src/models/weights.ts';

interface Run {
  ms: number;
  probabilities: number[];
}

let onnx: WebOnnxClassifier | null = null;
let layers: tfl.LayersModel | null = null;
let metadata: BundleMetadata | null = null;

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function bundleMetadata(): Promise<BundleMetadata> {
  metadata ??= (await (await fetch('/model/metadata.json')).json()) as BundleMetadata;
  return metadata;
}

/** n model inputs, the same for both runtimes: seeded values in the normalised range (mean 0, spread about 1). */
function inputBatch(n: number, perImage: number): Float32Array {
  const values = new Float32Array(n * perImage);
  let state = 12345;
  for (let i = 0; i < values.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = (state / 2 ** 32) * 3.4 - 1.7;
  }
  return values;
}

/** From fetching the model to a session ready to run, in ms (the runtime's WASM fetched and compiled on the first load). */
async function loadOrt(): Promise<number> {
  const started = performance.now();
  await onnx?.dispose();
  onnx = await WebOnnxClassifier.load(await fetchBytes('/model/model.onnx'));
  return performance.now() - started;
}

/** From starting the WASM backend and fetching the bundle to a model ready to run, in ms. */
async function loadTfjs(): Promise<number> {
  const started = performance.now();
  setWasmPaths('/tfjs-wasm/');
  if (!(await tf.setBackend('wasm'))) throw new Error('TF.js could not start its WASM backend');
  await tf.ready();
  const [meta, weights] = await Promise.all([bundleMetadata(), fetchBytes('/model/weights.bin')]);
  const { height, width, channels } = meta.input;
  layers?.dispose();
  layers = buildModel(meta.architecture.name, { inputShape: [height, width, channels], numClasses: meta.classes.length, width: meta.architecture.width, seed: meta.architecture.seed });
  loadModelWeights(layers, weightsFromBytes(meta.weights, weights));
  return performance.now() - started;
}

/** One run of n images on onnxruntime-web, timed from the input array to the probabilities read back. */
async function runOrt(n: number): Promise<Run> {
  if (!onnx) throw new Error('onnxruntime-web has no model loaded');
  const batch = inputBatch(n, onnx.inputShape.reduce((a, b) => a * b, 1));
  const started = performance.now();
  const { probabilities } = await onnx.run(batch, n);
  return { ms: performance.now() - started, probabilities: Array.from(probabilities) };
}

/** The same on TF.js: tensor from the array, predict, probabilities read back, every tensor disposed. */
async function runTfjs(n: number): Promise<Run> {
  if (!layers) throw new Error('TF.js has no model loaded');
  const shape = layers.inputs[0].shape.slice(1) as number[];
  const batch = inputBatch(n, shape.reduce((a, b) => a * b, 1));
  const held = tf.memory().numTensors;
  const started = performance.now();
  const output = tf.tidy(() => {
    const predicted = layers!.predict(tf.tensor(batch, [n, ...shape]));
    return Array.isArray(predicted) ? predicted[0] : predicted;
  });
  const probabilities = await output.data<'float32'>();
  output.dispose();
  if (tf.memory().numTensors !== held) throw new Error(`a TF.js run left ${tf.memory().numTensors - held} tensors behind`);
  return { ms: performance.now() - started, probabilities: Array.from(probabilities) };
}

async function simd(): Promise<boolean> {
  return (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
}

Object.assign(globalThis, { runtimeCompare: { loadOrt, loadTfjs, runOrt, runTfjs, simd } });
