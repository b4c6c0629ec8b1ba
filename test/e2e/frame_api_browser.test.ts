/**
 * The public frame API in Debian chromium (WebGPU on SwiftShader, and the wasm backend), with a
 * trained classifier (MobileNetV3-Small TFLite uint8) and a real photo, driven through
 * test/helpers/frame_api_page.ts on a page of the Vite dev server:
 * - model.runFrame on a VideoFrame, an ImageBitmap and ImageData made from the photo's pixels
 *   gives the same top-1 as model.run on those pixels (GPU preprocess on webgpu, the path
 *   reported; the CPU preprocessing on wasm);
 * - in a Web Worker: runFrame on an OffscreenCanvas, and model.stream over a ReadableStream of
 *   VideoFrames (a 30 ms fake camera): results arrive, the stats count every frame, the dropped
 *   frames are closed;
 * - the mask overlay (createMaskOverlay) draws the selfie model's mask, left on the GPU, into a
 *   texture in the frame's submit, matching the CPU mask; with ANGLE on Vulkan, a VideoFrame
 *   through importExternalTexture ('external'), and the overlay onto a WebGPU canvas over the
 *   page, read back with a screenshot (presenting a WebGPU canvas needs ANGLE on Vulkan here:
 *   CANVAS_ARGS, a second browser).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { resolve } from 'node:path';
import type { ViteDevServer } from 'vite';
import type { Browser, Page } from 'playwright';
import { startDemoServer, launchChromium } from '../helpers/browser.js';
import type { PageReport } from '../helpers/frame_api_shared.js';
import type { CanvasOverlayReport, OverlayReport } from '../helpers/overlay_page.js';
import { PNG } from 'pngjs';

const ROOT = resolve(import.meta.dirname, '../..');
/** ImageNet indices of the cat classes (tabby, tiger cat, Egyptian cat) */
const CATS = [281, 282, 285];
const FRAMES = 12;

let server: ViteDevServer;
let url: string;
let browser: Browser;

beforeAll(async () => {
  ({ server, url } = await startDemoServer({ frozen: true }));
  browser = await launchChromium(true);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function runIn(page: Page, backend: 'webgpu' | 'wasm'): Promise<PageReport> {
  await page.goto(`${url}core.html`);
  await page.addScriptTag({ type: 'module', url: `/@fs${ROOT}/test/helpers/frame_api_page.ts` });
  await page.waitForFunction(() => (window as unknown as { __frameApi?: unknown }).__frameApi !== undefined, undefined, { timeout: 60_000 });
  const r = await page.evaluate(
    ([b, n]) => (window as unknown as { __frameApi: { run(b: string, img: string, n: number): Promise<unknown> } }).__frameApi.run(b as string, 'chelsea.png', n as number),
    [backend, FRAMES] as const,
  );
  expect((r as { error?: string }).error).toBeUndefined();
  return r as PageReport;
}

describe('frame API in chromium (runFrame on browser frames, model.stream in a worker)', () => {
  for (const backend of ['webgpu', 'wasm'] as const) {
    it(`${backend}: runFrame(VideoFrame / ImageBitmap / ImageData) has model.run's top-1; stream in a worker counts its frames`, async () => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const r = await runIn(page, backend);
      expect(r.backend).toBe(backend);
      expect(CATS).toContain(r.ref);
      for (const c of [r.videoFrame, r.bitmap, r.imageData]) expect(c.top1).toBe(r.ref);
      if (backend === 'webgpu') {
        // browser frames go through the GPU preprocess pass (zero-copy where the browser takes it)
        expect(r.videoFrame.framePath).toMatch(/^(external|copy)$/);
        expect(r.bitmap.framePath).toBe('copy');
        expect(r.imageData.framePath).toBe('copy');
        if (r.videoFrame.framePath === 'copy') expect(r.videoFrame.pathNotes.join(' ')).toMatch(/external/);
        expect(r.bitmap.dispatches).toBe(r.imageData.dispatches);
        // GPU bilinear resize vs the CPU oracle, through a uint8 network: close, not bit-equal
        for (const c of [r.videoFrame, r.bitmap, r.imageData]) expect(c.relDiff).toBeLessThan(0.1);
      } else {
        for (const c of [r.videoFrame, r.bitmap, r.imageData]) {
          expect(c.framePath).toBe('pixels');
          expect(c.relDiff).toBeLessThan(1e-5);
        }
        // chromium converts browser frames with VideoFrame.copyTo({ format: 'RGBA' }), no canvas
        expect(r.videoFrame.pixelRead).toBe('copyTo');
        expect(r.bitmap.pixelRead).toBe('copyTo');
        expect(r.imageData.pixelRead).toBe('memory');
        // a region at odd offsets: copyTo's rect gives the region's pixels
        expect(r.roiBitmap.pixelRead).toBe('copyTo');
        expect(r.roiBitmap.relDiff).toBeLessThan(1e-5);
        // where copyTo fails, the frame is read through a canvas, says so, and gives the same result
        const fb = r.canvasFallback!;
        expect(fb.pixelRead).toBe('canvas');
        expect(fb.pathNotes.join(' ')).toMatch(/VideoFrame\.copyTo failed \(simulated copyTo failure\)/);
        expect(fb.top1).toBe(r.ref);
        expect(fb.relDiff).toBeLessThan(1e-5);
      }

      const w = r.worker;
      expect(w.error).toBeUndefined();
      expect(w.backend).toBe(backend);
      expect(w.ref).toBe(r.ref);
      expect(w.canvas!.top1).toBe(r.ref);
      expect(w.canvas!.framePath).toBe(backend === 'webgpu' ? 'copy' : 'pixels');
      const s = w.stats!;
      expect(s.frames).toBe(FRAMES);
      expect(s.errors).toBe(0);
      expect(s.processed).toBeGreaterThanOrEqual(1);
      expect(s.processed + s.dropped).toBe(FRAMES);
      expect(w.streamed!.length).toBe(s.processed);
      expect(new Set(w.streamed)).toEqual(new Set([r.ref]));
      // every frame the stream took was closed, run or dropped
      expect(w.closed).toBe(FRAMES);
      expect(errors).toEqual([]);
      await page.close();
    });
  }

  it('webgpu: the mask overlay draws the mask left on the GPU into a texture, matching the CPU mask', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}core.html`);
    await page.addScriptTag({ type: 'module', url: `/@fs${ROOT}/test/helpers/overlay_page.ts` });
    await page.waitForFunction(() => (window as unknown as { __overlay?: unknown }).__overlay !== undefined, undefined, { timeout: 60_000 });
    const r = (await page.evaluate(() =>
      (window as unknown as { __overlay: { run(img: string, model: string): Promise<unknown> } }).__overlay.run('astronaut.png', '/models/selfie_segmentation.tflite'),
    )) as OverlayReport;
    expect(r.error).toBeUndefined();
    expect(r.framePath).toBe('copy');
    expect(r.outputsLeftOnGpu).toBe(true);
    // the astronaut covers about half of the photo
    expect(r.cpuForeground!).toBeGreaterThan(0.3);
    expect(r.cpuForeground!).toBeLessThan(0.8);
    expect(Math.abs(r.gpuForeground! - r.cpuForeground!)).toBeLessThan(0.01);
    expect(r.disagree!).toBeLessThan(0.01 * 512 * 512);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('webgpu with ANGLE on Vulkan: a VideoFrame takes the zero-copy external-texture path and gives model.run\'s top-1', async () => {
    const canvasBrowser = await launchChromium(true, { canvas: true });
    try {
      const page = await canvasBrowser.newPage();
      const r = await runIn(page, 'webgpu');
      expect(r.backend).toBe('webgpu');
      expect(CATS).toContain(r.ref);
      expect(r.videoFrame.framePath).toBe('external');
      expect(r.videoFrame.top1).toBe(r.ref);
      expect(r.videoFrame.relDiff).toBeLessThan(0.1);
      expect(r.videoFrame.dispatches).toBe(r.bitmap.dispatches);
      await page.close();
    } finally {
      await canvasBrowser.close();
    }
  });

  it('webgpu: the mask overlay draws onto a WebGPU canvas (as in the README), matching the CPU mask on screen', async () => {
    const canvasBrowser = await launchChromium(true, { canvas: true });
    try {
      const page = await canvasBrowser.newPage({ viewport: { width: 640, height: 640 }, deviceScaleFactor: 1 });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${url}core.html`);
      await page.addScriptTag({ type: 'module', url: `/@fs${ROOT}/test/helpers/overlay_page.ts` });
      await page.waitForFunction(() => (window as unknown as { __overlay?: unknown }).__overlay !== undefined, undefined, { timeout: 60_000 });
      const color: [number, number, number] = [79, 179, 255];
      const opacity = 0.6;
      const r = (await page.evaluate(
        ([c, o]) =>
          (window as unknown as { __overlay: { runCanvas(img: string, model: string, c: unknown, o: number): Promise<unknown> } }).__overlay.runCanvas(
            'astronaut.png', '/models/selfie_segmentation.tflite', c, o as number,
          ),
        [color, opacity] as const,
      )) as CanvasOverlayReport;
      expect(r.error).toBeUndefined();
      expect(r.deviceLost).toBeUndefined();
      expect(r.framePath).toBe('copy');
      const { width, height } = r as Required<CanvasOverlayReport>;
      const shot = PNG.sync.read(await page.locator('#overlay-canvas').screenshot());
      expect([shot.width, shot.height]).toEqual([width, height]);
      // over the white page: channel = 255 - alpha * (255 - colour); the mask's edge is score 0.5,
      // i.e. alpha = 0.5 * opacity, where the red channel is 255 - 0.3 * 176 = 202
      const edge = 255 - 0.5 * opacity * (255 - color[0]);
      let fg = 0;
      let disagree = 0;
      let cpuFg = 0;
      for (let i = 0; i < width * height; i++) {
        const on = shot.data[i * 4] < edge ? 1 : 0;
        const want = r.cpuMask!.charCodeAt(i) === 49 ? 1 : 0;
        fg += on;
        cpuFg += want;
        if (on !== want) disagree++;
        // blue is the tint's own channel: never darker than the page where the tint is
        if (on) expect(shot.data[i * 4 + 2]).toBeGreaterThan(240);
      }
      expect(cpuFg / (width * height)).toBeGreaterThan(0.3);
      expect(Math.abs(fg - cpuFg) / (width * height)).toBeLessThan(0.01);
      expect(disagree).toBeLessThan(0.01 * width * height);
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await canvasBrowser.close();
    }
  });
});
