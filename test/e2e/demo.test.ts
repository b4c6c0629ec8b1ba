/**
 * The live camera demo (demo/index.html) in Debian chromium, with fake cameras playing real
 * photos (Y4M written by test/helpers/y4m.ts):
 * - classify: the cat video gives a cat label on WebGPU (worker, bitmap frame path, HUD);
 * - switching tasks 20 times leaves the live GPU buffer count where it was;
 * - segment: the astronaut's mask covers the person and not the background (wasm, and WebGPU
 *   with the GPU mask layer or its read-back fallback);
 * - detect: messi5 gets a person box;
 * - without WebGPU the CPU path runs and the page says so;
 * - camera denied: a message, the file input works and the chosen image is classified.
 * Screenshots go to test-results/demo/. SwiftShader is slow: few frames, small videos.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync } from 'node:fs';
import type { ViteDevServer } from 'vite';
import type { Browser, Page } from 'playwright';
import { startDemoServer } from '../helpers/browser.js';
import { PNG } from 'pngjs';
import { IMAGES } from '../helpers/images.js';
import { assetPath } from '../helpers/assets.js';
import { fakeCameraVideo, launchDemoBrowser, openDemo, waitForDemo, demoState, maskCoverage, type DemoState } from '../helpers/demo_page.js';

const OUT = 'test-results/demo';
const CAT = /Egyptian cat|tabby|tiger cat/;

let server: ViteDevServer;
let url: string;
const browsers: Browser[] = [];

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  ({ server, url } = await startDemoServer());
});
afterAll(async () => {
  for (const b of browsers) await b.close().catch(() => undefined);
  await server?.close();
});

async function browser(opts: { webgpu: boolean; photo?: string; extraArgs?: string[]; canvas?: boolean }): Promise<Browser> {
  const b = await launchDemoBrowser({ webgpu: opts.webgpu, video: opts.photo ? fakeCameraVideo(opts.photo, OUT) : undefined, extraArgs: opts.extraArgs, canvas: opts.canvas });
  browsers.push(b);
  return b;
}

const hudText = (page: Page): Promise<string> => page.locator('#hud').innerText();
const shot = (page: Page, name: string): Promise<Buffer> => page.screenshot({ path: `${OUT}/${name}.png` });

describe('live demo page (chromium, fake camera from photos)', () => {
  let gpuBrowser: Browser;

  it('classify: the cat video shows a cat label on WebGPU, in a worker, with the HUD', async () => {
    gpuBrowser = await browser({ webgpu: true, photo: 'chelsea.png' });
    const { page, errors } = await openDemo(gpuBrowser, url, 'task=classify&backend=webgpu');
    const s = await waitForDemo(page, (d) => d.frames >= 2 || d.phase === 'error', 'two classified camera frames');
    expect(s.messages.join('\n')).not.toMatch(/failed|could not/i);
    expect(s.backend).toBe('webgpu');
    expect(s.thread).toBe('worker');
    expect(s.camera).toBe('on');
    expect(s.top5![0].label).toMatch(CAT);
    // the DESIGN.md section 4 chain: on SwiftShader the external texture is refused, the bitmap path works
    expect(s.framePath).toMatch(/copyExternalImageToTexture → GPU preprocess|importExternalTexture/);
    expect(s.dispatches).toBeGreaterThan(10);
    expect(s.timings!.netMs).toBeGreaterThan(0);
    expect(s.liveGpuBuffers).toBeGreaterThan(0);
    await expect.poll(() => page.locator('#result .bar-row.top').getAttribute('data-label')).toMatch(CAT);
    await expect.poll(() => hudText(page), { timeout: 15_000 }).toMatch(/fps\s+[\d.]+ inferences\/s · camera \d+ fps/);
    const hud = await hudText(page);
    expect(hud).toMatch(/preprocess [\d.]+ \+ network [\d.]+.*read-back/s);
    expect(hud).toMatch(/dropped\s+\d+ of \d+ camera frames/);
    expect(hud).toMatch(/adapter\s+\S+/);
    await shot(page, 'classify');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('switching tasks 20 times does not grow the live GPU buffers', async () => {
    // no camera: only model loads, so the count is the models' and the frame path's buffers
    const { page, errors } = await openDemo(gpuBrowser, url, 'task=classify&backend=webgpu&camera=0');
    let s = await waitForDemo(page, (d) => d.loads >= 1 || d.phase === 'error', 'the first model');
    expect(s.backend).toBe('webgpu');
    const perTask = new Map<string, number>([[s.task, s.liveGpuBuffers]]);
    const cycle = ['segment', 'classify', 'detect', 'classify', 'segment'];
    for (let i = 0; i < 20; i++) {
      const task = cycle[i % cycle.length];
      const loads = s.loads;
      await page.selectOption('#task', task);
      s = await waitForDemo(page, (d) => (d.loads > loads && d.phase === 'ready') || d.phase === 'error', `switch ${i + 1} to ${task}`);
      expect(s.task).toBe(task);
      expect(s.messages.join('\n')).not.toMatch(/could not/i);
      // one live model: the frame path's few buffers plus the current model's
      expect(s.liveGpuBuffers - s.modelGpuBuffers).toBeLessThan(8);
      if (!perTask.has(task)) perTask.set(task, s.liveGpuBuffers);
      expect(s.liveGpuBuffers, `after switch ${i + 1} (${task})`).toBe(perTask.get(task));
    }
    expect(perTask.size).toBe(3);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('a zero-copy import that breaks the device (ANGLE SwiftShader): the page restarts the runtime and keeps classifying', async () => {
    // DESIGN.md section 4: with these flags importExternalTexture succeeds, then the device is
    // lost at the submit; the engine bans that path, the page recreates the runtime
    const b = await browser({ webgpu: true, photo: 'chelsea.png', extraArgs: ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'] });
    const { page, errors } = await openDemo(b, url, 'task=classify&backend=webgpu');
    const s = await waitForDemo(page, (d) => d.frames >= 2 || d.phase === 'error', 'two classified frames after the recovery');
    expect(s.backend).toBe('webgpu');
    expect(s.top5![0].label).toMatch(CAT);
    expect(s.framePath).toMatch(/GPU preprocess/);
    if (s.pathNotes.some((n) => /broke/.test(n))) expect(s.framePath).toMatch(/copyExternalImageToTexture/);
    expect(errors).toEqual([]);
    await b.close();
  });

  it('device loss (device.destroy() from the page) while classifying: the page says so, restarts the runtime and carries on', async () => {
    const b = await browser({ webgpu: true, photo: 'chelsea.png' });
    const { page, errors } = await openDemo(b, url, 'task=classify&backend=webgpu');
    let s = await waitForDemo(page, (d) => d.frames >= 1 || d.phase === 'error', 'a classified frame before the loss');
    expect(s.backend).toBe('webgpu');
    const before = s.frames;
    expect(await page.evaluate(() => (window as unknown as { __demo: { loseDevice: () => Promise<boolean> } }).__demo.loseDevice())).toBe(true);
    s = await waitForDemo(page, (d) => (d.deviceLosses >= 1 && d.frames >= before + 2) || d.phase === 'error', 'two frames after the device loss');
    expect(s.deviceLosses).toBe(1);
    expect(s.backend).toBe('webgpu');
    expect(s.top5![0].label).toMatch(CAT);
    await expect.poll(() => hudText(page)).toMatch(/device losses\s+1 \(the runtime was restarted/);
    // a simulated loss says nothing about the zero-copy path: it is not banned for it
    expect(s.pathNotes.join(' ')).not.toMatch(/broke right after/);
    expect(errors).toEqual([]);
    await b.close();
  });

  it('segment: the astronaut video gets a mask over the person, not the background', async () => {
    const b = await browser({ webgpu: true, photo: 'astronaut.png' });
    const { page, errors } = await openDemo(b, url, 'task=segment');
    const s = await waitForDemo(page, (d) => (d.frames >= 1 && d.mask !== null) || d.phase === 'error', 'a mask');
    expect(s.model).toMatch(/selfie/);
    // 512x512 photo centre-cropped to 4:3: the orange suit fills the lower left, the face the upper middle
    expect(await maskCoverage(page, 0.15, 0.6, 0.5, 1)).toBeGreaterThan(0.8);
    expect(await maskCoverage(page, 0.38, 0.12, 0.55, 0.35)).toBeGreaterThan(0.6);
    expect(await maskCoverage(page, 0, 0, 0.15, 0.3)).toBeLessThan(0.15);
    expect(await maskCoverage(page, 0.8, 0, 1, 0.3)).toBeLessThan(0.15);
    await expect.poll(() => page.locator('#result').innerText()).toMatch(/foreground covers/);
    await shot(page, 'segment');
    expect(errors).toEqual([]);
    await b.close();
  });

  it('segment on WebGPU: the mask stays on the GPU (mask layer), or, where the canvas breaks the device, is read back; either way it covers the person', async () => {
    const b = await browser({ webgpu: true, photo: 'astronaut.png' });
    const { page, errors } = await openDemo(b, url, 'task=segment&backend=webgpu');
    const s = await waitForDemo(page, (d) => (d.frames >= 2 && d.mask !== null) || d.phase === 'error', 'a mask on WebGPU');
    expect(s.backend).toBe('webgpu');
    expect(s.framePath).toMatch(/GPU preprocess/);
    // headless chromium on SwiftShader loses the device on any WebGPU canvas: the engine finds out before the model loads
    if (!s.mask!.gpu) expect(s.pathNotes.join(' ')).toMatch(/GPU mask layer not used: drawing into the canvas lost the GPU device/);
    expect(s.deviceLosses).toBe(0);
    expect(await maskCoverage(page, 0.15, 0.6, 0.5, 1)).toBeGreaterThan(0.8);
    expect(await maskCoverage(page, 0, 0, 0.15, 0.3)).toBeLessThan(0.15);
    await expect.poll(() => page.locator('#result').innerText(), { timeout: 10_000 }).toMatch(/foreground covers/);
    expect(errors).toEqual([]);
    await b.close();
  });

  it('segment on WebGPU where a WebGPU canvas presents (ANGLE on Vulkan): the mask stays on the GPU and the mask layer shows it over the person', async () => {
    const b = await browser({ webgpu: true, photo: 'astronaut.png', canvas: true });
    const { page, errors } = await openDemo(b, url, 'task=segment&backend=webgpu');
    const s = await waitForDemo(page, (d) => (d.frames >= 3 && d.mask !== null) || d.phase === 'error', 'a GPU-drawn mask');
    expect(s.backend).toBe('webgpu');
    expect(s.mask!.gpu).toBe(true);
    expect(s.pathNotes.join(' ')).not.toMatch(/GPU mask layer not used/);
    expect(s.deviceLosses).toBe(0);
    // what the mask layer shows: screenshots of the mask layer's box with the layer shown and
    // hidden (the fake camera's frames are all the same photo): tinted over the person, clear over the sky
    const layer = page.locator('#mask-layer');
    expect(await layer.isVisible()).toBe(true);
    const clip = (await layer.boundingBox())!;
    const withMask = PNG.sync.read(await page.screenshot({ clip }));
    await layer.evaluate((el) => ((el as HTMLElement).style.visibility = 'hidden'));
    const without = PNG.sync.read(await page.screenshot({ clip }));
    await layer.evaluate((el) => ((el as HTMLElement).style.visibility = ''));
    expect([without.width, without.height]).toEqual([withMask.width, withMask.height]);
    const tinted = (fx0: number, fy0: number, fx1: number, fy1: number): number => {
      let on = 0;
      let n = 0;
      for (let y = Math.floor(fy0 * withMask.height); y < Math.floor(fy1 * withMask.height); y++) {
        for (let x = Math.floor(fx0 * withMask.width); x < Math.floor(fx1 * withMask.width); x++) {
          const i = (y * withMask.width + x) * 4;
          n++;
          if (Math.max(...[0, 1, 2].map((c) => Math.abs(withMask.data[i + c] - without.data[i + c]))) > 20) on++;
        }
      }
      return on / n;
    };
    expect(tinted(0.15, 0.6, 0.5, 1)).toBeGreaterThan(0.8);
    expect(tinted(0, 0, 0.15, 0.3)).toBeLessThan(0.15);
    // and readMask (the mask read back on demand) agrees
    expect(await maskCoverage(page, 0.15, 0.6, 0.5, 1)).toBeGreaterThan(0.8);
    await shot(page, 'segment-gpu-mask');
    expect(errors).toEqual([]);
    await b.close();
  });

  it('detect: the messi5 video gets a person box', async () => {
    const b = await browser({ webgpu: true, photo: 'messi5.jpg' });
    const { page, errors } = await openDemo(b, url, 'task=detect');
    const s = await waitForDemo(page, (d) => (d.frames >= 1 && d.detections !== null) || d.phase === 'error', 'detections');
    expect(s.model).toMatch(/centernet/);
    const people = s.detections!.filter((d) => d.label === 'person' && d.score > 0.3);
    expect(people.length).toBeGreaterThan(0);
    const [x1, y1, x2, y2] = people[0].box;
    // the player stands in the middle of the 320x240 frame and is most of its height
    expect((x1 + x2) / 2).toBeGreaterThan(80);
    expect((x1 + x2) / 2).toBeLessThan(240);
    expect(y2 - y1).toBeGreaterThan(120);
    await expect.poll(() => page.locator('#result').innerText()).toMatch(/person/);
    await shot(page, 'detect');
    expect(errors).toEqual([]);
    await b.close();
  });

  describe('without WebGPU', () => {
    let cpuBrowser: Browser;
    beforeAll(async () => {
      cpuBrowser = await browser({ webgpu: false, photo: 'chelsea.png' });
    });

    it('classify runs on the CPU path and the page says so', async () => {
      const { page, errors } = await openDemo(cpuBrowser, url, 'task=classify&backend=auto');
      const s: DemoState = await waitForDemo(page, (d) => d.frames >= 1 || d.phase === 'error', 'a classified frame');
      expect(['wasm', 'cpu']).toContain(s.backend);
      expect(s.reason).toMatch(/no WebGPU/);
      if (s.backend === 'wasm') {
        // the demo is cross-origin isolated, so its worker gets the thread pool (all the
        // hardware's threads) and chromium validates relaxed SIMD
        expect(s.reason).toMatch(/wasm: \d+ threads?, relaxed SIMD/);
        expect(s.reason).not.toMatch(/single-threaded/);
      }
      expect(s.top5![0].label).toMatch(CAT);
      expect(s.framePath).toMatch(/getImageData → CPU preprocess/);
      // the worker's camera frames come out with VideoFrame.copyTo, not a canvas
      if (s.backend === 'wasm') expect(s.framePath).toMatch(/pixels read: VideoFrame\.copyTo/);
      await expect.poll(() => page.locator('#message').innerText()).toMatch(/WebGPU is not available here.*CPU path/s);
      expect(await hudText(page)).toMatch(/adapter\s+none \(CPU path\)/);
      await shot(page, 'cpu');
      expect(errors).toEqual([]);
      await page.context().close();
    });

    it("backend 'webgpu' without WebGPU: a specific message, and the CPU path takes over", async () => {
      // also the page-thread engine (?worker=0), the fallback where workers are unusable
      const { page, errors } = await openDemo(cpuBrowser, url, 'task=classify&backend=webgpu&camera=0&worker=0');
      const s = await waitForDemo(page, (d) => d.loads >= 1 || d.phase === 'error', 'the model on the fallback backend');
      expect(['wasm', 'cpu']).toContain(s.backend);
      expect(s.thread).toBe('main');
      expect(s.messages.join('\n')).toMatch(/WebGPU backend is unavailable: .*WebGPU.*\n.*CPU path/);
      expect(await page.locator('#backend').inputValue()).toBe('auto');
      expect(errors).toEqual([]);
      await page.context().close();
    });

    it('load model: TF.js model.json + .bin from the file input; a broken file leaves the previous model running', async () => {
      const { page, errors } = await openDemo(cpuBrowser, url, 'task=classify&camera=0&image=/images/astronaut.png');
      let s = await waitForDemo(page, (d) => (d.frames >= 1 && d.source === 'image') || d.phase === 'error', 'the sample image classified');
      expect(s.top5).not.toBeNull();
      const dir = assetPath('human-models');
      let loads = s.loads;
      await page.locator('#load-model summary').click();
      await page.setInputFiles('#model-files', [`${dir}/selfie.json`, `${dir}/selfie.bin`]);
      s = await waitForDemo(page, (d) => (d.loads > loads && d.mask !== null) || d.phase === 'error', 'the loaded TF.js selfie model');
      expect(s.task).toBe('segment');
      expect(s.modelId).toBe('custom');
      expect(await page.locator('#task').inputValue()).toBe('segment');
      expect(await maskCoverage(page, 0.3, 0.8, 0.6, 1)).toBeGreaterThan(0.8);
      loads = s.loads;
      await page.setInputFiles('#model-files', { name: 'broken.tflite', mimeType: 'application/octet-stream', buffer: Buffer.from('not a flatbuffer at all') });
      s = await waitForDemo(page, (d) => d.messages.some((m) => /Could not load the model/.test(m)) || d.phase === 'error', 'the load error');
      expect(s.messages.join('\n')).toMatch(/Could not load the model: broken\.tflite: .*Still running the previous model \(selfie\)/);
      expect(s.phase).toBe('ready');
      expect(s.loads).toBe(loads);
      expect(s.model).toBe('selfie');
      await expect.poll(() => page.locator('#model').inputValue()).toBe('custom');
      expect(errors).toEqual([]);
      await page.context().close();
    });

    it('camera denied: the message and the file input appear, and a chosen image is classified', async () => {
      const { page, errors } = await openDemo(cpuBrowser, url, 'task=classify', { denyCamera: true });
      let s = await waitForDemo(page, (d) => (d.camera === 'denied' && d.loads >= 1) || d.phase === 'error', 'the camera refusal');
      expect(s.source).toBe('none');
      const msg = page.locator('#message');
      await expect.poll(() => msg.isVisible()).toBe(true);
      expect(await msg.innerText()).toMatch(/Camera permission was denied[\s\S]*drop an image[\s\S]*open image…/);
      expect(await page.locator('#image-label').isVisible()).toBe(true);
      await page.setInputFiles('#image-file', `${IMAGES}/chelsea.png`);
      s = await waitForDemo(page, (d) => (d.frames >= 1 && d.source === 'image') || d.phase === 'error', 'the chosen image classified');
      expect(s.top5![0].label).toMatch(CAT);
      expect(s.frame).toEqual({ width: 451, height: 300 });
      await shot(page, 'camera-denied');
      expect(errors).toEqual([]);
      // the page is not blank: controls and the stage are there
      expect(await page.locator('#controls').isVisible()).toBe(true);
      expect((await demoState(page)).phase).toBe('ready');
      await page.context().close();
    });
  });
});
