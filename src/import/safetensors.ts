/**
 * Dependency-free reader and writer for the safetensors format.
 *
 * Layout: 8-byte little-endian u64 header length N, then N bytes of UTF-8 JSON
 * mapping tensor name -> {dtype, shape, data_offsets: [begin, end]} (offsets
 * relative to the first byte after the header), plus an optional
 * "__metadata__" object of string -> string; then the raw little-endian data.
 *
 * The reader validates everything and reports problems as ModelFormatError
 * (never any other error type) naming the file and, where relevant, the tensor.
 */
import { ModelFormatError } from './errors.js';

export type SafeDType =
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'F64'
  | 'I64'
  | 'I32'
  | 'I16'
  | 'I8'
  | 'U8'
  | 'BOOL';

export interface SafeTensor {
  name: string;
  dtype: SafeDType;
  shape: number[];
  /**
   * Values converted to f32 (float dtypes converted, integer/bool dtypes
   * converted to numbers then f32). Always its own copy, never aliasing `raw`.
   */
  data: Float32Array;
  /** The tensor's bytes exactly as stored in the file (a copy, 0-based buffer). */
  raw: Uint8Array;
}

/** Bytes per element of each supported dtype. */
export const DTYPE_SIZES: Readonly<Record<SafeDType, number>> = {
  F32: 4,
  F16: 2,
  BF16: 2,
  F64: 8,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** Same limit as the reference implementation (MAX_HEADER_SIZE). */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isDType(v: string): v is SafeDType {
  return Object.prototype.hasOwnProperty.call(DTYPE_SIZES, v);
}

function describe(v: unknown): string {
  if (v === undefined) return 'undefined';
  try {
    const s = JSON.stringify(v);
    return s.length > 60 ? `${s.slice(0, 57)}...` : s;
  } catch {
    return String(v);
  }
}

/** IEEE half -> f32, by hand. */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const man = h & 0x3ff;
  if (exp === 0) return sign * man * 2 ** -24; // zero / subnormal
  if (exp === 0x1f) return man === 0 ? sign * Infinity : NaN;
  return sign * (1 + man / 1024) * 2 ** (exp - 15);
}

/** Convert one tensor's raw little-endian bytes (0-based buffer) to f32. */
function toF32(dtype: SafeDType, raw: Uint8Array, n: number): Float32Array {
  const out = new Float32Array(n);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (dtype) {
    case 'F32':
      if (LITTLE_ENDIAN) out.set(new Float32Array(raw.buffer, raw.byteOffset, n));
      else for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
      break;
    case 'F64':
      if (LITTLE_ENDIAN) out.set(new Float64Array(raw.buffer, raw.byteOffset, n));
      else for (let i = 0; i < n; i++) out[i] = dv.getFloat64(i * 8, true);
      break;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = f16ToF32(dv.getUint16(i * 2, true));
      break;
    case 'BF16': {
      // bf16 is the top half of an f32: shift into place bit-exactly.
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = dv.getUint16(i * 2, true) << 16;
      break;
    }
    case 'I64':
      if (LITTLE_ENDIAN) {
        const v = new BigInt64Array(raw.buffer, raw.byteOffset, n);
        for (let i = 0; i < n; i++) out[i] = Number(v[i]);
      } else for (let i = 0; i < n; i++) out[i] = Number(dv.getBigInt64(i * 8, true));
      break;
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(i * 4, true);
      break;
    case 'I16':
      for (let i = 0; i < n; i++) out[i] = dv.getInt16(i * 2, true);
      break;
    case 'I8':
      for (let i = 0; i < n; i++) out[i] = dv.getInt8(i);
      break;
    case 'U8':
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = raw[i];
      break;
  }
  return out;
}

/**
 * Parse a safetensors file. Tensors are returned in header order.
 * Throws ModelFormatError (only) on any malformation.
 */
export function readSafetensors(
  bytes: Uint8Array,
  file = 'model.safetensors',
): Map<string, SafeTensor> {
  function fail(reason: string, tensor?: string): never {
    throw new ModelFormatError(file, reason, tensor);
  }
  const total = bytes.byteLength;
  if (total < 8) {
    fail(`file is ${total} bytes, shorter than the 8-byte header length field`);
  }
  const headerLen64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLen64 > BigInt(MAX_HEADER_BYTES)) {
    fail(`header length ${headerLen64} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const headerLen = Number(headerLen64);
  if (8 + headerLen > total) {
    fail(`header length ${headerLen} runs past the end of the file (${total} bytes)`);
  }

  let headerText = '';
  try {
    headerText = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    fail('header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (e) {
    fail(`header is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isPlainObject(header)) {
    fail(`header must be a JSON object, got ${describe(header)}`);
  }
  const entries = header as Record<string, unknown>;

  const dataStart = 8 + headerLen;
  const dataLen = total - dataStart;
  const out = new Map<string, SafeTensor>();

  for (const name of Object.keys(entries)) {
    const entry = entries[name];
    if (name === METADATA_KEY) {
      if (!isPlainObject(entry)) fail(`${METADATA_KEY} must be an object of strings`);
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string') {
          fail(`${METADATA_KEY} value for '${k}' must be a string, got ${describe(v)}`);
        }
      }
      continue;
    }
    if (!isPlainObject(entry)) fail(`entry must be an object, got ${describe(entry)}`, name);
    const e = entry as Record<string, unknown>;
    for (const field of ['dtype', 'shape', 'data_offsets']) {
      if (!(field in e)) fail(`missing '${field}'`, name);
    }

    const dtype = e.dtype;
    if (typeof dtype !== 'string') fail(`dtype must be a string, got ${describe(dtype)}`, name);
    if (!isDType(dtype as string)) fail(`unknown dtype '${String(dtype)}'`, name);
    const dt = dtype as SafeDType;

    const shapeV = e.shape;
    if (!Array.isArray(shapeV)) fail(`shape must be an array, got ${describe(shapeV)}`, name);
    const shape: number[] = [];
    let numel = 1;
    for (const d of shapeV as unknown[]) {
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
        fail(`shape ${describe(shapeV)} has an invalid dimension ${describe(d)} (must be a non-negative integer)`, name);
      }
      shape.push(d as number);
      numel *= d as number;
    }
    const expectedBytes = numel * DTYPE_SIZES[dt];
    if (!Number.isSafeInteger(expectedBytes)) {
      fail(`shape ${describe(shape)} is too large`, name);
    }

    const offs = e.data_offsets;
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)
    ) {
      fail(`data_offsets must be two non-negative integers [begin, end], got ${describe(offs)}`, name);
    }
    const [begin, end] = offs as [number, number];
    if (begin > end) fail(`data_offsets [${begin}, ${end}] are out of order`, name);
    if (end > dataLen) {
      fail(
        `data_offsets [${begin}, ${end}] run past the end of the file (${total} bytes, ${dataLen} bytes of data)`,
        name,
      );
    }
    if (end - begin !== expectedBytes) {
      fail(
        `data_offsets [${begin}, ${end}] span ${end - begin} bytes but ${dt} shape ${describe(shape)} needs ${expectedBytes}`,
        name,
      );
    }

    // Copy into a fresh, 0-based buffer: handles unaligned offsets and avoids
    // aliasing the caller's (possibly pooled Buffer) memory.
    const raw = new Uint8Array(expectedBytes);
    raw.set(bytes.subarray(dataStart + begin, dataStart + end));
    out.set(name, { name, dtype: dt, shape, data: toF32(dt, raw, numel), raw });
  }
  return out;
}

/** Read only the "__metadata__" map of a safetensors file (validated like readSafetensors). */
export function readSafetensorsMetadata(
  bytes: Uint8Array,
  file = 'model.safetensors',
): Record<string, string> {
  readSafetensors(bytes, file); // validate
  const headerLen = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen))) as Record<string, unknown>;
  const meta = header[METADATA_KEY];
  return isPlainObject(meta) ? { ...(meta as Record<string, string>) } : {};
}

/**
 * Serialize F32 tensors. The header is padded with spaces so the data starts
 * at a multiple of 8 bytes, as the reference implementation does.
 */
export function writeSafetensors(
  tensors: { name: string; shape: number[]; data: Float32Array }[],
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new TypeError(`metadata value for '${k}' must be a string`);
    }
    header[METADATA_KEY] = { ...metadata };
  }
  let offset = 0;
  const seen = new Set<string>();
  for (const t of tensors) {
    if (t.name === METADATA_KEY) throw new Error(`tensor name '${METADATA_KEY}' is reserved`);
    if (seen.has(t.name)) throw new Error(`duplicate tensor name '${t.name}'`);
    seen.add(t.name);
    let numel = 1;
    for (const d of t.shape) {
      if (!Number.isSafeInteger(d) || d < 0) {
        throw new RangeError(`tensor '${t.name}': invalid dimension ${d} in shape [${t.shape.join(', ')}]`);
      }
      numel *= d;
    }
    if (numel !== t.data.length) {
      throw new RangeError(
        `tensor '${t.name}': shape [${t.shape.join(', ')}] has ${numel} elements but data has ${t.data.length}`,
      );
    }
    const bytes = numel * 4;
    header[t.name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }

  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);

  let pos = 8 + headerLen;
  for (const t of tensors) {
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    } else {
      for (let i = 0; i < t.data.length; i++) dv.setFloat32(pos + i * 4, t.data[i], true);
    }
    pos += t.data.byteLength;
  }
  return out;
}
