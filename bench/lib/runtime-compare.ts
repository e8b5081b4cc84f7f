// bench:browser's side-by-side of the two WASM runtimes issue 19 chose between: the default model
// on onnxruntime-web (as the app runs it) and on TF.js 4.22 with its WASM backend, in one chromium,
// on the bench's own page (runtime-compare/, built here with vite into a temporary folder: the app's
// build is untouched) served by a small static server of its own, the TF.js .wasm files straight
// from node_modules. Rounds interleave the runtimes: each reloads the page, loads both models
// (alternating which goes first), warms both up, then times one tile and a batch of 64 tiles on each.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, isAbsolute, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { median, round } from '../stats.ts';

const PAGE_ROOT = fileURLToPath(new URL('./runtime-compare', import.meta.url));
const TFJS_WASM_DIST = fileURLToPath(new URL('../../node_modules/@tensorflow/tfjs-backend-wasm/dist', import.meta.url));
/** The field's batch: what a 12-megapixel photo's tiles take in one run. */
const BATCH = 64;
/** Largest difference allowed between the two runtimes' probabilities for the comparison to count. */
const MAX_PROBABILITY_GAP = 1e-4;
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

export interface RuntimeFigures {
  tile_ms: number | null;
  batch64_ms: number | null;
  load_ms: number | null;
  /** The runtime's JavaScript and the .wasm it runs, gzipped. */
  runtime_kb_gzip: number | null;
}

export interface RuntimeComparison {
  ort: RuntimeFigures;
  tfjs_wasm: RuntimeFigures & { simd: boolean };
  max_probability_gap: number;
  rounds: number;
}

interface Run {
  ms: number;
  probabilities: number[];
}

const gzipKb = (paths: string[]) => paths.reduce((total, path) => total + gzipSync(readFileSync(path), { level: 9 }).length, 0) / 1024;

/** Builds the page; TF.js (core, layers, WASM backend) and onnxruntime-web each in a chunk of its own to weigh them apart. */
async function buildPage(outDir: string): Promise<{ tfjsJs: string[] }> {
  await build({
    root: PAGE_ROOT,
    configFile: false,
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      modulePreload: { polyfill: false },
      assetsInlineLimit: 0,
      // TF.js (core and layers) is one large chunk by design: it is what is weighed.
      chunkSizeWarningLimit: 2048,
      rollupOptions: {
        output: { manualChunks: (id: string) => (id.includes('/node_modules/@tensorflow/') ? 'tfjs' : id.includes('/node_modules/onnxruntime-') ? 'onnxruntime' : undefined) },
      },
    },
  });
  const assets = readdirSync(join(outDir, 'assets'));
  const tfjsJs = assets.filter((name) => name.startsWith('tfjs-') && name.endsWith('.js')).map((name) => join(outDir, 'assets', name));
  if (tfjsJs.length === 0) throw new Error('the comparison page built no TF.js chunk');
  return { tfjsJs };
}

/** Serves the built page, /tfjs-wasm/ from the npm package and /model/ from the bundle, nothing else. */
export async function serveComparePage(outDir: string, modelDir: string): Promise<Server> {
  const roots: [string, string][] = [['/tfjs-wasm/', TFJS_WASM_DIST], ['/model/', modelDir], ['/', outDir]];
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const [prefix, root] = roots.find(([prefix]) => path.startsWith(prefix))!;
    const file = normalize(join(root, path === '/' ? 'index.html' : path.slice(prefix.length)));
    const inside = relative(root, file);
    if (inside.startsWith('..') || isAbsolute(inside)) return void response.writeHead(403).end();
    try {
      const body = await readFile(file);
      response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'max-age=3600' }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const call = <T>(page: Page, code: string) => page.evaluate<T>(`globalThis.runtimeCompare.${code}`);

/** The largest absolute difference between two runtimes' probabilities, element by element. */
export function largestGap(a: number[], b: number[]): number {
  if (a.length !== b.length) throw new Error(`the runtimes gave ${a.length} and ${b.length} probabilities`);
  return a.reduce((gap, value, i) => Math.max(gap, Math.abs(value - b[i])), 0);
}

/**
 * Times both runtimes side by side in `browser`; `ortRuntimeKbGzip` is the app build's own
 * onnxruntime-web JS + .wasm. Throws when the two disagree by more than 1e-4 on any probability.
 */
export async function compareRuntimes(browser: Browser, modelDir: string, rounds: number, ortRuntimeKbGzip: number, log: (text: string) => void): Promise<RuntimeComparison> {
  const outDir = await mkdtemp(join(tmpdir(), 'gramlens-runtime-compare-'));
  const server = await serveComparePage(outDir, modelDir);
  try {
    const { tfjsJs } = await buildPage(outDir);
    const tfjsKb = gzipKb([...tfjsJs, join(TFJS_WASM_DIST, 'tfjs-backend-wasm-simd.wasm')]);
    const context = await browser.newContext();
    const page = await context.newPage();
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const figures = { ort: { tile: [] as number[], batch: [] as number[], load: [] as number[] }, tfjs: { tile: [] as number[], batch: [] as number[], load: [] as number[] } };
    let gap = 0;
    let simd = false;
    for (let i = 0; i < rounds; i++) {
      await page.goto(url);
      await page.waitForFunction('globalThis.runtimeCompare !== undefined');
      const order = i % 2 === 0 ? (['ort', 'tfjs'] as const) : (['tfjs', 'ort'] as const);
      for (const runtime of order) figures[runtime].load.push(await call<number>(page, runtime === 'ort' ? 'loadOrt()' : 'loadTfjs()'));
      simd = await call<boolean>(page, 'simd()');
      for (const n of [1, BATCH]) {
        await call<Run>(page, `runOrt(${n})`);
        await call<Run>(page, `runTfjs(${n})`);
      }
      for (const n of [1, BATCH]) {
        const runs: Record<string, Run> = {};
        for (const runtime of order) runs[runtime] = await call<Run>(page, runtime === 'ort' ? `runOrt(${n})` : `runTfjs(${n})`);
        gap = Math.max(gap, largestGap(runs.ort.probabilities, runs.tfjs.probabilities));
        figures.ort[n === 1 ? 'tile' : 'batch'].push(runs.ort.ms);
        figures.tfjs[n === 1 ? 'tile' : 'batch'].push(runs.tfjs.ms);
      }
      log(`runtimes round ${i + 1}: tile ort ${figures.ort.tile[i].toFixed(1)} / tfjs ${figures.tfjs.tile[i].toFixed(1)} ms, batch of ${BATCH} ort ${Math.round(figures.ort.batch[i])} / tfjs ${Math.round(figures.tfjs.batch[i])} ms, load ort ${Math.round(figures.ort.load[i])} / tfjs ${Math.round(figures.tfjs.load[i])} ms`);
    }
    if (gap > MAX_PROBABILITY_GAP) throw new Error(`onnxruntime-web and TF.js disagree by ${gap} on a probability (more than ${MAX_PROBABILITY_GAP}): the comparison would not be fair`);
    const summary = (runtime: 'ort' | 'tfjs', kb: number) => ({
      tile_ms: round(median(figures[runtime].tile), 2),
      batch64_ms: round(median(figures[runtime].batch)),
      load_ms: round(median(figures[runtime].load)),
      runtime_kb_gzip: round(kb, 1),
    });
    await context.close();
    return { ort: summary('ort', ortRuntimeKbGzip), tfjs_wasm: { ...summary('tfjs', tfjsKb), simd }, max_probability_gap: Number(gap.toExponential(2)), rounds };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(outDir, { recursive: true, force: true });
  }
}
