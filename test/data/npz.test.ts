import { SHARED_DATASETS } from '../shared-data.ts';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageAt, loadMedMnist, parseNpy, readNpz, readZip } from '../../src/data/index.ts';
import { makeTempDir } from './fixtures.ts';

/** .npy bytes as numpy writes them: header dict padded with spaces to a multiple of 64 bytes. */
function npy(descr: string, shape: number[], data: Uint8Array, version = 1): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const prefix = version === 1 ? 10 : 12;
  header += ' '.repeat(63 - ((prefix + Buffer.byteLength(header) + 1) % 64)) + '\n';
  const head = Buffer.alloc(prefix);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(head);
  if (version === 1) head.writeUInt16LE(Buffer.byteLength(header), 8);
  else head.writeUInt32LE(Buffer.byteLength(header), 8);
  return Buffer.concat([head, Buffer.from(header, version === 3 ? 'utf8' : 'latin1'), data]);
}

const bytesOf = (array: ArrayBufferView): Uint8Array => new Uint8Array(array.buffer, array.byteOffset, array.byteLength);

interface ZipEntry {
  name: string;
  data: Buffer;
  method?: 0 | 8;
}

/**
 * A zip archive. With `zip64`, sizes and offsets are 0xFFFFFFFF placeholders backed by zip64
 * extra fields, and the directory is located through a zip64 end record, as numpy and large archives do.
 */
function buildZip(entries: ZipEntry[], zip64 = false): Buffer {
  const MARK = 0xffffffff;
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const { name, data, method = 8 } of entries) {
    const stored = method === 8 ? deflateRawSync(data) : data;
    const nameBytes = Buffer.from(name);
    // zip64 extra field: id 1, then the 64-bit uncompressed size, compressed size and (central only) offset.
    const zip64Extra = (withOffset: boolean): Buffer => {
      if (!zip64) return Buffer.alloc(0);
      const extra = Buffer.alloc(withOffset ? 28 : 20);
      extra.writeUInt16LE(1, 0);
      extra.writeUInt16LE(extra.length - 4, 2);
      extra.writeBigUInt64LE(BigInt(data.length), 4);
      extra.writeBigUInt64LE(BigInt(stored.length), 12);
      if (withOffset) extra.writeBigUInt64LE(BigInt(offset), 20);
      return extra;
    };
    const localExtra = zip64Extra(false);
    const centralExtra = zip64Extra(true);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(45, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(zip64 ? MARK : stored.length, 18);
    local.writeUInt32LE(zip64 ? MARK : data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(localExtra.length, 28);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(45, 4);
    header.writeUInt16LE(45, 6);
    header.writeUInt16LE(method, 10);
    header.writeUInt32LE(crc32(data), 16);
    header.writeUInt32LE(zip64 ? MARK : stored.length, 20);
    header.writeUInt32LE(zip64 ? MARK : data.length, 24);
    header.writeUInt16LE(nameBytes.length, 28);
    header.writeUInt16LE(centralExtra.length, 30);
    header.writeUInt32LE(zip64 ? MARK : offset, 42);
    central.push(header, nameBytes, centralExtra);
    parts.push(local, nameBytes, localExtra, stored);
    offset += 30 + nameBytes.length + localExtra.length + stored.length;
  }
  const directory = Buffer.concat(central);
  const records: Buffer[] = [];
  if (zip64) {
    const end64 = Buffer.alloc(56);
    end64.writeUInt32LE(0x06064b50, 0);
    end64.writeBigUInt64LE(44n, 4);
    end64.writeBigUInt64LE(BigInt(entries.length), 24);
    end64.writeBigUInt64LE(BigInt(entries.length), 32);
    end64.writeBigUInt64LE(BigInt(directory.length), 40);
    end64.writeBigUInt64LE(BigInt(offset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(offset + directory.length), 8);
    records.push(end64, locator);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(zip64 ? 0xffff : entries.length, 8);
  end.writeUInt16LE(zip64 ? 0xffff : entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(zip64 ? MARK : offset, 16);
  return Buffer.concat([...parts, directory, ...records, end]);
}

describe('parseNpy', () => {
  it('reads uint8 C-order arrays with a v1 header', () => {
    const array = parseNpy(npy('|u1', [2, 3], Uint8Array.from([1, 2, 3, 4, 5, 250])));
    expect(array.dtype).toBe('|u1');
    expect(array.shape).toEqual([2, 3]);
    expect(Array.from(array.data as Uint8Array)).toEqual([1, 2, 3, 4, 5, 250]);
  });

  it('reads float32 (v2 header), int64 (v3 header), big-endian int32 and float16', () => {
    const f4 = parseNpy(npy('<f4', [3], bytesOf(Float32Array.from([0.5, -1.25, 3])), 2));
    expect(Array.from(f4.data as Float32Array)).toEqual([0.5, -1.25, 3]);
    const i8 = parseNpy(npy('<i8', [2, 1], bytesOf(BigInt64Array.from([7n, -2n])), 3));
    expect(i8.shape).toEqual([2, 1]);
    expect(Array.from(i8.data as BigInt64Array)).toEqual([7n, -2n]);
    const bigEndian = parseNpy(npy('>i4', [2], Uint8Array.from([0, 0, 1, 2, 0xff, 0xff, 0xff, 0xfe])));
    expect(Array.from(bigEndian.data as Int32Array)).toEqual([258, -2]);
    const half = parseNpy(npy('<f2', [3], bytesOf(Uint16Array.from([0x3c00, 0xc000, 0x3800]))));
    expect(Array.from(half.data as Float32Array)).toEqual([1, -2, 0.5]);
  });

  it('reads a scalar (shape ()) and an unaligned buffer', () => {
    const file = npy('<f8', [], bytesOf(Float64Array.from([2.5])));
    expect(parseNpy(file).shape).toEqual([]);
    const shifted = Buffer.concat([Buffer.from([0]), npy('<i4', [2], bytesOf(Int32Array.from([5, -6])))]).subarray(1);
    expect(Array.from(parseNpy(shifted).data as Int32Array)).toEqual([5, -6]);
  });

  it('explains what it cannot read', () => {
    expect(() => parseNpy(Buffer.from('PK\u0003\u0004 not npy'))).toThrow('not a .npy file');
    expect(() => parseNpy(npy('<f4', [4], new Uint8Array(8)))).toThrow('truncated .npy data: shape (4) needs 16 bytes, found 8');
    expect(() => parseNpy(npy('<c16', [1], new Uint8Array(16)))).toThrow('unsupported .npy dtype <c16');
    const fortran = Buffer.from(npy('<f4', [1], new Uint8Array(4)).toString('latin1').replace('False', 'True '), 'latin1');
    expect(() => parseNpy(fortran)).toThrow('Fortran-order');
  });
});

describe('readZip', () => {
  it('extracts stored and deflated entries, with classic and zip64 records', () => {
    const entries: ZipEntry[] = [
      { name: 'a.txt', data: Buffer.from('hello hello hello'), method: 8 },
      { name: 'b.bin', data: Buffer.from([1, 2, 3]), method: 0 },
    ];
    for (const zip64 of [false, true]) {
      const files = readZip(buildZip(entries, zip64));
      expect([...files.keys()]).toEqual(['a.txt', 'b.bin']);
      expect(files.get('a.txt')!.toString()).toBe('hello hello hello');
      expect(Array.from(files.get('b.bin')!)).toEqual([1, 2, 3]);
    }
  });

  it('detects corruption and non-zip input', () => {
    const zip = buildZip([{ name: 'x', data: Buffer.from('abcdef'), method: 0 }]);
    zip[30 + 1 + 2] ^= 0xff; // flip a byte of the stored data
    expect(() => readZip(zip)).toThrow('x is corrupt (size or CRC mismatch)');
    expect(() => readZip(Buffer.from('just some text, definitely not a zip archive'))).toThrow('not a zip file');
  });
});

describe('loadMedMnist on a tiny archive built here', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await makeTempDir()));
  afterAll(() => cleanup());

  const images = (n: number, shape: number[], start: number): Buffer =>
    npy('|u1', [n, ...shape], Uint8Array.from({ length: n * shape.reduce((a, b) => a * b, 1) }, (_, i) => (start + i) % 256));

  async function writeNpz(name: string, entries: Record<string, Buffer>): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, buildZip(Object.entries(entries).map(([key, data]) => ({ name: `${key}.npy`, data })), true));
    return file;
  }

  it('loads all three official splits, labels shaped (N,) or (N,1), uint8 scaled to 0..1', async () => {
    const file = await writeNpz('tiny.npz', {
      train_images: images(3, [2, 2], 0),
      train_labels: npy('|u1', [3], Uint8Array.from([0, 1, 2])),
      val_images: images(2, [2, 2], 100),
      val_labels: npy('<i8', [2, 1], bytesOf(BigInt64Array.from([1n, 0n]))),
      test_images: images(1, [2, 2], 255),
      test_labels: npy('|u1', [1, 1], Uint8Array.from([1])),
    });
    expect([...(await readNpz(file)).keys()]).toContain('val_labels');
    const data = await loadMedMnist(file);
    expect(data.train.shape).toEqual([3, 2, 2, 1]);
    expect(Array.from(data.train.labels)).toEqual([0, 1, 2]);
    expect(Array.from(data.val.labels)).toEqual([1, 0]);
    expect(data.val.labels).toBeInstanceOf(Int32Array);
    expect(data.test.shape).toEqual([1, 2, 2, 1]);
    expect(data.numClasses).toBe(3);
    expect(data.val.images[0]).toBeCloseTo(100 / 255, 6);
    const second = imageAt(data.train, 1);
    expect([second.height, second.width, second.channels]).toEqual([2, 2, 1]);
    expect(Array.from(second.data, (v) => Math.round(v * 255))).toEqual([4, 5, 6, 7]);
    expect(second.data.buffer).toBe(data.train.images.buffer);
    expect(() => imageAt(data.train, 3)).toThrow('Image index 3 out of range 0..2');
  });

  it('accepts colour images N×H×W×3', async () => {
    const file = await writeNpz('colour.npz', {
      train_images: images(2, [2, 2, 3], 0),
      train_labels: npy('|u1', [2], Uint8Array.from([0, 1])),
      val_images: images(1, [2, 2, 3], 0),
      val_labels: npy('|u1', [1], Uint8Array.from([0])),
      test_images: images(1, [2, 2, 3], 0),
      test_labels: npy('|u1', [1], Uint8Array.from([1])),
    });
    const data = await loadMedMnist(file);
    expect(data.train.shape).toEqual([2, 2, 2, 3]);
    expect(imageAt(data.train, 1).data[0]).toBeCloseTo(12 / 255, 6);
  });

  it('names missing keys, multi-label arrays and count mismatches', async () => {
    const partial = await writeNpz('partial.npz', { train_images: images(1, [2, 2], 0), train_labels: npy('|u1', [1], Uint8Array.from([0])) });
    await expect(loadMedMnist(partial)).rejects.toThrow('partial.npz has no val_images/val_labels; found: train_images, train_labels');
    const base = {
      val_images: images(1, [2, 2], 0),
      val_labels: npy('|u1', [1], Uint8Array.from([0])),
      test_images: images(1, [2, 2], 0),
      test_labels: npy('|u1', [1], Uint8Array.from([0])),
    };
    const multi = await writeNpz('multi.npz', { ...base, train_images: images(1, [2, 2], 0), train_labels: npy('|u1', [1, 3], Uint8Array.from([0, 1, 1])) });
    await expect(loadMedMnist(multi)).rejects.toThrow('train_labels has shape (1, 3); expected (N,) or (N, 1): multi-label');
    const mismatch = await writeNpz('mismatch.npz', { ...base, train_images: images(2, [2, 2], 0), train_labels: npy('|u1', [1], Uint8Array.from([0])) });
    await expect(loadMedMnist(mismatch)).rejects.toThrow('train: 2 images but 1 labels');
    await expect(loadMedMnist(path.join(dir, 'absent.npz'))).rejects.toThrow('File not found');
  });
});

const medmnist = path.join(SHARED_DATASETS, 'medmnist');
const counts = (labels: Int32Array): number[] => [0, 1].map((c) => labels.filter((l) => l === c).length);

describe.skipIf(!existsSync(path.join(medmnist, 'breastmnist.npz')))('MedMNIST (real files)', () => {
  it('breastmnist: official split 546/78/156 with the class counts of SOURCE.txt', async () => {
    const data = await loadMedMnist(path.join(medmnist, 'breastmnist.npz'));
    expect(data.train.shape).toEqual([546, 28, 28, 1]);
    expect([counts(data.train.labels), counts(data.val.labels), counts(data.test.labels)]).toEqual([
      [147, 399],
      [21, 57],
      [42, 114],
    ]);
    expect(data.numClasses).toBe(2);
  });

  it.skipIf(!existsSync(path.join(medmnist, 'pneumoniamnist.npz')))('pneumoniamnist: labels (N,1), split 4708/524/624', async () => {
    const data = await loadMedMnist(path.join(medmnist, 'pneumoniamnist.npz'));
    expect([data.train.shape[0], data.val.shape[0], data.test.shape[0]]).toEqual([4708, 524, 624]);
    expect([counts(data.train.labels), counts(data.val.labels), counts(data.test.labels)]).toEqual([
      [1214, 3494],
      [135, 389],
      [234, 390],
    ]);
    const pixels = data.train.images;
    let min = 1;
    let max = 0;
    for (const v of pixels) [min, max] = [Math.min(min, v), Math.max(max, v)];
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(1);
    expect(max).toBeGreaterThan(0.9);
  });
});
