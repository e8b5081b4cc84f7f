import { describe, expect, it } from 'vitest';
import { encodeVarint, ProtoWriter } from '../../src/engine/onnx/protobuf.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('protobuf writer', () => {
  it('encodes varints, including negative int64 as ten bytes', () => {
    expect(hex(encodeVarint(0))).toBe('00');
    expect(hex(encodeVarint(1))).toBe('01');
    expect(hex(encodeVarint(300))).toBe('ac02');
    expect(hex(encodeVarint(2 ** 35))).toBe('8080808080' + '01');
    expect(hex(encodeVarint(-1))).toBe('ffffffffffffffffff01');
    expect(hex(encodeVarint(-2))).toBe('feffffffffffffffff01');
    expect(() => encodeVarint(1.5)).toThrow(/safe integer/);
  });

  it('writes the wire format of the protobuf documentation examples', () => {
    // message Test1 { int32 a = 1; } with a = 150
    expect(hex(new ProtoWriter().varint(1, 150).finish())).toBe('089601');
    // message Test2 { string b = 2; } with b = "testing"
    expect(hex(new ProtoWriter().string(2, 'testing').finish())).toBe('120774657374696e67');
    // message Test3 { Test1 c = 3; }
    expect(hex(new ProtoWriter().message(3, new ProtoWriter().varint(1, 150)).finish())).toBe('1a03089601');
  });

  it('writes floats as little-endian fixed32 and raw bytes with their length', () => {
    expect(hex(new ProtoWriter().float(2, 1).finish())).toBe('150000803f');
    expect(hex(new ProtoWriter().bytes(9, Uint8Array.of(1, 2, 3)).finish())).toBe('4a03010203');
    expect(() => new ProtoWriter().varint(0, 1)).toThrow(/field numbers start at 1/);
  });
});
