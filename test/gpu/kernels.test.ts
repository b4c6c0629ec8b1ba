/**
 * Every WGSL kernel on the GPU against its CPU twin, on the same packed data, over an edge
 * sweep (odd shapes, strides, dilation, padding, every activation, tile remainders).
 * Needs a WebGPU adapter (SwiftShader in CI): without one these tests FAIL, unless
 * MNV3_SKIP_GPU=1, which skips them.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/backends/webgpu/device.js';
import {
  ACT_CODES,
  ACT_NAMES,
  CONV2D,
  IM2COL,
  DEPTHWISE,
  ELEMENTWISE,
  ELEMENTWISE_OPS,
  GLOBAL_POOL,
  GLOBAL_POOL_SG,
  SOFTMAX_SG,
  NO_CLAMP,
  POINTWISE,
  POINTWISE_TILED,
  POINTWISE_CHAIN,
  CHAIN_SE_MAX_C4,
  CHAIN_SE_MAX_SQ4,
  SE_MAX_C4,
  SE_MAX_SQ4,
  SQUEEZE_EXCITE,
  SQUEEZE_EXCITE_SG,
  linearDispatch,
  type ParamValues,
  ARGMAX,
  ARGMAX_SG,
  BINARY,
  BINARY_BCAST,
  BINARY_OPS,
  CONCAT,
  CONSTANT,
  CONV_TRANSPOSE,
  PAD,
  POOL2D,
  POOL_KINDS,
  RESIZE,
  RESIZE_MODES,
  SOFTMAX,
  packResize,
  planConcat,
} from '../../src/kernels/index.js';
import { resizeSource } from '../../src/graph/reference_ops.js';
import { type ResizeCoord } from '../../src/graph/ir.js';
import { convOutSize } from '../../src/graph/shapes.js';
import { checkKernel, type ConvCase, expectClose, mulberry32, packArena, pipelineCache, randomArray, runKernelCpu, runKernelGpu } from '../helpers/run_kernel.js';

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

  // the register-blocked kernel and its workgroup-memory tiled variant (same contract, same twin)
  describe.each([POINTWISE, POINTWISE_TILED].map((s) => [s.name, s] as const))('%s', (_name, spec) => {
    const channelPairs: [number, number][] = [
      [4, 4],
      [8, 12],
      [20, 24],
      [24, 20],
      [12, 8],
    ];
    // sclamp: clamp of input * scale in the prologue (TFLite's clamped SE gate)
    const cases: { pixels: number; inC: number; outC: number; scale: number; res: number; act: number; sclamp?: [number, number] }[] = [];
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
    for (const act of [0, 1, 3]) cases.push({ pixels: 13, inC: 20, outC: 12, scale: 1, res: act & 1, act, sclamp: [-0.3, 0.4] });
    cases.push({ pixels: 49, inC: 24, outC: 20, scale: 1, res: 1, act: 0, sclamp: [0.1, 0.5] }); // floor above 0: padding lanes too
    cases.push({ pixels: 196, inC: 12, outC: 40, scale: 1, res: 0, act: 2, sclamp: [-NO_CLAMP, 0.2] });
    cases.push({ pixels: 3136, inC: 24, outC: 72, scale: 0, res: 1, act: 3 }); // many workgroups
    cases.push({ pixels: 1, inC: 960, outC: 1000, scale: 0, res: 0, act: 0 }); // classifier-like
    // tiled: several pixel tiles (32), channel tiles (64) and input chunks (32), with remainders
    cases.push({ pixels: 33, inC: 36, outC: 68, scale: 1, res: 1, act: 3 });
    cases.push({ pixels: 95, inC: 100, outC: 132, scale: 0, res: 0, act: 1, sclamp: undefined });
    cases.push({ pixels: 64, inC: 32, outC: 64, scale: 1, res: 0, act: 4, sclamp: [0, 0.8] });
    test.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', async (_n, c) => {
      const rng = mulberry32(c.pixels * 7 + c.inC * 131 + c.outC * 17 + c.act + c.scale * 3 + c.res * 5 + (c.sclamp ? 11 : 0));
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
          spec,
          overrides: { ACT: c.act, HAS_SCALE: c.scale, HAS_RES: c.res },
          params: {
            pixels: c.pixels, in_c4: inC4, out_c4: outC4, w_offset: offsets[0], b_offset: offsets[1], ...clamp, ...post,
            scale_lo: c.sclamp?.[0] ?? -NO_CLAMP, scale_hi: c.sclamp?.[1] ?? NO_CLAMP,
          },
          inputs: {
            input: randomArray(rng, c.pixels * inC4 * 4, -2, 2),
            weights,
            scale: randomArray(rng, inC4 * 4, 0, 1),
            residual: randomArray(rng, c.pixels * outC4 * 4),
          },
          outputLength: c.pixels * outC4 * 4,
        },
        spec.name,
      );
    });
  });


  describe('pointwise_chain', () => {
    // SCALE: 0 none, 1 gate from a buffer, 2 gate computed in the kernel (SE pool + fc1 + fc2);
    // each case checks `mid` (the project output) and, with HAS_NEXT, `output` (the next 1x1)
    type ChainCase = {
      pixels: number; inC: number; midC: number; outC: number; scale: 0 | 1 | 2; res: 0 | 1; next: 0 | 1; act: number; act2: number; tq: number;
      sq?: number; sclamp?: [number, number]; seClamps?: boolean; c2?: [number, number];
    };
    const cases: ChainCase[] = [
      { pixels: 1, inC: 8, midC: 12, outC: 20, scale: 0, res: 0, next: 1, act: 3, act2: 0, tq: 1 }, // classifier-like
      { pixels: 13, inC: 20, midC: 12, outC: 24, scale: 1, res: 1, next: 1, act: 0, act2: 3, tq: 4, sclamp: [-0.3, 0.4] },
      { pixels: 49, inC: 24, midC: 20, outC: 36, scale: 2, res: 1, next: 1, act: 0, act2: 3, tq: 4, sq: 8 },
      { pixels: 197, inC: 12, midC: 8, outC: 8, scale: 2, res: 0, next: 0, act: 0, act2: 0, tq: 4, sq: 4 },
      { pixels: 15, inC: 16, midC: 24, outC: 24, scale: 0, res: 1, next: 0, act: 1, act2: 0, tq: 4 },
      { pixels: 784, inC: 72, midC: 24, outC: 72, scale: 2, res: 0, next: 1, act: 0, act2: 1, tq: 4, sq: 24 },
      { pixels: 784, inC: 72, midC: 24, outC: 72, scale: 2, res: 1, next: 1, act: 0, act2: 3, tq: 25, sq: 24 }, // the scheduler's SE tile: 8 workgroups
      { pixels: 3136, inC: 24, midC: 16, outC: 72, scale: 0, res: 0, next: 1, act: 0, act2: 1, tq: 16 }, // the widest tile
      { pixels: 9, inC: CHAIN_SE_MAX_C4 * 4, midC: 8, outC: 4, scale: 2, res: 0, next: 1, act: 0, act2: 0, tq: 4, sq: CHAIN_SE_MAX_SQ4 * 4 }, // the limits: 4 pool chunks
      { pixels: 5, inC: 300, midC: 40, outC: 12, scale: 2, res: 1, next: 1, act: 0, act2: 5, tq: 4, sq: 20, sclamp: [0.05, 0.9], seClamps: true }, // c4 75: a chunk of 11
      { pixels: 3136, inC: 16, midC: 16, outC: 64, scale: 0, res: 1, next: 1, act: 0, act2: 1, tq: 4 }, // many workgroups
      { pixels: 2, inC: 4, midC: 4, outC: 4, scale: 1, res: 0, next: 1, act: 5, act2: 4, tq: 1 },
      { pixels: 13, inC: 12, midC: 20, outC: 8, scale: 0, res: 0, next: 1, act: 2, act2: 2, tq: 2, c2: [0.1, 0.5] }, // a tile past the end
    ];
    test.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', async (_n, c) => {
      const rng = mulberry32(c.pixels * 11 + c.inC * 7 + c.midC * 3 + c.outC + c.scale * 13 + c.res * 17 + c.next * 19 + c.act2);
      const [in4, mid4, out4, sq4] = [c4of(c.inC), c4of(c.midC), c4of(c.outC), c4of(c.sq ?? 4)];
      const { weights, offsets } = packArena(
        [
          randomArray(rng, in4 * mid4 * 16, -0.4, 0.4), randomArray(rng, mid4 * 4),
          randomArray(rng, mid4 * out4 * 16, -0.4, 0.4), randomArray(rng, out4 * 4),
          randomArray(rng, in4 * sq4 * 16, -0.3, 0.3), randomArray(rng, sq4 * 4),
          randomArray(rng, sq4 * in4 * 16, -0.3, 0.3), randomArray(rng, in4 * 4),
        ],
        16,
      );
      const se = c.seClamps ? { pool_lo: 0.2, pool_hi: 1.1, fc1_lo: -0.2, fc1_hi: 0.6, fc2_lo: 0.3, fc2_hi: 0.8 } : { pool_lo: -NO_CLAMP, pool_hi: NO_CLAMP, fc1_lo: -NO_CLAMP, fc1_hi: NO_CLAMP, fc2_lo: -NO_CLAMP, fc2_hi: NO_CLAMP };
      const run = {
        spec: POINTWISE_CHAIN,
        overrides: { ACT: c.act, ACT2: c.act2, SCALE: c.scale, HAS_RES: c.res, HAS_NEXT: c.next },
        params: {
          pixels: c.pixels, in_c4: in4, mid_c4: mid4, out_c4: out4, tile_quads: c.tq,
          w_offset: offsets[0], b_offset: offsets[1], w2_offset: offsets[2], b2_offset: offsets[3],
          sq4, se_w1: offsets[4], se_b1: offsets[5], se_w2: offsets[6], se_b2: offsets[7], se_act1: 1, se_act2: 4,
          ...(c.act === 0 && c.res === 1 ? { clamp_lo: -1, clamp_hi: 1.5 } : NOCLAMP),
          ...(c.res === 1 && c.scale !== 0 ? { post_lo: -2, post_hi: 2 } : { post_lo: -NO_CLAMP, post_hi: NO_CLAMP }),
          scale_lo: c.sclamp?.[0] ?? -NO_CLAMP, scale_hi: c.sclamp?.[1] ?? NO_CLAMP,
          c2_lo: c.c2?.[0] ?? -NO_CLAMP, c2_hi: c.c2?.[1] ?? NO_CLAMP, post2_lo: -3, post2_hi: 3,
          ...se,
        },
        inputs: {
          input: randomArray(rng, c.pixels * in4 * 4, -2, 2),
          weights,
          scale: randomArray(rng, in4 * 4, 0, 1),
          residual: randomArray(rng, c.pixels * mid4 * 4),
        },
      };
      await checkKernel(device(), { ...run, output: 'mid', outputLength: c.pixels * mid4 * 4, otherLengths: { output: c.pixels * out4 * 4 } }, 'pointwise_chain mid');
      if (c.next) await checkKernel(device(), { ...run, output: 'output', outputLength: c.pixels * out4 * 4, otherLengths: { mid: c.pixels * mid4 * 4 } }, 'pointwise_chain output');
    });
    test('refuses an in-kernel SE beyond its limits', () => {
      const p = { pixels: 17, in_c4: CHAIN_SE_MAX_C4 + 1, sq4: 1, tile_quads: 1 };
      expect(() => POINTWISE_CHAIN.dispatchSize(p, { SCALE: 2 })).toThrow(/exceeds/);
      expect(() => POINTWISE_CHAIN.dispatchSize({ ...p, in_c4: 4, sq4: CHAIN_SE_MAX_SQ4 + 1 }, { SCALE: 2 })).toThrow(/exceeds/);
      expect(POINTWISE_CHAIN.dispatchSize(p, { SCALE: 1 })).toEqual([5, 1, 1]); // one workgroup per 4 pixels
    });
  });

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
    const oh = convOutSize(c.h, c.k[0], c.s[0], c.d[0], pt, pb);
    const ow = convOutSize(c.w, c.k[1], c.s[1], c.d[1], pl, pr);
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

  // the stem's gather for im2col + pointwise (LoadOptions.im2col): in_c 3 takes the swizzle path, 1 / 2 / 4 the general one
  describe('im2col', () => {
    const cases: { h: number; w: number; inC: number; k: [number, number]; s: [number, number]; d: [number, number]; pad: [number, number, number, number] }[] = [
      { h: 33, w: 31, inC: 3, k: [3, 3], s: [2, 2], d: [1, 1], pad: [1, 1, 1, 1] },
      { h: 224, w: 224, inC: 3, k: [3, 3], s: [2, 2], d: [1, 1], pad: [0, 0, 1, 1] }, // TFLite SAME: pad bottom/right
      { h: 9, w: 12, inC: 3, k: [5, 5], s: [1, 1], d: [1, 1], pad: [2, 2, 2, 2] },
      { h: 10, w: 11, inC: 3, k: [3, 3], s: [1, 2], d: [2, 1], pad: [2, 1, 2, 0] },
      { h: 7, w: 7, inC: 3, k: [1, 1], s: [1, 1], d: [1, 1], pad: [0, 0, 0, 0] },
      { h: 8, w: 6, inC: 3, k: [2, 3], s: [2, 1], d: [1, 1], pad: [0, 1, 0, 1] },
      { h: 15, w: 13, inC: 3, k: [7, 7], s: [2, 2], d: [1, 1], pad: [3, 3, 3, 3] },
      { h: 12, w: 12, inC: 1, k: [3, 3], s: [2, 2], d: [1, 1], pad: [1, 1, 1, 1] },
      { h: 9, w: 7, inC: 2, k: [5, 3], s: [1, 1], d: [1, 2], pad: [2, 2, 2, 2] },
      { h: 11, w: 10, inC: 4, k: [3, 3], s: [2, 2], d: [1, 1], pad: [0, 0, 1, 1] },
      { h: 6, w: 6, inC: 4, k: [1, 1], s: [1, 1], d: [1, 1], pad: [0, 0, 0, 0] },
    ];
    test.each(cases.map((c, i) => [JSON.stringify(c), c, i] as const))('%s', async (_n, c, i) => {
      const rng = mulberry32(5000 + i);
      const [pt, pl, pb, pr] = c.pad;
      const oh = convOutSize(c.h, c.k[0], c.s[0], c.d[0], pt, pb);
      const ow = convOutSize(c.w, c.k[1], c.s[1], c.d[1], pl, pr);
      const K = c.k[0] * c.k[1] * c.inC;
      const params: ParamValues = {
        in_h: c.h, in_w: c.w, in_c: c.inC, in_c4: 1, out_h: oh, out_w: ow, k: K, k4: c4of(K), kh: c.k[0], kw: c.k[1],
        stride_h: c.s[0], stride_w: c.s[1], dil_h: c.d[0], dil_w: c.d[1], pad_t: pt, pad_l: pl,
      };
      // the padding lanes of the input (>= inC) hold junk: the gather must never read them
      const input = randomArray(rng, c.h * c.w * 4, -2, 2);
      const { cpu: got } = await checkKernel(device(), { spec: IM2COL, overrides: {}, params, inputs: { input }, outputLength: oh * ow * c4of(K) * 4 }, 'im2col');
      // and it is the patch matrix: component (ky*kw + kx)*inC + ic of pixel (oy, ox), zero outside
      const oy = oh - 1, ox = Math.floor(ow / 2), ky = c.k[0] - 1, kx = 0, ic = c.inC - 1;
      const iy = oy * c.s[0] - pt + ky * c.d[0], ix = ox * c.s[1] - pl + kx * c.d[1];
      const want = iy >= 0 && iy < c.h && ix >= 0 && ix < c.w ? input[(iy * c.w + ix) * 4 + ic] : 0;
      expect(got[(oy * ow + ox) * c4of(K) * 4 + (ky * c.k[1] + kx) * c.inC + ic]).toBe(want);
      for (let j = K; j < c4of(K) * 4; j++) expect(got[j]).toBe(0);
    });
  });

  // the scratch-memory pool and its subgroup variant (both on SwiftShader, which has 'subgroups')
  describe.each([SQUEEZE_EXCITE, SQUEEZE_EXCITE_SG].map((s) => [s.name, s] as const))('%s', (_name, spec) => {
    // pool / fc1 / fc2: clamps of the pooled mean and of the FC outputs (TFLite uint8 ranges)
    const cases: { pixels: number; c: number; sq: number; act1: number; act2: number; pool?: [number, number]; fc1?: [number, number]; fc2?: [number, number] }[] = [
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
      { pixels: 3136, c: 16, sq: 8, act1: 1, act2: 0, pool: [0.99, 1.005], fc1: [-NO_CLAMP, 0.4], fc2: [0.5, 1] },
      { pixels: 196, c: 96, sq: 24, act1: 0, act2: 4, pool: [-NO_CLAMP, 1.05], fc1: [-0.2, 0.3], fc2: [-NO_CLAMP, 0.6] },
      { pixels: 5, c: 1100, sq: 280, act1: 1, act2: 5, pool: [0.5, 1.2], fc1: [0.05, 0.2], fc2: [0.3, 0.7] }, // 2 pool chunks
    ];
    test.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', async (_n, c) => {
      const rng = mulberry32(c.pixels * 3 + c.c * 5 + c.sq + (c.pool ? 7 : 0));
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
          spec,
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
            pool_lo: c.pool?.[0] ?? -NO_CLAMP,
            pool_hi: c.pool?.[1] ?? NO_CLAMP,
            fc1_lo: c.fc1?.[0] ?? -NO_CLAMP,
            fc1_hi: c.fc1?.[1] ?? NO_CLAMP,
            fc2_lo: c.fc2?.[0] ?? -NO_CLAMP,
            fc2_hi: c.fc2?.[1] ?? NO_CLAMP,
          },
          inputs: { input: randomArray(rng, c.pixels * c4 * 4, -1, 3), weights },
          outputLength: c4 * 4,
        },
        spec.name,
      );
    });
    test('refuses c4 > SE_MAX_C4', () => {
      expect(() => SQUEEZE_EXCITE.dispatchSize({ c4: SE_MAX_C4 + 1, sq4: 1 }, {})).toThrow();
    });
  });

  // the workgroup-tree pool and its subgroup variant (SwiftShader has 'subgroups'; a device
  // without the feature fails this test rather than skipping: requestGpu asks for it)
  describe.each([GLOBAL_POOL, GLOBAL_POOL_SG].map((s) => [s.name, s] as const))('%s', (_name, spec) => {
    const cases: [number, number][] = [
      [1, 1],
      [49, 240],
      [197, 5],
      [3136, 4],
      [3136, 18],
      [63, 320],
      [65, 3],
      // the narrow path's edge (pixels <= 64: a thread per channel group) and more than 64 groups
      [64, 70],
      [7, 129],
    ];
    test.each(cases)('pixels=%i c4=%i', async (pixels, c4) => {
      const rng = mulberry32(pixels * 11 + c4);
      await checkKernel(
        device(),
        {
          spec,
          overrides: {},
          params: { pixels, c4 },
          inputs: { input: randomArray(rng, pixels * c4 * 4, -1, 3) },
          outputLength: c4 * 4,
        },
        spec.name,
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

  describe('resize', () => {
    const coords: ResizeCoord[] = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'];
    const sizes: [number, number, number, number][] = [
      [5, 7, 9, 4],
      [1, 1, 3, 2],
      [4, 4, 1, 1],
      [7, 9, 14, 18],
      [13, 11, 5, 6],
      [5, 5, 7, 7],
    ];
    const cases: { h: number; w: number; oh: number; ow: number; c: number; mode: 'bilinear' | 'nearest'; coord: ResizeCoord }[] = [];
    let i = 0;
    for (const [h, w, oh, ow] of sizes) {
      for (const coord of coords) for (const mode of ['bilinear', 'nearest'] as const) cases.push({ h, w, oh, ow, c: [3, 4, 5, 8, 20][i++ % 5], mode, coord });
    }
    cases.push({ h: 28, w: 28, oh: 224, ow: 224, c: 20, mode: 'bilinear', coord: 'half_pixel' }); // many workgroups
    test.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', async (_n, c) => {
      const rng = mulberry32(c.h * 31 + c.oh * 7 + c.c);
      const c4 = c4of(c.c);
      const table = packResize(c.h, c.w, c.oh, c.ow, c.mode, (d, a, b) => resizeSource(d, a, b, c.coord));
      const { weights, offsets } = packArena([table], 8);
      await checkKernel(
        device(),
        {
          spec: RESIZE,
          overrides: { MODE: RESIZE_MODES[c.mode] },
          params: { in_h: c.h, in_w: c.w, out_h: c.oh, out_w: c.ow, c4, w_offset: offsets[0] },
          inputs: { input: randomArray(rng, c.h * c.w * c4 * 4, -2, 2), weights },
          outputLength: c.oh * c.ow * c4 * 4,
        },
        'resize',
      );
    });
  });

  describe('concat', () => {
    const lists: number[][] = [[3, 5], [4, 4], [1, 2, 3], [20, 3], [3], [5, 3, 8, 1, 7, 2], [2, 2, 2, 2, 2, 2, 2, 2, 2], [1, 1, 1, 1, 1, 1, 1], [8, 20, 4]];
    const cases: { pixels: number; chans: number[] }[] = lists.map((chans, k) => ({ pixels: [1, 7, 13, 64, 197][k % 5], chans }));
    cases.push({ pixels: 3136, chans: [40, 3, 21] });
    test.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', async (_n, c) => {
      const rng = mulberry32(c.pixels + c.chans.reduce((a, x) => a * 7 + x, 3));
      const xs = c.chans.map((ch) => randomArray(rng, c.pixels * c4of(ch) * 4, -3, 3));
      const outC4 = c4of(c.chans.reduce((a, x) => a + x, 0));
      for (const d of planConcat(c.pixels, c.chans)) {
        const inputs: Record<string, Float32Array> = {};
        d.inputs.forEach((k, slot) => (inputs[`in${slot}`] = xs[k]));
        const run = { spec: CONCAT, overrides: {}, params: d.params, inputs, outputLength: c.pixels * outC4 * 4 };
        const gpuOut = await runKernelGpu(device(), run);
        const cpuOut = runKernelCpu(run);
        // a dispatch writes only its own channel groups: compare those, the rest must stay NaN
        const mine = (i: number): boolean => {
          const q = (i >> 2) % outC4;
          return q >= d.params.q_lo && q < d.params.q_lo + d.params.q_count;
        };
        const idx = [...gpuOut.keys()].filter(mine);
        expectClose(Float32Array.from(idx, (i) => gpuOut[i]), Float32Array.from(idx, (i) => cpuOut[i]), 'concat');
        expect([...gpuOut.keys()].filter((i) => !mine(i)).every((i) => Number.isNaN(gpuOut[i]))).toBe(true);
      }
    });
  });

  describe('pad', () => {
    const cases: { h: number; w: number; c: number; pad: [number, number, number, number]; value: number }[] = [
      { h: 3, w: 4, c: 3, pad: [1, 1, 1, 1], value: 0 },
      { h: 5, w: 2, c: 5, pad: [0, 2, 3, 0], value: -1.5 },
      { h: 1, w: 1, c: 20, pad: [2, 0, 0, 1], value: 7 },
      { h: 7, w: 9, c: 8, pad: [0, 0, 1, 1], value: 0 },
      { h: 4, w: 3, c: 4, pad: [0, 0, 0, 0], value: 2 },
      { h: 56, w: 56, c: 20, pad: [3, 2, 1, 0], value: 0.25 },
    ];
    test.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', async (_n, c) => {
      const c4 = c4of(c.c);
      const oh = c.h + c.pad[0] + c.pad[2];
      const ow = c.w + c.pad[1] + c.pad[3];
      await checkKernel(
        device(),
        {
          spec: PAD,
          overrides: {},
          params: { in_h: c.h, in_w: c.w, out_h: oh, out_w: ow, c4, c: c.c, pad_t: c.pad[0], pad_l: c.pad[1], value: c.value },
          inputs: { input: randomArray(mulberry32(c.h * 3 + c.c), c.h * c.w * c4 * 4, -2, 2) },
          outputLength: oh * ow * c4 * 4,
        },
        'pad',
      );
    });
  });

  describe('pool2d', () => {
    const geoms: { h: number; w: number; k: [number, number]; s: [number, number]; pad: [number, number, number, number] }[] = [
      { h: 6, w: 6, k: [2, 2], s: [2, 2], pad: [0, 0, 0, 0] },
      { h: 7, w: 9, k: [3, 3], s: [2, 2], pad: [1, 1, 1, 1] },
      { h: 7, w: 7, k: [7, 7], s: [1, 1], pad: [0, 0, 0, 0] },
      { h: 5, w: 8, k: [3, 2], s: [1, 2], pad: [2, 0, 1, 1] },
      { h: 13, w: 11, k: [5, 3], s: [3, 2], pad: [2, 1, 2, 1] },
      { h: 64, w: 64, k: [49, 49], s: [4, 5], pad: [0, 0, 0, 0] }, // LR-ASPP's large average pool
      { h: 1, w: 1, k: [1, 1], s: [1, 1], pad: [0, 1, 0, 1] }, // max windows with no valid tap
    ];
    const cases: ((typeof geoms)[number] & { c: number; kind: 'max' | 'avg'; cip: boolean })[] = [];
    let i = 0;
    for (const g of geoms) for (const [kind, cip] of [['max', false], ['avg', false], ['avg', true]] as const) cases.push({ ...g, c: [3, 4, 5, 8, 20][i++ % 5], kind, cip });
    test.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', async (_n, c) => {
      const c4 = c4of(c.c);
      const oh = convOutSize(c.h, c.k[0], c.s[0], 1, c.pad[0], c.pad[2]);
      const ow = convOutSize(c.w, c.k[1], c.s[1], 1, c.pad[1], c.pad[3]);
      await checkKernel(
        device(),
        {
          spec: POOL2D,
          overrides: { KIND: POOL_KINDS[c.kind] },
          params: {
            in_h: c.h, in_w: c.w, out_h: oh, out_w: ow, c4, kh: c.k[0], kw: c.k[1], stride_h: c.s[0], stride_w: c.s[1],
            pad_t: c.pad[0], pad_l: c.pad[1], count_include_pad: c.cip ? 1 : 0,
          },
          inputs: { input: randomArray(mulberry32(c.h * 5 + c.k[1] + c.c), c.h * c.w * c4 * 4, -2, 2) },
          outputLength: oh * ow * c4 * 4,
        },
        'pool2d',
      );
    });
  });

  // softmax and its subgroup variant (WIDE: subgroupMax / subgroupAdd)
  describe.each([SOFTMAX, SOFTMAX_SG].map((s) => [s.name, s] as const))('%s', (_name, spec) => {
    const cases: { pixels: number; c: number; wide: number }[] = [];
    for (const [pixels, c] of [
      [1, 1001],
      [7, 5],
      [3, 3],
      [12, 20],
      [4, 1],
      [2, 80],
      [197, 21],
      [1, 4],
    ]) {
      for (const wide of [0, 1]) cases.push({ pixels, c, wide });
    }
    test.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', async (_n, c) => {
      const c4 = c4of(c.c);
      const input = randomArray(mulberry32(c.pixels * 3 + c.c + c.wide), c.pixels * c4 * 4, -8, 8);
      for (let p = 0; p < c.pixels; p++) for (let k = c.c; k < c4 * 4; k++) input[p * c4 * 4 + k] = 1e30; // ignored padding lanes
      await checkKernel(
        device(),
        { spec, overrides: { WIDE: c.wide }, params: { pixels: c.pixels, c4, c: c.c }, inputs: { input }, outputLength: c.pixels * c4 * 4 },
        spec.name,
      );
    });
    test('2D dispatch fold: more than 65535 pixels, one workgroup each', async () => {
      const pixels = 65535 + 7;
      expect(spec.dispatchSize({ pixels, c4: 3, c: 10 }, { WIDE: 1 })[1]).toBeGreaterThan(1);
      await checkKernel(
        device(),
        { spec, overrides: { WIDE: 1 }, params: { pixels, c4: 3, c: 10 }, inputs: { input: randomArray(mulberry32(5), pixels * 12, -4, 4) }, outputLength: pixels * 12 },
        `${spec.name} fold`,
      );
    });
  });

  // argmax and its subgroup variant (WIDE: subgroupMax / subgroupMin), per pixel and per workgroup
  describe.each([ARGMAX, ARGMAX_SG].map((s) => [s.name, s] as const))('%s', (_name, spec) => {
    const cases: { pixels: number; c: number; wide: number; fill?: 'ties' | 'equal' | 'negative' | 'last' }[] = [];
    for (const [pixels, c] of [
      [1, 1001],
      [7, 5],
      [3, 3],
      [12, 20],
      [4, 1],
      [197, 21],
      [2, 300],
    ]) {
      for (const wide of [0, 1]) cases.push({ pixels, c, wide, fill: 'ties' });
    }
    // all equal: channel 0; all negative; the maximum in the very last channel of a wide row
    for (const fill of ['equal', 'negative', 'last'] as const) cases.push({ pixels: 3, c: 1001, wide: 1, fill }, { pixels: 3, c: 6, wide: 1, fill });
    test.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', async (_n, c) => {
      const rng = mulberry32(c.pixels * 11 + c.c + c.wide * 7);
      const c4 = c4of(c.c);
      // few distinct values: ties (also across threads and subgroups), where the first index must win
      const input = new Float32Array(c.pixels * c4 * 4).map(() =>
        c.fill === 'equal' ? 1.5 : c.fill === 'negative' ? -1 - Math.floor(rng() * 3) : Math.floor(rng() * 5) - 2,
      );
      for (let p = 0; p < c.pixels; p++) {
        if (c.fill === 'last') input[p * c4 * 4 + c.c - 1] = 3;
        for (let k = c.c; k < c4 * 4; k++) input[p * c4 * 4 + k] = 99; // ignored padding lanes
      }
      const { gpu: out } = await checkKernel(device(), { spec, overrides: { WIDE: c.wide }, params: { pixels: c.pixels, c4, c: c.c }, inputs: { input }, outputLength: c.pixels * 4 }, spec.name);
      for (let p = 0; p < c.pixels; p++) {
        const row = Array.from(input.subarray(p * c4 * 4, p * c4 * 4 + c.c));
        expect(out[p * 4]).toBe(row.indexOf(Math.max(...row)));
      }
    });
    test('2D dispatch fold: more than 65535 pixels, one workgroup each', async () => {
      const pixels = 65535 + 7;
      expect(spec.dispatchSize({ pixels, c4: 3, c: 10 }, { WIDE: 1 })[1]).toBeGreaterThan(1);
      const input = new Float32Array(pixels * 12).map((_, i) => (i * 7919) % 13);
      await checkKernel(device(), { spec, overrides: { WIDE: 1 }, params: { pixels, c4: 3, c: 10 }, inputs: { input }, outputLength: pixels * 4 }, `${spec.name} fold`);
    });
  });

  describe('conv_transpose', () => {
    const cases: { h: number; w: number; inC: number; outC: number; k: [number, number]; s: [number, number]; pad: [number, number, number, number]; op: [number, number]; act: number; res: number }[] = [
      { h: 4, w: 5, inC: 3, outC: 5, k: [3, 3], s: [2, 2], pad: [1, 1, 1, 1], op: [1, 1], act: 0, res: 0 },
      { h: 3, w: 3, inC: 8, outC: 4, k: [4, 4], s: [2, 2], pad: [1, 1, 1, 1], op: [0, 0], act: 1, res: 0 },
      { h: 5, w: 4, inC: 5, outC: 20, k: [2, 2], s: [2, 2], pad: [0, 0, 0, 0], op: [0, 0], act: 3, res: 1 },
      { h: 2, w: 3, inC: 4, outC: 3, k: [16, 16], s: [8, 8], pad: [4, 4, 4, 4], op: [0, 0], act: 0, res: 0 },
      { h: 5, w: 5, inC: 20, outC: 8, k: [3, 3], s: [1, 1], pad: [1, 1, 1, 1], op: [0, 0], act: 2, res: 0 },
      { h: 3, w: 4, inC: 3, outC: 3, k: [3, 5], s: [2, 3], pad: [0, 2, 1, 0], op: [1, 2], act: 5, res: 1 },
      { h: 1, w: 1, inC: 5, outC: 4, k: [3, 3], s: [1, 1], pad: [0, 0, 0, 0], op: [0, 0], act: 4, res: 0 },
      { h: 14, w: 14, inC: 24, outC: 12, k: [4, 4], s: [2, 2], pad: [1, 1, 1, 1], op: [0, 0], act: 1, res: 1 },
    ];
    test.each(cases.map((c, i) => [JSON.stringify(c), c, i] as const))('%s', async (_n, c, i) => {
      const rng = mulberry32(4000 + i);
      const oh = (c.h - 1) * c.s[0] + c.k[0] - c.pad[0] - c.pad[2] + c.op[0];
      const ow = (c.w - 1) * c.s[1] + c.k[1] - c.pad[1] - c.pad[3] + c.op[1];
      const inC4 = c4of(c.inC);
      const outC4 = c4of(c.outC);
      const { weights, offsets } = packArena([randomArray(rng, c.k[0] * c.k[1] * inC4 * outC4 * 16, -0.5, 0.5), randomArray(rng, outC4 * 4)], 4);
      await checkKernel(
        device(),
        {
          spec: CONV_TRANSPOSE,
          overrides: { ACT: c.act, HAS_RES: c.res },
          params: {
            in_h: c.h, in_w: c.w, in_c4: inC4, out_h: oh, out_w: ow, out_c4: outC4, kh: c.k[0], kw: c.k[1], stride_h: c.s[0], stride_w: c.s[1],
            pad_t: c.pad[0], pad_l: c.pad[1], w_offset: offsets[0], b_offset: offsets[1],
            ...(c.act === 2 ? { clamp_lo: 0.1, clamp_hi: 5 } : NOCLAMP),
            ...(c.res ? { post_lo: -1, post_hi: 2 } : { post_lo: -NO_CLAMP, post_hi: NO_CLAMP }),
          },
          inputs: { input: randomArray(rng, c.h * c.w * inC4 * 4, -2, 2), weights, residual: randomArray(rng, oh * ow * outC4 * 4) },
          outputLength: oh * ow * outC4 * 4,
        },
        'conv_transpose',
      );
    });
  });

  describe('binary', () => {
    const cases: { op: number; bcast: number; act: number; c: number; pixels: number; res: number; clamp?: [number, number] }[] = [];
    let i = 0;
    for (const op of Object.values(BINARY_OPS)) {
      for (const bcast of Object.values(BINARY_BCAST)) {
        cases.push({ op, bcast, act: i % 6, c: [3, 4, 5, 8, 20][i % 5], pixels: [1, 13, 49, 197][i % 4], res: (i >> 1) & 1 });
        i++;
      }
    }
    cases.push({ op: BINARY_OPS.min, bcast: BINARY_BCAST.same, act: 0, c: 6, pixels: 20, res: 0, clamp: [-0.5, 0.5] });
    test.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', async (_n, c) => {
      const rng = mulberry32(c.op * 100 + c.bcast * 10 + c.c + c.pixels);
      const c4 = c4of(c.c);
      const count = c.pixels * c4;
      const bLen = c.bcast === BINARY_BCAST.same ? count * 4 : c.bcast === BINARY_BCAST.channel ? c4 * 4 : 4;
      // |b| in [0.5, 2] on the logical lanes, zero padding lanes like a packed tensor
      const b = randomArray(rng, bLen, 0.5, 2).map((v, k) => ((k & 3) + 4 * ((k >> 2) % c4) >= c.c ? 0 : k % 3 ? v : -v));
      await checkKernel(
        device(),
        {
          spec: BINARY,
          overrides: { OP: c.op, BCAST: c.bcast, ACT: c.act, HAS_RES: c.res },
          params: { count, c4, c: c.c, clamp_lo: c.clamp?.[0] ?? -NO_CLAMP, clamp_hi: c.clamp?.[1] ?? NO_CLAMP, post_lo: c.res ? -3 : -NO_CLAMP, post_hi: NO_CLAMP },
          inputs: { a: randomArray(rng, count * 4, -4, 4), b, residual: randomArray(rng, count * 4) },
          outputLength: count * 4,
        },
        'binary',
      );
    });
  });

  describe('constant', () => {
    test.each([1, 5, 64, 65, 3000])('count=%i', async (count) => {
      const rng = mulberry32(count);
      const { weights, offsets } = packArena([randomArray(rng, count * 4)], 12);
      await checkKernel(device(), { spec: CONSTANT, overrides: {}, params: { count, w_offset: offsets[0] }, inputs: { weights }, outputLength: count * 4 }, 'constant');
    });
  });

  test('pipelines are cached per pipeline-override set; param overrides (pointwise ACT, HAS_RES, HAS_SCALE) share one', async () => {
    const cache = pipelineCache(device());
    const a = await cache.get(POINTWISE, { ACT: 3, HAS_SCALE: 0, HAS_RES: 1 });
    const b = await cache.get(POINTWISE, { HAS_RES: 1, ACT: 3, HAS_SCALE: 0 });
    const c = await cache.get(POINTWISE, { ACT: 1, HAS_SCALE: 0, HAS_RES: 0 });
    const d = await cache.get(POINTWISE, { ACT: 1, HAS_SCALE: 1, HAS_RES: 0 });
    expect(a.pipeline).toBe(b.pipeline);
    expect(c.pipeline).toBe(a.pipeline);
    expect(d.pipeline).toBe(a.pipeline);
    expect(a.pipeline.label).toBe('pointwise[]');
    // pipeline constants (depthwise KH / KW) do not share
    const k3 = await cache.get(DEPTHWISE, { ACT: 1, KH: 3, KW: 3 });
    const k5 = await cache.get(DEPTHWISE, { ACT: 3, KH: 5, KW: 5 });
    expect(k5.pipeline).not.toBe(k3.pipeline);
    expect(k3.pipeline.label).toBe('depthwise[KH=3,KW=3]');
    await expect(cache.get(POINTWISE, { ACT: 9, HAS_SCALE: 0, HAS_RES: 0 })).rejects.toThrow(/ACT=9/);
    await expect(cache.get(POINTWISE, { ACT: 1, HAS_SCALE: 0 })).rejects.toThrow(/HAS_RES' is missing/);
  });
});
