/**
 * Run as a child process by crash.test.ts: stores noisy images in a loop until it is killed.
 * Usage: node --import tsx crash-child.ts <dataDir>
 */
import sharp from 'sharp';
import { openStore } from '../../src/store/index.ts';
import { createRng } from '../../src/util/index.ts';

const store = await openStore({ dataDir: process.argv[2] });
const rng = createRng(2024);
const size = 700;
for (let i = 0; ; i++) {
  const pixels = Buffer.alloc(size * size * 3);
  for (let p = 0; p < pixels.length; p++) pixels[p] = rng.int(256);
  const png = await sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toBuffer();
  await store.images.ingest(png);
  if (i === 0) process.stdout.write('stored\n');
}
