/**
 * The stem as im2col + pointwise (ScheduleOptions.im2col / LoadOptions.im2col): dense convs over
 * 1-4 input channels planned both ways, run by the CPU executor (the kernels' TS twins), against
 * the float64 reference on the graph; MobileNetV3 plans with it; the option's validation.
 */
import { describe, expect, it } from 'vitest';
import { schedule } from '../../src/graph/scheduler.js';
import { optimize } from '../../src/graph/passes/index.js';
import { runReference } from '../../src/graph/reference.js';
import { CpuExecutor } from '../../src/backends/cpu/executor.js';
import { WasmExecutor } from '../../src/backends/wasm/executor.js';
import { padChannels, unpadChannels } from '../../src/graph/layout.js';
import type { Conv2dNode, Graph } from '../../src/graph/ir.js';
import { Rng } from '../../src/graph/rng.js';
import { createRuntime, mobilenetV3, planSource } from '../../src/index.js';
import { compare } from '../helpers/compare.js';

interface Case {
  h: number; w: number; inC: number; outC: number; kh: number; kw: number;
  s: [number, number]; d: [number, number]; pad: [number, number, number, number];
  act: Conv2dNode['epilogue']['act']; clamp?: [number, number];
}

const CASES: Case[] = [
  { h: 32, w: 32, inC: 3, outC: 16, kh: 3, kw: 3, s: [2, 2], d: [1, 1], pad: [1, 1, 1, 1], act: 'hswish' },
  { h: 31, w: 29, inC: 3, outC: 16, kh: 3, kw: 3, s: [2, 2], d: [1, 1], pad: [0, 0, 1, 1], act: 'hswish', clamp: [-0.4, 3] },
  { h: 12, w: 10, inC: 3, outC: 8, kh: 5, kw: 3, s: [1, 2], d: [1, 2], pad: [2, 2, 2, 2], act: 'relu' },
  { h: 9, w: 9, inC: 3, outC: 5, kh: 7, kw: 7, s: [2, 2], d: [1, 1], pad: [3, 3, 3, 3], act: 'none' },
  { h: 8, w: 8, inC: 1, outC: 12, kh: 3, kw: 3, s: [1, 1], d: [1, 1], pad: [1, 1, 1, 1], act: 'relu6' },
  { h: 10, w: 7, inC: 2, outC: 6, kh: 2, kw: 3, s: [2, 1], d: [1, 1], pad: [0, 1, 1, 1], act: 'hsigmoid' },
  { h: 11, w: 11, inC: 4, outC: 20, kh: 3, kw: 3, s: [2, 2], d: [2, 2], pad: [2, 2, 2, 2], act: 'hswish' },
];

function stemGraph(c: Case, seed: number): Graph {
  const rng = new Rng(seed);
  const conv: Conv2dNode = {
    op: 'conv2d', name: 'stem', input: 'x', output: 'y', outC: c.outC, kh: c.kh, kw: c.kw, strideH: c.s[0], strideW: c.s[1],
    dilationH: c.d[0], dilationW: c.d[1], pad: c.pad, groups: 1,
    weight: rng.fill(c.outC * c.inC * c.kh * c.kw, -0.5, 0.5), bias: rng.fill(c.outC, -0.2, 0.2),
    epilogue: { act: c.act, ...(c.clamp ? { clamp: c.clamp } : {}) },
  };
  return { name: 'stem', inputs: [{ name: 'x', shape: { h: c.h, w: c.w, c: c.inC } }], outputs: ['y'], nodes: [conv] };
}

describe('im2col + pointwise for dense thin convs', () => {
  it.each(CASES.map((c, i) => [JSON.stringify(c), c, i] as const))('%s', (_n, c, i) => {
    const g = stemGraph(c, 40 + i);
    const x = new Rng(90 + i).fill(c.h * c.w * c.inC, -1, 1);
    const want = runReference(g, { x }).get('y')!.data;
    const og = optimize(g);
    const plain = schedule(og);
    const cols = schedule(og, undefined, { im2col: true });
    expect(plain.steps.map((s) => s.kernel)).toEqual(['conv2d']);
    expect(cols.steps.map((s) => s.kernel)).toEqual(['im2col', 'pointwise']);
    expect(cols.im2col).toBe(true);
    expect(plain.im2col).toBeUndefined();
    expect(cols.steps[1].params.in_c4).toBe(Math.ceil((c.kh * c.kw * c.inC) / 4));
    const out = plain.outputs[0];
    for (const plan of [plain, cols]) {
      const y = unpadChannels(new CpuExecutor(plan).run(padChannels(x, c.h * c.w, c.inC))[0], out.h * out.w, out.c);
      const r = compare(y, want, 1e-5, 1e-4);
      expect(r.violations, `${plan.steps[0].kernel}: worst ${JSON.stringify(r.worst)}`).toBe(0);
    }
  });

  it('leaves dense convs over more than 4 channels (and depthwise / 1x1 convs) alone', () => {
    const g = stemGraph({ ...CASES[0], inC: 8 }, 3);
    expect(schedule(optimize(g), undefined, { im2col: true }).steps.map((s) => s.kernel)).toEqual(['conv2d']);
    const plan = planSource(mobilenetV3({ size: 'small', resolution: 96, seed: 1 }), { im2col: true });
    expect(plan.steps.filter((s) => s.kernel === 'im2col')).toHaveLength(1);
    expect(plan.steps.filter((s) => s.kernel === 'conv2d')).toHaveLength(0);
  });

  it('MobileNetV3 Large / Small: one dispatch more, the same logits (CPU executor), off by default and with fuse: false', async () => {
    const cpu = await createRuntime({ backend: 'cpu' });
    for (const size of ['large', 'small'] as const) {
      const src = mobilenetV3({ size, resolution: 96, seed: 5 });
      const a = await cpu.load(src);
      const b = await cpu.load(src, { im2col: true });
      expect(a.im2col).toBe(false);
      expect(b.im2col).toBe(true);
      expect(b.stats.dispatches).toBe(a.stats.dispatches + 1);
      expect(planSource(src, { fuse: false, im2col: true }).im2col).toBeUndefined();
      const x = new Rng(3).fill(96 * 96 * 3, -1, 1);
      const ya = await a.run(x);
      const yb = await b.run(x);
      const r = compare(yb, ya, 1e-5, 1e-4);
      expect(r.violations, JSON.stringify(r.worst)).toBe(0);
    }
    expect(() => planSource(mobilenetV3({ size: 'small', resolution: 96 }), { im2col: 'yes' as unknown as boolean })).toThrow(/invalid option 'im2col'/);
  });

  it('the wasm executor runs the im2col plan too (the gather through its TS twin, the rest in WASM)', async () => {
    const src = mobilenetV3({ size: 'small', resolution: 96, seed: 8 });
    const cols = planSource(src, { im2col: true });
    const x = padChannels(new Rng(4).fill(96 * 96 * 3, -1, 1), 96 * 96, 3);
    const ref = new CpuExecutor(planSource(src)).run(x)[0];
    const ex = await WasmExecutor.create(cols);
    expect(ex.wasmSteps.map((w, i) => w || cols.steps[i].kernel === 'im2col').every((w) => w)).toBe(true);
    expect(ex.wasmSteps.filter((w) => !w)).toHaveLength(1);
    const r = compare(ex.run(x)[0], ref, 1e-5, 1e-4);
    expect(r.violations, JSON.stringify(r.worst)).toBe(0);
    ex.dispose();
  });
});
