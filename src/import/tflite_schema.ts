/**
 * Bounds-checked accessors for the few TFLite flatbuffer tables the importer reads (field ids
 * follow the declaration order in TFLite's public schema.fbs; vtable slot = 4 + 2 * id).
 *
 * Primitive reads go through the `flatbuffers` runtime's ByteBuffer, but every offset is
 * checked first: a corrupted or truncated file must end in a ModelFormatError naming the
 * file and what was being read, never in garbage values, a RangeError or a hang. Flatbuffer
 * navigation here is fixed-depth (Model -> SubGraph -> Tensor -> Quantization), and every
 * vector's length is checked against the file size, so every loop is bounded by the file.
 */
import { ByteBuffer } from 'flatbuffers';
import { ModelFormatError } from './errors.js';

export class FbReader {
  readonly bb: ByteBuffer;
  readonly size: number;
  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
  ) {
    this.bb = new ByteBuffer(bytes);
    this.size = bytes.length;
  }

  fail(reason: string, what?: string): never {
    throw new ModelFormatError(this.file, reason, what);
  }

  check(off: number, len: number, what: string): void {
    if (!Number.isSafeInteger(off) || off < 0 || len < 0 || off + len > this.size) {
      this.fail(`${what}: offset ${off} (+${len} bytes) is outside the file (${this.size} bytes); the file is truncated or corrupted`);
    }
  }
  u8(off: number, what: string): number {
    this.check(off, 1, what);
    return this.bb.readUint8(off);
  }
  i8(off: number, what: string): number {
    this.check(off, 1, what);
    return this.bb.readInt8(off);
  }
  u16(off: number, what: string): number {
    this.check(off, 2, what);
    return this.bb.readUint16(off);
  }
  i32(off: number, what: string): number {
    this.check(off, 4, what);
    return this.bb.readInt32(off);
  }
  u32(off: number, what: string): number {
    this.check(off, 4, what);
    return this.bb.readUint32(off);
  }
  f32(off: number, what: string): number {
    this.check(off, 4, what);
    return this.bb.readFloat32(off);
  }
  /** int64 / uint64 as a JS number (exact up to 2^53, else an error) */
  i64(off: number, what: string, unsigned = false): number {
    this.check(off, 8, what);
    const v = unsigned ? this.bb.readUint64(off) : this.bb.readInt64(off);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what}: 64-bit value ${v} is out of range`);
    return Number(v);
  }

  /** The table whose uoffset is stored at `ref` (a field or vector slot). */
  tableAt(ref: number, what: string): Table {
    const pos = ref + this.u32(ref, what);
    return this.table(pos, what);
  }

  table(pos: number, what: string): Table {
    this.check(pos, 4, `${what} table`);
    const vt = pos - this.i32(pos, `${what} vtable offset`);
    const vtLen = this.u16(vt, `${what} vtable`);
    const objLen = this.u16(vt + 2, `${what} vtable`);
    if (vtLen < 4 || vtLen % 2 !== 0) this.fail(`${what}: vtable size ${vtLen} is invalid`);
    this.check(vt, vtLen, `${what} vtable`);
    if (objLen < 4) this.fail(`${what}: table size ${objLen} is invalid`);
    this.check(pos, objLen, `${what} table`);
    return new Table(this, pos, vt, vtLen, objLen, what);
  }
}

export interface VectorRef {
  /** byte offset of element 0 */
  start: number;
  length: number;
}

export class Table {
  constructor(
    readonly r: FbReader,
    readonly pos: number,
    private readonly vt: number,
    private readonly vtLen: number,
    private readonly objLen: number,
    readonly what: string,
  ) {}

  /** absolute offset of field `id` (size `size` bytes), or 0 when absent */
  field(id: number, size: number): number {
    const slot = 4 + 2 * id;
    if (slot + 2 > this.vtLen) return 0;
    const o = this.r.u16(this.vt + slot, `${this.what} vtable`);
    if (o === 0) return 0;
    if (o < 4 || o + size > this.objLen) this.r.fail(`${this.what}: field ${id} at ${o} lies outside its table (${this.objLen} bytes)`);
    return this.pos + o;
  }
  u8(id: number, def: number): number {
    const p = this.field(id, 1);
    return p ? this.r.u8(p, this.what) : def;
  }
  i8(id: number, def: number): number {
    const p = this.field(id, 1);
    return p ? this.r.i8(p, this.what) : def;
  }
  bool(id: number, def: boolean): boolean {
    const p = this.field(id, 1);
    return p ? this.r.u8(p, this.what) !== 0 : def;
  }
  i32(id: number, def: number): number {
    const p = this.field(id, 4);
    return p ? this.r.i32(p, this.what) : def;
  }
  u32(id: number, def: number): number {
    const p = this.field(id, 4);
    return p ? this.r.u32(p, this.what) : def;
  }
  f32(id: number, def: number): number {
    const p = this.field(id, 4);
    return p ? this.r.f32(p, this.what) : def;
  }
  u64(id: number, def: number): number {
    const p = this.field(id, 8);
    return p ? this.r.i64(p, this.what, true) : def;
  }
  table(id: number, name: string): Table | null {
    const p = this.field(id, 4);
    return p ? this.r.tableAt(p, `${this.what}.${name}`) : null;
  }
  /** vector of `elem`-byte elements, length checked against the file */
  vector(id: number, elem: number, name: string): VectorRef | null {
    const p = this.field(id, 4);
    if (!p) return null;
    const v = p + this.r.u32(p, `${this.what}.${name}`);
    const length = this.r.u32(v, `${this.what}.${name} length`);
    this.r.check(v + 4, length * elem, `${this.what}.${name} (${length} elements)`);
    return { start: v + 4, length };
  }
  string(id: number, name: string): string | null {
    const v = this.vector(id, 1, name);
    if (!v) return null;
    return utf8.decode(this.r.bytes.subarray(v.start, v.start + v.length));
  }
  i32s(id: number, name: string): number[] | null {
    const v = this.vector(id, 4, name);
    if (!v) return null;
    const out: number[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = this.r.i32(v.start + 4 * i, name);
    return out;
  }
  f32s(id: number, name: string): number[] | null {
    const v = this.vector(id, 4, name);
    if (!v) return null;
    const out: number[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = this.r.f32(v.start + 4 * i, name);
    return out;
  }
  i64s(id: number, name: string): number[] | null {
    const v = this.vector(id, 8, name);
    if (!v) return null;
    const out: number[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = this.r.i64(v.start + 8 * i, name);
    return out;
  }
  bytes(id: number, name: string): Uint8Array | null {
    const v = this.vector(id, 1, name);
    return v ? this.r.bytes.subarray(v.start, v.start + v.length) : null;
  }
  tables(id: number, name: string): Table[] {
    const v = this.vector(id, 4, name);
    if (!v) return [];
    const out: Table[] = [];
    for (let i = 0; i < v.length; i++) out.push(this.r.tableAt(v.start + 4 * i, `${name}[${i}]`));
    return out;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

// ---- the schema subset ----

export const TensorType = { FLOAT32: 0, FLOAT16: 1, INT32: 2, UINT8: 3, INT64: 4, STRING: 5, BOOL: 6, INT16: 7, COMPLEX64: 8, INT8: 9, FLOAT64: 10 } as const;
export const TENSOR_TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(TensorType).map(([k, v]) => [v, k]));

export const Builtin = {
  ADD: 0, AVERAGE_POOL_2D: 1, CONCATENATION: 2, CONV_2D: 3, DEPTHWISE_CONV_2D: 4, DEQUANTIZE: 6, FULLY_CONNECTED: 9, LOGISTIC: 14,
  MAX_POOL_2D: 17, MUL: 18, RELU: 19, RELU_N1_TO_1: 20, RELU6: 21, RESHAPE: 22, RESIZE_BILINEAR: 23, SOFTMAX: 25, TANH: 28,
  CUSTOM: 32, PAD: 34, TRANSPOSE: 39, MEAN: 40, SUB: 41, DIV: 42, SQUEEZE: 43, TRANSPOSE_CONV: 67, QUANTIZE: 114, HARD_SWISH: 117,
} as const;
const BUILTIN_NAMES: Record<number, string> = Object.fromEntries(Object.entries(Builtin).map(([k, v]) => [v, k]));
export const builtinName = (code: number): string => BUILTIN_NAMES[code] ?? `builtin #${code}`;

/** BuiltinOptions union member ids (1-based position in schema.fbs) */
export const OptionsType = {
  Conv2DOptions: 1, DepthwiseConv2DOptions: 2, Pool2DOptions: 5, SoftmaxOptions: 9, ConcatenationOptions: 10, AddOptions: 11,
  ResizeBilinearOptions: 15, ReshapeOptions: 17, MulOptions: 21, PadOptions: 22, ReducerOptions: 27, SubOptions: 28,
} as const;

export const Padding = { SAME: 0, VALID: 1 } as const;
export const Activation = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3, TANH: 4, SIGN_BIT: 5 } as const;

export interface TfQuant {
  scale: number[];
  zeroPoint: number[];
  /** axis of per-channel parameters */
  dim: number;
  min: number[] | null;
  max: number[] | null;
}

export interface TfTensor {
  index: number;
  name: string;
  shape: number[];
  type: number;
  buffer: number;
  quant: TfQuant | null;
}

export interface TfOperator {
  index: number;
  opcode: number;
  inputs: number[];
  outputs: number[];
  optionsType: number;
  options: Table | null;
  customOptions: Uint8Array | null;
}

export interface TfOpCode {
  builtin: number;
  custom: string | null;
  version: number;
}

export interface TfSubGraph {
  name: string;
  tensors: TfTensor[];
  inputs: number[];
  outputs: number[];
  operators: TfOperator[];
}

export interface TfModel {
  version: number;
  description: string;
  opcodes: TfOpCode[];
  subgraphs: TfSubGraph[];
  /** buffer index -> bytes (null: no data, an activation) */
  buffer(i: number, what: string): Uint8Array | null;
  bufferCount: number;
}

function readQuant(t: Table | null): TfQuant | null {
  if (!t) return null;
  const scale = t.f32s(2, 'scale') ?? [];
  const zeroPoint = t.i64s(3, 'zero_point') ?? [];
  if (scale.length === 0) return null;
  return { min: t.f32s(0, 'min'), max: t.f32s(1, 'max'), scale, zeroPoint, dim: t.i32(6, 0) };
}

/** Parses the flatbuffer structure (no graph semantics). Every failure is a ModelFormatError. */
export function parseTfliteModel(bytes: Uint8Array, file: string): TfModel {
  const r = new FbReader(bytes, file);
  if (bytes.length < 8) r.fail(`file is ${bytes.length} bytes, too short for a TFLite flatbuffer`);
  const ident = String.fromCharCode(bytes[4], bytes[5], bytes[6], bytes[7]);
  if (ident !== 'TFL3') r.fail(`not a TFLite model: file identifier is ${JSON.stringify(ident)}, expected "TFL3" at bytes 4..8`);
  const model = r.tableAt(0, 'Model');
  const version = model.u32(0, 0);
  if (version !== 3) r.fail(`unsupported TFLite schema version ${version} (expected 3)`);
  const opcodes = model.tables(1, 'operator_codes').map((t): TfOpCode => {
    const deprecated = t.i8(0, 0);
    const code = t.i32(3, 0);
    // the schema: builtin_code is authoritative when set; the int8 field saturates at 127
    return { builtin: Math.max(deprecated, code), custom: t.string(1, 'custom_code'), version: t.i32(2, 1) };
  });
  const bufTables = model.tables(4, 'buffers');
  const buffer = (i: number, what: string): Uint8Array | null => {
    if (!(i >= 0 && i < bufTables.length)) r.fail(`buffer index ${i} is out of range (${bufTables.length} buffers)`, what);
    const b = bufTables[i];
    const data = b.bytes(0, 'data');
    if (data && data.length) return data;
    // large models keep data outside the flatbuffer: offset (from the file start) and size
    const offset = b.u64(1, 0);
    const size = b.u64(2, 0);
    if (offset > 1) {
      r.check(offset, size, `buffer ${i} (external data)`);
      return bytes.subarray(offset, offset + size);
    }
    return null;
  };
  const subgraphs = model.tables(2, 'subgraphs').map((sg, si): TfSubGraph => {
    const tensors = sg.tables(0, `subgraphs[${si}].tensors`).map((t, index): TfTensor => ({
      index,
      name: t.string(3, 'name') ?? `tensor_${index}`,
      shape: t.i32s(0, 'shape') ?? [],
      type: t.i8(1, 0),
      buffer: t.u32(2, 0),
      quant: readQuant(t.table(4, 'quantization')),
    }));
    const operators = sg.tables(3, `subgraphs[${si}].operators`).map((o, index): TfOperator => {
      const optionsType = o.u8(3, 0);
      return {
        index,
        opcode: o.u32(0, 0),
        inputs: o.i32s(1, 'inputs') ?? [],
        outputs: o.i32s(2, 'outputs') ?? [],
        optionsType,
        options: optionsType ? o.table(4, 'builtin_options') : null,
        customOptions: o.bytes(5, 'custom_options'),
      };
    });
    return { name: sg.string(4, 'name') ?? `subgraph_${si}`, tensors, inputs: sg.i32s(1, 'inputs') ?? [], outputs: sg.i32s(2, 'outputs') ?? [], operators };
  });
  return { version, description: model.string(3, 'description') ?? '', opcodes, subgraphs, buffer, bufferCount: bufTables.length };
}
