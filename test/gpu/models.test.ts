/**
 * Whole models on WebGPU (Node + Dawn; SwiftShader in CI) vs the CPU executor: every size x
 * width x minimalistic combination at 224 plus two non-square resolutions, fused and unfused, and
 * with block fusion (pointwise_chain steps, the hardware adapters' default; forced on here).
 * Without a WebGPU adapter these tests FAIL; set MNV3_SKIP_GPU=1 to skip them explicitly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, mobilenetV3, type MobileNetV3SourceOptions, type Model, type Runtime } from '../../src/runtime.js';
import { argmax, compare, seededInput } from '../helpers/compare.js';

const SKIP = process.env.MNV3_SKIP_GPU === '1';

interface Case {
  label: string;
  opts: MobileNetV3SourceOptions;
  hw: [number, number];
}

const cases: Case[] = [];
let seed = 0;
for (const size of ['large', 'small'] as const) {
  for (const width of [0.35, 0.75, 1.0]) {
    for (const minimalistic of [false, true]) {
      cases.push({ label: `${size} ${width}${minimalistic ? ' minimalistic' : ''} 224`, opts: { size, width, minimalistic, seed: seed++ }, hw: [224, 224] });
    }
  }
}
cases.push({ label: 'large 1.0 [160, 224]', opts: { size: 'large', resolution: [160, 224], seed: 20 }, hw: [160, 224] });
cases.push({ label: 'small torchvision 0.75 [224, 160]', opts: { size: 'small', width: 0.75, widthSemantics: 'torchvision', resolution: [224, 160], seed: 21 }, hw: [224, 160] });

describe.skipIf(SKIP)('whole models: WebGPU vs CPU', () => {
  let gpu: Runtime;
  let cpu: Runtime;
  const disposed: Model[] = [];

  beforeAll(async () => {
    // no fallback here: a missing adapter must fail the suite (DESIGN.md section 6)
    gpu = await createRuntime({ backend: 'webgpu' });
    cpu = await createRuntime({ backend: 'cpu' });
    expect(gpu.backend).toBe('webgpu');
    expect(cpu.backend).toBe('cpu');
  });

  afterAll(() => {
    gpu?.dispose();
  });

  for (const c of cases) {
    it(c.label, async () => {
      const src = mobilenetV3(c.opts);
      const [H, W] = c.hw;
      const x = seededInput(1000 + cases.indexOf(c), H, W);

      const cpuModel = await cpu.load(src);
      const ref = await cpuModel.run(x);
      const fused = await gpu.load(src);
      const unfused = await gpu.load(src, { fuse: false });
      const blocks = await gpu.load(src, { blockFusion: true });
      try {
        expect(blocks.blockFusion).toEqual({ se: true, pairs: true });
        expect(blocks.stats.dispatches).toBeLessThan(fused.stats.dispatches);
        if (c.opts.width === 1.0 && !c.opts.resolution) {
          // issue 15's targets at 224: Large <= 40, Small <= 32 dispatches (57 / 46 without block fusion)
          expect(blocks.stats.dispatches).toBeLessThanOrEqual(c.opts.size === 'large' ? 40 : 32);
        }
        expect(fused.backend).toBe('webgpu');
        expect(fused.inputShape).toEqual({ h: H, w: W, c: 3 });
        expect(fused.gpuBuffers).toBeGreaterThan(0);
        expect(unfused.stats.dispatches).toBeGreaterThan(fused.stats.dispatches);
        const yf = await fused.run(x);
        const yu = await unfused.run(x);
        const yb = await blocks.run(x);
        expect(yf).toHaveLength(1000);
        expect(yu).toHaveLength(1000);
        for (const [name, y] of [['fused', yf], ['unfused', yu], ['block-fused', yb]] as const) {
          const cmp = compare(y, ref, 1e-3, 1e-3);
          expect(cmp.refMaxAbs, 'CPU logits are not all ~0').toBeGreaterThan(0.05);
          expect(cmp.violations, `${name}: worst ${JSON.stringify(cmp.worst)}`).toBe(0);
          expect(cmp.relL2, name).toBeLessThanOrEqual(1e-4);
        }
        expect(argmax(yf)).toBe(argmax(yu));
        expect(argmax(yb)).toBe(argmax(yu));
        // the hardware GPUs' pointwise variant (workgroup-memory tiled), forced on SwiftShader
        // a software adapter's default: the register-blocked GEMM; subgroup pools where the device has them
        const reductions = gpu.gpu!.device.features.has('subgroups' as GPUFeatureName) ? 'subgroups' : 'workgroup';
        expect(fused.kernelVariants).toEqual({ pointwise: 'basic', reductions });
        expect(unfused.gpuExecutor!.variantSteps > 0).toBe(reductions === 'subgroups'); // the head's pool (and unfused SE pools) run global_pool_sg
        if (c.opts.width === 1.0 || c.opts.resolution) {
          const tiled = await gpu.load(src, { kernelVariants: { pointwise: 'tiled' } });
          try {
            expect(tiled.kernelVariants).toEqual({ pointwise: 'tiled', reductions });
            expect(tiled.gpuExecutor!.variantSteps).toBeGreaterThan(10);
            const cmp = compare(await tiled.run(x), ref, 1e-3, 1e-3);
            expect(cmp.violations, `tiled: worst ${JSON.stringify(cmp.worst)}`).toBe(0);
            expect(cmp.relL2, 'tiled').toBeLessThanOrEqual(1e-4);
          } finally {
            tiled.dispose();
          }
        }
      } finally {
        fused.dispose();
        unfused.dispose();
        blocks.dispose();
        disposed.push(fused, unfused, blocks);
      }
    });
  }

  it("kernelVariants 'timed': both pointwise variants measured under timestamp queries, the faster one kept, results unchanged", async () => {
    const src = mobilenetV3({ size: 'small', seed: 40 });
    const x = seededInput(77, 224, 224);
    const ref = await (await cpu.load(src)).run(x);
    const m = await gpu.load(src, { kernelVariants: 'timed' });
    try {
      const t = m.kernelVariantTiming!;
      expect(t.basicMs).toBeGreaterThan(0);
      expect(t.tiledMs).toBeGreaterThan(0);
      expect(m.kernelVariants!.pointwise).toBe(t.tiledMs < t.basicMs ? 'tiled' : 'basic');
      console.log(`timed kernel variants on ${gpu.gpu!.adapterName}: basic ${t.basicMs.toFixed(1)} ms, tiled ${t.tiledMs.toFixed(1)} ms -> ${m.kernelVariants!.pointwise}`);
      const cmp = compare(await m.run(x), ref, 1e-3, 1e-3);
      expect(cmp.violations).toBe(0);
      // the model holds one executor's buffers only (the other was disposed)
      const plain = await gpu.load(src, { kernelVariants: { pointwise: m.kernelVariants!.pointwise } });
      expect(m.gpuBuffers).toBe(plain.gpuBuffers);
      plain.dispose();
    } finally {
      m.dispose();
    }
    await expect(gpu.load(src, { kernelVariants: { pointwise: 'huge' as never } })).rejects.toThrow(/invalid option 'kernelVariants.pointwise': 'huge'/);
  });

  it('a wrong-length input rejects with a RangeError naming HxWxC; the model then still runs', async () => {
    const src = mobilenetV3({ size: 'small', width: 0.35, seed: 3 });
    const model = await gpu.load(src);
    try {
      const x = seededInput(77, 224, 224);
      const bad = [new Float32Array(224 * 224 * 3 - 1), new Float32Array(10), new Float32Array(224 * 224 * 4)];
      for (const b of bad) {
        const err = await model.run(b).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(RangeError);
        expect((err as Error).message).toContain('224x224x3');
      }
      const shapeErr = await model.run({ data: x, h: 112, w: 448, c: 3 }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(shapeErr).toBeInstanceOf(RangeError);
      expect((shapeErr as Error).message).toContain('224x224x3');
      const ref = await (await cpu.load(src)).run(x);
      const y = await model.run(x);
      const cmp = compare(y, ref, 1e-3, 1e-3);
      expect(cmp.violations, JSON.stringify(cmp.worst)).toBe(0);
      expect(cmp.relL2).toBeLessThanOrEqual(1e-4);
      expect(await model.run({ data: x, h: 224, w: 224, c: 3 })).toEqual(y);
    } finally {
      model.dispose();
      disposed.push(model);
    }
  });

  it('disposed models hold no GPU buffers and refuse to run', async () => {
    expect(disposed.length).toBe(3 * cases.length + 1);
    for (const m of disposed) expect(m.gpuBuffers).toBe(0);
    const last = disposed[disposed.length - 1];
    const err = await last.run(seededInput(1, 224, 224)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/disposed/);
  });
});
