export type NpyData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

export interface NpyArray {
  /** numpy dtype string as stored, e.g. "|u1", "<f4". */
  dtype: string;
  shape: number[];
  /** Values in C (row-major) order. */
  data: NpyData;
}

type TypedArrayConstructor = { new (length: number): NpyData; BYTES_PER_ELEMENT: number };

type ValueReader = (view: DataView, offset: number, littleEndian: boolean) => number | bigint;

const DTYPES: Record<string, { array: TypedArrayConstructor; read: ValueReader }> = {
  u1: { array: Uint8Array, read: (v, o) => v.getUint8(o) },
  b1: { array: Uint8Array, read: (v, o) => v.getUint8(o) },
  i1: { array: Int8Array, read: (v, o) => v.getInt8(o) },
  u2: { array: Uint16Array, read: (v, o, l) => v.getUint16(o, l) },
  i2: { array: Int16Array, read: (v, o, l) => v.getInt16(o, l) },
  u4: { array: Uint32Array, read: (v, o, l) => v.getUint32(o, l) },
  i4: { array: Int32Array, read: (v, o, l) => v.getInt32(o, l) },
  u8: { array: BigUint64Array, read: (v, o, l) => v.getBigUint64(o, l) },
  i8: { array: BigInt64Array, read: (v, o, l) => v.getBigInt64(o, l) },
  f2: { array: Float32Array, read: (v, o, l) => float16ToNumber(v.getUint16(o, l)) },
  f4: { array: Float32Array, read: (v, o, l) => v.getFloat32(o, l) },
  f8: { array: Float64Array, read: (v, o, l) => v.getFloat64(o, l) },
};
const ITEM_BYTES: Record<string, number> = { u1: 1, b1: 1, i1: 1, u2: 2, i2: 2, f2: 2, u4: 4, i4: 4, f4: 4, u8: 8, i8: 8, f8: 8 };

function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function parseHeader(header: string): { descr: string; fortranOrder: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new Error(`unsupported .npy header ${header.trim()} (structured dtypes are not supported)`);
  }
  const shape = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map(Number);
  if (shape.some((dim) => !Number.isInteger(dim) || dim < 0)) throw new Error(`bad .npy shape (${shapeText})`);
  return { descr, fortranOrder: fortran === 'True', shape };
}

/** Parses a numpy .npy file (format versions 1, 2 and 3; numeric dtypes; C order). */
export function parseNpy(bytes: Uint8Array): NpyArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (bytes.length < 10 || magic.some((value, i) => bytes[i] !== value)) throw new Error('not a .npy file (bad magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  if (major < 1 || major > 3) throw new Error(`unsupported .npy format version ${major}.${bytes[7]}`);
  const headerStart = major === 1 ? 10 : 12;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) throw new Error('truncated .npy header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));
  const { descr, fortranOrder, shape } = parseHeader(header);
  if (fortranOrder) throw new Error('Fortran-order .npy arrays are not supported; save with C order');

  const byteOrder = descr[0];
  const kind = descr.slice(1);
  const dtype = DTYPES[kind];
  if (!dtype || !'<>|='.includes(byteOrder)) throw new Error(`unsupported .npy dtype ${descr}`);
  const itemBytes = ITEM_BYTES[kind];
  const count = shape.reduce((product, dim) => product * dim, 1);
  if (bytes.length - dataStart < count * itemBytes) {
    const found = bytes.length - dataStart;
    throw new Error(`truncated .npy data: shape (${shape.join(', ')}) needs ${count * itemBytes} bytes, found ${found}`);
  }
  const littleEndian = byteOrder !== '>';
  const data = new dtype.array(count);
  if (littleEndian && kind !== 'f2') {
    // Copy the bytes so the typed array is aligned, whatever the offset inside the source buffer.
    new Uint8Array(data.buffer).set(bytes.subarray(dataStart, dataStart + count * itemBytes));
  } else {
    const values = data as unknown as (number | bigint)[];
    for (let i = 0; i < count; i++) values[i] = dtype.read(view, dataStart + i * itemBytes, littleEndian);
  }
  return { dtype: descr, shape, data };
}
