/**
 * CPU twins vs independent naive float64 implementations on unpacked, unpadded NHWC data.
 * The twins are fed through the packing functions, so this also checks the packed layouts.
 */
import { describe, expect, test } from 'vitest';
import { CPU_KERNELS, cpuAct } from '../../src/kernels/cpu/index.js';
import {
  ACT_NAMES,
  ACT_CODES,
  ELEMENTWISE_OPS,
  NO_CLAMP,
  packConv2d,
  packDepthwise,
  packPointwise,
  packSqueezeExcite,
  type Act,
} from '../../src/kernels/index.js';
import { mulberry32, packArena as arena, randomArray } from '../helpers/run_kernel.js';

const c4of = (c: number): number => Math.ceil(c / 4);

/** [P][C] -> [P][c4*4], zero lanes. */
function pad(x: Float32Array, pixels: number, c: number): Float32Array {
  const C = c4of(c) * 4;
  const out = new Float32Array(pixels * C);
  for (let p = 0; p < pixels; p++) for (let k = 0; k < c; k++) out[p * C + k] = x[p * c + k];
  return out;
}

/** [P][c4*4] -> [P][C]. */
function unpad(x: Float32Array, pixels: number, c: number): Float32Array {
  const C = c4of(c) * 4;
  const out = new Float32Array(pixels * c);
  for (let p = 0; p < pixels; p++) for (let k = 0; k < c; k++) out[p * c + k] = x[p * C + k];
  return out;
}

function refAct(act: Act, x: number): number {
  switch (act) {
    case 'none':
      return x;
    case 'relu':
      return Math.max(x, 0);
    case 'relu6':
      return Math.min(Math.max(x, 0), 6);
    case 'hswish':
      return (x * Math.min(Math.max(x + 3, 0), 6)) / 6;
    case 'hsigmoid':
      return Math.min(Math.max(x + 3, 0), 6) / 6;
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
  }
}

const clampTo = (x: number, lo: number, hi: number): number => Math.min(Math.max(x, lo), hi);

function expectNear(got: Float32Array, want: Float64Array | Float32Array, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= 1e-4 + 1e-3 * Math.abs(want[i]))) {
      throw new Error(`${what}: element ${i}: got ${got[i]}, want ${want[i]}`);
    }
  }
}

const convOut = (inp: number, k: number, s: number, d: number, p0: number, p1: number): number =>
  Math.floor((inp + p0 + p1 - d * (k - 1) - 1) / s) + 1;

test('cpuAct matches the activation definitions', () => {
  for (const a of ACT_NAMES) {
    for (const x of [-7, -3, -1.5, 0, 0.4, 2.9, 3, 6.5]) expect(cpuAct(ACT_CODES[a], x)).toBeCloseTo(refAct(a, x), 12);
  }
  expect(() => cpuAct(9, 0)).toThrow();
});

describe('pointwise', () => {
  interface Case {
    pixels: number;
    inC: number;
    outC: number;
    act: Act;
    scale?: boolean;
    res?: boolean;
    clamp?: [number, number];
    post?: [number, number];
    bias?: boolean;
  }
  const cases: Case[] = [
    { pixels: 5, inC: 3, outC: 5, act: 'none' },
    { pixels: 1, inC: 20, outC: 3, act: 'relu', bias: false },
    { pixels: 7, inC: 5, outC: 20, act: 'hswish', scale: true },
    { pixels: 6, inC: 8, outC: 5, act: 'relu6', res: true },
    { pixels: 9, inC: 20, outC: 20, act: 'hsigmoid', scale: true, res: true, clamp: [-0.5, 0.7], post: [-0.4, 1.1] },
    ...ACT_NAMES.map((act) => ({ pixels: 3, inC: 6, outC: 7, act, res: true })),
  ];
  test.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', (_n, c) => {
    const rng = mulberry32(c.pixels * 1000 + c.inC * 10 + c.outC);
    const x = randomArray(rng, c.pixels * c.inC, -2, 2);
    const w = randomArray(rng, c.outC * c.inC);
    const b = c.bias === false ? undefined : randomArray(rng, c.outC);
    const s = randomArray(rng, c.inC, 0, 1.5);
    const r = randomArray(rng, c.pixels * c.outC);
    const [lo, hi] = c.clamp ?? [-NO_CLAMP, NO_CLAMP];
    const [plo, phi] = c.post ?? [-NO_CLAMP, NO_CLAMP];
    // reference
    const want = new Float64Array(c.pixels * c.outC);
    for (let p = 0; p < c.pixels; p++) {
      for (let o = 0; o < c.outC; o++) {
        let acc = b ? b[o] : 0;
        for (let k = 0; k < c.inC; k++) acc += w[o * c.inC + k] * x[p * c.inC + k] * (c.scale ? s[k] : 1);
        let v = clampTo(refAct(c.act, acc), lo, hi);
        if (c.res) v += r[p * c.outC + o];
        want[p * c.outC + o] = clampTo(v, plo, phi);
      }
    }
    // twin
    const packed = packPointwise(w, c.outC, c.inC, b);
    expect(packed.weights.length % 4).toBe(0);
    expect(packed.bias.length).toBe(c4of(c.outC) * 4);
    const { weights, offsets } = arena([packed.weights, packed.bias]);
    const out = new Float32Array(c.pixels * c4of(c.outC) * 4).fill(NaN);
    CPU_KERNELS.pointwise(
      { input: pad(x, c.pixels, c.inC), weights, scale: pad(s, 1, c.inC), residual: pad(r, c.pixels, c.outC), output: out },
      { pixels: c.pixels, in_c4: c4of(c.inC), out_c4: c4of(c.outC), w_offset: offsets[0], b_offset: offsets[1], clamp_lo: lo, clamp_hi: hi, post_lo: plo, post_hi: phi },
      { ACT: ACT_CODES[c.act], HAS_SCALE: c.scale ? 1 : 0, HAS_RES: c.res ? 1 : 0 },
    );
    expectNear(unpad(out, c.pixels, c.outC), want, 'pointwise');
  });
});

interface ConvCase {
  h: number;
  w: number;
  inC: number;
  outC: number;
  kh: number;
  kw: number;
  stride: [number, number];
  dil: [number, number];
  /** top, left, bottom, right */
  pad: [number, number, number, number];
  act: Act;
  clamp?: [number, number];
}

const convCases = (depthwise: boolean): ConvCase[] => {
  const c = (inC: number, outC: number): { inC: number; outC: number } => (depthwise ? { inC, outC: inC } : { inC, outC });
  return [
    { h: 5, w: 5, ...c(3, 5), kh: 3, kw: 3, stride: [1, 1], dil: [1, 1], pad: [1, 1, 1, 1], act: 'none' },
    { h: 7, w: 9, ...c(5, 20), kh: 3, kw: 3, stride: [2, 2], dil: [1, 1], pad: [0, 0, 1, 1], act: 'hswish' },
    { h: 9, w: 7, ...c(20, 8), kh: 5, kw: 5, stride: [2, 2], dil: [1, 1], pad: [1, 2, 2, 1], act: 'relu' },
    { h: 8, w: 6, ...c(4, 3), kh: 3, kw: 3, stride: [1, 1], dil: [2, 2], pad: [2, 2, 2, 2], act: 'relu6', clamp: [-0.3, 0.9] },
    { h: 6, w: 7, ...c(6, 4), kh: 3, kw: 5, stride: [1, 2], dil: [2, 1], pad: [3, 0, 1, 2], act: 'sigmoid' },
    { h: 4, w: 5, ...c(7, 9), kh: 1, kw: 1, stride: [1, 1], dil: [1, 1], pad: [0, 0, 0, 0], act: 'hsigmoid' },
    { h: 3, w: 3, ...c(3, 16), kh: 7, kw: 2, stride: [1, 1], dil: [1, 1], pad: [3, 1, 3, 0], act: 'none' },
    ...ACT_NAMES.map((act): ConvCase => ({ h: 5, w: 3, ...c(5, 6), kh: 3, kw: 3, stride: [2, 1], dil: [1, 1], pad: [1, 1, 1, 1], act })),
  ];
};

function runConvCase(c: ConvCase, depthwise: boolean): void {
  const rng = mulberry32(c.h * 7919 + c.w * 104729 + c.inC * 31 + c.outC + c.kh * 13 + (depthwise ? 1 : 0));
  const [pt, pl, pb, pr] = c.pad;
  const oh = convOut(c.h, c.kh, c.stride[0], c.dil[0], pt, pb);
  const ow = convOut(c.w, c.kw, c.stride[1], c.dil[1], pl, pr);
  const icPerGroup = depthwise ? 1 : c.inC;
  const x = randomArray(rng, c.h * c.w * c.inC, -2, 2);
  const w = randomArray(rng, c.outC * icPerGroup * c.kh * c.kw);
  const b = randomArray(rng, c.outC);
  const [lo, hi] = c.clamp ?? [-NO_CLAMP, NO_CLAMP];
  const want = new Float64Array(oh * ow * c.outC);
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      for (let o = 0; o < c.outC; o++) {
        let acc = b[o];
        for (let i = 0; i < icPerGroup; i++) {
          const ic = depthwise ? o : i;
          for (let ky = 0; ky < c.kh; ky++) {
            for (let kx = 0; kx < c.kw; kx++) {
              const iy = oy * c.stride[0] - pt + ky * c.dil[0];
              const ix = ox * c.stride[1] - pl + kx * c.dil[1];
              if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w) continue;
              acc += w[((o * icPerGroup + i) * c.kh + ky) * c.kw + kx] * x[(iy * c.w + ix) * c.inC + ic];
            }
          }
        }
        want[(oy * ow + ox) * c.outC + o] = clampTo(refAct(c.act, acc), lo, hi);
      }
    }
  }
  const packed = depthwise ? packDepthwise(w, c.inC, c.kh, c.kw, b) : packConv2d(w, c.outC, c.inC, c.kh, c.kw, b);
  const { weights, offsets } = arena([packed.weights, packed.bias], 12);
  const out = new Float32Array(oh * ow * c4of(c.outC) * 4).fill(NaN);
  const common = {
    in_h: c.h,
    in_w: c.w,
    out_h: oh,
    out_w: ow,
    stride_h: c.stride[0],
    stride_w: c.stride[1],
    dil_h: c.dil[0],
    dil_w: c.dil[1],
    pad_t: pt,
    pad_l: pl,
    w_offset: offsets[0],
    b_offset: offsets[1],
    clamp_lo: lo,
    clamp_hi: hi,
  };
  const overrides = { ACT: ACT_CODES[c.act], KH: c.kh, KW: c.kw };
  const views = { input: pad(x, c.h * c.w, c.inC), weights, output: out };
  if (depthwise) CPU_KERNELS.depthwise(views, { ...common, c4: c4of(c.inC) }, overrides);
  else CPU_KERNELS.conv2d(views, { ...common, in_c4: c4of(c.inC), out_c4: c4of(c.outC) }, overrides);
  expectNear(unpad(out, oh * ow, c.outC), want, depthwise ? 'depthwise' : 'conv2d');
}

describe('depthwise', () => {
  test.each(convCases(true).map((c) => [JSON.stringify(c), c] as const))('%s', (_n, c) => runConvCase(c, true));
});

describe('conv2d', () => {
  test.each(convCases(false).map((c) => [JSON.stringify(c), c] as const))('%s', (_n, c) => runConvCase(c, false));
});

describe('squeeze_excite', () => {
  const cases = [
    { pixels: 1, c: 3, sq: 2, act1: 'relu', act2: 'hsigmoid' },
    { pixels: 49, c: 20, sq: 5, act1: 'relu', act2: 'hsigmoid' },
    { pixels: 13, c: 24, sq: 8, act1: 'hswish', act2: 'sigmoid' },
    { pixels: 6, c: 5, sq: 3, act1: 'none', act2: 'relu6' },
  ] as const;
  test.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', (_n, c) => {
    const rng = mulberry32(c.pixels * 31 + c.c);
    const x = randomArray(rng, c.pixels * c.c, -2, 2);
    const w1 = randomArray(rng, c.sq * c.c);
    const b1 = randomArray(rng, c.sq);
    const w2 = randomArray(rng, c.c * c.sq);
    const b2 = randomArray(rng, c.c);
    const pooled = new Float64Array(c.c);
    for (let p = 0; p < c.pixels; p++) for (let k = 0; k < c.c; k++) pooled[k] += x[p * c.c + k] / c.pixels;
    const hidden = new Float64Array(c.sq);
    for (let s = 0; s < c.sq; s++) {
      let acc = b1[s];
      for (let k = 0; k < c.c; k++) acc += w1[s * c.c + k] * pooled[k];
      hidden[s] = refAct(c.act1, acc);
    }
    const want = new Float64Array(c.c);
    for (let k = 0; k < c.c; k++) {
      let acc = b2[k];
      for (let s = 0; s < c.sq; s++) acc += w2[k * c.sq + s] * hidden[s];
      want[k] = refAct(c.act2, acc);
    }
    const packed = packSqueezeExcite(w1, b1, w2, b2, c.c, c.sq);
    const { weights, offsets } = arena([packed.w1, packed.b1, packed.w2, packed.b2], 4);
    const out = new Float32Array(c4of(c.c) * 4).fill(NaN);
    CPU_KERNELS.squeeze_excite(
      { input: pad(x, c.pixels, c.c), weights, output: out },
      {
        pixels: c.pixels,
        c4: c4of(c.c),
        sq4: c4of(c.sq),
        w1_offset: offsets[0],
        b1_offset: offsets[1],
        w2_offset: offsets[2],
        b2_offset: offsets[3],
        act1: ACT_CODES[c.act1],
        act2: ACT_CODES[c.act2],
      },
      {},
    );
    expectNear(unpad(out, 1, c.c), want, 'squeeze_excite');
  });
});

describe('global_pool', () => {
  test.each([
    [1, 3],
    [49, 20],
    [15, 5],
  ])('pixels=%i c=%i', (pixels, c) => {
    const x = randomArray(mulberry32(pixels + c), pixels * c, -3, 3);
    const want = new Float64Array(c);
    for (let p = 0; p < pixels; p++) for (let k = 0; k < c; k++) want[k] += x[p * c + k] / pixels;
    const out = new Float32Array(c4of(c) * 4).fill(NaN);
    CPU_KERNELS.global_pool({ input: pad(x, pixels, c), output: out }, { pixels, c4: c4of(c) }, {});
    expectNear(unpad(out, 1, c), want, 'global_pool');
  });
});

describe('elementwise', () => {
  const cases: { op: keyof typeof ELEMENTWISE_OPS; act: Act; pixels: number; c: number; clamp?: [number, number] }[] = [
    ...ACT_NAMES.map((act) => ({ op: 'act' as const, act, pixels: 7, c: 5 })),
    { op: 'add', act: 'none', pixels: 9, c: 20 },
    { op: 'add', act: 'relu6', pixels: 3, c: 3, clamp: [-1, 0.5] },
    { op: 'channel_scale', act: 'none', pixels: 11, c: 5 },
    { op: 'channel_scale', act: 'hswish', pixels: 4, c: 24 },
  ];
  test.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', (_n, c) => {
    const rng = mulberry32(c.pixels * 13 + c.c);
    const a = randomArray(rng, c.pixels * c.c, -5, 5);
    const bFull = randomArray(rng, c.pixels * c.c, -2, 2);
    const bChan = randomArray(rng, c.c, 0, 1);
    const [lo, hi] = c.clamp ?? [-NO_CLAMP, NO_CLAMP];
    const want = new Float64Array(c.pixels * c.c);
    for (let p = 0; p < c.pixels; p++) {
      for (let k = 0; k < c.c; k++) {
        const i = p * c.c + k;
        const v = c.op === 'act' ? a[i] : c.op === 'add' ? a[i] + bFull[i] : a[i] * bChan[k];
        want[i] = clampTo(refAct(c.act, v), lo, hi);
      }
    }
    const out = new Float32Array(c.pixels * c4of(c.c) * 4).fill(NaN);
    const b = c.op === 'add' ? pad(bFull, c.pixels, c.c) : c.op === 'channel_scale' ? pad(bChan, 1, c.c) : new Float32Array(4);
    CPU_KERNELS.elementwise(
      { a: pad(a, c.pixels, c.c), b, output: out },
      { count: c.pixels * c4of(c.c), c4: c4of(c.c), clamp_lo: lo, clamp_hi: hi },
      { OP: ELEMENTWISE_OPS[c.op], ACT: ACT_CODES[c.act] },
    );
    expectNear(unpad(out, c.pixels, c.c), want, 'elementwise');
  });
});

test('packing rejects wrong weight sizes', () => {
  expect(() => packPointwise(new Float32Array(5), 2, 3, undefined)).toThrow(/expected 2x3/);
  expect(() => packDepthwise(new Float32Array(5), 2, 3, 3, undefined)).toThrow();
  expect(() => packConv2d(new Float32Array(5), 2, 3, 3, 3, undefined)).toThrow();
  expect(() => packPointwise(new Float32Array(6), 2, 3, new Float32Array(3))).toThrow(/bias/);
});
