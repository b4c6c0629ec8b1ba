/**
 * Load / run / dispose cycles in one process (the short form of `npm run soak`, which runs
 * 1,000 and reports RSS and heap): on webgpu every GPU buffer a model creates is destroyed by
 * its dispose, counted at the device (not by the runtime's own counters); on wasm a disposed
 * model holds no memory and refuses to run. Results stay identical across cycles.
 */
import { describe, expect, it } from 'vitest';
import { createRuntime, mobilenetV3 } from '../../src/runtime.js';
import { requestGpu } from '../../src/backends/webgpu/device.js';
import { trackBuffers } from '../helpers/gpu_accounting.js';
import { seededInput } from '../helpers/compare.js';

const SKIP = process.env.MNV3_SKIP_GPU === '1';
const CYCLES = 40;

describe('load / dispose cycles', () => {
  it.skipIf(SKIP)(`webgpu: ${CYCLES} cycles leave no live GPU buffer`, async () => {
    const { device } = await requestGpu();
    const acc = trackBuffers(device);
    const rt = await createRuntime({ device });
    const source = mobilenetV3({ size: 'small', resolution: 96 });
    const x = seededInput(4, 96, 96);
    const baseline = acc.live;
    let ref: number[] | null = null;
    for (let i = 0; i < CYCLES; i++) {
      const m = await rt.load(source);
      expect(acc.live).toBeGreaterThan(baseline);
      expect(m.gpuBuffers).toBe(acc.live - baseline);
      const y = Array.from(await m.run(x));
      ref ??= y;
      expect(y).toEqual(ref);
      m.dispose();
      expect(acc.live, `after cycle ${i + 1}`).toBe(baseline);
    }
    expect(acc.created).toBeGreaterThan(CYCLES);
    rt.dispose();
    device.destroy();
  });

  it(`wasm: ${CYCLES} cycles; a disposed model holds no wasm memory and refuses to run`, async () => {
    const rt = await createRuntime({ backend: 'wasm' });
    const source = mobilenetV3({ size: 'small', resolution: 96 });
    const x = seededInput(4, 96, 96);
    let ref: number[] | null = null;
    for (let i = 0; i < CYCLES; i++) {
      const m = await rt.load(source);
      expect(m.wasmMemoryBytes).toBeGreaterThan(0);
      const y = Array.from(await m.run(x));
      ref ??= y;
      expect(y).toEqual(ref);
      m.dispose();
      expect(m.wasmMemoryBytes).toBe(0);
      if (i === 0) await expect(m.run(x)).rejects.toThrow(/disposed/);
    }
  });
});
