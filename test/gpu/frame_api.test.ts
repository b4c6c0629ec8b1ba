/**
 * The public frame API (model.runFrame, model.stream) in Node: the same answer as model.run on
 * the same pixels on every backend, the region of interest, a GPUTexture source through the GPU
 * preprocess pass (vs the CPU oracle), outputs kept on the GPU, the errors, and the stream
 * helper's latest-frame-wins dropping with a fake camera.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { createRuntime, mobilenetV3, type Runtime, type Model } from '../../src/index.js';
import type { ImageLike } from '../../src/model/preprocess.js';
import { loadImage, IMAGES } from '../helpers/images.js';
import { rejected } from '../helpers/errors.js';

const SKIP_GPU = process.env.MNV3_SKIP_GPU === '1';
const photo = (): ImageLike & { data: Uint8Array } => loadImage(`${IMAGES}/${readdirSync(IMAGES).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort()[0]}`);
const argmax = (v: Float32Array): number => v.reduce((b, x, i) => (x > v[b] ? i : b), 0);
const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

function crop(img: ImageLike, x: number, y: number, w: number, h: number): ImageLike {
  const ch = img.data.length / (img.width * img.height);
  const out = new Uint8ClampedArray(w * h * ch);
  for (let r = 0; r < h; r++) out.set(img.data.subarray(((y + r) * img.width + x) * ch, ((y + r) * img.width + x + w) * ch), r * w * ch);
  return { data: out, width: w, height: h };
}

const SRC = () => mobilenetV3({ size: 'small', width: 0.75, resolution: 96, seed: 5 });

for (const backend of ['cpu', 'wasm', 'webgpu'] as const) {
  describe.skipIf(backend === 'webgpu' && SKIP_GPU)(`runFrame on ${backend}`, () => {
    let rt: Runtime;
    let model: Model;
    beforeAll(async () => {
      rt = await createRuntime({ backend });
      model = await rt.load(SRC());
    });
    afterAll(() => {
      model?.dispose();
      if (backend === 'webgpu') expect(model.gpuBuffers).toBe(0);
      rt?.dispose();
    });

    it('an in-memory photo: the same outputs and top-1 as model.run, decoded, with timings', async () => {
      const img = photo();
      const ref = await model.run(img);
      const r = await model.runFrame(img);
      expect(r.framePath).toBe(backend === 'webgpu' ? 'pixels-gpu' : 'pixels');
      expect(maxDiff(r.outputs[0], ref)).toBeLessThan(1e-3 * Math.max(1, ...ref.map(Math.abs)));
      expect(r.result?.kind).toBe('classification');
      if (r.result?.kind !== 'classification') return;
      expect(r.result.top5[0].index).toBe(argmax(ref));
      expect(r.frame).toEqual({ width: img.width, height: img.height });
      const t = r.timings;
      for (const v of [t.preprocessMs, t.networkMs, t.readbackMs, t.postMs]) expect(v).toBeGreaterThanOrEqual(0);
      expect(t.preprocessMs + t.networkMs + t.readbackMs + t.postMs).toBeLessThanOrEqual(t.totalMs + 1e-6);
      expect(r.dispatches).toBe(model.stats.dispatches);
    });

    it('roi: a region and the central square are what model.run sees of the cropped pixels', async () => {
      const img = photo();
      const region = { x: 10, y: 20, width: 120, height: 90 };
      const a = await model.runFrame(img, { roi: region, decode: false });
      expect(a.result).toBeUndefined();
      expect(maxDiff(a.outputs[0], await model.run(crop(img, 10, 20, 120, 90)))).toBeLessThan(1e-3 * 10);
      const c = await model.runFrame(img, { roi: 'center' });
      const side = Math.min(img.width, img.height);
      expect(c.roi).toEqual({ x: Math.floor((img.width - side) / 2), y: Math.floor((img.height - side) / 2), width: side, height: side });
      expect(maxDiff(c.outputs[0], await model.run(crop(img, c.roi.x, c.roi.y, side, side)))).toBeLessThan(1e-3 * 10);
    });

    it('bad sources and regions are named and leave the model usable', async () => {
      const img = photo();
      expect((await rejected(model.runFrame({ width: 3 } as never))).message).toMatch(/runFrame takes an HTMLVideoElement.*not Object/);
      expect((await rejected(model.runFrame(img, { roi: { x: 0, y: 0, width: img.width + 1, height: 4 } }))).message).toMatch(/roi .* must be whole pixels inside the \d+x\d+ frame/);
      if (backend !== 'webgpu') expect((await rejected(model.runFrame(img, { mask: 'gpu' }))).message).toMatch(/mask 'gpu' needs the webgpu backend/);
      expect((await model.runFrame(img)).outputs[0].length).toBe(1000);
    });
  });
}

describe.skipIf(SKIP_GPU)('runFrame GPU sources (webgpu, Node/Dawn)', () => {
  let rt: Runtime;
  let model: Model;
  beforeAll(async () => {
    rt = await createRuntime({ backend: 'webgpu' });
    model = await rt.load(SRC());
  });
  afterAll(() => {
    model?.dispose();
    rt?.dispose();
  });

  it('a GPUTexture goes through the GPU preprocess pass and matches the CPU path; outputs can stay on the GPU', async () => {
    const img = photo();
    const device = model.device!;
    const rgba = new Uint8Array(img.width * img.height * 4);
    const ch = img.data.length / (img.width * img.height);
    for (let p = 0; p < img.width * img.height; p++) {
      for (let k = 0; k < 3; k++) rgba[p * 4 + k] = img.data[p * ch + k];
      rgba[p * 4 + 3] = 255;
    }
    const tex = device.createTexture({ size: [img.width, img.height], format: 'rgba8unorm', usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST });
    device.queue.writeTexture({ texture: tex }, rgba, { bytesPerRow: img.width * 4 }, [img.width, img.height]);
    const ref = await model.run(img);
    const r = await model.runFrame(tex);
    expect(r.framePath).toBe('texture');
    expect(r.dispatches).toBe(model.stats.dispatches + 1);
    // the GPU resize matches the CPU oracle to float rounding; logits agree to a loose bound and on the top-1
    expect(maxDiff(r.outputs[0], ref)).toBeLessThan(2e-2 * Math.max(1, ...ref.map(Math.abs)));
    expect(r.result?.kind === 'classification' && r.result.top5[0].index).toBe(argmax(ref));
    const g = await model.runFrame(tex, { mask: 'gpu' });
    expect(g.outputs).toEqual([]);
    expect(g.gpuOutputs!.buffers.length).toBe(1);
    expect(g.gpuOutputs!.shapes[0]).toEqual({ h: 1, w: 1, c: 1000, c4: 1000 });
    const wrong = device.createTexture({ size: [8, 8], format: 'rgba16float', usage: GPUTextureUsage.TEXTURE_BINDING });
    expect((await rejected(model.runFrame(wrong))).message).toMatch(/GPUTexture format 'rgba16float'/);
    tex.destroy();
    wrong.destroy();
  });

  it('frames submitted back to back (the staging ring) each get their own outputs', async () => {
    const img = photo();
    const half = crop(img, 0, 0, Math.floor(img.width / 2), img.height);
    const [a, b, c] = await Promise.all([model.runFrame(img), model.runFrame(half), model.runFrame(img)]);
    expect(maxDiff(a.outputs[0], await model.run(img))).toBeLessThan(1e-3 * 10);
    expect(maxDiff(b.outputs[0], await model.run(half))).toBeLessThan(1e-3 * 10);
    expect(maxDiff(a.outputs[0], c.outputs[0])).toBe(0);
  });
});

describe('model.stream (fake camera, cpu backend)', () => {
  it('latest frame wins: frames arriving while one is in flight are dropped and counted', async () => {
    const rt = await createRuntime({ backend: 'cpu' });
    const model = await rt.load(mobilenetV3({ size: 'small', width: 0.35, resolution: 96, seed: 1 }));
    const img = photo();
    const callbacks: ((now: number) => void)[] = [];
    const camera = { ...img, requestVideoFrameCallback: (cb: (now: number) => void) => callbacks.push(cb), cancelVideoFrameCallback: () => undefined };
    const tick = (): void => callbacks.splice(0).forEach((cb) => cb(performance.now()));
    const results: number[] = [];
    let resolveNext: (() => void) | null = null;
    const s = model.stream(camera, (r) => {
      results.push(r.result?.kind === 'classification' ? r.result.top5[0].index : -1);
      resolveNext?.();
    });
    const next = (): Promise<void> => new Promise((r) => (resolveNext = r));
    let got = next();
    tick(); // frame 1 starts
    tick(); // 2..4 arrive while 1 is in flight
    tick();
    tick();
    await got;
    expect(s.stats).toMatchObject({ frames: 4, processed: 1, dropped: 3, errors: 0 });
    got = next();
    tick(); // frame 5 runs
    await got;
    expect(s.stats).toMatchObject({ frames: 5, processed: 2, dropped: 3 });
    await s.stop();
    tick();
    await s.done;
    expect(s.stats.processed).toBe(2);
    expect(results).toEqual([argmax(await model.run(img)), argmax(await model.run(img))]);
    model.dispose();
    rt.dispose();
  });

  it('an async iterable of frames: drops while busy, ends when the source ends; a failure without onError rejects done', async () => {
    const rt = await createRuntime({ backend: 'cpu' });
    const model = await rt.load(mobilenetV3({ size: 'small', width: 0.35, resolution: 96, seed: 1 }));
    const img = photo();
    async function* frames(): AsyncGenerator<ImageLike> {
      for (let i = 0; i < 6; i++) yield img; // no delay: all but the first arrive while it runs
    }
    const s = model.stream(frames(), () => undefined);
    await s.done;
    expect(s.stats.frames).toBe(6);
    expect(s.stats.processed + s.stats.dropped).toBe(6);
    expect(s.stats.dropped).toBeGreaterThan(0);
    async function* bad(): AsyncGenerator<ImageLike> {
      yield { data: new Uint8Array(5), width: 2, height: 2 };
    }
    const b = model.stream(bad(), () => undefined);
    expect((await rejected(b.done)).message).toMatch(/neither RGB nor RGBA/);
    model.dispose();
    rt.dispose();
  });
});
