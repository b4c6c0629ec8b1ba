/**
 * Writes small TFLite flatbuffers for tests (the `flatbuffers` Builder, field ids from the
 * public schema.fbs), so ops the real models lack can be imported and checked.
 */
import { Builder } from 'flatbuffers';

export interface WTensor {
  name: string;
  shape: number[];
  /** TensorType: 0 float32, 1 float16, 2 int32, 3 uint8, 9 int8 */
  type: number;
  /** constant data (raw little-endian bytes) */
  data?: Uint8Array;
  quant?: { scale: number[]; zeroPoint: number[]; dim?: number };
}

export interface WOp {
  /** builtin code, or a custom op name */
  op: number | string;
  inputs: number[];
  outputs: number[];
  /** BuiltinOptions union type and a writer of the options table */
  options?: { type: number; write: (b: Builder) => number };
  custom?: Uint8Array;
}

export const f32bytes = (a: ArrayLike<number>): Uint8Array => new Uint8Array(Float32Array.from(a).buffer);
export const i32bytes = (a: ArrayLike<number>): Uint8Array => new Uint8Array(Int32Array.from(a).buffer);

/** an options table from (field id, kind, value) triples */
export function table(fields: [number, 'i32' | 'u8' | 'f32' | 'bool', number][]): (b: Builder) => number {
  return (b) => {
    b.startObject(8);
    for (const [id, kind, v] of fields) {
      if (kind === 'i32') b.addFieldInt32(id, v, null);
      else if (kind === 'f32') b.addFieldFloat32(id, v, null);
      else b.addFieldInt8(id, v, null);
    }
    return b.endObject();
  };
}

function vec(b: Builder, values: number[], kind: 'i32' | 'f32' | 'i64'): number {
  const size = kind === 'i64' ? 8 : 4;
  b.startVector(size, values.length, size);
  for (let i = values.length - 1; i >= 0; i--) {
    if (kind === 'i32') b.addInt32(values[i]);
    else if (kind === 'f32') b.addFloat32(values[i]);
    else b.addInt64(BigInt(values[i]));
  }
  return b.endVector();
}

function offsets(b: Builder, offs: number[]): number {
  b.startVector(4, offs.length, 4);
  for (let i = offs.length - 1; i >= 0; i--) b.addOffset(offs[i]);
  return b.endVector();
}

export function writeTflite(tensors: WTensor[], ops: WOp[], inputs: number[], outputs: number[]): Uint8Array {
  const b = new Builder(1024);
  // operator codes
  const codes: (number | string)[] = [];
  for (const o of ops) if (!codes.includes(o.op)) codes.push(o.op);
  const codeOffs = codes.map((c) => {
    const name = typeof c === 'string' ? b.createString(c) : 0;
    b.startObject(4);
    const code = typeof c === 'string' ? 32 : c;
    b.addFieldInt8(0, Math.min(code, 127), 0);
    if (name) b.addFieldOffset(1, name, 0);
    b.addFieldInt32(2, 1, 1);
    b.addFieldInt32(3, code, 0);
    return b.endObject();
  });
  // buffers: 0 is the empty sentinel
  const bufferOf: number[] = [];
  const bufOffs: number[] = [];
  b.startObject(1);
  bufOffs.push(b.endObject());
  for (const t of tensors) {
    if (!t.data) {
      bufferOf.push(0);
      continue;
    }
    b.startVector(1, t.data.length, 16);
    for (let i = t.data.length - 1; i >= 0; i--) b.addInt8(t.data[i]);
    const data = b.endVector();
    b.startObject(1);
    b.addFieldOffset(0, data, 0);
    bufferOf.push(bufOffs.length);
    bufOffs.push(b.endObject());
  }
  const tensorOffs = tensors.map((t, i) => {
    const name = b.createString(t.name);
    const shape = vec(b, t.shape, 'i32');
    let q = 0;
    if (t.quant) {
      const sc = vec(b, t.quant.scale, 'f32');
      const zp = vec(b, t.quant.zeroPoint, 'i64');
      b.startObject(7);
      b.addFieldOffset(2, sc, 0);
      b.addFieldOffset(3, zp, 0);
      b.addFieldInt32(6, t.quant.dim ?? 0, 0);
      q = b.endObject();
    }
    b.startObject(5);
    b.addFieldOffset(0, shape, 0);
    b.addFieldInt8(1, t.type, 0);
    b.addFieldInt32(2, bufferOf[i], 0);
    b.addFieldOffset(3, name, 0);
    if (q) b.addFieldOffset(4, q, 0);
    return b.endObject();
  });
  const opOffs = ops.map((o) => {
    const ins = vec(b, o.inputs, 'i32');
    const outs = vec(b, o.outputs, 'i32');
    const opts = o.options ? o.options.write(b) : 0;
    let custom = 0;
    if (o.custom) custom = b.createByteVector(o.custom);
    b.startObject(6);
    b.addFieldInt32(0, codes.indexOf(o.op), 0);
    b.addFieldOffset(1, ins, 0);
    b.addFieldOffset(2, outs, 0);
    if (o.options) {
      b.addFieldInt8(3, o.options.type, 0);
      b.addFieldOffset(4, opts, 0);
    }
    if (custom) b.addFieldOffset(5, custom, 0);
    return b.endObject();
  });
  const tv = offsets(b, tensorOffs);
  const iv = vec(b, inputs, 'i32');
  const ov = vec(b, outputs, 'i32');
  const opv = offsets(b, opOffs);
  const sgName = b.createString('main');
  b.startObject(5);
  b.addFieldOffset(0, tv, 0);
  b.addFieldOffset(1, iv, 0);
  b.addFieldOffset(2, ov, 0);
  b.addFieldOffset(3, opv, 0);
  b.addFieldOffset(4, sgName, 0);
  const sg = b.endObject();
  const codesV = offsets(b, codeOffs);
  const sgV = offsets(b, [sg]);
  const bufV = offsets(b, bufOffs);
  const desc = b.createString('test model');
  b.startObject(5);
  b.addFieldInt32(0, 3, 0);
  b.addFieldOffset(1, codesV, 0);
  b.addFieldOffset(2, sgV, 0);
  b.addFieldOffset(3, desc, 0);
  b.addFieldOffset(4, bufV, 0);
  b.finish(b.endObject(), 'TFL3');
  return b.asUint8Array().slice();
}
