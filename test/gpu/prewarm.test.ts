/**
 * RuntimeOptions.prewarm: the pipelines a WebGPU runtime compiles before its first load. The
 * list (src/backends/webgpu/prewarm.ts) against real plans: every pipeline of the Small / Large /
 * minimalistic MobileNetV3 plans and the official uint8 TFLite file (steps plans with the im2col stem
 * and blocks plans with the conv2d stem, as on software / hardware adapters) is
 * prewarmed, and every prewarmed one is used by one of them; a load after the prewarm compiles
 * nothing, and prewarm: false compiles everything at load.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRuntime, mobilenetV3, planSource } from '../../src/runtime.js';
import { importTflite } from '../../src/import/tflite.js';
import { KERNELS } from '../../src/kernels/index.js';
import { overrideKey } from '../../src/kernels/spec.js';
import { prewarmKeys } from '../../src/backends/webgpu/prewarm.js';
import { variantKernel } from '../../src/backends/webgpu/executor.js';

const SKIP = process.env.MNV3_SKIP_GPU === '1';
const UINT8 = new Uint8Array(readFileSync('../shared/models/v3-small_224_1.0_uint8.tflite'));

describe('prewarm', () => {
  for (const blocks of [false, true]) {
    for (const reductions of ['workgroup', 'subgroups'] as const) {
      it(`${blocks ? 'blocks' : 'steps'} plans, ${reductions}: the prewarm list is what the MobileNetV3 plans compile`, () => {
        const variants = { pointwise: 'basic' as const, reductions };
        const sources = [
          () => mobilenetV3({ size: 'small' }),
          () => mobilenetV3({ size: 'large' }),
          () => mobilenetV3({ size: 'large', minimalistic: true }),
          () => mobilenetV3({ size: 'small', width: 0.75, resolution: 160 }),
          () => importTflite(UINT8, 'v3-small_224_1.0_uint8.tflite'),
        ];
        const used = new Set<string>();
        const native = new Set<string>();
        sources.forEach((src, i) => {
          for (const s of planSource(src(), { blockFusion: blocks, im2col: !blocks }).steps) {
            const k = variantKernel(s.kernel, s.params.pixels, variants);
            const key = overrideKey(KERNELS[k], s.overrides);
            used.add(key);
            if (i < 4) native.add(key);
          }
        });
        const warm = new Set(prewarmKeys(blocks, variants).map(([k, o]) => overrideKey(KERNELS[k], o)));
        for (const k of native) expect(warm, `plan pipeline ${k} is not prewarmed`).toContain(k);
        for (const k of warm) expect(used, `prewarmed ${k} is used by none of the plans`).toContain(k);
      });
    }
  }

  it.skipIf(SKIP)('webgpu: a load after the prewarm compiles no pipeline; prewarm: false compiles them all at load', async () => {
    const rt = await createRuntime({ backend: 'webgpu' });
    expect(rt.prewarmed).not.toBeNull();
    await rt.prewarmed;
    const a = await rt.load(importTflite(UINT8, 'v3-small_224_1.0_uint8.tflite'));
    expect(a.loadProfile!.gpu!.pipelines).toBeGreaterThan(5);
    expect(a.loadProfile!.gpu!.pipelinesCompiled).toBe(0);
    a.dispose();
    rt.dispose();

    const cold = await createRuntime({ backend: 'webgpu', prewarm: false });
    expect(cold.prewarmed).toBeNull();
    const b = await cold.load(importTflite(UINT8, 'v3-small_224_1.0_uint8.tflite'));
    expect(b.loadProfile!.gpu!.pipelinesCompiled).toBe(b.loadProfile!.gpu!.pipelines);
    b.dispose();
    cold.dispose();
    await expect(createRuntime({ backend: 'webgpu', prewarm: 'yes' as unknown as boolean })).rejects.toThrow(/invalid option 'prewarm'/);
  });
});
