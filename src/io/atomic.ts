import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Fills a fresh temporary folder beside `target`, then swaps it into place, so a crash or a full
 * disk never leaves a half-written folder under the final name and the previous one stays intact
 * until the new one is complete.
 */
export async function writeDirAtomically(target: string, fill: (tempDir: string) => Promise<void>): Promise<void> {
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const stamp = `${process.pid}-${Date.now()}`;
  const temp = join(parent, `.${basename(target)}.tmp-${stamp}`);
  const old = join(parent, `.${basename(target)}.old-${stamp}`);
  await mkdir(temp, { recursive: true });
  try {
    await fill(temp);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  let movedOld = false;
  try {
    await rename(target, old);
    movedOld = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    await rename(temp, target);
  } catch (error) {
    if (movedOld) await rename(old, target);
    throw error;
  }
  if (movedOld) await rm(old, { recursive: true, force: true });
}

/** Writes a file through a temporary name and a rename, so readers never see half of it. */
export async function writeFileAtomically(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now()}`);
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
