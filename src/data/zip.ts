import { crc32, inflateRawSync } from 'node:zlib';

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP64_END_LOCATOR = 0x07064b50;
const ZIP64_END_OF_CENTRAL_DIRECTORY = 0x06064b50;
const CENTRAL_DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;
const ZIP64_EXTRA_FIELD = 0x0001;
const UINT32_MARK = 0xffffffff;
const UINT16_MARK = 0xffff;

interface CentralEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

function readUInt64(buffer: Buffer, offset: number): number {
  const value = buffer.readBigUInt64LE(offset);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('zip field too large');
  return Number(value);
}

function findEndOfCentralDirectory(zip: Buffer): number {
  // The record is 22 bytes plus a comment of at most 65535 bytes, at the very end.
  const lowest = Math.max(0, zip.length - 22 - 0xffff);
  for (let offset = zip.length - 22; offset >= lowest; offset--) {
    if (zip.readUInt32LE(offset) === END_OF_CENTRAL_DIRECTORY) return offset;
  }
  throw new Error('not a zip file (no end-of-central-directory record)');
}

function readCentralDirectory(zip: Buffer): CentralEntry[] {
  const end = findEndOfCentralDirectory(zip);
  let count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  if (count === UINT16_MARK || offset === UINT32_MARK) {
    const locator = end - 20;
    if (locator < 0 || zip.readUInt32LE(locator) !== ZIP64_END_LOCATOR) throw new Error('zip64 locator missing');
    const zip64End = readUInt64(zip, locator + 8);
    if (zip.readUInt32LE(zip64End) !== ZIP64_END_OF_CENTRAL_DIRECTORY) throw new Error('zip64 end record missing');
    count = readUInt64(zip, zip64End + 32);
    offset = readUInt64(zip, zip64End + 48);
  }

  const entries: CentralEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (offset + 46 > zip.length || zip.readUInt32LE(offset) !== CENTRAL_DIRECTORY_ENTRY) {
      throw new Error('corrupt central directory');
    }
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const entry: CentralEntry = {
      name: zip.toString('utf8', offset + 46, offset + 46 + nameLength),
      flags: zip.readUInt16LE(offset + 8),
      method: zip.readUInt16LE(offset + 10),
      crc: zip.readUInt32LE(offset + 16),
      compressedSize: zip.readUInt32LE(offset + 20),
      size: zip.readUInt32LE(offset + 24),
      localHeaderOffset: zip.readUInt32LE(offset + 42),
    };
    applyZip64Extra(zip, offset + 46 + nameLength, extraLength, entry);
    entries.push(entry);
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** numpy writes every member with a zip64 extra field; its values replace the 0xFFFFFFFF placeholders, in this order. */
function applyZip64Extra(zip: Buffer, start: number, length: number, entry: CentralEntry): void {
  for (let offset = start; offset + 4 <= start + length; ) {
    const id = zip.readUInt16LE(offset);
    const size = zip.readUInt16LE(offset + 2);
    if (id === ZIP64_EXTRA_FIELD) {
      let field = offset + 4;
      for (const key of ['size', 'compressedSize', 'localHeaderOffset'] as const) {
        if (entry[key] === UINT32_MARK) {
          entry[key] = readUInt64(zip, field);
          field += 8;
        }
      }
    }
    offset += 4 + size;
  }
}

function extractEntry(zip: Buffer, entry: CentralEntry): Buffer {
  if (entry.flags & 1) throw new Error(`${entry.name} is encrypted`);
  const header = entry.localHeaderOffset;
  if (header + 30 > zip.length || zip.readUInt32LE(header) !== LOCAL_FILE_HEADER) {
    throw new Error(`${entry.name}: corrupt local header`);
  }
  const start = header + 30 + zip.readUInt16LE(header + 26) + zip.readUInt16LE(header + 28);
  if (start + entry.compressedSize > zip.length) throw new Error(`${entry.name} is truncated`);
  const stored = zip.subarray(start, start + entry.compressedSize);
  let data: Buffer;
  if (entry.method === 0) data = stored;
  else if (entry.method === 8) data = inflateRawSync(stored);
  else throw new Error(`${entry.name} uses compression method ${entry.method}; only stored and deflate are supported`);
  if (data.length !== entry.size || crc32(data) !== entry.crc) throw new Error(`${entry.name} is corrupt (size or CRC mismatch)`);
  return data;
}

/** All files in a zip archive, by name. Supports stored and deflated members and zip64 records. */
export function readZip(zip: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of readCentralDirectory(zip)) {
    if (!entry.name.endsWith('/')) files.set(entry.name, extractEntry(zip, entry));
  }
  return files;
}
