/**
 * The mask overlay (createMaskOverlay) in Node/Dawn: runFrame with mask 'gpu' and the overlay
 * hook draws the model's mask, tinted, into an rgba8unorm texture in the frame's own submit;
 * its pixels match a CPU computation of the same tint from model.runAll's outputs on the same
 * pixels (a class map, and a logit channel through the sigmoid), over a region of interest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { createRuntime, createMaskOverlay, lraspp, MASK_PALETTE, type Runtime, type Model, type ImageLike, type FrameRegion } from '../../src/index.js';
import { loadImage, IMAGES } from '../helpers/images.js';

const SKIP_GPU = process.env.MNV3_SKIP_GPU === '1';
const photo = (): ImageLike => loadImage(`${IMAGES}/${readdirSync(IMAGES).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort()[0]}`);

function crop(img: ImageLike, r: FrameRegion): ImageLike {
  const ch = img.data.length / (img.width * img.height);
  const out = new Uint8ClampedArray(r.width * r.height * ch);
  for (let y = 0; y < r.height; y++) out.set(img.data.subarray(((r.y + y) * img.width + r.x) * ch, ((r.y + y) * img.width + r.x + r.width) * ch), y * r.width * ch);
  return { data: out, width: r.width, height: r.height };
}

/** The tint the overlay draws, on the CPU: nearest mask sample at each target pixel centre, premultiplied RGBA 0..255. */
function cpuTint(
  values: Float32Array,
  mask: { w: number; h: number; c: number; channel: number },
  mode: 'classes' | 'logits',
  target: { width: number; height: number },
  frame: { width: number; height: number },
  roi: FrameRegion,
  opacity: number,
  color: readonly number[],
): Uint8Array {
  const out = new Uint8Array(target.width * target.height * 4);
  for (let py = 0; py < target.height; py++) {
    for (let px = 0; px < target.width; px++) {
      const ux = (((px + 0.5) * frame.width) / target.width - roi.x) / roi.width;
      const uy = (((py + 0.5) * frame.height) / target.height - roi.y) / roi.height;
      if (ux < 0 || uy < 0 || ux >= 1 || uy >= 1) continue;
      const mx = Math.min(Math.floor(ux * mask.w), mask.w - 1);
      const my = Math.min(Math.floor(uy * mask.h), mask.h - 1);
      const v = values[(my * mask.w + mx) * mask.c + mask.channel];
      let rgb: readonly number[];
      let a: number;
      if (mode === 'classes') {
        const id = Math.max(0, Math.round(v));
        if (id === 0) continue;
        rgb = MASK_PALETTE[id % MASK_PALETTE.length];
        a = opacity;
      } else {
        rgb = color;
        a = Math.min(1, Math.max(0, 1 / (1 + Math.exp(-v)))) * opacity;
      }
      const o = (py * target.width + px) * 4;
      for (let k = 0; k < 3; k++) out[o + k] = Math.round((rgb[k] / 255) * a * 255);
      out[o + 3] = Math.round(a * 255);
    }
  }
  return out;
}

async function readTexture(device: GPUDevice, tex: GPUTexture): Promise<Uint8Array> {
  const bpr = Math.ceil((tex.width * 4) / 256) * 256;
  const buf = device.createBuffer({ size: bpr * tex.height, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  const e = device.createCommandEncoder();
  e.copyTextureToBuffer({ texture: tex }, { buffer: buf, bytesPerRow: bpr }, [tex.width, tex.height]);
  device.queue.submit([e.finish()]);
  await buf.mapAsync(GPUMapMode.READ);
  const raw = new Uint8Array(buf.getMappedRange());
  const out = new Uint8Array(tex.width * tex.height * 4);
  for (let y = 0; y < tex.height; y++) out.set(raw.subarray(y * bpr, y * bpr + tex.width * 4), y * tex.width * 4);
  buf.unmap();
  buf.destroy();
  return out;
}

const worstDiff = (a: Uint8Array, b: Uint8Array): number => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

describe.skipIf(SKIP_GPU)('mask overlay (webgpu, Node/Dawn)', () => {
  let rt: Runtime;
  let model: Model;
  beforeAll(async () => {
    rt = await createRuntime({ backend: 'webgpu' });
    // outputs: 0 = 21-class logits, 1 = the class map (LrasppHeadInfo.maskOutput)
    model = await rt.load(lraspp({ size: 'small', resolution: 96, seed: 3, logits: true }));
  });
  afterAll(() => {
    model?.dispose();
    rt?.dispose();
  });

  for (const mode of ['classes', 'logits'] as const) {
    it(`draws the ${mode === 'classes' ? 'class map (palette)' : 'sigmoid of a logit channel (tint)'} over the region, matching the CPU tint of model.runAll`, async () => {
      const device = model.device!;
      const img = photo();
      const frame = { width: img.width, height: img.height };
      const roi: FrameRegion = { x: 17, y: 9, width: Math.floor(img.width * 0.6), height: Math.floor(img.height * 0.7) };
      const target = device.createTexture({ size: [Math.floor(img.width / 2), Math.floor(img.height / 2)], format: 'rgba8unorm', usage: GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_SRC });
      const opts = mode === 'classes' ? {} : { output: 0, channel: 5, values: 'logits' as const, color: [255, 80, 20] as const, opacity: 0.8 };
      const overlay = createMaskOverlay(model, target, { format: 'rgba8unorm', ...opts });
      expect(overlay.values).toBe(mode);
      const r = await model.runFrame(img, { roi, mask: 'gpu', overlay });
      expect(r.outputs).toEqual([]);
      expect(r.gpuOutputs!.buffers.length).toBe(2);
      const got = await readTexture(device, target);

      const outs = await model.runAll(crop(img, roi));
      const t = model.plan.outputs[overlay.output];
      const want = cpuTint(outs[overlay.output], { w: t.w, h: t.h, c: t.c, channel: overlay.channel }, mode, target, frame, roi, mode === 'classes' ? 0.6 : 0.8, mode === 'classes' ? [0, 0, 0] : [255, 80, 20]);
      // something is drawn, something is not (outside the region)
      let drawn = 0;
      for (let i = 3; i < want.length; i += 4) if (want[i] > 0) drawn++;
      expect(drawn).toBeGreaterThan(want.length / 4 / 10);
      expect(drawn).toBeLessThan(want.length / 4);
      expect(worstDiff(got, want)).toBeLessThanOrEqual(mode === 'classes' ? 1 : 2);
      overlay.dispose();
      expect(overlay.resourceCount).toBe(0);
      target.destroy();
    });
  }

  it('checks its options and its model', async () => {
    const tex = model.device!.createTexture({ size: [4, 4], format: 'rgba8unorm', usage: GPUTextureUsage.RENDER_ATTACHMENT });
    expect(() => createMaskOverlay(model, tex, { output: 7 })).toThrow(/has 2 outputs, not an output 7/);
    expect(() => createMaskOverlay(model, tex, { output: 0, channel: 21 })).toThrow(/channel 21 is not one of output 0's 21 channels/);
    expect(() => createMaskOverlay(model, tex, { opacity: 2 })).toThrow(/opacity 2/);
    const cpu = await createRuntime({ backend: 'cpu' });
    const m = await cpu.load(lraspp({ size: 'small', resolution: 96, seed: 3 }));
    expect(() => createMaskOverlay(m, tex)).toThrow(/not on the webgpu backend/);
    m.dispose();
    tex.destroy();
  });
});
