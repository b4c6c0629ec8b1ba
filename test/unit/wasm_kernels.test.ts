/**
 * Every WebAssembly SIMD kernel (src/backends/wasm/*.c through the WasmExecutor) against its
 * TypeScript twin on the same packed data, over an edge sweep: channels 4/8/12/20/24 (channel
 * blocks of 8 with a 4-wide tail), odd H/W, stride 2 on odd input, K 1..7, dilation 2, every
 * activation, clamp and post clamp, SE-scale (both ways the kernel folds it) and residual,
 * pixel counts hitting every tile remainder. Each case is a one-step Plan, every binding in
 * its own activation slot, so the executor's packing and parameter blocks are tested too.
 * Tolerance |d| <= 1e-4 + 1e-3*|ref| (the twins accumulate in float64).
 */
import { describe, expect, test } from 'vitest';
import type { Plan, PlanStep, BindingRef } from '../../src/graph/plan.js';
import { WasmExecutor } from '../../src/backends/wasm/executor.js';
import { NO_CLAMP, RESIZE_MODES, type KernelName, type ParamValues } from '../../src/kernels/spec.js';
import { packResize } from '../../src/kernels/resize.js';
import { mulberry32, packArena, randomArray, expectClose, type ConvCase } from '../helpers/run_kernel.js';
import { convOutSize } from '../../src/graph/shapes.js';
import { CPU_KERNELS } from '../../src/kernels/cpu/index.js';

const c4of = (c: number): number => Math.ceil(c / 4);
const NOCLAMP = { clamp_lo: -NO_CLAMP, clamp_hi: NO_CLAMP };

interface OneStep {
  kernel: KernelName;
  overrides: Record<string, number>;
  params: ParamValues;
  /** data per binding (not the output); 'weights' is the whole weights blob */
  inputs: Record<string, Float32Array | undefined>;
  /** binding names that are bound to the dummy buffer */
  dummies?: string[];
  /** real channel count of the `input` tensor (default: all of its padded channels) */
  inputChannels?: number;
  outputLength: number;
}

/** Runs one step in WASM (each binding in its own slot; output prefilled with NaN) and with the TS twin. */
async function runBoth(c: OneStep, tsKernels: string[] = [], exOpts: { threads?: number; relaxed?: boolean; minSplitMacs?: number } = {}): Promise<{ wasm: Float32Array; ts: Float32Array }> {
  const names = Object.keys(c.inputs).filter((k) => k !== 'weights');
  const sizes = [...names.map((n) => c.inputs[n]!.length), c.outputLength];
  const bindings: Record<string, BindingRef> = {};
  names.forEach((n, i) => (bindings[n] = { buffer: 'arena', slot: i, size: sizes[i] * 4, tensor: n }));
  bindings.output = { buffer: 'arena', slot: names.length, size: c.outputLength * 4, tensor: 'output' };
  if (c.inputs.weights) bindings.weights = { buffer: 'weights' };
  for (const d of c.dummies ?? []) bindings[d] = { buffer: 'dummy' };
  const tensor = (name: string, slot: number, floats: number) => ({ name, h: 1, w: floats / 4, c: 4, c4: 1, slot, bytes: floats * 4 });
  const step: PlanStep = { node: 'n', kernel: c.kernel, fused: ['n'], overrides: c.overrides, params: c.params, bindings, dispatch: [1, 1, 1], label: c.kernel, macs: 0 };
  const plan: Plan = {
    name: 'one-step',
    input: tensor(names[0], 0, sizes[0]),
    outputs: [tensor('output', names.length, c.outputLength)],
    tensors: c.inputChannels ? [{ ...tensor(names[0], 0, sizes[0]), c: c.inputChannels, c4: Math.ceil(c.inputChannels / 4), w: sizes[0] / (Math.ceil(c.inputChannels / 4) * 4) }] : [],
    steps: [step],
    slots: sizes.map((s) => Math.max(16, s * 4)),
    weights: c.inputs.weights ?? new Float32Array(4),
    stats: { dispatches: 1, arenaBytes: 0, weightBytes: 0, macs: 0, params: 0 },
  };
  const ex = await WasmExecutor.create(plan, { tsKernels, ...exOpts });
  names.forEach((n, i) => ex.slot(i).set(c.inputs[n]!));
  ex.slot(names.length).fill(NaN);
  const [wasm] = ex.run(c.inputs[names[0]]!);
  ex.dispose();

  const views: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(c.inputs)) views[k] = new Float32Array(v!);
  for (const d of c.dummies ?? []) views[d] = new Float32Array(4);
  views.output = new Float32Array(c.outputLength);
  CPU_KERNELS[c.kernel](views, c.params, c.overrides);
  return { wasm, ts: views.output };
}

async function check(c: OneStep, what: string): Promise<void> {
  const { wasm, ts } = await runBoth(c);
  expectClose(wasm, ts, what);
  expect(ts.some((v) => v !== 0), `${what}: reference is all zeros`).toBe(true);
}

describe('pointwise', () => {
  interface Case { pixels: number; inC: number; outC: number; scale: number; res: number; act: number; clamp?: boolean; scaleClamp?: boolean }
  const cases: Case[] = [];
  let k = 0;
  // pixels 1..9 hit every MR=4 remainder; 20 / 24 out channels end in a 4-wide panel
  for (const pixels of [1, 2, 3, 5, 7, 9, 13, 49, 197]) {
    for (const [inC, outC] of [[4, 4], [8, 12], [20, 24], [24, 20], [12, 8]] as const) {
      cases.push({ pixels, inC, outC, scale: k & 1, res: (k >> 1) & 1, act: k % 6 });
      k++;
    }
  }
  for (let combo = 0; combo < 4; combo++) {
    for (const act of [0, 1, 2, 3, 4, 5]) cases.push({ pixels: 7, inC: 8, outC: 12, scale: combo & 1, res: combo >> 1, act, clamp: true });
  }
  // SE scale folded into the input (M <= N) and into the weights (M > N)
  cases.push({ pixels: 3, inC: 20, outC: 40, scale: 1, res: 1, act: 3 });
  cases.push({ pixels: 50, inC: 20, outC: 12, scale: 1, res: 1, act: 3 });
  // a quantized SE gate: clamp(input * scale) (folded into the input even when M > N)
  cases.push({ pixels: 3, inC: 20, outC: 40, scale: 1, res: 0, act: 1, scaleClamp: true });
  cases.push({ pixels: 50, inC: 20, outC: 12, scale: 1, res: 1, act: 0, scaleClamp: true });
  cases.push({ pixels: 3136, inC: 24, outC: 72, scale: 0, res: 1, act: 3 });
  cases.push({ pixels: 1, inC: 960, outC: 1000, scale: 0, res: 0, act: 0 }); // classifier
  test.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', async (_n, c) => {
    const rng = mulberry32(c.pixels * 7 + c.inC * 131 + c.outC * 17 + c.act + c.scale * 3 + c.res * 5);
    const [inC4, outC4] = [c4of(c.inC), c4of(c.outC)];
    const { weights, offsets } = packArena([randomArray(rng, inC4 * outC4 * 16, -0.5, 0.5), randomArray(rng, outC4 * 4)], 12);
    const clamp = c.clamp || (c.act === 0 && c.res === 1) ? { clamp_lo: -1, clamp_hi: 1.5 } : NOCLAMP;
    const post = c.res === 1 && (c.scale === 1 || c.clamp) ? { post_lo: -2, post_hi: 2 } : { post_lo: -NO_CLAMP, post_hi: NO_CLAMP };
    const inputs: Record<string, Float32Array> = { input: randomArray(rng, c.pixels * inC4 * 4, -2, 2), weights };
    const dummies: string[] = [];
    if (c.scale) inputs.scale = randomArray(rng, inC4 * 4, 0, 1);
    else dummies.push('scale');
    if (c.res) inputs.residual = randomArray(rng, c.pixels * outC4 * 4);
    else dummies.push('residual');
    await check(
      {
        kernel: 'pointwise',
        overrides: { ACT: c.act, HAS_SCALE: c.scale, HAS_RES: c.res },
        params: { pixels: c.pixels, in_c4: inC4, out_c4: outC4, w_offset: offsets[0], b_offset: offsets[1], ...clamp, ...post, ...(c.scaleClamp ? { scale_lo: -0.3, scale_hi: 0.4 } : {}) },
        inputs,
        dummies,
        outputLength: c.pixels * outC4 * 4,
      },
      'pointwise',
    );
  });
});


function convCases(depthwise: boolean): ConvCase[] {
  const cases: ConvCase[] = [];
  const channels = [4, 8, 12, 20, 24];
  const geoms: Omit<ConvCase, 'inC' | 'outC' | 'act'>[] = [
    { h: 7, w: 9, k: [3, 3], s: [1, 1], d: [1, 1], pad: [1, 1, 1, 1] },
    { h: 7, w: 9, k: [3, 3], s: [2, 2], d: [1, 1], pad: [0, 0, 1, 1] }, // TF SAME, stride 2, odd input
    { h: 9, w: 11, k: [3, 3], s: [2, 2], d: [1, 1], pad: [1, 1, 1, 1] },
    { h: 5, w: 3, k: [5, 5], s: [1, 1], d: [1, 1], pad: [2, 2, 2, 2] },
    { h: 9, w: 7, k: [5, 5], s: [2, 2], d: [1, 1], pad: [1, 2, 2, 1] },
    { h: 11, w: 13, k: [5, 5], s: [1, 1], d: [1, 1], pad: [2, 2, 2, 2] }, // interior quads on the K5 path
    { h: 15, w: 17, k: [5, 5], s: [2, 2], d: [1, 1], pad: [2, 2, 2, 2] },
    { h: 7, w: 9, k: [3, 3], s: [1, 1], d: [2, 2], pad: [2, 2, 2, 2] },
    { h: 8, w: 5, k: [3, 5], s: [2, 1], d: [2, 1], pad: [3, 0, 1, 2] },
    { h: 5, w: 3, k: [1, 1], s: [1, 1], d: [1, 1], pad: [0, 0, 0, 0] },
    { h: 4, w: 4, k: [7, 7], s: [1, 1], d: [1, 1], pad: [3, 3, 3, 3] },
    { h: 6, w: 10, k: [3, 3], s: [1, 2], d: [1, 1], pad: [1, 1, 1, 1] },
    { h: 13, w: 21, k: [3, 3], s: [1, 1], d: [1, 1], pad: [0, 0, 0, 0] }, // no padding
    // wide maps: depthwise checks border quads instead of padding a copy (out_w > 32)
    { h: 5, w: 70, k: [3, 3], s: [1, 1], d: [1, 1], pad: [1, 1, 1, 1] },
    { h: 7, w: 75, k: [5, 5], s: [2, 2], d: [1, 1], pad: [2, 2, 2, 2] },
    { h: 6, w: 67, k: [3, 3], s: [2, 2], d: [1, 1], pad: [0, 0, 1, 1] },
    { h: 5, w: 66, k: [5, 5], s: [1, 1], d: [1, 1], pad: [2, 2, 2, 2] },
  ];
  let i = 0;
  for (const g of geoms) {
    for (const ch of depthwise ? [channels[i % 5], channels[(i + 2) % 5]] : [channels[i % 5]]) {
      cases.push({ ...g, inC: ch, outC: depthwise ? ch : channels[(i + 3) % 5], act: i % 6 });
      i++;
    }
  }
  for (const act of [0, 1, 2, 3, 4, 5]) cases.push({ h: 5, w: 7, inC: 12, outC: depthwise ? 12 : 8, k: [3, 3], s: [2, 2], d: [1, 1], pad: [1, 1, 1, 1], act });
  if (!depthwise) {
    // stems: RGB (3 real channels of 4: the kernel skips the zero one), 4 and 6 channels
    cases.push({ h: 23, w: 23, inC: 3, outC: 16, k: [3, 3], s: [2, 2], d: [1, 1], pad: [1, 1, 1, 1], act: 3 });
    cases.push({ h: 23, w: 21, inC: 4, outC: 16, k: [3, 3], s: [2, 2], d: [1, 1], pad: [0, 0, 1, 1], act: 3 });
    cases.push({ h: 9, w: 11, inC: 6, outC: 12, k: [3, 3], s: [1, 1], d: [1, 1], pad: [1, 1, 1, 1], act: 1 });
  }
  return cases;
}

async function runConv(c: ConvCase, depthwise: boolean, seed: number): Promise<void> {
  const rng = mulberry32(seed);
  const [pt, pl, pb, pr] = c.pad;
  const oh = convOutSize(c.h, c.k[0], c.s[0], c.d[0], pt, pb);
  const ow = convOutSize(c.w, c.k[1], c.s[1], c.d[1], pl, pr);
  const [inC4, outC4] = [c4of(c.inC), c4of(c.outC)];
  const wlen = depthwise ? c.k[0] * c.k[1] * inC4 * 4 : c.k[0] * c.k[1] * inC4 * outC4 * 16;
  const w = randomArray(rng, wlen, -0.5, 0.5);
  const input = randomArray(rng, c.h * c.w * inC4 * 4, -2, 2);
  if (c.inC % 4 !== 0) {
    // padded channels are zero in real tensors and packed weights (the conv2d kernel skips them)
    for (let i = 0; i < input.length; i++) if (i % (inC4 * 4) >= c.inC) input[i] = 0;
    if (!depthwise) for (let i = 0; i < w.length; i++) if ((Math.floor((i >> 4) / outC4) % inC4) * 4 + ((i >> 2) & 3) >= c.inC) w[i] = 0;
  }
  const { weights, offsets } = packArena([w, randomArray(rng, outC4 * 4)], 4);
  const params: ParamValues = {
    in_h: c.h, in_w: c.w, out_h: oh, out_w: ow, stride_h: c.s[0], stride_w: c.s[1], dil_h: c.d[0], dil_w: c.d[1], pad_t: pt, pad_l: pl,
    w_offset: offsets[0], b_offset: offsets[1],
    ...(c.act === 2 || c.act === 5 ? { clamp_lo: 0.1, clamp_hi: 5 } : NOCLAMP),
    ...(depthwise ? { c4: inC4 } : { in_c4: inC4, out_c4: outC4 }),
  };
  await check(
    {
      kernel: depthwise ? 'depthwise' : 'conv2d',
      overrides: { ACT: c.act, KH: c.k[0], KW: c.k[1] },
      params,
      inputs: { input, weights },
      inputChannels: c.inC,
      outputLength: oh * ow * outC4 * 4,
    },
    depthwise ? 'depthwise' : 'conv2d',
  );
}

describe('depthwise', () => {
  test.each(convCases(true).map((c, i) => [JSON.stringify(c), c, i] as const))('%s', (_n, c, i) => runConv(c, true, 1000 + i));
  test('112x112x16 3x3 stride 2', () => runConv({ h: 112, w: 112, inC: 16, outC: 16, k: [3, 3], s: [2, 2], d: [1, 1], pad: [0, 0, 1, 1], act: 1 }, true, 7));
});

describe('conv2d', () => {
  test.each(convCases(false).map((c, i) => [JSON.stringify(c), c, i] as const))('%s', (_n, c, i) => runConv(c, false, 2000 + i));
});

describe('squeeze_excite', () => {
  const cases = [
    { pixels: 1, c: 4, sq: 4, act1: 1, act2: 4 },
    { pixels: 49, c: 20, sq: 8, act1: 1, act2: 4 },
    { pixels: 9, c: 24, sq: 12, act1: 3, act2: 5 },
    { pixels: 196, c: 12, sq: 4, act1: 2, act2: 0 },
    { pixels: 784, c: 72, sq: 24, act1: 1, act2: 4 },
    { pixels: 49, c: 960, sq: 240, act1: 1, act2: 4 },
    { pixels: 49, c: 20, sq: 8, act1: 1, act2: 4, clamps: true }, // quantized ranges on pool, fc1, fc2
  ];
  test.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', async (_n, c) => {
    const rng = mulberry32(c.pixels + c.c * 3 + c.sq * 5);
    const [c4, sq4] = [c4of(c.c), c4of(c.sq)];
    const { weights, offsets } = packArena(
      [randomArray(rng, c4 * sq4 * 16, -0.5, 0.5), randomArray(rng, sq4 * 4), randomArray(rng, c4 * sq4 * 16, -0.5, 0.5), randomArray(rng, c4 * 4)],
      8,
    );
    await check(
      {
        kernel: 'squeeze_excite',
        overrides: {},
        params: {
          pixels: c.pixels, c4, sq4, w1_offset: offsets[0], b1_offset: offsets[1], w2_offset: offsets[2], b2_offset: offsets[3], act1: c.act1, act2: c.act2,
          ...('clamps' in c ? { pool_lo: -0.05, pool_hi: 0.05, fc1_lo: 0, fc1_hi: 0.3, fc2_lo: 0.2, fc2_hi: 0.6 } : {}),
        },
        inputs: { input: randomArray(rng, c.pixels * c4 * 4, -2, 2), weights },
        outputLength: c4 * 4,
      },
      'squeeze_excite',
    );
  });
});

describe('global_pool', () => {
  test.each([
    [1, 4],
    [49, 12],
    [7, 20],
    [196, 24],
    [49, 960],
  ])('pixels %i channels %i', async (pixels, c) => {
    const rng = mulberry32(pixels * 13 + c);
    await check(
      { kernel: 'global_pool', overrides: {}, params: { pixels, c4: c4of(c) }, inputs: { input: randomArray(rng, pixels * c4of(c) * 4, -2, 2) }, outputLength: c4of(c) * 4 },
      'global_pool',
    );
  });
});

describe('elementwise', () => {
  const cases: { op: number; act: number; pixels: number; c: number; clamp: boolean }[] = [];
  for (const op of [0, 1, 2]) for (const act of [0, 1, 2, 3, 4, 5]) cases.push({ op, act, pixels: 7 + act, c: [4, 8, 12, 20, 24][act % 5], clamp: act % 2 === 1 });
  test.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', async (_n, c) => {
    const rng = mulberry32(c.op * 31 + c.act * 7 + c.pixels);
    const C = c4of(c.c) * 4;
    const a = randomArray(rng, c.pixels * C, -4, 4);
    const inputs: Record<string, Float32Array> = { a };
    if (c.op === 1) inputs.b = randomArray(rng, c.pixels * C, -2, 2);
    if (c.op === 2) inputs.b = randomArray(rng, C, 0, 1);
    await check(
      {
        kernel: 'elementwise',
        overrides: { OP: c.op, ACT: c.act },
        params: { count: (c.pixels * C) / 4, c4: C / 4, ...(c.clamp ? { clamp_lo: -0.5, clamp_hi: 2 } : NOCLAMP) },
        inputs,
        dummies: c.op === 0 ? ['b'] : [],
        outputLength: c.pixels * C,
      },
      'elementwise',
    );
  });
});

test('a kernel run as its TypeScript twin on views of WASM memory gives the twin result exactly', async () => {
  const rng = mulberry32(99);
  const { weights, offsets } = packArena([randomArray(rng, 3 * 3 * 12, -0.5, 0.5), randomArray(rng, 12)], 4);
  const c: OneStep = {
    kernel: 'depthwise',
    overrides: { ACT: 3, KH: 3, KW: 3 },
    params: { in_h: 7, in_w: 9, out_h: 7, out_w: 9, c4: 3, stride_h: 1, stride_w: 1, dil_h: 1, dil_w: 1, pad_t: 1, pad_l: 1, w_offset: offsets[0], b_offset: offsets[1], ...NOCLAMP },
    inputs: { input: randomArray(rng, 7 * 9 * 12, -2, 2), weights },
    outputLength: 7 * 9 * 12,
  };
  const { wasm, ts } = await runBoth(c, ['depthwise']);
  expect(wasm).toEqual(ts);
});

describe('decoder ops (decoder.c): conv_transpose and resize, one thread and split over a pool', () => {
  const rnd = mulberry32(4242);
  const variants = [{}, { threads: 2, minSplitMacs: 0 }, { threads: 3, minSplitMacs: 0, relaxed: true }];
  const ctCases = [
    { inH: 5, inW: 7, ic: 8, oc: 4, k: 2, s: 2, pad: 0, act: 0, res: false },
    { inH: 6, inW: 5, ic: 12, oc: 8, k: 3, s: 2, pad: 1, act: 3, res: true },
    { inH: 4, inW: 4, ic: 4, oc: 12, k: 4, s: 2, pad: 1, act: 1, res: false },
    { inH: 3, inW: 5, ic: 16, oc: 4, k: 3, s: 1, pad: 1, act: 5, res: true },
  ];
  for (const c of ctCases) {
    test(`conv_transpose ${c.inH}x${c.inW}x${c.ic} -> ${c.oc} k${c.k} s${c.s} p${c.pad} act${c.act}${c.res ? ' +res' : ''}`, async () => {
      const outH = (c.inH - 1) * c.s - 2 * c.pad + c.k;
      const outW = (c.inW - 1) * c.s - 2 * c.pad + c.k;
      const [ic4, oc4] = [c4of(c.ic), c4of(c.oc)];
      const wFloats = c.k * c.k * ic4 * oc4 * 16;
      const weights = randomArray(rnd, 4 + wFloats + oc4 * 4, -0.5, 0.5);
      const step: OneStep = {
        kernel: 'conv_transpose',
        overrides: { ACT: c.act, HAS_RES: c.res ? 1 : 0 },
        params: {
          in_h: c.inH, in_w: c.inW, in_c4: ic4, out_h: outH, out_w: outW, out_c4: oc4, kh: c.k, kw: c.k, stride_h: c.s, stride_w: c.s,
          pad_t: c.pad, pad_l: c.pad, w_offset: 1, b_offset: 1 + wFloats / 4, ...NOCLAMP, post_lo: -NO_CLAMP, post_hi: NO_CLAMP,
        },
        inputs: { input: randomArray(rnd, c.inH * c.inW * ic4 * 4), weights, ...(c.res ? { residual: randomArray(rnd, outH * outW * oc4 * 4) } : {}) },
        dummies: c.res ? [] : ['residual'],
        outputLength: outH * outW * oc4 * 4,
      };
      for (const v of variants) {
        const { wasm, ts } = await runBoth(step, [], v);
        expectClose(wasm, ts, `conv_transpose ${JSON.stringify(v)}`);
        expect(ts.some((x) => x !== 0)).toBe(true);
      }
    });
  }
  for (const [mode, inH, inW, outH, outW, c] of [
    ['bilinear', 5, 7, 11, 9, 8],
    ['bilinear', 8, 8, 16, 16, 4],
    ['nearest', 4, 6, 8, 13, 12],
    ['bilinear', 9, 9, 4, 5, 16],
  ] as const) {
    test(`resize ${mode} ${inH}x${inW} -> ${outH}x${outW} x${c}`, async () => {
      const half = (d: number, i: number, o: number): number => ((d + 0.5) * i) / o - 0.5;
      const tab = packResize(inH, inW, outH, outW, mode, half);
      const step: OneStep = {
        kernel: 'resize',
        overrides: { MODE: RESIZE_MODES[mode] },
        params: { in_h: inH, in_w: inW, out_h: outH, out_w: outW, c4: c / 4, w_offset: 1 },
        inputs: { input: randomArray(rnd, inH * inW * c), weights: new Float32Array([0, 0, 0, 0, ...tab]) },
        outputLength: outH * outW * c,
      };
      for (const v of variants) {
        const { wasm, ts } = await runBoth(step, [], v);
        expectClose(wasm, ts, `resize ${JSON.stringify(v)}`);
      }
    });
  }
  test('concat of 3 inputs (5 + 8 + 3 channels, unaligned offsets) and of 2', async () => {
    const pixels = 37;
    for (const chans of [[5, 8, 3], [4, 12]]) {
      const offs = chans.map((_, i) => chans.slice(0, i).reduce((a, b) => a + b, 0));
      const outC4 = c4of(chans.reduce((a, b) => a + b, 0));
      const params: Record<string, number> = { pixels, out_c4: outC4, q_lo: 0, q_count: outC4 };
      const inputs: Record<string, Float32Array> = {};
      for (let k = 0; k < 4; k++) {
        params[`in${k}_off`] = offs[k] ?? 0;
        params[`in${k}_c`] = chans[k] ?? 0;
        params[`in${k}_c4`] = chans[k] ? c4of(chans[k]) : 0;
        if (chans[k]) {
          const a = randomArray(rnd, pixels * c4of(chans[k]) * 4);
          for (let p = 0; p < pixels; p++) for (let j = chans[k]; j < c4of(chans[k]) * 4; j++) a[p * c4of(chans[k]) * 4 + j] = 0;
          inputs[`in${k}`] = a;
        }
      }
      const step: OneStep = { kernel: 'concat', overrides: {}, params, inputs, dummies: [0, 1, 2, 3].filter((k) => !chans[k]).map((k) => `in${k}`), outputLength: pixels * outC4 * 4 };
      for (const v of variants) {
        const { wasm, ts } = await runBoth(step, [], v);
        expect(wasm, `concat ${chans.join('+')} ${JSON.stringify(v)}`).toEqual(ts);
      }
    }
  });
  test('pad (value 0.25, asymmetric, 6 real of 8 channels)', async () => {
    const [inH, inW, C, c, pt, pl, outH, outW] = [5, 6, 8, 6, 1, 2, 8, 9];
    const input = randomArray(rnd, inH * inW * C);
    const step: OneStep = {
      kernel: 'pad',
      overrides: {},
      params: { in_h: inH, in_w: inW, out_h: outH, out_w: outW, c4: C / 4, c, pad_t: pt, pad_l: pl, value: 0.25 },
      inputs: { input },
      outputLength: outH * outW * C,
    };
    for (const v of variants) {
      const { wasm, ts } = await runBoth(step, [], v);
      expect(wasm, `pad ${JSON.stringify(v)}`).toEqual(ts);
    }
  });
});
