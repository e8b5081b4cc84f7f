import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.ts';
import { MODEL_NAMES } from '../../src/models/index.ts';
import { openStore } from '../../src/store/index.ts';

describe('gramlens serve --model with a bundle that will not load', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'gl-serve-load-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('stops in one line and leaves the active model as it was (nothing committed or announced)', async () => {
    const dataDir = join(root, 'data');
    const store = await openStore({ dataDir });
    const serving = await store.models.register({ path: join(root, 'serving'), name: 'serving', version: 'v1', metrics: null });
    await store.models.activate(serving.id);
    await store.close();
    // metadata a bundle reader accepts, but no weights: it fails only when loaded
    const broken = join(root, 'broken');
    await mkdir(broken, { recursive: true });
    await writeFile(join(broken, 'metadata.json'), JSON.stringify({ format: 'gramlens-bundle', version: 1, architecture: { name: MODEL_NAMES[0] }, createdAt: '2026-12-07T00:00:00Z' }));

    const errors: string[] = [];
    const code = await runCli(['serve', '--data-dir', dataDir, '--model', broken, '--port', '0', '--backend', 'cpu'], {
      out: () => {},
      err: (text) => errors.push(text),
      signal: new AbortController().signal,
    });
    expect(code).not.toBe(0);
    expect(errors.join('\n')).toMatch(/^gramlens serve: error: /m);

    const after = await openStore({ dataDir });
    try {
      expect((await after.models.active())?.id).toBe(serving.id);
      expect((await after.models.list()).map((model) => model.name)).toEqual(['serving']);
    } finally {
      await after.close();
    }
  });
});
