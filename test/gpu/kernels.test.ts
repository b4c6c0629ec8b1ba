/**
 * Every WGSL kernel on the GPU against its CPU twin, on the same packed data, over an edge
 * sweep (odd shapes, strides, dilation, padding, every activation, tile remainders).
 * Needs a WebGPU adapter (SwiftShader in CI): without one these tests FAIL, unless
 * MNV3_SKIP_GPU=1, which skips them.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device.js';
import {
  ACT_CODES,
  ACT_NAMES,
  CONV2D,
  DEPTHWISE,
  ELEMENTWISE,
  ELEMENTWISE_OPS,
  GLOBAL_POOL,
  NO_CLAMP,
  POINTWISE,
  SE_MAX_C4,
  SE_MAX_SQ4,
  SQUEEZE_EXCITE,
  linearDispatch,
  type ParamValues,
} from '../../src/kernels/index.js';
import { checkKernel, mulberry32, packArena, pipelineCache, randomArray } from '../helpers/run_kernel.js';

const SKIP = process.env.MNV3_SKIP_GPU === '1';
const c4of = (c: number): number => Math.ceil(c / 4);
const NOCLAMP = { clamp_lo: -NO_CLAMP, clamp_hi: NO_CLAMP };

let gpu: GpuContext;
const device = (): GPUDevice => {
  if (!gpu) throw new Error('no GPU device (requestGpu failed; set MNV3_SKIP_GPU=1 to skip GPU tests)');
  return gpu.device;
};

describe.skipIf(SKIP)('GPU kernels vs CPU twins', () => {
  beforeAll(async () => {
    gpu = await requestGpu(); // throws without an adapter: the tests fail, they do not skip
    gpu.device.addEventListener('uncapturederror', (e) => {
      console.error('uncaptured WebGPU error:', (e as GPUUncapturedErrorEvent).error.message);
    });
  });
  afterAll(() => {
    gpu?.device.destroy();
  });

  test('adapter', () => {
    expect(device()).toBeDefined();
    console.log(`GPU adapter: ${gpu.adapterName}`);
  });

  describe('pointwise', () => {
    const channelPairs: [number, number][] = [
      [4, 4],
      [8, 12],
      [20, 24],
      [24, 20],
      [12, 8],
    ];
    const cases: { pixels: number; inC: number; outC: number; scale: number; res: number; act: number }[] = [];
    let k = 0;
    for (const pixels of [1, 2, 13, 15, 49, 197]) {
      for (const [inC, outC] of channelPairs) {
        cases.push({ pixels, inC, outC, scale: k & 1, res: (k >> 1) & 1, act: k % 6 });
        k++;
      }
    }
    for (let combo = 0; combo < 4; combo++) {
      for (const act of [0, 1, 2, 3, 4, 5]) cases.push({ pixels: 7, inC: 8, outC: 12, scale: combo & 1, res: combo >> 1, act });
    }
    cases.push({ pixels: 3136, inC: 24, outC: 72, scale: 0, res: 1, act: 3 }); // many workgroups
    cases.push({ pixels: 1, inC: 960, outC: 1000, scale: 0, res: 0, act: 0 }); // classifier-like
    test.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', async (_n, c) => {
      const rng = mulberry32(c.pixels * 7 + c.inC * 131 + c.outC * 17 + c.act + c.scale * 3 + c.res * 5);
      const inC4 = c4of(c.inC);
      const outC4 = c4of(c.outC);
      const w = randomArray(rng, inC4 * outC4 * 16, -0.5, 0.5);
      const b = randomArray(rng, outC4 * 4);
      const { weights, offsets } = packArena([w, b], 12);
      const clamp = c.act === 0 && c.res === 1 ? { clamp_lo: -1, clamp_hi: 1.5 } : NOCLAMP;
      const post = c.res === 1 && c.scale === 1 ? { post_lo: -2, post_hi: 2 } : { post_lo: -NO_CLAMP, post_hi: NO_CLAMP };
      await checkKernel(
        device(),
        {
          spec: POINTWISE,
          overrides: { ACT: c.act, HAS_SCALE: c.scale, HAS_RES: c.res },
          params: { pixels: c.pixels, in_c4: inC4, out_c4: outC4, w_offset: offsets[0], b_offset: offsets[1], ...clamp, ...post },
          inputs: {
            input: randomArray(rng, c.pixels * inC4 * 4, -2, 2),
            weights,
            scale: randomArray(rng, inC4 * 4, 0, 1),
            residual: randomArray(rng, c.pixels * outC4 * 4),
          },
          outputLength: c.pixels * outC4 * 4,
        },
        'pointwise',
      );
    });
  });

  interface ConvCase {
    h: number;
    w: number;
    inC: number;
    outC: number;
    k: [number, number];
    s: [number, number];
    d: [number, number];
    /** top, left, bottom, right */
    pad: [number, number, number, number];
    act: number;
  }
  const outSize = (n: number, k: number, s: number, d: number, p0: number, p1: number): number =>
    Math.floor((n + p0 + p1 - d * (k - 1) - 1) / s) + 1;

  function convCases(depthwise: boolean): ConvCase[] {
    const cases: ConvCase[] = [];
    const channels = [4, 8, 12, 20, 24];
    const geoms: Omit<ConvCase, 'inC' | 'outC' | 'act'>[] = [
      { h: 7, w: 9, k: [3, 3], s: [1, 1], d: [1, 1], pad: [1, 1, 1, 1] },
      { h: 7, w: 9, k: [3, 3], s: [2, 2], d: [1, 1], pad: [0, 0, 1, 1] }, // TF-style SAME, stride 2, odd input
      { h: 5, w: 3, k: [5, 5], s: [1, 1], d: [1, 1], pad: [2, 2, 2, 2] },
      { h: 9, w: 7, k: [5, 5], s: [2, 2], d: [1, 1], pad: [1, 2, 2, 1] },
      { h: 7, w: 9, k: [3, 3], s: [1, 1], d: [2, 2], pad: [2, 2, 2, 2] },
      { h: 8, w: 5, k: [3, 5], s: [2, 1], d: [2, 1], pad: [3, 0, 1, 2] },
      { h: 5, w: 3, k: [1, 1], s: [1, 1], d: [1, 1], pad: [0, 0, 0, 0] },
      { h: 4, w: 4, k: [7, 7], s: [1, 1], d: [1, 1], pad: [3, 3, 3, 3] },
    ];
    let i = 0;
    for (const g of geoms) {
      for (const ch of depthwise ? [channels[i % 5], channels[(i + 2) % 5]] : [channels[i % 5]]) {
        cases.push({ ...g, inC: ch, outC: depthwise ? ch : channels[(i + 3) % 5], act: i % 6 });
        i++;
      }
    }
    for (const act of [0, 1, 2, 3, 4, 5]) cases.push({ h: 5, w: 7, inC: 12, outC: depthwise ? 12 : 8, k: [3, 3], s: [2, 2], d: [1, 1], pad: [1, 1, 1, 1], act });
    return cases;
  }

  async function runConv(c: ConvCase, depthwise: boolean, seed: number): Promise<void> {
    const rng = mulberry32(seed);
    const [pt, pl, pb, pr] = c.pad;
    const oh = outSize(c.h, c.k[0], c.s[0], c.d[0], pt, pb);
    const ow = outSize(c.w, c.k[1], c.s[1], c.d[1], pl, pr);
    const inC4 = c4of(c.inC);
    const outC4 = c4of(c.outC);
    const wlen = depthwise ? c.k[0] * c.k[1] * inC4 * 4 : c.k[0] * c.k[1] * inC4 * outC4 * 16;
    const { weights, offsets } = packArena([randomArray(rng, wlen, -0.5, 0.5), randomArray(rng, outC4 * 4)], 4);
    const params: ParamValues = {
      in_h: c.h,
      in_w: c.w,
      out_h: oh,
      out_w: ow,
      stride_h: c.s[0],
      stride_w: c.s[1],
      dil_h: c.d[0],
      dil_w: c.d[1],
      pad_t: pt,
      pad_l: pl,
      w_offset: offsets[0],
      b_offset: offsets[1],
      ...(c.act === 2 ? { clamp_lo: 0.1, clamp_hi: 5 } : NOCLAMP),
      ...(depthwise ? { c4: inC4 } : { in_c4: inC4, out_c4: outC4 }),
    };
    await checkKernel(
      device(),
      {
        spec: depthwise ? DEPTHWISE : CONV2D,
        overrides: { ACT: c.act, KH: c.k[0], KW: c.k[1] },
        params,
        inputs: { input: randomArray(rng, c.h * c.w * inC4 * 4, -2, 2), weights },
        outputLength: oh * ow * outC4 * 4,
      },
      depthwise ? 'depthwise' : 'conv2d',
    );
  }

  describe('depthwise', () => {
    test.each(convCases(true).map((c, i) => [JSON.stringify(c), c, i] as const))('%s', (_n, c, i) => runConv(c, true, 1000 + i));
    test('large: 112x112x16 3x3 stride 2', () =>
      runConv({ h: 112, w: 112, inC: 16, outC: 16, k: [3, 3], s: [2, 2], d: [1, 1], pad: [0, 0, 1, 1], act: 1 }, true, 7));
  });

  describe('conv2d', () => {
    test.each(convCases(false).map((c, i) => [JSON.stringify(c), c, i] as const))('%s', (_n, c, i) => runConv(c, false, 2000 + i));
    test('stem: 3 -> 16 channels, 3x3 stride 2, 33x31 input', () =>
      runConv({ h: 33, w: 31, inC: 3, outC: 16, k: [3, 3], s: [2, 2], d: [1, 1], pad: [1, 1, 1, 1], act: 3 }, false, 3));
  });

  describe('squeeze_excite', () => {
    const cases: { pixels: number; c: number; sq: number; act1: number; act2: number }[] = [
      { pixels: 1, c: 4, sq: 4, act1: 1, act2: 4 },
      { pixels: 3136, c: 16, sq: 8, act1: 1, act2: 4 },
      { pixels: 3136, c: 4, sq: 4, act1: 3, act2: 5 },
      { pixels: 784, c: 72, sq: 24, act1: 1, act2: 4 },
      { pixels: 196, c: 120, sq: 32, act1: 0, act2: 2 },
      { pixels: 49, c: 960, sq: 240, act1: 1, act2: 4 },
      { pixels: 3136, c: 960, sq: 240, act1: 3, act2: 4 },
      { pixels: 13, c: 20, sq: 12, act1: 2, act2: 0 },
      { pixels: 9, c: SE_MAX_C4 * 4, sq: SE_MAX_SQ4 * 4, act1: 1, act2: 4 }, // the limits, 2 pool chunks
      { pixels: 5, c: 1100, sq: 280, act1: 1, act2: 5 }, // c4 = 275: second chunk of 19 groups
    ];
    test.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', async (_n, c) => {
      const rng = mulberry32(c.pixels * 3 + c.c * 5 + c.sq);
      const c4 = c4of(c.c);
      const sq4 = c4of(c.sq);
      const { weights, offsets } = packArena(
        [
          randomArray(rng, c4 * sq4 * 16, -0.3, 0.3),
          randomArray(rng, sq4 * 4),
          randomArray(rng, c4 * sq4 * 16, -0.3, 0.3),
          randomArray(rng, c4 * 4),
        ],
        20,
      );
      await checkKernel(
        device(),
        {
          spec: SQUEEZE_EXCITE,
          overrides: {},
          params: {
            pixels: c.pixels,
            c4,
            sq4,
            w1_offset: offsets[0],
            b1_offset: offsets[1],
            w2_offset: offsets[2],
            b2_offset: offsets[3],
            act1: c.act1,
            act2: c.act2,
          },
          inputs: { input: randomArray(rng, c.pixels * c4 * 4, -1, 3), weights },
          outputLength: c4 * 4,
        },
        'squeeze_excite',
      );
    });
    test('refuses c4 > SE_MAX_C4', () => {
      expect(() => SQUEEZE_EXCITE.dispatchSize({ c4: SE_MAX_C4 + 1, sq4: 1 }, {})).toThrow();
    });
  });

  describe('global_pool', () => {
    const cases: [number, number][] = [
      [1, 1],
      [49, 240],
      [197, 5],
      [3136, 4],
      [3136, 18],
      [63, 320],
      [65, 3],
    ];
    test.each(cases)('pixels=%i c4=%i', async (pixels, c4) => {
      const rng = mulberry32(pixels * 11 + c4);
      await checkKernel(
        device(),
        {
          spec: GLOBAL_POOL,
          overrides: {},
          params: { pixels, c4 },
          inputs: { input: randomArray(rng, pixels * c4 * 4, -1, 3) },
          outputLength: c4 * 4,
        },
        'global_pool',
      );
    });
  });

  describe('elementwise', () => {
    const cases: { op: number; act: number; count: number; c4: number; clamp?: [number, number] }[] = [];
    for (const op of [ELEMENTWISE_OPS.act, ELEMENTWISE_OPS.add, ELEMENTWISE_OPS.channel_scale]) {
      for (const act of ACT_NAMES.map((a) => ACT_CODES[a])) {
        const c4 = [1, 3, 5, 6][(op + act) % 4];
        cases.push({ op, act, count: c4 * [1, 13, 49, 197][act % 4], c4 });
      }
    }
    cases.push({ op: ELEMENTWISE_OPS.add, act: 0, count: 6 * 49, c4: 6, clamp: [-0.5, 0.5] });
    cases.push({ op: ELEMENTWISE_OPS.channel_scale, act: 3, count: 240 * 49, c4: 240 });
    test.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', async (_n, c) => {
      const rng = mulberry32(c.op * 100 + c.act * 10 + c.count);
      const b =
        c.op === ELEMENTWISE_OPS.add
          ? randomArray(rng, c.count * 4, -2, 2)
          : c.op === ELEMENTWISE_OPS.channel_scale
            ? randomArray(rng, c.c4 * 4, 0, 1)
            : undefined;
      await checkKernel(
        device(),
        {
          spec: ELEMENTWISE,
          overrides: { OP: c.op, ACT: c.act },
          params: { count: c.count, c4: c.c4, clamp_lo: c.clamp?.[0] ?? -NO_CLAMP, clamp_hi: c.clamp?.[1] ?? NO_CLAMP },
          inputs: b ? { a: randomArray(rng, c.count * 4, -6, 6), b } : { a: randomArray(rng, c.count * 4, -6, 6) },
          outputLength: c.count * 4,
        },
        'elementwise',
      );
    });
    test('2D dispatch fold: more than 65535 workgroups', async () => {
      const count = 65535 * 64 + 4097;
      expect(linearDispatch(count, 64)[1]).toBeGreaterThan(1);
      const rng = mulberry32(99);
      await checkKernel(
        device(),
        {
          spec: ELEMENTWISE,
          overrides: { OP: ELEMENTWISE_OPS.channel_scale, ACT: 1 },
          params: { count, c4: 7, ...NOCLAMP },
          inputs: { a: randomArray(rng, count * 4), b: randomArray(rng, 28) },
          outputLength: count * 4,
        },
        'elementwise fold',
      );
    });
  });

  test('pipelines are cached per override set', async () => {
    const cache = pipelineCache(device());
    const a = await cache.get(POINTWISE, { ACT: 3, HAS_SCALE: 0, HAS_RES: 1 });
    const b = await cache.get(POINTWISE, { HAS_RES: 1, ACT: 3, HAS_SCALE: 0 });
    expect(a.pipeline).toBe(b.pipeline);
    expect(a.pipeline.label).toBe('pointwise[ACT=3,HAS_RES=1,HAS_SCALE=0]');
    await expect(cache.get(POINTWISE, { ACT: 9, HAS_SCALE: 0, HAS_RES: 0 })).rejects.toThrow(/ACT=9/);
  });
});
