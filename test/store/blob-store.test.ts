import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buffer, text } from 'node:stream/consumers';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blobKey, FolderBlobStore } from '../../src/store/index.ts';
import { seededBlob, tempDir } from './fixtures.ts';

const CHILD = fileURLToPath(new URL('./blob-writer-child.ts', import.meta.url));

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Every blob file under root (not the temporary ones), as prefix/rest. */
function blobFiles(root: string): string[] {
  return readdirSync(root)
    .filter((name) => name !== '.incoming')
    .flatMap((prefix) => readdirSync(join(root, prefix)).map((rest) => `${prefix}/${rest}`))
    .sort();
}

/** Runs a writer process; resolves with the sha256s it printed. */
function writerProcess(root: string, count: number): Promise<string[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, root, String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = text(child.stdout);
  const errors = text(child.stderr);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', async (code) => (code === 0 ? resolve((await output).trim().split('\n')) : reject(new Error(`writer exited with ${code}: ${await errors}`))));
  });
}

describe('the folder blob store', () => {
  let dir: ReturnType<typeof tempDir>;
  let root: string;
  let blobs: FolderBlobStore;

  beforeEach(() => {
    dir = tempDir();
    root = join(dir.path, 'images');
    blobs = new FolderBlobStore(root);
  });
  afterEach(() => dir.remove());

  it('keeps bytes under their sha256 as ab/cdef…, once, and reads and streams them back', async () => {
    const bytes = seededBlob(1);
    const id = await blobs.put(bytes);
    expect(id).toBe(sha256(bytes));
    expect(blobKey(id)).toBe(`${id.slice(0, 2)}/${id.slice(2)}`);
    expect(readFileSync(join(root, id.slice(0, 2), id.slice(2)))).toEqual(bytes);
    expect(await blobs.has(id)).toBe(true);
    expect(await blobs.read(id)).toEqual(bytes);
    expect(await buffer(await blobs.stream(id))).toEqual(bytes);
    expect(await blobs.put(bytes)).toBe(id);
    expect(blobFiles(root)).toEqual([blobKey(id)]);
    expect(readdirSync(join(root, '.incoming'))).toEqual([]);
  });

  it('lets two processes store the same blobs at the same time: both succeed, one whole file each, nothing left over', async () => {
    const count = 12;
    const [first, second] = await Promise.all([writerProcess(root, count), writerProcess(root, count)]);
    const expected = Array.from({ length: count }, (_, i) => sha256(seededBlob(i)));
    expect(first).toEqual(expected);
    expect(second).toEqual(expected);
    expect(blobFiles(root)).toEqual(expected.map(blobKey).sort());
    for (const id of expected) expect(sha256(readFileSync(join(root, blobKey(id))))).toBe(id);
    expect(readdirSync(join(root, '.incoming'))).toEqual([]);
  });

  it('lets several writers in one process store the same bytes at once', async () => {
    const other = new FolderBlobStore(root);
    const bytes = seededBlob(7);
    const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? other : blobs).put(bytes)));
    expect(new Set(ids)).toEqual(new Set([sha256(bytes)]));
    expect(await blobs.read(ids[0])).toEqual(bytes);
    expect(readdirSync(join(root, '.incoming'))).toEqual([]);
  });

  it('reports a missing blob as not found, in one line naming it', async () => {
    const id = sha256(Buffer.from('never stored'));
    expect(await blobs.has(id)).toBe(false);
    await expect(blobs.read(id)).rejects.toMatchObject({ kind: 'not-found', message: `the file of image ${id} is missing from the image store` });
    await expect(blobs.stream(id)).rejects.toMatchObject({ kind: 'not-found' });
  });

  it('refuses an id that is not a sha256 before touching the disk, and a file whose bytes no longer match theirs', async () => {
    for (const bad of ['../../etc/passwd', 'AB'.repeat(32), 'a'.repeat(63), '']) {
      await expect(blobs.read(bad)).rejects.toMatchObject({ kind: 'invalid', message: expect.stringMatching(/sha256/) });
      await expect(blobs.has(bad)).rejects.toMatchObject({ kind: 'invalid' });
      await expect(blobs.stream(bad)).rejects.toMatchObject({ kind: 'invalid' });
    }
    const id = await blobs.put(seededBlob(2));
    writeFileSync(join(root, blobKey(id)), 'overwritten on the volume');
    await expect(blobs.read(id)).rejects.toThrow(`the file of image ${id} is corrupt`);
    await expect(buffer(await blobs.stream(id))).rejects.toThrow(`the file of image ${id} is corrupt`);
  });

  it('streams a large blob whole when it is intact, and ends the stream in an error when it was altered', async () => {
    const bytes = Buffer.concat(Array.from({ length: 20 }, () => seededBlob(100))); // 1.3 MB, many chunks
    const id = await blobs.put(bytes);
    // equals, not toEqual: a deep comparison of 1.3 MB byte by byte takes seconds
    expect((await buffer(await blobs.stream(id))).equals(bytes)).toBe(true);
    const altered = Buffer.from(bytes);
    altered[altered.length - 1] ^= 1;
    writeFileSync(join(root, blobKey(id)), altered);
    await expect(buffer(await blobs.stream(id))).rejects.toThrow(`the file of image ${id} is corrupt`);
  });

  it('removes temporary files of writes interrupted long ago when it opens, and only those', () => {
    const stale = join(root, '.incoming', 'host-1-stale.part');
    const fresh = join(root, '.incoming', 'host-2-fresh.part');
    writeFileSync(stale, 'half a blob');
    writeFileSync(fresh, 'a write in progress on another server');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000);
    utimesSync(stale, twoHoursAgo, twoHoursAgo);
    new FolderBlobStore(root);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
  });
});
