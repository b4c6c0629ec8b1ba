/**
 * model.loadProfile: the load split into graph / passes / schedule / backend (and, on WebGPU,
 * upload / pipelines / bind groups), with the pipelines a model uses and how many it had to
 * compile: a second load of the same model on the same runtime compiles none.
 */
import { describe, expect, it } from 'vitest';
import { createRuntime, mobilenetV3 } from '../../src/runtime.js';

const SKIP = process.env.MNV3_SKIP_GPU === '1';

describe('load profile', () => {
  it.skipIf(SKIP)('webgpu: parts add up; the second load reuses every pipeline', async () => {
    const rt = await createRuntime({ backend: 'webgpu' });
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

  it('wasm: no GPU part', async () => {
    const rt = await createRuntime({ backend: 'wasm' });
    const m = await rt.load(mobilenetV3({ size: 'small', resolution: 96 }));
    expect(m.loadProfile!.gpu).toBeUndefined();
    expect(m.loadProfile!.totalMs).toBeGreaterThan(0);
    m.dispose();
  });
});
