/**
 * ONNX TensorProto and AttributeProto decoding for the ONNX importer: every supported data
 * type becomes float64 values (exact for float16/32 and for integers up to 2^53), with the
 * element count checked against the dims before anything is allocated.
 */
import type { onnx } from 'onnx-proto';

export type TensorProto = onnx.ITensorProto;
export type AttributeProto = onnx.IAttributeProto;

/** A constant value during import: NCHW (ONNX) dims, values as float64, ONNX data type. */
export interface ConstVal {
  kind: 'const';
  dims: number[];
  data: Float64Array;
  dtype: number;
}

/** Thrown by the helpers here; the importer rethrows it as a ModelFormatError naming the node. */
export class OnnxDataError extends Error {}

export const DTYPE = { FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16 } as const;

const DTYPE_NAMES = ['UNDEFINED', 'FLOAT', 'UINT8', 'INT8', 'UINT16', 'INT16', 'INT32', 'INT64', 'STRING', 'BOOL', 'FLOAT16', 'DOUBLE', 'UINT32', 'UINT64', 'COMPLEX64', 'COMPLEX128', 'BFLOAT16'];

export const dtypeName = (t: number | null | undefined): string => DTYPE_NAMES[t ?? 0] ?? `data type ${t}`;

export const isFloatType = (t: number): boolean => t === DTYPE.FLOAT || t === DTYPE.DOUBLE || t === DTYPE.FLOAT16 || t === DTYPE.BFLOAT16;

/** Largest constant the importer materialises (elements); a corrupted dim cannot make it allocate more. */
export const MAX_ELEMENTS = 1 << 24;

/** protobufjs int64 (number or Long-like {low, high}) -> number; throws when not a safe integer. */
export function int(v: unknown, what = 'integer'): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (v && typeof v === 'object' && 'low' in v && 'high' in v) {
    const l = v as { low: number; high: number; unsigned?: boolean };
    n = (l.unsigned ? l.high >>> 0 : l.high | 0) * 4294967296 + (l.low >>> 0);
  } else n = 0;
  if (!Number.isSafeInteger(n)) throw new OnnxDataError(`${what} ${n} is not a safe integer`);
  return n;
}

/** Element count of dims (each dim >= 0), refusing counts beyond MAX_ELEMENTS. */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) throw new OnnxDataError(`invalid dimension ${d} in [${dims.join(', ')}]`);
    n *= d;
  }
  if (n > MAX_ELEMENTS) throw new OnnxDataError(`[${dims.join(', ')}] has ${n} elements, more than the importer accepts (${MAX_ELEMENTS})`);
  return n;
}

const BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };

export function f16ToF64(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function bf16ToF64(h: number): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setUint32(0, (h & 0xffff) << 16);
  return dv.getFloat32(0);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function fromRaw(raw: Uint8Array, dtype: number, n: number): Float64Array {
  // fast path (the common case): copy to an aligned buffer and widen natively
  if (dtype === DTYPE.FLOAT && LITTLE_ENDIAN) return new Float64Array(new Float32Array(Uint8Array.prototype.slice.call(raw).buffer, 0, n));
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float64Array(n);
  switch (dtype) {
    case DTYPE.FLOAT: for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true); break;
    case DTYPE.DOUBLE: for (let i = 0; i < n; i++) out[i] = dv.getFloat64(i * 8, true); break;
    case DTYPE.FLOAT16: for (let i = 0; i < n; i++) out[i] = f16ToF64(dv.getUint16(i * 2, true)); break;
    case DTYPE.BFLOAT16: for (let i = 0; i < n; i++) out[i] = bf16ToF64(dv.getUint16(i * 2, true)); break;
    case DTYPE.UINT8: case DTYPE.BOOL: for (let i = 0; i < n; i++) out[i] = raw[i]; break;
    case DTYPE.INT8: for (let i = 0; i < n; i++) out[i] = dv.getInt8(i); break;
    case DTYPE.UINT16: for (let i = 0; i < n; i++) out[i] = dv.getUint16(i * 2, true); break;
    case DTYPE.INT16: for (let i = 0; i < n; i++) out[i] = dv.getInt16(i * 2, true); break;
    case DTYPE.INT32: for (let i = 0; i < n; i++) out[i] = dv.getInt32(i * 4, true); break;
    case DTYPE.UINT32: for (let i = 0; i < n; i++) out[i] = dv.getUint32(i * 4, true); break;
    case DTYPE.INT64: for (let i = 0; i < n; i++) out[i] = Number(dv.getBigInt64(i * 8, true)); break;
    case DTYPE.UINT64: for (let i = 0; i < n; i++) out[i] = Number(dv.getBigUint64(i * 8, true)); break;
    default: throw new OnnxDataError(`unsupported data type ${dtypeName(dtype)}`);
  }
  return out;
}

/** Which typed field holds this data type's values when raw_data is absent (ONNX spec). */
function typedField(t: TensorProto, dtype: number): { values: ArrayLike<unknown>; field: string } {
  switch (dtype) {
    case DTYPE.FLOAT: return { values: t.floatData ?? [], field: 'float_data' };
    case DTYPE.DOUBLE: return { values: t.doubleData ?? [], field: 'double_data' };
    case DTYPE.INT64: return { values: t.int64Data ?? [], field: 'int64_data' };
    case DTYPE.UINT32: case DTYPE.UINT64: return { values: t.uint64Data ?? [], field: 'uint64_data' };
    default: return { values: t.int32Data ?? [], field: 'int32_data' };
  }
}

/** Decodes a TensorProto (initializer or Constant value) to a ConstVal. */
export function decodeTensor(t: TensorProto): ConstVal {
  const dtype = t.dataType ?? 0;
  if (t.dataLocation === 1 || (t.externalData?.length ?? 0) > 0) throw new OnnxDataError('stores its data in an external file, which this importer cannot read (embed the weights in the .onnx file)');
  if (t.segment) throw new OnnxDataError('is a segment of a larger tensor (unsupported)');
  if (!(dtype in BYTES)) throw new OnnxDataError(`has unsupported data type ${dtypeName(dtype)}`);
  const dims = (t.dims ?? []).map((d) => int(d, 'dimension'));
  const n = elementCount(dims);
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    const want = n * BYTES[dtype];
    if (raw.length !== want) {
      throw new OnnxDataError(`raw_data has ${raw.length} bytes but dims [${dims.join(', ')}] of ${dtypeName(dtype)} need ${want}`);
    }
    return { kind: 'const', dims, data: fromRaw(raw, dtype, n), dtype };
  }
  const { values, field } = typedField(t, dtype);
  if (values.length !== n) throw new OnnxDataError(`${field} has ${values.length} values but dims [${dims.join(', ')}] need ${n}`);
  const out = new Float64Array(n);
  if (dtype === DTYPE.FLOAT16) for (let i = 0; i < n; i++) out[i] = f16ToF64(values[i] as number);
  else if (dtype === DTYPE.BFLOAT16) for (let i = 0; i < n; i++) out[i] = bf16ToF64(values[i] as number);
  else if (dtype === DTYPE.INT64 || dtype === DTYPE.UINT64 || dtype === DTYPE.UINT32) for (let i = 0; i < n; i++) out[i] = int(values[i], 'value');
  else for (let i = 0; i < n; i++) out[i] = Number(values[i]);
  return { kind: 'const', dims, data: out, dtype };
}

/** Typed access to a node's attributes, with the ONNX defaults supplied by the caller. */
export class Attrs {
  private readonly map = new Map<string, AttributeProto>();
  constructor(list: readonly AttributeProto[] | null | undefined) {
    for (const a of list ?? []) this.map.set(a.name ?? '', a);
  }
  has(name: string): boolean {
    return this.map.has(name);
  }
  names(): string[] {
    return [...this.map.keys()];
  }
  int(name: string, def: number): number {
    const a = this.map.get(name);
    if (!a) return def;
    if (a.type !== 2) throw new OnnxDataError(`attribute '${name}' must be an INT`);
    return int(a.i ?? 0, `attribute '${name}'`);
  }
  float(name: string, def: number): number {
    const a = this.map.get(name);
    if (!a) return def;
    if (a.type !== 1) throw new OnnxDataError(`attribute '${name}' must be a FLOAT`);
    return a.f ?? 0;
  }
  string(name: string, def: string): string {
    const a = this.map.get(name);
    if (!a) return def;
    if (a.type !== 3) throw new OnnxDataError(`attribute '${name}' must be a STRING`);
    return new TextDecoder().decode(a.s ?? new Uint8Array(0));
  }
  ints(name: string, def?: number[]): number[] | undefined {
    const a = this.map.get(name);
    if (!a) return def;
    if (a.type !== 7) throw new OnnxDataError(`attribute '${name}' must be INTS`);
    return (a.ints ?? []).map((v) => int(v, `attribute '${name}'`));
  }
  floats(name: string): number[] | undefined {
    const a = this.map.get(name);
    if (!a) return undefined;
    if (a.type !== 6) throw new OnnxDataError(`attribute '${name}' must be FLOATS`);
    return [...(a.floats ?? [])];
  }
  tensor(name: string): TensorProto | undefined {
    const a = this.map.get(name);
    if (!a) return undefined;
    if (a.type !== 4 || !a.t) throw new OnnxDataError(`attribute '${name}' must be a TENSOR`);
    return a.t;
  }
}

/** The value of a Constant node (opset 9-13 attribute forms). */
export function constantNodeValue(attrs: Attrs): ConstVal {
  const t = attrs.tensor('value');
  if (t) return decodeTensor(t);
  if (attrs.has('value_float')) return { kind: 'const', dims: [], data: Float64Array.of(attrs.float('value_float', 0)), dtype: DTYPE.FLOAT };
  if (attrs.has('value_floats')) {
    const v = attrs.floats('value_floats')!;
    return { kind: 'const', dims: [v.length], data: Float64Array.from(v), dtype: DTYPE.FLOAT };
  }
  if (attrs.has('value_int')) return { kind: 'const', dims: [], data: Float64Array.of(attrs.int('value_int', 0)), dtype: DTYPE.INT64 };
  if (attrs.has('value_ints')) {
    const v = attrs.ints('value_ints')!;
    return { kind: 'const', dims: [v.length], data: Float64Array.from(v), dtype: DTYPE.INT64 };
  }
  throw new OnnxDataError(`Constant has no supported value attribute (has: ${attrs.names().join(', ') || 'none'})`);
}
