import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.ts';
import { createRng } from '../../src/util/index.ts';

async function writeTinyDataset(root: string): Promise<void> {
  const rng = createRng(9);
  for (const [label, level] of [['pale', 70], ['dark', 190]] as const) {
    await mkdir(join(root, label), { recursive: true });
    for (let i = 0; i < 12; i++) {
      const pixels = Buffer.from(Array.from({ length: 16 * 16 * 3 }, () => Math.max(0, Math.min(255, Math.round(level + 20 * rng.normal())))));
      await sharp(pixels, { raw: { width: 16, height: 16, channels: 3 } }).png().toFile(join(root, label, `p${i % 4}_${i}.png`));
    }
  }
}

describe('gramlens serve', () => {
  it('serves the active model: login, predict with a heatmap, audit trail', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gl-serve-'));
    await writeTinyDataset(join(root, 'data'));
    const quiet = { out: () => {}, err: () => {}, signal: new AbortController().signal };
    const trained = await runCli(['train', join(root, 'data'), '--out', join(root, 'run'), '--size', '16', '--width', '4', '--epochs', '2', '--batch', '8', '--workers', '1', '--backend', 'cpu'], quiet);
    expect(trained).toBe(0);

    const stop = new AbortController();
    const messages: string[] = [];
    process.env.GRAMLENS_ADMIN_PASSWORD = 'a-long-test-password';
    const serving = runCli(['serve', '--data-dir', join(root, 'server'), '--model', join(root, 'run', 'model'), '--port', '0', '--backend', 'cpu'], {
      out: () => {},
      err: (text) => messages.push(text),
      signal: stop.signal,
    });
    let url: string | undefined;
    for (let i = 0; i < 200 && !url; i++) {
      url = messages.join('\n').match(/serving on (http:\/\/[\d.]+:\d+)/)?.[1];
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(url).toBeDefined();
    try {
      const login = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: 'a-long-test-password' }),
      });
      expect(login.status).toBe(200);
      const cookie = login.headers.get('set-cookie')!.split(';')[0];
      const form = new FormData();
      // Like the training images once the model has cropped and resized it (a uniform frame would be refused as blank).
      const rng = createRng(10);
      const pixels = Buffer.from(Array.from({ length: 16 * 16 * 3 }, () => Math.max(0, Math.min(255, Math.round(190 + 20 * rng.normal())))));
      const square = await sharp(pixels, { raw: { width: 16, height: 16, channels: 3 } }).resize(30, 30, { kernel: 'nearest' }).png().toBuffer();
      const photo = await sharp(square).extend({ left: 5, right: 5, background: { r: 190, g: 190, b: 190 } }).png().toBuffer();
      form.append('image', new Blob([new Uint8Array(photo)], { type: 'image/png' }), 'photo.png');
      form.append('specimenType', 'sputum');
      const predicted = await fetch(`${url}/api/predict`, { method: 'POST', headers: { cookie }, body: form });
      const body = await predicted.json();
      expect(predicted.status, JSON.stringify(body)).toBe(201);
      expect(body.refusal, JSON.stringify(body.refusal)).toBeNull();
      expect(body.classes.map((c: { label: string }) => c.label).sort()).toEqual(['dark', 'pale']);
      const heatmap = await fetch(`${url}${body.heatmapUrl ?? `/api/predictions/${body.id}/heatmap.png`}`, { headers: { cookie } });
      expect(heatmap.status).toBe(200);
      // The layer covers the whole 40×30 photo; the model saw its centred 30×30 square, so the edges stay transparent.
      const layer = await sharp(Buffer.from(await heatmap.arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
      expect([layer.info.width, layer.info.height, layer.info.channels]).toEqual([40, 30, 4]);
      const alphaAt = (x: number, y: number) => layer.data[(y * 40 + x) * 4 + 3];
      expect(alphaAt(0, 15)).toBe(0);
      expect(alphaAt(39, 15)).toBe(0);
      expect(alphaAt(20, 15)).toBe(255);
      const audit = await fetch(`${url}/api/audit.csv`, { headers: { cookie } });
      expect(await audit.text()).toContain(body.id);
    } finally {
      stop.abort();
      expect(await serving).toBe(0);
      delete process.env.GRAMLENS_ADMIN_PASSWORD;
    }
  });
});
