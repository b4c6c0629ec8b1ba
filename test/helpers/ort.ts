/** onnxruntime-node as the peer reference for ONNX imports: NCHW <-> NHWC and one-input runs. */
import * as ort from 'onnxruntime-node';

export const nhwcToNchw = (x: ArrayLike<number>, h: number, w: number, c: number): Float32Array => {
  const o = new Float32Array(h * w * c);
  for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) o[k * h * w + p] = x[p * c + k];
  return o;
};

/** ONNX output (NCHW [1,C,H,W] or [1,C]) in the IR's NHWC order. */
export const nchwToNhwc = (x: ArrayLike<number>, dims: readonly number[]): Float32Array => {
  if (dims.length !== 4) return Float32Array.from(x);
  const [, c, h, w] = dims;
  const o = new Float32Array(h * w * c);
  for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) o[p * c + k] = x[k * h * w + p];
  return o;
};

const sessions = new Map<string | Uint8Array, Promise<ort.InferenceSession>>();

/** Runs a model (path or bytes) on one NHWC input; returns every output in NHWC order, by name. */
export async function runOrt(model: string | Uint8Array, input: Float32Array, h: number, w: number, c: number): Promise<Map<string, Float32Array>> {
  let s = sessions.get(model);
  if (!s) {
    s = typeof model === 'string' ? ort.InferenceSession.create(model, { logSeverityLevel: 3 }) : ort.InferenceSession.create(model, { logSeverityLevel: 3 });
    sessions.set(model, s);
  }
  const session = await s;
  const r = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', nhwcToNchw(input, h, w, c), [1, c, h, w]) });
  const out = new Map<string, Float32Array>();
  for (const name of session.outputNames) out.set(name, nchwToNhwc(r[name].data as Float32Array, r[name].dims));
  return out;
}

export function relL2(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (a.length !== ref.length) throw new Error(`relL2: lengths differ (${a.length} vs ${ref.length})`);
  let d = 0;
  let r = 0;
  for (let i = 0; i < ref.length; i++) {
    d += (a[i] - ref[i]) ** 2;
    r += ref[i] ** 2;
  }
  return Math.sqrt(d / r);
}

export function maxAbsDiff(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (a.length !== ref.length) throw new Error(`maxAbsDiff: lengths differ (${a.length} vs ${ref.length})`);
  let m = 0;
  for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(a[i] - ref[i]));
  return Number.isNaN(m) ? Infinity : m;
}
