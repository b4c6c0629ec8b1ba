/**
 * TFLite operators the real models do not have (PAD, CONCATENATION, MAX_POOL_2D, builtin
 * TRANSPOSE_CONV, FULLY_CONNECTED, RELU6 / RELU_N1_TO_1 ops, SUB with the constant first, SOFTMAX
 * with beta, DEPTHWISE dilation) and quantized output ranges, in small written models, checked
 * against a direct NHWC float64 implementation of the TFLite op definitions in this file
 * (TF SAME padding, OHWI weights, half-pixel bilinear, Conv2DBackpropInput) — not the IR.
 */
import { describe, expect, it } from 'vitest';
import { parseTflite } from '../../src/import/tflite.js';
import { ModelFormatError } from '../../src/import/errors.js';
import { runReference } from '../../src/graph/reference.js';
import { Rng } from '../../src/graph/rng.js';
import { writeTflite, table, f32bytes, i32bytes, type WTensor, type WOp } from '../helpers/tflite_writer.js';

// ---- a direct reference: NHWC arrays with explicit shapes ----
interface T {
  d: number[]; // [H, W, C]
  v: Float64Array;
}
const at = (t: T, y: number, x: number, c: number): number => t.v[(y * t.d[1] + x) * t.d[2] + c];
const tfSame = (n: number, k: number, s: number, dil = 1): number => Math.floor(Math.max((Math.ceil(n / s) - 1) * s + (k - 1) * dil + 1 - n, 0) / 2);

function conv(x: T, w: Float32Array, wd: number[], b: Float32Array, s: number, dw: boolean, dil = 1): T {
  // w: OHWI (dense) or [1, kh, kw, C] (depthwise)
  const [, kh, kw] = wd;
  const oc = dw ? x.d[2] : wd[0];
  const oh = Math.ceil(x.d[0] / s);
  const ow = Math.ceil(x.d[1] / s);
  const pt = tfSame(x.d[0], kh, s, dil);
  const pl = tfSame(x.d[1], kw, s, dil);
  const v = new Float64Array(oh * ow * oc);
  for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let o = 0; o < oc; o++) {
    let acc = b[o];
    for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
      const iy = oy * s - pt + ky * dil;
      const ix = ox * s - pl + kx * dil;
      if (iy < 0 || ix < 0 || iy >= x.d[0] || ix >= x.d[1]) continue;
      if (dw) acc += at(x, iy, ix, o) * w[(ky * kw + kx) * oc + o];
      else for (let i = 0; i < x.d[2]; i++) acc += at(x, iy, ix, i) * w[((o * kh + ky) * kw + kx) * x.d[2] + i];
    }
    v[(oy * ow + ox) * oc + o] = acc;
  }
  return { d: [oh, ow, oc], v };
}
const map = (x: T, f: (v: number, c: number) => number): T => ({ d: x.d, v: x.v.map((v, i) => f(v, i % x.d[2])) });
const clamp = (lo: number, hi: number) => (v: number): number => Math.min(Math.max(v, lo), hi);

function rnd(rng: Rng, n: number, s = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform(-s, s));
}

describe('TFLite ops in written models vs the TFLite op definitions', () => {
  it('PAD, CONV (SAME, RELU6), dilated DEPTHWISE, RELU_N1_TO_1, CONCATENATION, SUB, MAX_POOL, RESIZE, TRANSPOSE_CONV, MEAN, FC, SOFTMAX', () => {
    const rng = new Rng(5);
    const w1 = rnd(rng, 4 * 3 * 3 * 3, 0.8);
    const b1 = rnd(rng, 4);
    const w2 = rnd(rng, 3 * 3 * 3);
    const b2 = rnd(rng, 3, 0.2);
    const c6 = rnd(rng, 7);
    const w3 = rnd(rng, 2 * 3 * 3 * 7, 0.5);
    const b3 = rnd(rng, 2);
    const w4 = rnd(rng, 3 * 2);
    const b4 = rnd(rng, 3);
    const F = 0;
    const tensors: WTensor[] = [
      { name: 'x', shape: [1, 5, 6, 3], type: F }, // 0
      { name: 'pads', shape: [4, 2], type: 2, data: i32bytes([0, 0, 1, 0, 0, 2, 0, 0]) },
      { name: 't1', shape: [1, 6, 8, 3], type: F },
      { name: 'w1', shape: [4, 3, 3, 3], type: F, data: f32bytes(w1) },
      { name: 'b1', shape: [4], type: F, data: f32bytes(b1) },
      { name: 't2', shape: [1, 3, 4, 4], type: F }, // 5
      { name: 'w2', shape: [1, 3, 3, 3], type: F, data: f32bytes(w2) },
      { name: 'b2', shape: [3], type: F, data: f32bytes(b2) },
      { name: 't3', shape: [1, 3, 4, 3], type: F },
      { name: 't4', shape: [1, 3, 4, 3], type: F },
      { name: 't5', shape: [1, 3, 4, 7], type: F }, // 10
      { name: 'c6', shape: [7], type: F, data: f32bytes(c6) },
      { name: 't6', shape: [1, 3, 4, 7], type: F },
      { name: 't7', shape: [1, 2, 2, 7], type: F },
      { name: 'size', shape: [2], type: 2, data: i32bytes([3, 5]) },
      { name: 't8', shape: [1, 3, 5, 7], type: F }, // 15
      { name: 'oshape', shape: [4], type: 2, data: i32bytes([1, 6, 10, 2]) },
      { name: 'w3', shape: [2, 3, 3, 7], type: F, data: f32bytes(w3) },
      { name: 'b3', shape: [2], type: F, data: f32bytes(b3) },
      { name: 't9', shape: [1, 6, 10, 2], type: F },
      { name: 'axes', shape: [2], type: 2, data: i32bytes([1, 2]) }, // 20
      { name: 't10', shape: [1, 1, 1, 2], type: F },
      { name: 'rshape', shape: [2], type: 2, data: i32bytes([1, 2]) },
      { name: 't11', shape: [1, 2], type: F },
      { name: 'w4', shape: [3, 2], type: F, data: f32bytes(w4) },
      { name: 'b4', shape: [3], type: F, data: f32bytes(b4) }, // 25
      { name: 't12', shape: [1, 3], type: F },
      { name: 't13', shape: [1, 3], type: F },
    ];
    const ops: WOp[] = [
      { op: 34, inputs: [0, 1], outputs: [2] }, // PAD
      { op: 3, inputs: [2, 3, 4], outputs: [5], options: { type: 1, write: table([[0, 'u8', 0], [1, 'i32', 2], [2, 'i32', 2], [3, 'u8', 3]]) } }, // CONV SAME s2 RELU6
      { op: 4, inputs: [2, 6, 7], outputs: [8], options: { type: 2, write: table([[0, 'u8', 0], [1, 'i32', 2], [2, 'i32', 2], [3, 'i32', 1], [4, 'u8', 0], [5, 'i32', 2], [6, 'i32', 2]]) } }, // DW dil 2
      { op: 20, inputs: [8], outputs: [9] }, // RELU_N1_TO_1
      { op: 2, inputs: [5, 9], outputs: [10], options: { type: 10, write: table([[0, 'i32', -1]]) } }, // CONCATENATION
      { op: 41, inputs: [11, 10], outputs: [12], options: { type: 28, write: table([]) } }, // SUB c - x
      { op: 17, inputs: [12], outputs: [13], options: { type: 5, write: table([[0, 'u8', 0], [1, 'i32', 2], [2, 'i32', 2], [3, 'i32', 2], [4, 'i32', 2]]) } }, // MAX_POOL SAME
      { op: 23, inputs: [13, 14], outputs: [15], options: { type: 15, write: table([[3, 'bool', 1]]) } }, // RESIZE half-pixel
      { op: 67, inputs: [16, 17, 15, 18], outputs: [19], options: { type: 49, write: table([[0, 'u8', 0], [1, 'i32', 2], [2, 'i32', 2]]) } }, // TRANSPOSE_CONV
      { op: 40, inputs: [19, 20], outputs: [21], options: { type: 27, write: table([[0, 'bool', 1]]) } }, // MEAN
      { op: 22, inputs: [21, 22], outputs: [23] }, // RESHAPE
      { op: 9, inputs: [23, 24, 25], outputs: [26], options: { type: 8, write: table([]) } }, // FC
      { op: 25, inputs: [26], outputs: [27], options: { type: 9, write: table([[0, 'f32', 0.5]]) } }, // SOFTMAX beta 0.5
    ];
    const bytes = writeTflite(tensors, ops, [0], [19, 27]);
    const imp = parseTflite(bytes, 'ops.tflite');

    const x: T = { d: [5, 6, 3], v: Float64Array.from(rnd(rng, 90, 2)) };
    // reference
    const t1: T = { d: [6, 8, 3], v: new Float64Array(6 * 8 * 3) };
    for (let y = 0; y < 5; y++) for (let xx = 0; xx < 6; xx++) for (let c = 0; c < 3; c++) t1.v[((y + 1) * 8 + xx) * 3 + c] = at(x, y, xx, c);
    const t2 = map(conv(t1, w1, [4, 3, 3, 3], b1, 2, false), clamp(0, 6));
    const t4 = map(conv(t1, w2, [1, 3, 3, 3], b2, 2, true, 2), clamp(-1, 1));
    const t5: T = { d: [3, 4, 7], v: new Float64Array(84) };
    for (let p = 0; p < 12; p++) for (let c = 0; c < 7; c++) t5.v[p * 7 + c] = c < 4 ? t2.v[p * 4 + c] : t4.v[p * 3 + c - 4];
    const t6 = map(t5, (v, c) => c6[c] - v);
    const t7: T = { d: [2, 2, 7], v: new Float64Array(28) };
    for (let oy = 0; oy < 2; oy++) for (let ox = 0; ox < 2; ox++) for (let c = 0; c < 7; c++) {
      let m = -Infinity; // TF SAME max pool: the padding never wins
      for (let ky = 0; ky < 2; ky++) for (let kx = 0; kx < 2; kx++) {
        const iy = oy * 2 + ky - tfSame(3, 2, 2);
        const ix = ox * 2 + kx - tfSame(4, 2, 2);
        if (iy >= 0 && ix >= 0 && iy < 3 && ix < 4) m = Math.max(m, at(t6, iy, ix, c));
      }
      t7.v[(oy * 2 + ox) * 7 + c] = m;
    }
    const t8: T = { d: [3, 5, 7], v: new Float64Array(105) };
    const src = (o: number, inN: number, outN: number): [number, number, number] => {
      const f = (o + 0.5) * (inN / outN) - 0.5;
      const lo = Math.floor(f);
      return [Math.max(lo, 0), Math.min(Math.ceil(f), inN - 1), f - lo];
    };
    for (let oy = 0; oy < 3; oy++) for (let ox = 0; ox < 5; ox++) for (let c = 0; c < 7; c++) {
      const [y0, y1, fy] = src(oy, 2, 3);
      const [x0, x1, fx] = src(ox, 2, 5);
      const top = at(t7, y0, x0, c) * (1 - fx) + at(t7, y0, x1, c) * fx;
      const bot = at(t7, y1, x0, c) * (1 - fx) + at(t7, y1, x1, c) * fx;
      t8.v[(oy * 5 + ox) * 7 + c] = top * (1 - fy) + bot * fy;
    }
    // Conv2DBackpropInput, SAME: pad_before = floor(max((in-1)*s + k - out, 0) / 2)
    const t9: T = { d: [6, 10, 2], v: new Float64Array(120) };
    const ptop = Math.floor(Math.max(2 * 2 + 3 - 6, 0) / 2);
    const pleft = Math.floor(Math.max(4 * 2 + 3 - 10, 0) / 2);
    for (let iy = 0; iy < 3; iy++) for (let ix = 0; ix < 5; ix++) for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
      const oy = iy * 2 + ky - ptop;
      const ox = ix * 2 + kx - pleft;
      if (oy < 0 || ox < 0 || oy >= 6 || ox >= 10) continue;
      for (let o = 0; o < 2; o++) for (let i = 0; i < 7; i++) t9.v[(oy * 10 + ox) * 2 + o] += at(t8, iy, ix, i) * w3[((o * 3 + ky) * 3 + kx) * 7 + i];
    }
    for (let p = 0; p < 60; p++) for (let o = 0; o < 2; o++) t9.v[p * 2 + o] += b3[o];
    const mean = [0, 1].map((o) => t9.v.filter((_, i) => i % 2 === o).reduce((a, v) => a + v, 0) / 60);
    const logits = [0, 1, 2].map((o) => b4[o] + w4[o * 2] * mean[0] + w4[o * 2 + 1] * mean[1]);
    const e = logits.map((l) => Math.exp(0.5 * l));
    const probs = e.map((v) => v / e.reduce((a, b) => a + b, 0));

    const g = imp.graph;
    const env = runReference(g, { [g.inputs[0].name]: x.v });
    const got9 = env.get(g.outputs[0])!.data;
    const got13 = env.get(g.outputs[1])!.data;
    const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
    expect(got9.length).toBe(120);
    expect(maxDiff(got9, t9.v)).toBeLessThan(1e-5);
    expect(maxDiff(got13, probs)).toBeLessThan(1e-6);
    expect(Math.max(...t9.v.map(Math.abs))).toBeGreaterThan(0.5);
    const ops2 = g.nodes.map((n) => n.op);
    expect(ops2).toEqual(expect.arrayContaining(['pad', 'concat', 'pool2d', 'resize', 'conv_transpose', 'global_avg_pool', 'softmax']));
  });

  it('quantized output ranges clamp; a per-channel multiply that needs one becomes a clamped binary mul', () => {
    // input uint8 s=1/64 zp=128 -> values in [-2, 1.98]; 1x1 conv (uint8 weights) with output range [-1, 1];
    // MUL by a 1x1xC activation with output range [0, 0.05]
    const w = Uint8Array.from([200, 60, 128, 255]); // 2x2 OI, s=1/64 zp=128
    const tensors: WTensor[] = [
      { name: 'x', shape: [1, 2, 3, 2], type: 3, quant: { scale: [1 / 64], zeroPoint: [128] } },
      { name: 'w', shape: [2, 1, 1, 2], type: 3, data: w, quant: { scale: [1 / 64], zeroPoint: [128] } },
      { name: 'b', shape: [2], type: 2, data: i32bytes([100, -300]) }, // no params: scale = (1/64)^2
      { name: 'y', shape: [1, 2, 3, 2], type: 3, quant: { scale: [2 / 255], zeroPoint: [128] } },
      { name: 'pool', shape: [1, 1, 1, 2], type: 3, quant: { scale: [2 / 255], zeroPoint: [128] } },
      { name: 'z', shape: [1, 2, 3, 2], type: 3, quant: { scale: [0.05 / 255], zeroPoint: [0] } },
    ];
    const ops: WOp[] = [
      { op: 3, inputs: [0, 1, 2], outputs: [3], options: { type: 1, write: table([[0, 'u8', 1]]) } },
      { op: 40, inputs: [3, 6], outputs: [4], options: { type: 27, write: table([[0, 'bool', 1]]) } },
      { op: 18, inputs: [3, 4], outputs: [5], options: { type: 21, write: table([]) } },
    ];
    tensors.push({ name: 'axes', shape: [2], type: 2, data: i32bytes([1, 2]) });
    const imp = parseTflite(writeTflite(tensors, ops, [0], [5]), 'q.tflite', { clamps: 'all' });
    const g = imp.graph;
    expect(g.nodes.map((n) => n.op)).toEqual(['conv2d', 'global_avg_pool', 'binary']);
    const xs = Float64Array.from([-2, 1.5, 0.25, -0.5, 1.9, 1.9, -1, -1, 0, 0.1, 0.7, -1.3]);
    const wf = Array.from(w, (q) => (q - 128) / 64);
    const y = new Float64Array(12);
    for (let p = 0; p < 6; p++) for (let o = 0; o < 2; o++) {
      const acc = [100, -300][o] / 4096 + wf[o * 2] * xs[p * 2] + wf[o * 2 + 1] * xs[p * 2 + 1];
      y[p * 2 + o] = Math.min(Math.max(acc, -128 * (2 / 255)), 127 * (2 / 255));
    }
    const s = [0, 1].map((o) => y.filter((_, i) => i % 2 === o).reduce((a, v) => a + v, 0) / 6);
    const z = y.map((v, i) => Math.min(Math.max(v * s[i % 2], 0), 0.05));
    const got = runReference(g, { [g.inputs[0].name]: xs }).get(g.outputs[0])!.data;
    for (let i = 0; i < 12; i++) expect(got[i]).toBeCloseTo(z[i], 6);
    // both sides of the range did cut
    expect(z.filter((v) => v === 0.05).length).toBeGreaterThan(0);
    expect(z.filter((v) => v === 0).length).toBeGreaterThan(0);
  });

  it('rejects a depth multiplier and an unsupported fused activation with a named error', () => {
    const dw: WTensor[] = [
      { name: 'x', shape: [1, 4, 4, 2], type: 0 },
      { name: 'w', shape: [1, 3, 3, 4], type: 0, data: f32bytes(new Float32Array(36)) },
      { name: 'y', shape: [1, 4, 4, 4], type: 0 },
    ];
    const bad = writeTflite(dw, [{ op: 4, inputs: [0, 1, -1], outputs: [2], options: { type: 2, write: table([[3, 'i32', 2]]) } }], [0], [2]);
    expect(() => parseTflite(bad, 'dm.tflite')).toThrow(ModelFormatError);
    expect(() => parseTflite(bad, 'dm.tflite')).toThrow(/dm\.tflite: tensor 'y': operator #0 DEPTHWISE_CONV_2D: depth multiplier 2/);
    const tanh = writeTflite(
      [{ name: 'x', shape: [1, 2, 2, 2], type: 0 }, { name: 'y', shape: [1, 2, 2, 2], type: 0 }],
      [{ op: 0, inputs: [0, 0], outputs: [1], options: { type: 11, write: table([[0, 'u8', 4]]) } }],
      [0],
      [1],
    );
    expect(() => parseTflite(tanh, 'tanh.tflite')).toThrow(/tanh\.tflite: tensor 'y': operator #0 ADD: fused activation TANH is not supported/);
  });
});
