import type { Store } from '../../src/store/index.ts';
import { pngImage } from './fixtures.ts';

/** Users inserted directly (with a dummy hash): these tests are about labels, not passwords. */
export async function addUsers(store: Store, names: string[], role = 'annotator'): Promise<number[]> {
  const ids: number[] = [];
  for (const name of names) {
    const row = await store.db.get<{ id: number }>("INSERT INTO users (username, password_hash, role, created_at) VALUES (?, 'x', ?, 0) RETURNING id", [name, role]);
    ids.push(row!.id);
  }
  return ids;
}

export async function addImages(store: Store, projectId: number, count: number, firstShade = 0): Promise<string[]> {
  const shas: string[] = [];
  for (let i = 0; i < count; i++) {
    const image = await store.images.ingest(await pngImage(firstShade + i + 1));
    await store.projects.addImage(projectId, { sha256: image.sha256, patientId: `patient-${i % 3}`, specimen: `specimen-${i}` });
    shas.push(image.sha256);
  }
  return shas;
}
