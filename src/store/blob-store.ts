import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { access, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline, Transform, type Readable } from 'node:stream';
import { invalid, notFound } from './errors.ts';

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Leftovers of writes interrupted longer ago than this are removed when the store opens. */
const STALE_TEMP_MS = 60 * 60 * 1000;
/** Beside the blobs, so that a temporary file is renamed within one file system (one volume). */
const INCOMING = '.incoming';
const TEMP_SUFFIX = '.part';

export function isSha256(value: string): boolean {
  return SHA256_HEX.test(value);
}

function checkSha256(sha256: string): void {
  if (!isSha256(sha256)) throw invalid('an image id is 64 lowercase hex digits (sha256)');
}

export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Where a blob lives below the store's folder: `ab/cdef…` (two hex digits, then the rest). */
export function blobKey(sha256: string): string {
  checkSha256(sha256);
  return `${sha256.slice(0, 2)}/${sha256.slice(2)}`;
}

/**
 * Bytes content-addressed by their sha256: what the image store keeps its files in. Every reader and
 * writer of image files goes through one.
 */
export interface BlobStore {
  /** Stores the bytes under their sha256, which it resolves with; bytes already stored are left as they are. */
  put(bytes: Buffer): Promise<string>;
  has(sha256: string): Promise<boolean>;
  /** The bytes, checked against their sha256; a missing blob is a not-found StoreError, a malformed id an invalid one. */
  read(sha256: string): Promise<Buffer>;
  /**
   * The bytes as a stream, opened before it resolves (so a missing blob is reported, not a broken
   * stream); checked against their sha256 as they pass, the stream ends in an error if they do not match.
   */
  stream(sha256: string): Promise<Readable>;
}

/**
 * Blobs as files in a local folder, `ROOT/ab/cdef…`, which may be a shared network volume that
 * several servers write to. A blob is written to a temporary file of its own in `ROOT/.incoming`
 * (named by host, process and random bytes), flushed to disk and renamed onto its final name: a
 * reader never sees half a file, and two processes storing the same bytes at once both succeed and
 * leave one whole file (the second rename replaces it with the same bytes). The folder is flushed
 * after the rename too, so that a crash cannot lose the file's new name.
 */
export class FolderBlobStore implements BlobStore {
  private readonly incoming: string;

  constructor(readonly root: string) {
    this.incoming = join(root, INCOMING);
    mkdirSync(this.incoming, { recursive: true });
    removeStaleTempFiles(this.incoming);
  }

  /** The blob's file (whether or not it exists); only ever built from a checked sha256. */
  pathOf(sha256: string): string {
    return join(this.root, blobKey(sha256));
  }

  async put(bytes: Buffer): Promise<string> {
    const sha256 = sha256Of(bytes);
    if (await this.has(sha256)) return sha256;
    const target = this.pathOf(sha256);
    await mkdir(dirname(target), { recursive: true });
    const temp = join(this.incoming, `${hostname()}-${process.pid}-${randomBytes(8).toString('hex')}${TEMP_SUFFIX}`);
    try {
      const handle = await open(temp, 'wx');
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
      await syncDirectory(dirname(target));
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return sha256;
  }

  async has(sha256: string): Promise<boolean> {
    return access(this.pathOf(sha256)).then(
      () => true,
      () => false,
    );
  }

  async read(sha256: string): Promise<Buffer> {
    const bytes = await readFile(this.pathOf(sha256)).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' ? missing(sha256) : error;
    });
    if (sha256Of(bytes) !== sha256) throw corrupt(sha256);
    return bytes;
  }

  async stream(sha256: string): Promise<Readable> {
    const handle = await open(this.pathOf(sha256), 'r').catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' ? missing(sha256) : error;
    });
    const hash = createHash('sha256');
    const checked = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
      flush(done) {
        done(hash.digest('hex') === sha256 ? null : corrupt(sha256));
      },
    });
    // a failure of either side (or the reader giving up) destroys both, closing the file
    return pipeline(handle.createReadStream(), checked, () => {});
  }
}

/** Removes the `.part` files in `folder` (temporary files of writes) last written over an hour ago: those writes were interrupted. */
export function removeStaleTempFiles(folder: string): void {
  const cutoff = Date.now() - STALE_TEMP_MS;
  for (const name of readdirSync(folder)) {
    if (!name.endsWith(TEMP_SUFFIX)) continue;
    const path = join(folder, name);
    // another server sharing the folder may have just renamed or removed it
    const info = statSync(path, { throwIfNoEntry: false });
    if (info?.isFile() && info.mtimeMs < cutoff) rmSync(path, { force: true });
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // some file systems cannot flush a directory; the rename is then as durable as they make it
    if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
  } finally {
    await handle.close();
  }
}

function corrupt(sha256: string): Error {
  return new Error(`the file of image ${sha256} is corrupt (its bytes no longer match their sha256)`);
}

function missing(sha256: string) {
  return notFound(`the file of image ${sha256} is missing from the image store`);
}
