/**
 * model.loadProfile: the load split into graph / passes / schedule / backend (and, on WebGPU,
 * upload / pipelines / bind groups), with the pipelines a model uses and how many it had to
 * compile: a second load of the same model on the same runtime compiles none.
 */
import { describe, expect, it } from 'vitest';
import { createRuntime, mobilenetV3 } from '../../src/runtime.js';
import { KERNELS } from '../../src/kernels/index.js';
import { overrideKey } from '../../src/kernels/spec.js';

const SKIP = process.env.MNV3_SKIP_GPU === '1';

describe('load profile', () => {
  it.skipIf(SKIP)('webgpu: parts add up; the second load reuses every pipeline', async () => {
    // no prewarm: the first load compiles every pipeline itself (test/gpu/prewarm.test.ts covers prewarming)
    const rt = await createRuntime({ backend: 'webgpu', prewarm: false });
    const a = await rt.load(mobilenetV3({ size: 'small', resolution: 96 }));
    const b = await rt.load(mobilenetV3({ size: 'small', resolution: 96 }));
    for (const m of [a, b]) {
      const p = m.loadProfile!;
      expect(p.graphMs + p.passesMs + p.scheduleMs + p.backendMs).toBeLessThanOrEqual(p.totalMs + 1e-6);
      for (const v of [p.graphMs, p.passesMs, p.scheduleMs, p.backendMs]) expect(v).toBeGreaterThanOrEqual(0);
      expect(p.gpu!.uploadMs + p.gpu!.pipelinesMs + p.gpu!.bindGroupsMs).toBeLessThanOrEqual(p.backendMs + 1e-6);
      // distinct pipelines: fewer than dispatches (layers whose overrides agree share one)
      expect(p.gpu!.pipelines).toBeGreaterThan(0);
      expect(p.gpu!.pipelines).toBeLessThanOrEqual(m.stats.dispatches);
    }
    expect(a.loadProfile!.gpu!.pipelinesCompiled).toBe(a.loadProfile!.gpu!.pipelines);
    expect(b.loadProfile!.gpu!.pipelinesCompiled).toBe(0);
    expect(b.loadProfile!.gpu!.pipelines).toBe(a.loadProfile!.gpu!.pipelines);
    a.dispose();
    b.dispose();
    rt.dispose();
  });

  it.skipIf(SKIP)('webgpu: steps that differ only in param overrides (pointwise ACT / HAS_RES / HAS_SCALE) share a pipeline', async () => {
    const rt = await createRuntime({ backend: 'webgpu' });
    const m = await rt.load(mobilenetV3({ size: 'large', resolution: 96 }), { blockFusion: false, kernelVariants: { pointwise: 'basic', reductions: 'workgroup' } });
    const steps = m.plan.steps;
    const full = new Set(steps.map((s) => `${s.kernel}${JSON.stringify(Object.entries(s.overrides).sort())}`));
    const shared = new Set(steps.map((s) => overrideKey(KERNELS[s.kernel], s.overrides)));
    const pointwise = steps.filter((s) => s.kernel === 'pointwise');
    // Large mixes relu / hswish / none and residual / not in its 1x1 convs: many override sets, one pipeline
    expect(new Set(pointwise.map((s) => JSON.stringify(s.overrides))).size).toBeGreaterThan(3);
    expect([...shared].filter((k) => k.startsWith('pointwise[')).sort()).toEqual(['pointwise[]']);
    expect(shared.size).toBeLessThan(full.size);
    expect(m.loadProfile!.gpu!.pipelines).toBe(shared.size);
    // and the shared pipelines compute what the CPU path does
    const cpu = await (await createRuntime({ backend: 'cpu' })).load(mobilenetV3({ size: 'large', resolution: 96 }));
    const x = new Float32Array(96 * 96 * 3).map((_, i) => Math.sin(i * 0.37));
    const g = await m.run(x);
    const c = await cpu.run(x);
    let d = 0;
    for (let i = 0; i < c.length; i++) d = Math.max(d, Math.abs(g[i] - c[i]));
    expect(d).toBeLessThan(2e-3);
    m.dispose();
    cpu.dispose();
    rt.dispose();
  });

  it('wasm: no GPU part', async () => {
    const rt = await createRuntime({ backend: 'wasm' });
    const m = await rt.load(mobilenetV3({ size: 'small', resolution: 96 }));
    expect(m.loadProfile!.gpu).toBeUndefined();
    expect(m.loadProfile!.totalMs).toBeGreaterThan(0);
    m.dispose();
  });
});
