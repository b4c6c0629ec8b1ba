/**
 * Whole models on the WebAssembly SIMD backend vs the TypeScript CPU path: Large and Small x
 * width {0.35, 0.75, 1.0} x {normal, minimalistic} at 224, plus a non-square resolution and
 * an unfused plan. Logits agree within relative L2 1e-5 (f32 accumulation vs the twins'
 * float64), element-wise within 1e-3 + 1e-3*|ref|, with the same top-1. Also the runtime
 * surface: backend 'wasm', disposal, and a plan whose kernels partly run as TS twins.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, mobilenetV3, planSource, type MobileNetV3SourceOptions, type Runtime } from '../../src/runtime.js';
import { WasmExecutor } from '../../src/backends/wasm/executor.js';
import { CpuExecutor } from '../../src/backends/cpu/executor.js';
import { padChannels } from '../../src/graph/layout.js';
import { argmax, compare, seededInput } from '../helpers/compare.js';

interface Case {
  label: string;
  opts: MobileNetV3SourceOptions;
  hw: [number, number];
  fuse?: boolean;
  /** through createRuntime / Model.run (else the executors on one shared plan) */
  viaRuntime?: boolean;
}

function expectAgree(y: Float32Array, ref: Float32Array): void {
  const cmp = compare(y, ref, 1e-3, 1e-3);
  expect(cmp.refMaxAbs, 'CPU logits are not all ~0').toBeGreaterThan(0.05);
  expect(cmp.violations, `worst ${JSON.stringify(cmp.worst)}`).toBe(0);
  expect(cmp.relL2).toBeLessThanOrEqual(1e-5);
  expect(argmax(y)).toBe(argmax(ref));
}

const cases: Case[] = [];
let seed = 100;
for (const size of ['large', 'small'] as const) {
  for (const width of [0.35, 0.75, 1.0]) {
    for (const minimalistic of [false, true]) {
      cases.push({ label: `${size} ${width}${minimalistic ? ' minimalistic' : ''} 224`, opts: { size, width, minimalistic, seed: seed++ }, hw: [224, 224] });
    }
  }
}
cases.push({ label: 'large 0.75 [160, 224] via the runtime', opts: { size: 'large', width: 0.75, resolution: [160, 224], seed: 120 }, hw: [160, 224], viaRuntime: true });
cases.push({ label: 'small 0.75 [96, 128] unfused via the runtime', opts: { size: 'small', width: 0.75, resolution: [96, 128], seed: 121 }, hw: [96, 128], fuse: false, viaRuntime: true });

describe('whole models: wasm vs the TypeScript CPU path', () => {
  let wasm: Runtime;
  let cpu: Runtime;

  beforeAll(async () => {
    wasm = await createRuntime({ backend: 'wasm' });
    cpu = await createRuntime({ backend: 'cpu' });
    expect(wasm.backend).toBe('wasm');
  });

  afterAll(() => {
    wasm?.dispose();
    cpu?.dispose();
  });

  for (const c of cases) {
    it(c.label, async () => {
      const src = mobilenetV3(c.opts);
      const [H, W] = c.hw;
      const x = seededInput(2000 + cases.indexOf(c), H, W);
      if (!c.viaRuntime) {
        // one plan for both executors (planning is a good part of this test's time)
        const plan = planSource(src, { fuse: c.fuse });
        const xp = padChannels(x, H * W, 3);
        const ref = new CpuExecutor(plan).run(xp)[0];
        const ex = await WasmExecutor.create(plan);
        expect(ex.wasmSteps.every((w) => w)).toBe(true);
        const y = ex.run(xp)[0];
        expectAgree(y, ref);
        expect(ex.run(xp)[0]).toEqual(y); // nothing left over from the previous run
        return;
      }
      const ref = await (await cpu.load(src, { fuse: c.fuse })).run(x);
      const model = await wasm.load(src, { fuse: c.fuse });
      try {
        expect(model.backend).toBe('wasm');
        const y = await model.run(x);
        expect(y).toHaveLength(1000);
        expectAgree(y, ref);
        expect(await model.run(x)).toEqual(y);
      } finally {
        model.dispose();
      }
    });
  }

  it('a disposed model refuses to run', async () => {
    const model = await wasm.load(mobilenetV3({ size: 'small', width: 0.35, resolution: 96, seed: 3 }));
    await model.run(seededInput(1, 96, 96));
    model.dispose();
    await expect(model.run(seededInput(1, 96, 96))).rejects.toThrow(/disposed/);
  });
});

it('kernels forced onto their TypeScript twins run on WASM memory inside the same plan', async () => {
  const plan = planSource(mobilenetV3({ size: 'small', width: 0.75, resolution: 96, seed: 9 }));
  const x = padChannels(seededInput(5, 96, 96), 96 * 96, 3);
  const ref = new CpuExecutor(plan).run(x)[0];
  const mixed = await WasmExecutor.create(plan, { tsKernels: ['depthwise', 'squeeze_excite', 'global_pool'] });
  expect(mixed.wasmSteps.filter((w) => !w).length).toBeGreaterThan(10);
  expect(mixed.wasmSteps.filter((w) => w).length).toBeGreaterThan(10);
  const y = mixed.run(x)[0];
  expect(compare(y, ref, 1e-3, 1e-3).relL2).toBeLessThanOrEqual(1e-5);
});

it("backend 'wasm' is accepted and invalid names still list the choices", async () => {
  await expect(createRuntime({ backend: 'tpu' as 'cpu' })).rejects.toThrow(/'webgpu', 'wasm', 'cpu' or 'auto'/);
  const rt = await createRuntime({ backend: 'wasm' });
  expect(rt.reason).toMatch(/wasm/);
});
