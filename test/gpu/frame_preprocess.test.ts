/**
 * The camera path's GPU preprocess (src/backends/webgpu/frame_preprocess.ts) vs the CPU oracle
 * preprocessImage, on a texture filled with writeTexture (Node has no ImageBitmap): region of
 * interest, central crop, bilinear resize, BGR order and mean/std must agree to float rounding,
 * and the 4th (padding) channel must be 0. Without a WebGPU adapter these tests FAIL; set
 * MNV3_SKIP_GPU=1 to skip them explicitly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/backends/webgpu/device.js';
import { FramePreprocessor, type FrameRoi } from '../../src/backends/webgpu/frame_preprocess.js';
import { preprocessImage, type Preprocess } from '../../src/model/preprocess.js';
import { padChannels } from '../../src/graph/layout.js';
import { Rng } from '../../src/graph/rng.js';

const SKIP = process.env.MNV3_SKIP_GPU === '1';

describe.skipIf(SKIP)('frame preprocess on WebGPU vs preprocessImage', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await requestGpu();
  });
  afterAll(() => gpu?.device.destroy());

  async function run(width: number, height: number, pre: Preprocess, roi: FrameRoi): Promise<{ gpu: Float32Array; cpu: Float32Array }> {
    const { device } = gpu;
    const rng = new Rng(width * 31 + height);
    const pixels = new Uint8Array(width * height * 4);
    for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(rng.next() * 256);
    const texture = device.createTexture({ size: [width, height], format: 'rgba8unorm', usage: GPUTextureUsage.COPY_DST | GPUTextureUsage.TEXTURE_BINDING });
    device.queue.writeTexture({ texture }, pixels, { bytesPerRow: width * 4 }, [width, height]);
    const bytes = pre.width * pre.height * 16;
    const out = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const read = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const fp = new FramePreprocessor(device);
    try {
      const e = device.createCommandEncoder();
      fp.prepareTexture(texture, pre, roi)(e, out);
      e.copyBufferToBuffer(out, 0, read, 0, bytes);
      device.queue.submit([e.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      const g = new Float32Array(read.getMappedRange().slice(0));
      read.unmap();
      // the oracle sees the region of interest as the whole image
      const sub = new Uint8Array(roi.width * roi.height * 4);
      for (let y = 0; y < roi.height; y++) sub.set(pixels.subarray(((roi.y + y) * width + roi.x) * 4, ((roi.y + y) * width + roi.x + roi.width) * 4), y * roi.width * 4);
      const cpu = padChannels(preprocessImage({ data: sub, width: roi.width, height: roi.height }, pre), pre.width * pre.height, 3);
      return { gpu: g, cpu };
    } finally {
      fp.dispose();
      texture.destroy();
      out.destroy();
      read.destroy();
    }
  }

  const expectClose = (a: Float32Array, b: Float32Array): void => {
    expect(a.length).toBe(b.length);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1e-4 + 1e-3 * Math.abs(b[i])));
    expect(worst).toBeLessThanOrEqual(1);
  };

  it('paper preset (crop 0.875, [-1, 1]) over a central square of an odd-sized frame', async () => {
    const pre: Preprocess = { height: 24, width: 24, colorOrder: 'rgb', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], crop: 0.875 };
    const r = await run(41, 29, pre, { x: 6, y: 0, width: 29, height: 29 });
    expectClose(r.gpu, r.cpu);
    for (let p = 0; p < 24 * 24; p++) expect(r.gpu[p * 4 + 3]).toBe(0);
  });

  it('BGR, ImageNet mean/std, upscaling a non-square region to a non-square input', async () => {
    const pre: Preprocess = { height: 20, width: 28, colorOrder: 'bgr', mean: [0.406, 0.456, 0.485], std: [0.225, 0.224, 0.229], crop: 1 };
    const r = await run(17, 13, pre, { x: 2, y: 1, width: 13, height: 11 });
    expectClose(r.gpu, r.cpu);
  });

  it('raw 0..255 input of the whole frame (CenterNet-style)', async () => {
    const pre: Preprocess = { height: 16, width: 16, colorOrder: 'rgb', mean: [0, 0, 0], std: [1 / 255, 1 / 255, 1 / 255], crop: 1 };
    const r = await run(32, 24, pre, { x: 0, y: 0, width: 32, height: 24 });
    expectClose(r.gpu, r.cpu);
  });
});
