import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FolderBlobStore, openStore } from '../../src/store/index.ts';
import { tempDir } from './fixtures.ts';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('a process killed while storing images', () => {
  it('leaves no half image under a final name and no row pointing at a missing file', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir.path], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    // let it write a few more, then pull the plug mid-stream
    await new Promise((resolve) => setTimeout(resolve, 500));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const store = await openStore({ dataDir: dir.path });
    const rows = await store.db.all('SELECT sha256, bytes FROM images') as { sha256: string; bytes: number }[];
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const bytes = readFileSync(new FolderBlobStore(join(dir.path, 'images')).pathOf(row.sha256));
      expect(bytes.length).toBe(row.bytes);
      expect(sha256(bytes)).toBe(row.sha256);
    }
    const imagesDir = join(dir.path, 'images');
    for (const prefix of readdirSync(imagesDir)) {
      for (const rest of readdirSync(join(imagesDir, prefix))) {
        expect(sha256(readFileSync(join(imagesDir, prefix, rest)))).toBe(prefix + rest);
      }
    }
    await store.close();
    dir.remove();
  });
});
