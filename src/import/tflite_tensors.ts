/**
 * TFLite tensor data: decoding constant buffers to float32 (dequantizing uint8 / int8 /
 * int16 / int32 with their per-tensor or per-channel scale and zero point, float16 by hand),
 * the value range a quantized activation can hold, and shape helpers. Every failure is a
 * ModelFormatError naming the tensor.
 */
import { ModelFormatError } from './errors.js';
import { TensorType, TENSOR_TYPE_NAMES, type TfModel, type TfTensor } from './tflite_schema.js';
import { f16ToF32 } from './safetensors.js';

/** Largest activation we accept (elements); beyond this a shape is corrupt or not a mobile model. */
export const MAX_ELEMENTS = 1 << 27;

export const typeName = (t: number): string => TENSOR_TYPE_NAMES[t] ?? `type #${t}`;

const ELEM_BYTES: Record<number, number> = {
  [TensorType.FLOAT32]: 4, [TensorType.FLOAT16]: 2, [TensorType.INT32]: 4, [TensorType.UINT8]: 1, [TensorType.INT64]: 8,
  [TensorType.INT16]: 2, [TensorType.INT8]: 1, [TensorType.FLOAT64]: 8, [TensorType.BOOL]: 1,
};

/** The integer range of a quantized type, or null for float types. */
export function quantRange(type: number): [number, number] | null {
  switch (type) {
    case TensorType.UINT8:
      return [0, 255];
    case TensorType.INT8:
      return [-128, 127];
    case TensorType.INT16:
      return [-32768, 32767];
    default:
      return null;
  }
}

/** Element count of a shape (a scalar `[]` has one); checks every dim. */
export function elementCount(file: string, t: TfTensor, dims = t.shape): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) throw new ModelFormatError(file, `invalid dimension ${d} in shape [${dims.join(', ')}]`, t.name);
    n *= d;
    if (n > MAX_ELEMENTS) throw new ModelFormatError(file, `shape [${dims.join(', ')}] has more than ${MAX_ELEMENTS} elements`, t.name);
  }
  return n;
}

/** Per-channel scales and zero points along `dim`, with the stride of that axis. */
function quantParams(file: string, t: TfTensor): { scales: number[]; zps: number[]; inner: number } {
  const q = t.quant;
  if (!q || q.scale.length === 0) throw new ModelFormatError(file, `${typeName(t.type)} tensor has no quantization scale`, t.name);
  for (const s of q.scale) if (!Number.isFinite(s) || s < 0) throw new ModelFormatError(file, `invalid quantization scale ${s}`, t.name);
  const n = q.scale.length;
  const zps = q.zeroPoint.length ? q.zeroPoint : [0];
  if (zps.length !== 1 && zps.length !== n) throw new ModelFormatError(file, `${zps.length} zero points for ${n} scales`, t.name);
  const zp = zps.length === n ? zps : new Array<number>(n).fill(zps[0]);
  if (n === 1) return { scales: q.scale, zps: zp, inner: Infinity };
  const dim = q.dim;
  if (!(dim >= 0 && dim < t.shape.length) || t.shape[dim] !== n) {
    throw new ModelFormatError(file, `${n} per-channel scales do not match dimension ${dim} of shape [${t.shape.join(', ')}]`, t.name);
  }
  let inner = 1;
  for (let k = dim + 1; k < t.shape.length; k++) inner *= t.shape[k];
  return { scales: q.scale, zps: zp, inner };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** raw element values (an aligned copy viewed as the stored type) */
function rawValues(file: string, t: TfTensor, bytes: Uint8Array, count: number): ArrayLike<number> {
  // 1-byte types are read in place; wider ones from an aligned copy (Uint8Array.prototype.slice:
  // Node's Buffer#slice would be a view)
  if (t.type === TensorType.UINT8 || t.type === TensorType.BOOL) return new Uint8Array(bytes.buffer, bytes.byteOffset, count);
  if (t.type === TensorType.INT8) return new Int8Array(bytes.buffer, bytes.byteOffset, count);
  const copy = Uint8Array.prototype.slice.call(bytes, 0);
  const buf = copy.buffer;
  const dv = new DataView(buf);
  switch (t.type) {
    case TensorType.FLOAT32:
      return LITTLE_ENDIAN ? new Float32Array(buf, 0, count) : Float32Array.from({ length: count }, (_, i) => dv.getFloat32(4 * i, true));
    case TensorType.FLOAT64:
      return LITTLE_ENDIAN ? new Float64Array(buf, 0, count) : Float64Array.from({ length: count }, (_, i) => dv.getFloat64(8 * i, true));
    case TensorType.FLOAT16: {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = f16ToF32(dv.getUint16(2 * i, true));
      return out;
    }
    case TensorType.INT32:
      return LITTLE_ENDIAN ? new Int32Array(buf, 0, count) : Int32Array.from({ length: count }, (_, i) => dv.getInt32(4 * i, true));
    case TensorType.INT16:
      return LITTLE_ENDIAN ? new Int16Array(buf, 0, count) : Int16Array.from({ length: count }, (_, i) => dv.getInt16(2 * i, true));
    case TensorType.INT64: {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(dv.getBigInt64(8 * i, true));
      return out;
    }
    default:
      throw new ModelFormatError(file, `unsupported tensor type ${typeName(t.type)}`, t.name);
  }
}

type Raw8 = Uint8Array | Int8Array;
type RawWide = Int32Array | Int16Array | Float64Array;

function dequant8(q: Raw8, out: Float32Array, scales: number[], zps: number[], inner: number): void {
  const n = scales.length;
  if (n === 1) {
    const sc = scales[0];
    const z = zps[0];
    for (let i = 0; i < q.length; i++) out[i] = sc * (q[i] - z);
    return;
  }
  // row-major blocks of `inner` elements cycle through the n channels
  for (let i = 0, ch = 0; i < q.length; ch = (ch + 1) % n) {
    const sc = scales[ch];
    const z = zps[ch];
    for (const end = i + inner; i < end; i++) out[i] = sc * (q[i] - z);
  }
}

function dequantWide(q: RawWide, out: Float32Array, scales: number[], zps: number[], inner: number): void {
  const n = scales.length;
  for (let i = 0, ch = 0; i < q.length; ch = (ch + 1) % n) {
    const sc = scales[ch];
    const z = zps[ch];
    for (const end = Math.min(i + inner, q.length); i < end; i++) out[i] = sc * (q[i] - z);
  }
}

/**
 * Decodes a constant tensor to float32 (dequantized when it has quantization parameters, or
 * with `fallbackScale` for int32 biases stored without any).
 */
export function decodeConstant(file: string, model: TfModel, t: TfTensor, fallbackScale?: (channel: number) => number): Float32Array {
  const bytes = model.buffer(t.buffer, t.name);
  if (!bytes) throw new ModelFormatError(file, 'constant tensor has no data', t.name);
  const count = elementCount(file, t);
  const eb = ELEM_BYTES[t.type];
  if (!eb) throw new ModelFormatError(file, `unsupported tensor type ${typeName(t.type)}`, t.name);
  if (bytes.length !== count * eb) {
    throw new ModelFormatError(file, `buffer has ${bytes.length} bytes, expected ${count * eb} for ${typeName(t.type)} [${t.shape.join(', ')}]`, t.name);
  }
  const raw = rawValues(file, t, bytes, count);
  const out = new Float32Array(count);
  const isFloat = t.type === TensorType.FLOAT32 || t.type === TensorType.FLOAT16 || t.type === TensorType.FLOAT64;
  if (isFloat || (!t.quant && !fallbackScale)) {
    out.set(raw);
    if (isFloat) {
      for (let i = 0; i < count; i++) {
        const v = out[i];
        if (v !== v || v === Infinity || v === -Infinity) throw new ModelFormatError(file, `value ${v} at index ${i} is not finite`, t.name);
      }
    }
  } else if (t.quant) {
    const { scales, zps, inner } = quantParams(file, t);
    // two call sites, so each loop sees at most three array types (stays fast in V8)
    if (raw instanceof Uint8Array || raw instanceof Int8Array) dequant8(raw, out, scales, zps, inner);
    else dequantWide(raw as Int32Array | Int16Array | Float64Array, out, scales, zps, inner);
  } else {
    // int32 bias without its own parameters: scale = input scale * weight scale (per channel)
    for (let i = 0; i < count; i++) out[i] = fallbackScale!(i) * raw[i];
  }
  return out;
}

/** Integer constant (shape vectors, axes, paddings, sizes). */
export function decodeInts(file: string, model: TfModel, t: TfTensor): number[] {
  if (t.type !== TensorType.INT32 && t.type !== TensorType.INT64) throw new ModelFormatError(file, `expected an int32 tensor, got ${typeName(t.type)}`, t.name);
  return Array.from(decodeConstant(file, model, { ...t, quant: null }));
}

/**
 * The real-valued interval a quantized activation can represent, [scale*(qmin-zp),
 * scale*(qmax-zp)], with its step (scale); null for float tensors or per-channel params.
 */
export function activationRange(file: string, t: TfTensor): { lo: number; hi: number; step: number } | null {
  const r = quantRange(t.type);
  if (!r || !t.quant) return null;
  if (t.quant.scale.length !== 1) throw new ModelFormatError(file, 'per-channel quantization of an activation is not supported', t.name);
  const s = t.quant.scale[0];
  const z = t.quant.zeroPoint[0] ?? 0;
  if (!(Number.isFinite(s) && s > 0)) throw new ModelFormatError(file, `invalid activation scale ${s}`, t.name);
  if (!(z >= r[0] && z <= r[1])) throw new ModelFormatError(file, `zero point ${z} is outside the ${typeName(t.type)} range`, t.name);
  return { lo: s * (r[0] - z), hi: s * (r[1] - z), step: s };
}
