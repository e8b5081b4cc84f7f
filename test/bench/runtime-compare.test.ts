import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { largestGap, serveComparePage } from '../../bench/lib/index.ts';

describe('largestGap', () => {
  it('is the largest absolute element-wise difference', () => {
    expect(largestGap([0.2, 0.5, 0.3], [0.25, 0.4, 0.35])).toBeCloseTo(0.1, 12);
    expect(largestGap([1, 0], [1, 0])).toBe(0);
  });

  it('refuses outputs of different lengths', () => {
    expect(() => largestGap([1], [0.5, 0.5])).toThrow('1 and 2 probabilities');
  });
});

describe('serveComparePage', () => {
  let root: string;
  let base: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'gramlens-compare-test-'));
    await writeFile(join(root, 'index.html'), '<p>page</p>');
    await writeFile(join(root, 'metadata.json'), '{"classes":[]}');
    const server = await serveComparePage(root, root);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });

  afterAll(async () => {
    await close();
    await rm(root, { recursive: true, force: true });
  });

  it('serves the page, the model folder and TF.js WASM files from the npm package', async () => {
    const page = await fetch(`${base}/`);
    expect(await page.text()).toBe('<p>page</p>');
    const metadata = await fetch(`${base}/model/metadata.json`);
    expect(metadata.headers.get('content-type')).toBe('application/json');
    expect(await metadata.json()).toEqual({ classes: [] });
    const wasm = await fetch(`${base}/tfjs-wasm/tfjs-backend-wasm-simd.wasm`);
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    expect(new Uint8Array(await wasm.arrayBuffer()).subarray(0, 4)).toEqual(new Uint8Array([0, 0x61, 0x73, 0x6d]));
  });

  it('answers 404 for a missing file and serves nothing outside its folders', async () => {
    expect((await fetch(`${base}/model/weights.bin`)).status).toBe(404);
    expect((await fetch(`${base}/model/%2e%2e%2f%2e%2e%2fetc%2fpasswd`)).status).toBe(403);
  });
});
