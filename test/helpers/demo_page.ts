/**
 * Driving the live demo page (demo/index.html) in Debian chromium with a fake camera made
 * from a photo (test/helpers/y4m.ts). Used by test/e2e/demo.test.ts and scripts/screenshots.ts.
 */
import { chromium, type Browser, type Page } from 'playwright';
import { CANVAS_ARGS, CHROMIUM_ARGS, canvasEnv } from './browser.js';
import { writePhotoY4m } from './y4m.js';
import { IMAGES } from './images.js';

/** What the page publishes on window.__demo (the fields the tests read). */
export interface DemoState {
  phase: 'booting' | 'loading' | 'ready' | 'error';
  task: string;
  modelId: string;
  model: string | null;
  backend: string | null;
  reason: string;
  adapter: string | null;
  thread: 'worker' | 'main' | null;
  framePath: string;
  pathNotes: string[];
  camera: string;
  cameraError: string;
  source: string;
  frames: number;
  dropped: number;
  cameraFrames: number;
  deviceLosses: number;
  loads: number;
  liveGpuBuffers: number;
  modelGpuBuffers: number;
  top5: { index: number; label: string; score: number }[] | null;
  detections: { box: [number, number, number, number]; score: number; label: string }[] | null;
  /** gpu: drawn on the GPU mask layer in the frame's submit (no per-frame read-back) */
  mask: { width: number; height: number; kind: string; gpu: boolean } | null;
  frame: { width: number; height: number } | null;
  roi: { x: number; y: number; width: number; height: number } | null;
  timings: { preMs: number; netMs: number; readMs: number | null; postMs: number; totalMs: number; gpuTimed: boolean } | null;
  dispatches: number | null;
  resultModel: string | null;
  messages: string[];
}

/** Writes `dir/<photo>.y4m` (320x240, a few frames) from a photo of .cache/assets/images. */
export function fakeCameraVideo(photo: string, dir: string, width = 320, height = 240): string {
  const out = `${dir}/${photo.replace(/\.\w+$/, '')}_${width}x${height}.y4m`;
  writePhotoY4m(`${IMAGES}/${photo}`, out, width, height);
  return out;
}

/** `canvas`: CANVAS_ARGS and canvasEnv (WebGPU canvases that present, see browser.ts) */
export async function launchDemoBrowser(opts: { webgpu: boolean; video?: string; extraArgs?: string[]; canvas?: boolean }): Promise<Browser> {
  const args = [...CHROMIUM_ARGS, '--autoplay-policy=no-user-gesture-required', ...(opts.extraArgs ?? []), ...(opts.canvas ? CANVAS_ARGS : [])];
  if (opts.webgpu) args.push('--enable-unsafe-webgpu');
  if (opts.video) args.push('--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${opts.video}`);
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args, ...(opts.canvas ? { env: canvasEnv() } : {}) });
}

export interface DemoPage {
  page: Page;
  /** uncaught page errors (a test expects none) */
  errors: string[];
}

/**
 * Opens the demo at `url?query` in a new context. `denyCamera`: getUserMedia rejects with
 * NotAllowedError, as when the user refuses the permission prompt.
 */
export async function openDemo(browser: Browser, url: string, query: string, opts: { denyCamera?: boolean; viewport?: { width: number; height: number } } = {}): Promise<DemoPage> {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1200, height: 820 } });
  if (opts.denyCamera) {
    await context.addInitScript(() => {
      const deny = (): Promise<MediaStream> => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
      if (navigator.mediaDevices) navigator.mediaDevices.getUserMedia = deny;
    });
  }
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${url}?${query}`);
  return { page, errors };
}

export const demoState = (page: Page): Promise<DemoState> =>
  page.evaluate(() => {
    const d = (window as unknown as { __demo?: Record<string, unknown> }).__demo ?? {};
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(d)) if (typeof v !== 'function') copy[k] = v;
    return copy as unknown as DemoState;
  });

/** Waits until `pred(state)` holds (polling window.__demo); fails with the last state on timeout. */
export async function waitForDemo(page: Page, pred: (s: DemoState) => boolean, what: string, timeoutMs = 120_000): Promise<DemoState> {
  const t0 = Date.now();
  let s = await demoState(page);
  while (!pred(s)) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; page state: ${JSON.stringify({ ...s, top5: s.top5?.slice(0, 2), detections: s.detections?.slice(0, 3) })}`);
    await page.waitForTimeout(200);
    s = await demoState(page);
  }
  return s;
}

/** Mean mask value (0..1) over a region given in frame-normalized coordinates. */
export const maskCoverage = (page: Page, x0: number, y0: number, x1: number, y1: number): Promise<number | null> =>
  page.evaluate(([a, b, c, d]) => (window as unknown as { __demo: { maskCoverage(...n: number[]): number | null } }).__demo.maskCoverage(a, b, c, d), [x0, y0, x1, y1]);
