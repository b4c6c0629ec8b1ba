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
import {
  BINARY_BCAST,
  BINARY_OPS,
  CONCAT,
  POOL_EMPTY_MAX,
  POOL_KINDS,
  RESIZE_MODES,
  packConstant,
  packConvTranspose,
  packResize,
  planConcat,
} from '../../src/kernels/index.js';
import { runReference } from '../../src/graph/reference.js';
import { resizeSource } from '../../src/graph/reference_ops.js';
import type { BinaryOp, Graph, Node, ResizeCoord, TensorShape } from '../../src/graph/ir.js';
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
    /** prologue clamp of input * scale (with scale) */
    scaleClamp?: [number, number];
    bias?: boolean;
  }
  const cases: Case[] = [
    { pixels: 5, inC: 3, outC: 5, act: 'none' },
    { pixels: 1, inC: 20, outC: 3, act: 'relu', bias: false },
    { pixels: 7, inC: 5, outC: 20, act: 'hswish', scale: true },
    { pixels: 6, inC: 8, outC: 5, act: 'relu6', res: true },
    { pixels: 9, inC: 20, outC: 20, act: 'hsigmoid', scale: true, res: true, clamp: [-0.5, 0.7], post: [-0.4, 1.1] },
    // TFLite's clamped SE gate: clamp(input * scale) as the kernel loads its input
    { pixels: 7, inC: 5, outC: 20, act: 'none', scale: true, scaleClamp: [-0.4, 0.6] },
    { pixels: 9, inC: 20, outC: 12, act: 'relu', scale: true, res: true, scaleClamp: [0.1, 0.5], post: [-1, 1] },
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
    const [slo, shi] = c.scaleClamp ?? [-NO_CLAMP, NO_CLAMP];
    // reference
    const want = new Float64Array(c.pixels * c.outC);
    for (let p = 0; p < c.pixels; p++) {
      for (let o = 0; o < c.outC; o++) {
        let acc = b ? b[o] : 0;
        for (let k = 0; k < c.inC; k++) acc += w[o * c.inC + k] * (c.scale ? clampTo(x[p * c.inC + k] * s[k], slo, shi) : x[p * c.inC + k]);
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
      {
        pixels: c.pixels, in_c4: c4of(c.inC), out_c4: c4of(c.outC), w_offset: offsets[0], b_offset: offsets[1], clamp_lo: lo, clamp_hi: hi, post_lo: plo, post_hi: phi,
        scale_lo: slo, scale_hi: shi,
      },
      { ACT: ACT_CODES[c.act], HAS_SCALE: c.scale ? 1 : 0, HAS_RES: c.res ? 1 : 0 },
    );
    expectNear(unpad(out, c.pixels, c.outC), want, 'pointwise');
    if (c.scaleClamp) {
      // the clamp cuts: without it the result differs
      const free = new Float32Array(out.length);
      CPU_KERNELS.pointwise(
        { input: pad(x, c.pixels, c.inC), weights, scale: pad(s, 1, c.inC), residual: pad(r, c.pixels, c.outC), output: free },
        { pixels: c.pixels, in_c4: c4of(c.inC), out_c4: c4of(c.outC), w_offset: offsets[0], b_offset: offsets[1], clamp_lo: lo, clamp_hi: hi, post_lo: plo, post_hi: phi },
        { ACT: ACT_CODES[c.act], HAS_SCALE: 1, HAS_RES: c.res ? 1 : 0 },
      );
      expect(free.some((v, i) => Math.abs(v - out[i]) > 1e-3)).toBe(true);
    }
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
  type Range = readonly [number, number];
  const cases: { pixels: number; c: number; sq: number; act1: Act; act2: Act; pool?: Range; fc1?: Range; fc2?: Range }[] = [
    { pixels: 1, c: 3, sq: 2, act1: 'relu', act2: 'hsigmoid' },
    { pixels: 49, c: 20, sq: 5, act1: 'relu', act2: 'hsigmoid' },
    { pixels: 13, c: 24, sq: 8, act1: 'hswish', act2: 'sigmoid' },
    { pixels: 6, c: 5, sq: 3, act1: 'none', act2: 'relu6' },
    // TFLite uint8 ranges: clamps of the pooled mean and of each FC output (after its act)
    { pixels: 49, c: 20, sq: 8, act1: 'relu', act2: 'none', pool: [-0.2, 0.1], fc1: [-NO_CLAMP, 0.3], fc2: [0.45, 0.55] },
    { pixels: 9, c: 6, sq: 3, act1: 'none', act2: 'hsigmoid', pool: [0.05, NO_CLAMP], fc1: [-0.2, 0.2], fc2: [-NO_CLAMP, 0.6] },
  ];
  test.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', (_n, c) => {
    const rng = mulberry32(c.pixels * 31 + c.c);
    const x = randomArray(rng, c.pixels * c.c, -2, 2);
    const w1 = randomArray(rng, c.sq * c.c);
    const b1 = randomArray(rng, c.sq);
    const w2 = randomArray(rng, c.c * c.sq);
    const b2 = randomArray(rng, c.c);
    const pooled = new Float64Array(c.c);
    const [pool, fc1, fc2] = [c.pool ?? [-NO_CLAMP, NO_CLAMP], c.fc1 ?? [-NO_CLAMP, NO_CLAMP], c.fc2 ?? [-NO_CLAMP, NO_CLAMP]];
    for (let p = 0; p < c.pixels; p++) for (let k = 0; k < c.c; k++) pooled[k] += x[p * c.c + k] / c.pixels;
    for (let k = 0; k < c.c; k++) pooled[k] = clampTo(pooled[k], pool[0], pool[1]);
    const hidden = new Float64Array(c.sq);
    for (let s = 0; s < c.sq; s++) {
      let acc = b1[s];
      for (let k = 0; k < c.c; k++) acc += w1[s * c.c + k] * pooled[k];
      hidden[s] = clampTo(refAct(c.act1, acc), fc1[0], fc1[1]);
    }
    const want = new Float64Array(c.c);
    for (let k = 0; k < c.c; k++) {
      let acc = b2[k];
      for (let s = 0; s < c.sq; s++) acc += w2[k * c.sq + s] * hidden[s];
      want[k] = clampTo(refAct(c.act2, acc), fc2[0], fc2[1]);
    }
    const packed = packSqueezeExcite(w1, b1, w2, b2, c.c, c.sq);
    const { weights, offsets } = arena([packed.w1, packed.b1, packed.w2, packed.b2], 4);
    const out = new Float32Array(c4of(c.c) * 4).fill(NaN);
    const base = {
      pixels: c.pixels,
      c4: c4of(c.c),
      sq4: c4of(c.sq),
      w1_offset: offsets[0],
      b1_offset: offsets[1],
      w2_offset: offsets[2],
      b2_offset: offsets[3],
      act1: ACT_CODES[c.act1],
      act2: ACT_CODES[c.act2],
    };
    const clamps = { pool_lo: pool[0], pool_hi: pool[1], fc1_lo: fc1[0], fc1_hi: fc1[1], fc2_lo: fc2[0], fc2_hi: fc2[1] };
    CPU_KERNELS.squeeze_excite({ input: pad(x, c.pixels, c.c), weights, output: out }, { ...base, ...clamps }, {});
    expectNear(unpad(out, 1, c.c), want, 'squeeze_excite');
    if (c.pool || c.fc1 || c.fc2) {
      // the clamps cut: without them (Params without the clamp fields mean none) the scale differs
      const free = new Float32Array(out.length);
      CPU_KERNELS.squeeze_excite({ input: pad(x, c.pixels, c.c), weights, output: free }, base, {});
      expect(free.some((v, i) => Math.abs(v - out[i]) > 1e-3)).toBe(true);
    }
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

// ---------------------------------------------------------------------------------------------
// The kernels of the newer IR ops, against src/graph/reference.ts on one-node graphs.

interface RefInput {
  name: string;
  shape: TensorShape;
  data: Float32Array;
}

/** Runs a graph made of `node` alone (plus its inputs) through the float64 reference. */
function refRun(node: Node, inputs: RefInput[]): Float64Array {
  const g: Graph = { name: 't', inputs: inputs.map((i) => ({ name: i.name, shape: i.shape })), outputs: [node.output], nodes: [node] };
  return runReference(g, Object.fromEntries(inputs.map((i) => [i.name, i.data]))).get(node.output)!.data;
}

const COORDS: ResizeCoord[] = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'];

describe('resize', () => {
  const sizes: [number, number, number, number][] = [
    [5, 7, 9, 4],
    [1, 1, 3, 2],
    [4, 4, 1, 1],
    [3, 5, 3, 5],
    [4, 6, 8, 12],
    [7, 3, 10, 10],
    [9, 8, 4, 3],
  ];
  const cases: { h: number; w: number; oh: number; ow: number; c: number; mode: 'bilinear' | 'nearest'; coord: ResizeCoord }[] = [];
  let i = 0;
  for (const [h, w, oh, ow] of sizes) {
    for (const coord of COORDS) {
      for (const mode of ['bilinear', 'nearest'] as const) cases.push({ h, w, oh, ow, c: [3, 4, 5, 8, 20][i++ % 5], mode, coord });
    }
  }
  test.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', (_n, c) => {
    const x = randomArray(mulberry32(c.h * 100 + c.ow * 7 + c.c), c.h * c.w * c.c, -2, 2);
    const want = refRun({ op: 'resize', name: 'r', input: 'x', output: 'y', outH: c.oh, outW: c.ow, mode: c.mode, coord: c.coord }, [
      { name: 'x', shape: { h: c.h, w: c.w, c: c.c }, data: x },
    ]);
    const table = packResize(c.h, c.w, c.oh, c.ow, c.mode, (d, a, b) => resizeSource(d, a, b, c.coord));
    const { weights, offsets } = arena([table], 8);
    const out = new Float32Array(c.oh * c.ow * c4of(c.c) * 4).fill(NaN);
    CPU_KERNELS.resize(
      { input: pad(x, c.h * c.w, c.c), weights, output: out },
      { in_h: c.h, in_w: c.w, out_h: c.oh, out_w: c.ow, c4: c4of(c.c), w_offset: offsets[0] },
      { MODE: RESIZE_MODES[c.mode] },
    );
    expectNear(unpad(out, c.oh * c.ow, c.c), want, 'resize');
  });

  test('nearest picks exactly the reference source pixel where f32 arithmetic would not', () => {
    // 5 -> 7 half_pixel: output 3 maps to exactly source 2.0; the table holds the float64 choice
    const t = packResize(5, 1, 7, 1, 'nearest', (d, a, b) => resizeSource(d, a, b, 'half_pixel'));
    for (let d = 0; d < 7; d++) {
      expect(t[d * 4]).toBe(Math.min(Math.max(Math.floor(resizeSource(d, 5, 7, 'half_pixel')), 0), 4));
    }
    // align_corners with one output pixel reads source 0
    expect(Array.from(packResize(6, 6, 1, 1, 'bilinear', (d, a, b) => resizeSource(d, a, b, 'align_corners')))).toEqual([0, 1, 0, 0, 0, 1, 0, 0]);
  });
});

describe('concat', () => {
  const lists: number[][] = [[3, 5], [4, 4], [1, 2, 3], [20, 3], [3], [5, 3, 8, 1, 7, 2], [2, 2, 2, 2, 2, 2, 2, 2, 2], [1, 1, 1, 1, 1, 1, 1], [8, 0, 5]];
  test.each(lists.map((l) => [JSON.stringify(l), l] as const))('%s', (_n, chans) => {
    const pixels = 6;
    const rng = mulberry32(chans.reduce((a, c) => a * 31 + c, 7));
    const xs = chans.map((c) => randomArray(rng, pixels * c, -3, 3));
    const total = chans.reduce((a, c) => a + c, 0);
    const want = refRun(
      { op: 'concat', name: 'cat', inputs: chans.map((_c, k) => `x${k}`), output: 'y' },
      chans.map((c, k) => ({ name: `x${k}`, shape: { h: 2, w: 3, c }, data: xs[k] })),
    );
    const out = new Float32Array(pixels * c4of(total) * 4).fill(NaN);
    const parts = planConcat(pixels, chans);
    const groups = new Set<number>();
    for (const d of parts) {
      expect(d.inputs.length).toBeLessThanOrEqual(4);
      for (let q = d.params.q_lo; q < d.params.q_lo + d.params.q_count; q++) {
        expect(groups.has(q), `group ${q} written twice`).toBe(false);
        groups.add(q);
      }
      const views: Record<string, Float32Array> = { output: out };
      d.inputs.forEach((k, slot) => (views[`in${slot}`] = pad(xs[k], pixels, chans[k])));
      CPU_KERNELS.concat(views, d.params, {});
      // the packed Params are complete
      expect(() => CONCAT.dispatchSize(d.params, {})).not.toThrow();
    }
    expect(groups.size).toBe(c4of(total));
    expectNear(unpad(out, pixels, total), want, 'concat');
    // padding lanes of the last group are written as 0
    for (let p = 0; p < pixels; p++) for (let k = total; k < c4of(total) * 4; k++) expect(out[p * c4of(total) * 4 + k]).toBe(0);
    if (chans.filter((c) => c > 0).length > 4) expect(parts.length).toBeGreaterThan(1);
  });
});

describe('pad', () => {
  const cases: { h: number; w: number; c: number; pad: [number, number, number, number]; value: number }[] = [
    { h: 3, w: 4, c: 3, pad: [1, 1, 1, 1], value: 0 },
    { h: 5, w: 2, c: 5, pad: [0, 2, 3, 0], value: -1.5 },
    { h: 1, w: 1, c: 20, pad: [2, 0, 0, 1], value: 7 },
    { h: 4, w: 3, c: 8, pad: [0, 0, 0, 0], value: 2 },
  ];
  test.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', (_n, c) => {
    const x = randomArray(mulberry32(c.h * 13 + c.c), c.h * c.w * c.c, -2, 2);
    const oh = c.h + c.pad[0] + c.pad[2];
    const ow = c.w + c.pad[1] + c.pad[3];
    const want = refRun({ op: 'pad', name: 'p', input: 'x', output: 'y', pad: c.pad, value: c.value }, [{ name: 'x', shape: { h: c.h, w: c.w, c: c.c }, data: x }]);
    const out = new Float32Array(oh * ow * c4of(c.c) * 4).fill(NaN);
    CPU_KERNELS.pad(
      { input: pad(x, c.h * c.w, c.c), output: out },
      { in_h: c.h, in_w: c.w, out_h: oh, out_w: ow, c4: c4of(c.c), c: c.c, pad_t: c.pad[0], pad_l: c.pad[1], value: c.value },
      {},
    );
    expectNear(unpad(out, oh * ow, c.c), want, 'pad');
    expect(out.every((v) => Number.isFinite(v))).toBe(true);
  });
});

describe('pool2d', () => {
  const cases: { h: number; w: number; c: number; k: [number, number]; s: [number, number]; pad: [number, number, number, number]; kind: 'max' | 'avg'; cip: boolean }[] = [];
  const geoms: Omit<(typeof cases)[number], 'c' | 'kind' | 'cip'>[] = [
    { h: 6, w: 6, k: [2, 2], s: [2, 2], pad: [0, 0, 0, 0] },
    { h: 7, w: 9, k: [3, 3], s: [2, 2], pad: [1, 1, 1, 1] },
    { h: 7, w: 7, k: [7, 7], s: [1, 1], pad: [0, 0, 0, 0] },
    { h: 5, w: 8, k: [3, 2], s: [1, 2], pad: [2, 0, 1, 1] },
    { h: 52, w: 60, k: [49, 49], s: [4, 5], pad: [0, 0, 0, 0] },
  ];
  let i = 0;
  for (const g of geoms) for (const [kind, cip] of [['max', false], ['avg', false], ['avg', true]] as const) cases.push({ ...g, c: [3, 4, 5, 8, 20][i++ % 5], kind, cip });
  test.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', (_n, c) => {
    const x = randomArray(mulberry32(c.h * 3 + c.k[0] + c.c), c.h * c.w * c.c, -2, 2);
    const oh = convOut(c.h, c.k[0], c.s[0], 1, c.pad[0], c.pad[2]);
    const ow = convOut(c.w, c.k[1], c.s[1], 1, c.pad[1], c.pad[3]);
    const want = refRun(
      { op: 'pool2d', name: 'p', kind: c.kind, input: 'x', output: 'y', kh: c.k[0], kw: c.k[1], strideH: c.s[0], strideW: c.s[1], pad: c.pad, countIncludePad: c.cip },
      [{ name: 'x', shape: { h: c.h, w: c.w, c: c.c }, data: x }],
    );
    const out = new Float32Array(oh * ow * c4of(c.c) * 4).fill(NaN);
    CPU_KERNELS.pool2d(
      { input: pad(x, c.h * c.w, c.c), output: out },
      {
        in_h: c.h, in_w: c.w, out_h: oh, out_w: ow, c4: c4of(c.c), kh: c.k[0], kw: c.k[1], stride_h: c.s[0], stride_w: c.s[1],
        pad_t: c.pad[0], pad_l: c.pad[1], count_include_pad: c.cip ? 1 : 0,
      },
      { KIND: POOL_KINDS[c.kind] },
    );
    expectNear(unpad(out, oh * ow, c.c), want, 'pool2d');
  });

  test('a max window with no valid tap is the lowest f32 (reference: -inf)', () => {
    const out = new Float32Array(4 * 3).fill(NaN);
    CPU_KERNELS.pool2d(
      { input: new Float32Array([1, 2, 3, 4]), output: out },
      { in_h: 1, in_w: 1, out_h: 1, out_w: 3, c4: 1, kh: 1, kw: 1, stride_h: 1, stride_w: 1, pad_t: 0, pad_l: 1, count_include_pad: 0 },
      { KIND: POOL_KINDS.max },
    );
    expect(Array.from(out)).toEqual([POOL_EMPTY_MAX, POOL_EMPTY_MAX, POOL_EMPTY_MAX, POOL_EMPTY_MAX, 1, 2, 3, 4, ...Array(4).fill(Math.fround(POOL_EMPTY_MAX))]);
  });
});

describe('softmax and argmax', () => {
  const cases: { pixels: number; c: number }[] = [
    { pixels: 1, c: 1001 },
    { pixels: 7, c: 5 },
    { pixels: 3, c: 3 },
    { pixels: 12, c: 20 },
    { pixels: 4, c: 1 },
    { pixels: 2, c: 80 },
  ];
  test.each(cases.map((c) => [JSON.stringify(c), c] as const))('softmax %s', (_n, c) => {
    const x = randomArray(mulberry32(c.pixels * 5 + c.c), c.pixels * c.c, -8, 8);
    const want = refRun({ op: 'softmax', name: 's', input: 'x', output: 'y' }, [{ name: 'x', shape: { h: 1, w: c.pixels, c: c.c }, data: x }]);
    for (const WIDE of [0, 1]) {
      const input = pad(x, c.pixels, c.c);
      for (let p = 0; p < c.pixels; p++) for (let k = c.c; k < c4of(c.c) * 4; k++) input[p * c4of(c.c) * 4 + k] = 1e30; // padding lanes are ignored
      const out = new Float32Array(c.pixels * c4of(c.c) * 4).fill(NaN);
      CPU_KERNELS.softmax({ input, output: out }, { pixels: c.pixels, c4: c4of(c.c), c: c.c }, { WIDE });
      expectNear(unpad(out, c.pixels, c.c), want, 'softmax');
      for (let p = 0; p < c.pixels; p++) for (let k = c.c; k < c4of(c.c) * 4; k++) expect(out[p * c4of(c.c) * 4 + k]).toBe(0);
    }
  });
  test.each(cases.map((c) => [JSON.stringify(c), c] as const))('argmax %s', (_n, c) => {
    const rng = mulberry32(c.pixels * 9 + c.c);
    // few distinct values, so ties happen and the first index must win
    const x = new Float32Array(c.pixels * c.c).map(() => Math.floor(rng() * 4) - 2);
    const want = refRun({ op: 'argmax', name: 'a', input: 'x', output: 'y' }, [{ name: 'x', shape: { h: 1, w: c.pixels, c: c.c }, data: x }]);
    const input = pad(x, c.pixels, c.c);
    for (let p = 0; p < c.pixels; p++) for (let k = c.c; k < c4of(c.c) * 4; k++) input[p * c4of(c.c) * 4 + k] = 99;
    const out = new Float32Array(c.pixels * 4).fill(NaN);
    CPU_KERNELS.argmax({ input, output: out }, { pixels: c.pixels, c4: c4of(c.c), c: c.c }, {});
    expect(Array.from(unpad(out, c.pixels, 1))).toEqual(Array.from(want));
    for (let p = 0; p < c.pixels; p++) expect([out[p * 4 + 1], out[p * 4 + 2], out[p * 4 + 3]]).toEqual([0, 0, 0]);
  });
});

interface ConvTCase {
  h: number;
  w: number;
  inC: number;
  outC: number;
  k: [number, number];
  s: [number, number];
  pad: [number, number, number, number];
  op: [number, number];
  act: Act;
  clamp?: [number, number];
  res?: boolean;
  post?: [number, number];
  bias?: boolean;
}

const convTransposeCases: ConvTCase[] = [
  { h: 4, w: 5, inC: 3, outC: 5, k: [3, 3], s: [2, 2], pad: [1, 1, 1, 1], op: [1, 1], act: 'none' },
  { h: 3, w: 3, inC: 8, outC: 4, k: [4, 4], s: [2, 2], pad: [1, 1, 1, 1], op: [0, 0], act: 'relu' },
  { h: 5, w: 4, inC: 5, outC: 20, k: [2, 2], s: [2, 2], pad: [0, 0, 0, 0], op: [0, 0], act: 'hswish', bias: false },
  { h: 2, w: 3, inC: 4, outC: 3, k: [16, 16], s: [8, 8], pad: [4, 4, 4, 4], op: [0, 0], act: 'none' },
  { h: 5, w: 5, inC: 20, outC: 8, k: [3, 3], s: [1, 1], pad: [1, 1, 1, 1], op: [0, 0], act: 'relu6', clamp: [-0.5, 3] },
  { h: 3, w: 4, inC: 3, outC: 3, k: [3, 5], s: [2, 3], pad: [0, 2, 1, 0], op: [1, 2], act: 'sigmoid', res: true, post: [-1, 1.2] },
  { h: 1, w: 1, inC: 5, outC: 4, k: [3, 3], s: [1, 1], pad: [0, 0, 0, 0], op: [0, 0], act: 'hsigmoid', res: true },
];

function convTransposeOut(c: ConvTCase): [number, number] {
  return [(c.h - 1) * c.s[0] + c.k[0] - c.pad[0] - c.pad[2] + c.op[0], (c.w - 1) * c.s[1] + c.k[1] - c.pad[1] - c.pad[3] + c.op[1]];
}

describe('conv_transpose', () => {
  test.each(convTransposeCases.map((c) => [JSON.stringify(c), c] as const))('%s', (_n, c) => {
    const rng = mulberry32(c.h * 17 + c.inC * 5 + c.outC + c.k[0]);
    const [oh, ow] = convTransposeOut(c);
    const x = randomArray(rng, c.h * c.w * c.inC, -2, 2);
    const w = randomArray(rng, c.inC * c.outC * c.k[0] * c.k[1], -0.5, 0.5);
    const b = c.bias === false ? undefined : randomArray(rng, c.outC);
    const r = randomArray(rng, oh * ow * c.outC);
    const inputs: RefInput[] = [{ name: 'x', shape: { h: c.h, w: c.w, c: c.inC }, data: x }];
    if (c.res) inputs.push({ name: 'r', shape: { h: oh, w: ow, c: c.outC }, data: r });
    const want = refRun(
      {
        op: 'conv_transpose', name: 't', input: 'x', output: 'y', outC: c.outC, kh: c.k[0], kw: c.k[1], strideH: c.s[0], strideW: c.s[1],
        pad: c.pad, outputPadding: c.op, weight: w, bias: b,
        epilogue: { act: c.act, ...(c.clamp ? { clamp: c.clamp } : {}), ...(c.res ? { residual: 'r' } : {}), ...(c.post ? { postClamp: c.post } : {}) },
      },
      inputs,
    );
    const packed = packConvTranspose(w, c.inC, c.outC, c.k[0], c.k[1], b);
    const { weights, offsets } = arena([packed.weights, packed.bias], 12);
    const out = new Float32Array(oh * ow * c4of(c.outC) * 4).fill(NaN);
    const [lo, hi] = c.clamp ?? [-NO_CLAMP, NO_CLAMP];
    const [plo, phi] = c.post ?? [-NO_CLAMP, NO_CLAMP];
    CPU_KERNELS.conv_transpose(
      { input: pad(x, c.h * c.w, c.inC), weights, residual: pad(r, oh * ow, c.outC), output: out },
      {
        in_h: c.h, in_w: c.w, in_c4: c4of(c.inC), out_h: oh, out_w: ow, out_c4: c4of(c.outC), kh: c.k[0], kw: c.k[1], stride_h: c.s[0], stride_w: c.s[1],
        pad_t: c.pad[0], pad_l: c.pad[1], w_offset: offsets[0], b_offset: offsets[1], clamp_lo: lo, clamp_hi: hi, post_lo: plo, post_hi: phi,
      },
      { ACT: ACT_CODES[c.act], HAS_RES: c.res ? 1 : 0 },
    );
    expectNear(unpad(out, oh * ow, c.outC), want, 'conv_transpose');
  });
});

describe('binary', () => {
  const cases: { kind: BinaryOp; bcast: keyof typeof BINARY_BCAST; act: Act; c: number; pixels: number; clamp?: [number, number]; res?: boolean; post?: [number, number] }[] = [];
  let i = 0;
  for (const kind of Object.keys(BINARY_OPS) as BinaryOp[]) {
    for (const bcast of Object.keys(BINARY_BCAST) as (keyof typeof BINARY_BCAST)[]) {
      cases.push({ kind, bcast, act: ACT_NAMES[i % 6], c: [3, 4, 5, 8, 20][i % 5], pixels: [1, 7, 12][i % 3] });
      i++;
    }
  }
  cases.push({ kind: 'add', bcast: 'same', act: 'relu6', c: 5, pixels: 6, clamp: [0.5, 4], res: true, post: [-1, 3] });
  cases.push({ kind: 'mul', bcast: 'channel', act: 'none', c: 3, pixels: 4, res: true });
  cases.push({ kind: 'div', bcast: 'scalar', act: 'hswish', c: 1, pixels: 9 });
  test.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', (_n, c) => {
    const rng = mulberry32(i++ * 7 + c.c);
    const a = randomArray(rng, c.pixels * c.c, -4, 4);
    const bShape = c.bcast === 'same' ? { h: 1, w: c.pixels, c: c.c } : c.bcast === 'channel' ? { h: 1, w: 1, c: c.c } : { h: 1, w: 1, c: 1 };
    // |b| in [0.5, 2]: no division blow-ups
    const b = randomArray(rng, bShape.w * bShape.c, 0.5, 2).map((v, k) => (k % 2 ? -v : v));
    const r = randomArray(rng, c.pixels * c.c);
    const inputs: RefInput[] = [
      { name: 'a', shape: { h: 1, w: c.pixels, c: c.c }, data: a },
      { name: 'b', shape: bShape, data: b },
    ];
    if (c.res) inputs.push({ name: 'r', shape: { h: 1, w: c.pixels, c: c.c }, data: r });
    const want = refRun(
      {
        op: 'binary', name: 'bin', kind: c.kind, inputs: ['a', 'b'], output: 'y',
        epilogue: { act: c.act, ...(c.clamp ? { clamp: c.clamp } : {}), ...(c.res ? { residual: 'r' } : {}), ...(c.post ? { postClamp: c.post } : {}) },
      },
      inputs,
    );
    const out = new Float32Array(c.pixels * c4of(c.c) * 4).fill(NaN);
    const [lo, hi] = c.clamp ?? [-NO_CLAMP, NO_CLAMP];
    const [plo, phi] = c.post ?? [-NO_CLAMP, NO_CLAMP];
    CPU_KERNELS.binary(
      { a: pad(a, c.pixels, c.c), b: pad(b, bShape.w, bShape.c), residual: pad(r, c.pixels, c.c), output: out },
      { count: c.pixels * c4of(c.c), c4: c4of(c.c), c: c.c, clamp_lo: lo, clamp_hi: hi, post_lo: plo, post_hi: phi },
      { OP: BINARY_OPS[c.kind], BCAST: BINARY_BCAST[c.bcast], ACT: ACT_CODES[c.act], HAS_RES: c.res ? 1 : 0 },
    );
    expectNear(unpad(out, c.pixels, c.c), want, 'binary');
    // padding lanes are 0, even for a div by the zero padding of b
    for (let p = 0; p < c.pixels; p++) for (let k = c.c; k < c4of(c.c) * 4; k++) expect(out[p * c4of(c.c) * 4 + k]).toBe(0);
  });
});

describe('constant', () => {
  test.each([
    [1, 1, 1],
    [2, 3, 5],
    [1, 1, 20],
  ])('%ix%ix%i', (h, w, c) => {
    const data = randomArray(mulberry32(h * w * c), h * w * c);
    const want = refRun({ op: 'constant', name: 'k', output: 'y', shape: { h, w, c }, data }, []);
    const packed = packConstant(data, h * w, c);
    const { weights, offsets } = arena([packed], 4);
    const out = new Float32Array(h * w * c4of(c) * 4).fill(NaN);
    CPU_KERNELS.constant({ weights, output: out }, { count: h * w * c4of(c), w_offset: offsets[0] }, {});
    expectNear(unpad(out, h * w, c), want, 'constant');
    expect(out.every((v) => Number.isFinite(v))).toBe(true);
  });
});

test('new packing functions reject wrong sizes', () => {
  expect(() => packConvTranspose(new Float32Array(5), 2, 3, 3, 3, undefined)).toThrow(/expected 2x3x3x3/);
  expect(() => packConstant(new Float32Array(5), 2, 3)).toThrow();
  expect(() => planConcat(4, [3, -1])).toThrow();
});
