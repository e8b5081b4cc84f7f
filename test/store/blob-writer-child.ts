/**
 * Run as a child process by blob-store.test.ts: stores the same seeded blobs as its twin, at the
 * same time, and prints their sha256s one a line. Usage: node --import tsx blob-writer-child.ts <root> <count>
 */
import { FolderBlobStore } from '../../src/store/index.ts';
import { seededBlob } from './fixtures.ts';

const [root, count] = [process.argv[2], Number(process.argv[3])];
const blobs = new FolderBlobStore(root);
for (let i = 0; i < count; i++) process.stdout.write(`${await blobs.put(seededBlob(i))}\n`);
