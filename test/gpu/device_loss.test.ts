/**
 * Device loss (driver reset, GPU removed, `device.destroy()`): a run in flight rejects with a
 * GpuDeviceLostError that says what happened; the next run requests a new device, rebuilds
 * every model of the runtime on it and gives the same result as before, with the same number
 * of GPU buffers. A device passed in by the caller cannot be replaced: its runs keep
 * rejecting with an error that says so. Node + Dawn (SwiftShader in CI).
 */
import { describe, expect, it } from 'vitest';
import { createRuntime, GpuDeviceLostError, mobilenetV3 } from '../../src/runtime.js';
import { requestGpu } from '../../src/backends/webgpu/device.js';
import { seededInput } from '../helpers/compare.js';
import { rejected } from '../helpers/errors.js';

const SKIP = process.env.MNV3_SKIP_GPU === '1';
const SMALL = { size: 'small', resolution: 96 } as const;
const LARGE = { size: 'large', resolution: 96, seed: 3 } as const;

describe.skipIf(SKIP)('WebGPU device loss', () => {
  it('a run in flight rejects; the next run recreates the device and every model, with the same outputs', async () => {
    const rt = await createRuntime({ backend: 'webgpu' });
    const small = await rt.load(mobilenetV3(SMALL));
    const large = await rt.load(mobilenetV3(LARGE));
    const x = seededInput(1, 96, 96);
    const refSmall = await small.run(x);
    const refLarge = await large.run(x);
    const buffers = [small.gpuBuffers, large.gpuBuffers];
    const first = rt.gpu!.device;

    const inFlight = small.run(x);
    first.destroy();
    const e = await rejected(inFlight);
    expect(e).toBeInstanceOf(GpuDeviceLostError);
    expect(e.message).toMatch(/^model 'mobilenet_v3_small_1_96x96': the WebGPU device was lost \(destroyed.*\); the next run requests a new device and reloads the model$/);
    expect((e as GpuDeviceLostError).recoverable).toBe(true);
    expect(rt.deviceLost).toMatch(/^destroyed/);

    const again = await small.run(x);
    expect(rt.gpu!.device).not.toBe(first);
    expect(rt.deviceLost).toBeNull();
    expect(rt.deviceRecoveries).toBe(1);
    expect(Array.from(again)).toEqual(Array.from(refSmall));
    // the other model of the runtime follows onto the new device
    expect(Array.from(await large.run(x))).toEqual(Array.from(refLarge));
    expect([small.gpuBuffers, large.gpuBuffers]).toEqual(buffers);
    // loading after a loss works too
    first.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const third = await rt.load(mobilenetV3(SMALL));
    expect(Array.from(await third.run(x))).toEqual(Array.from(refSmall));
    expect(rt.deviceRecoveries).toBe(1);
    for (const m of [small, large, third]) m.dispose();
    rt.dispose();
  });

  it('a device lost between runs: the next run recovers without an error', async () => {
    const rt = await createRuntime({ backend: 'webgpu' });
    const m = await rt.load(mobilenetV3(SMALL));
    const x = seededInput(2, 96, 96);
    const ref = await m.run(x);
    rt.gpu!.device.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect(rt.deviceLost).toMatch(/^destroyed/);
    expect(Array.from(await m.run(x))).toEqual(Array.from(ref));
    expect(rt.deviceRecoveries).toBe(1);
    m.dispose();
    rt.dispose();
  });

  it("a caller's device cannot be replaced: runs reject and say so, the runtime does not destroy it", async () => {
    const ctx = await requestGpu();
    const rt = await createRuntime({ device: ctx.device });
    const m = await rt.load(mobilenetV3(SMALL));
    const x = seededInput(3, 96, 96);
    await m.run(x);
    ctx.device.destroy();
    for (let i = 0; i < 2; i++) {
      const e = await rejected(m.run(x));
      expect(e).toBeInstanceOf(GpuDeviceLostError);
      expect(e.message).toMatch(/passed in by the caller, so create a new runtime with a new device/);
    }
    // a fresh runtime on a fresh device works
    const rt2 = await createRuntime({ backend: 'webgpu' });
    const m2 = await rt2.load(mobilenetV3(SMALL));
    expect((await m2.run(x)).length).toBe(1000);
    m2.dispose();
    rt2.dispose();
  });
});
