// npm run bench:browser [-- --json] [--model DIR] [--rounds 5]
//
// The clinician's on-device mode in Debian's chromium (headless, playwright-core): the server's
// model (default /tmp/demo-idle/run/model, else gramlens-demo/run/model) loaded in the page on
// onnxruntime-web's WASM, then, each timed in the page from "Analyse" to the result on screen:
// one tile photo at the model's input size (checks, model, calibration, Grad-CAM layer) and a
// 12-megapixel whole-field photo with its scale (decoding, quality check, tiles at the model's
// scale, model, field decision, tile map and heatmap layers), with the network off. Also the
// model's load time from the service worker's cache (model_load_ms: the model kept for offline use
// by the app's own "Get the current model", then a page reload with the network off), from the
// HTTP cache (an online reload) and cold, and the gzipped size of the app's own JavaScript beside
// the runtime's (its JS chunk and .wasm under /ort/). Then, in the same chromium, the model on
// onnxruntime-web beside TF.js 4.22's WASM backend on a page of the bench's own (lib/runtime-compare.ts):
// one tile and 64 tiles, load time, gzipped runtime size, interleaved rounds. Medians over --rounds (default 5).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium, type Page } from 'playwright-core';
import sharp from 'sharp';
import { build } from 'vite';
import { initEngine } from '../src/engine/index.ts';
import { BundlePredictor } from '../src/inference/index.ts';
import { modelVersionOf, readBundleMetadata } from '../src/models/index.ts';
import { createServer } from '../src/server/index.ts';
import { generateField, generateTile } from '../src/synth/index.ts';
import { compareRuntimes } from './lib/index.ts';
import { benchArgs, median, round } from './stats.ts';

const argv = process.argv.slice(2);
const args = benchArgs(argv);
const rounds = argv.includes('--rounds') ? args.rounds : 5;
const modelAt = argv.indexOf('--model');
const model = modelAt >= 0 ? argv[modelAt + 1] : ['/tmp/demo-idle/run/model', 'gramlens-demo/run/model'].find((dir) => existsSync(join(dir, 'metadata.json')));
const WEB_DIST = fileURLToPath(new URL('../src/web/dist', import.meta.url));
const PASSWORD = 'bench-browser-password-0123';
/** The 12-megapixel field: 4000 × 3000 at this scale (a 100× objective through a phone). */
const FIELD_PX_PER_UM = 20;
const BATCH_NOTE = 'model run only, one thread';
const log = (text: string) => process.stderr.write(`${text}\n`);

if (!model) throw new Error('no model bundle: give --model DIR (a bundle with model.onnx), or run gramlens demo first');

/** Gzipped kB of the built JavaScript: the app's own chunks (assets/ and the service worker), and onnxruntime's chunk and .wasm (ort/) apart. */
function bundleSizes() {
  const kb = (bytes: number) => round(bytes / 1024, 1);
  const gzipped = (path: string) => gzipSync(readFileSync(path), { level: 9 }).length;
  const filesIn = (folder: string) => readdirSync(join(WEB_DIST, folder)).map((name) => join(WEB_DIST, folder, name));
  const app = [...filesIn('assets'), join(WEB_DIST, 'sw.js')].filter((path) => path.endsWith('.js')).reduce((total, path) => total + gzipped(path), 0);
  const runtime = filesIn('ort');
  const runtimeJs = runtime.filter((path) => path.endsWith('.js')).reduce((total, path) => total + gzipped(path), 0);
  const wasmFiles = runtime.filter((path) => path.endsWith('.wasm'));
  const wasm = wasmFiles.reduce((total, path) => total + readFileSync(path).length, 0);
  const wasmGzip = wasmFiles.reduce((total, path) => total + gzipped(path), 0);
  return { app_js_kb_gzip: kb(app), runtime_js_kb_gzip: kb(runtimeJs), runtime_wasm_kb: kb(wasm), runtime_wasm_kb_gzip: kb(wasmGzip) };
}

/** Chooses the photo, runs "Analyse photo" and times it in the page until the result (or the quality verdict) is on screen. */
async function timedAnalysis(page: Page, name: string, photo: Buffer, wholeField: boolean): Promise<number> {
  await page.locator('input[type=file]:not([capture])').setInputFiles({ name, mimeType: name.endsWith('.png') ? 'image/png' : 'image/jpeg', buffer: photo });
  await page.getByLabel('Specimen type').selectOption('Blood culture');
  const whole = page.getByLabel(/^Whole microscope field/);
  if (wholeField) {
    await whole.check();
    await page.getByLabel('Photo scale, pixels per µm (optional)').fill(String(FIELD_PX_PER_UM));
  } else await whole.uncheck();
  // A string, not a function: tsx would wrap a function's inner helpers in a __name the page lacks.
  const ms = await page.evaluate<number>(`new Promise((resolve) => {
    const started = performance.now();
    const observer = new MutationObserver(() => {
      if (!document.querySelector('.result-area article.prediction, .result-area section.quality-failed, .result-area .message-error')) return;
      observer.disconnect();
      resolve(performance.now() - started);
    });
    observer.observe(document.body, { childList: true, subtree: true });
    document.querySelector('form.capture button[type=submit]').click();
  })`);
  const error = await page.locator('.result-area .message-error').count();
  if (error > 0) throw new Error(`the page could not read ${name}: ${await page.locator('.result-area').textContent()}`);
  const unread = await page.locator('.result-area section.quality-failed, .result-area article.prediction-refused').count();
  if (unread > 0) throw new Error(`${name} was not read (quality check failed or refused): the benchmark would not time the whole path`);
  return ms;
}

/** The page's own figure for loading the model: "(loaded in N ms)". */
async function modelLoadMs(page: Page): Promise<number> {
  const status = page.locator('.model-status');
  await status.filter({ hasText: /loaded in \d+ ms|read on the server/ }).waitFor({ timeout: 120_000 });
  const text = (await status.textContent()) ?? '';
  const match = text.match(/loaded in (\d+) ms/);
  if (!match) throw new Error(`the model did not load on the device: ${text}`);
  return Number(match[1]);
}

/** Registers the bundle the server runs and activates it, as an admin would: the page keeps the active model for offline use. */
async function registerModel(page: Page): Promise<void> {
  const registered = await page.request.post('/api/models', { data: { path: model, name: 'Bench model', version: 'bench' } });
  if (!registered.ok()) throw new Error(`the model could not be registered: ${await registered.text()}`);
  const { id } = (await registered.json()) as { id: number };
  const activated = await page.request.post(`/api/models/${id}/activate`);
  if (!activated.ok()) throw new Error(`the model could not be activated: ${await activated.text()}`);
}

/** The app's own flow: once the service worker controls the page, "Get the current model" keeps the model and the runtime for offline use. */
async function keepModelForOffline(page: Page): Promise<void> {
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 60_000 });
  await page.getByRole('button', { name: 'Get the current model' }).click();
  await page.getByText("This device holds the server's current model", { exact: false }).waitFor({ timeout: 120_000 });
}

async function main(): Promise<void> {
  log(`building the web app; model ${model}`);
  await build({ configFile: fileURLToPath(new URL('../src/web/vite.config.ts', import.meta.url)), logLevel: 'warn' });
  const sizes = bundleSizes();
  log('rendering the photos');
  const tileSide = JSON.parse(readFileSync(join(model!, 'metadata.json'), 'utf8')).input.width as number;
  const tiles = await Promise.all(
    Array.from({ length: rounds }, (_, i) => {
      const tile = generateTile({ label: 'gnr', seed: 100 + i, size: tileSide });
      return sharp(Buffer.from(tile.rgb), { raw: { width: tile.width, height: tile.height, channels: 3 } }).png().toBuffer();
    }),
  );
  const field = generateField({ label: 'gpc_chains', seed: 7, width: 4000, height: 3000, pxPerUm: FIELD_PX_PER_UM });
  const fieldPhoto = await sharp(Buffer.from(field.rgb), { raw: { width: field.width, height: field.height, channels: 3 } }).jpeg({ quality: 92 }).toBuffer();

  const dataDir = await mkdtemp(join(tmpdir(), 'gramlens-bench-browser-'));
  // The server reads the dense kernel of the model's head (the heatmaps) through TF.js.
  await initEngine();
  const predictor = await BundlePredictor.load(model!);
  const bundleVersionOf = async (path: string) => modelVersionOf(await readBundleMetadata(path));
  const server = createServer({ dataDir, staticDir: WEB_DIST, predictor, bundleVersionOf, initialAdmin: { username: 'admin', password: PASSWORD } });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const baseUrl = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run'] });
  try {
    const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto('/');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    await registerModel(page);
    // The admin lands on the admin pages: the clinician's screen is #/clinic.
    await page.goto('/#/clinic');
    const coldLoadMs = await modelLoadMs(page);
    const crossOriginIsolated = await page.evaluate(() => globalThis.crossOriginIsolated);
    const httpLoads: number[] = [];
    for (let i = 0; i < rounds; i++) {
      await page.reload();
      httpLoads.push(await modelLoadMs(page));
    }
    log(`model load from the HTTP cache (ms): ${httpLoads.map((ms) => Math.round(ms)).join(', ')} (cold ${coldLoadMs})`);
    await keepModelForOffline(page);
    await context.setOffline(true);
    const loads: number[] = [];
    for (let i = 0; i < rounds; i++) {
      await page.reload();
      loads.push(await modelLoadMs(page));
    }
    log(`model load from the service worker's cache, offline (ms): ${loads.map((ms) => Math.round(ms)).join(', ')}`);
    // A first tile warms the runtime up (WASM compilation, first session run), untimed.
    await timedAnalysis(page, 'warm-up.png', tiles[0], false);
    const tileMs: number[] = [];
    const fieldMs: number[] = [];
    for (let i = 0; i < rounds; i++) {
      tileMs.push(await timedAnalysis(page, `tile-${i}.png`, tiles[i], false));
      fieldMs.push(await timedAnalysis(page, 'field-12mp.jpg', fieldPhoto, true));
      log(`round ${i + 1}: tile ${Math.round(tileMs[i])} ms, 12 MP field ${Math.round(fieldMs[i])} ms`);
    }
    log('onnxruntime-web beside TF.js WASM on the same model');
    // At least 5 rounds: single runs of a few ms on a shared machine are noisy.
    const runtimeCompare = await compareRuntimes(browser, model!, Math.max(5, rounds), sizes.runtime_js_kb_gzip! + sizes.runtime_wasm_kb_gzip!, log);
    const result = {
      tile_ms: round(median(tileMs)),
      field_12mp_ms: round(median(fieldMs)),
      model_load_ms: round(median(loads)),
      model_load_http_cache_ms: round(median(httpLoads)),
      model_load_cold_ms: coldLoadMs,
      ...sizes,
      rounds,
      threads: crossOriginIsolated ? 'several (cross-origin isolated)' : 1,
      model,
      runtime_compare: runtimeCompare,
    };
    if (!args.json) {
      log(`tile ${result.tile_ms} ms (bar 50), 12 MP field ${result.field_12mp_ms} ms (bar 3000), model load ${result.model_load_ms} ms (bar 1000)`);
      const { ort, tfjs_wasm: tfjs } = runtimeCompare;
      log(`same page, ${BATCH_NOTE}: onnxruntime-web tile ${ort.tile_ms} ms, 64 tiles ${ort.batch64_ms} ms, load ${ort.load_ms} ms, ${ort.runtime_kb_gzip} kB gzip`);
      log(`same page, ${BATCH_NOTE}: TF.js WASM tile ${tfjs.tile_ms} ms, 64 tiles ${tfjs.batch64_ms} ms, load ${tfjs.load_ms} ms, ${tfjs.runtime_kb_gzip} kB gzip (SIMD ${tfjs.simd})`);
      log(`app JS ${result.app_js_kb_gzip} kB gzip (bar 150); runtime JS ${result.runtime_js_kb_gzip} kB gzip, WASM ${result.runtime_wasm_kb} kB (${result.runtime_wasm_kb_gzip} kB gzip)`);
    }
    console.log(JSON.stringify(result));
  } finally {
    await browser.close();
    await server.close();
    await predictor.dispose();
    await rm(dataDir, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (error) {
  log(`bench:browser failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
