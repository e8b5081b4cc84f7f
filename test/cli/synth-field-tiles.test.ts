import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.ts';
import { parseSplits } from '../../src/cli/commands/synth.ts';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t), signal: new AbortController().signal });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'gl-cli-field-tiles-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('gramlens synth --field-tiles', () => {
  it('parses fields per class per split', () => {
    expect(parseSplits('train=30, val=10,test=0')).toEqual({ train: 30, val: 10, test: 0 });
    expect(() => parseSplits('train:30')).toThrow(/--splits must look like/);
    expect(() => parseSplits('train=1,train=2')).toThrow(/twice/);
  });

  it('writes tiles cut from whole fields, with a split column, and refuses options of the tile mode', async () => {
    const out = join(root, 'data');
    const result = await cli('synth', out, '--field-tiles', '--splits', 'train=1', '--field-size', '360x280', '--tile-size', '32', '--max-tiles', '3', '--workers', '1', '--seed', '3');
    expect(result.code, result.err).toBe(0);
    expect(result.out).toMatch(/gpc_clusters\s+\d+ tiles/);
    const manifest = (await readFile(join(out, 'manifest.csv'), 'utf8')).trim().split('\n');
    expect(manifest[0]).toBe('path,label,patient_id,field_id,specimen,stain,device,split');
    expect(manifest.length).toBeGreaterThan(9);
    expect(manifest.slice(1).every((line) => line.endsWith(',train'))).toBe(true);
    expect((await readFile(join(out, 'fields.csv'), 'utf8')).trim().split('\n')).toHaveLength(10);
    expect(JSON.parse(await readFile(join(out, 'dataset.json'), 'utf8'))).toMatchObject({ pxPerUm: 6, tileSize: 32 });

    expect(await cli('synth', join(root, 'x'), '--field-tiles', '--tiles', '10')).toMatchObject({ code: 2, err: expect.stringContaining('--tiles does not apply to --field-tiles') });
    expect(await cli('synth', join(root, 'x'), '--splits', 'train=1')).toMatchObject({ code: 2, err: expect.stringContaining('--splits applies only with --field-tiles') });
    expect(await cli('synth', join(root, 'x'), '--field-tiles', '--field-size', '300')).toMatchObject({ code: 2, err: expect.stringContaining('--field-size must look like') });
  });
});
