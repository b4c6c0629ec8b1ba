/**
 * The runtime core in a real browser (Debian chromium, WebGPU on SwiftShader): the demo
 * page runs a seeded model on WebGPU and on the CPU path; both must match the Node CPU path
 * on the same seeded weights and input. Without --enable-unsafe-webgpu, 'auto' falls back to
 * the WebAssembly SIMD CPU backend and says so.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { ViteDevServer } from 'vite';
import type { Browser } from 'playwright';
import { startDemoServer, launchChromium } from '../helpers/browser.js';
import { createRuntime, mobilenetV3 } from '../../src/index.js';
import { Rng } from '../../src/graph/rng.js';

interface PageResult {
  backend: string;
  reason: string;
  logits: number[];
  error?: string;
  stats: { dispatches: number };
  im2col?: boolean;
}

let server: ViteDevServer;
let url: string;
const opened: Browser[] = [];

beforeAll(async () => {
  ({ server, url } = await startDemoServer());
});
afterAll(async () => {
  for (const b of opened) await b.close();
  await server?.close();
});

async function runPage(webgpu: boolean, query: string): Promise<PageResult> {
  const browser = await launchChromium(webgpu);
  opened.push(browser);
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${url}core.html?${query}&autorun=1`);
  await page.waitForFunction(() => (window as { __result?: unknown }).__result !== undefined, undefined, { timeout: 240_000 });
  const r = (await page.evaluate(() => (window as { __result?: unknown }).__result)) as PageResult;
  expect(errors).toEqual([]);
  await browser.close();
  return r;
}

async function nodeReference(size: 'small' | 'large', resolution: number, seed: number): Promise<Float32Array> {
  const rt = await createRuntime({ backend: 'cpu' });
  const m = await rt.load(mobilenetV3({ size, resolution }));
  return m.run(new Rng(seed).fill(resolution * resolution * 3, -1, 1));
}

function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

describe('browser (chromium + SwiftShader)', () => {
  it('runs Small on WebGPU in the page, matching the Node CPU path', async () => {
    const ref = await nodeReference('small', 96, 4);
    const r = await runPage(true, 'size=small&resolution=96&backend=webgpu&seed=4');
    expect(r.error).toBeUndefined();
    expect(r.backend).toBe('webgpu');
    expect(r.reason).toMatch(/WebGPU adapter/);
    // SwiftShader is a software adapter: the stem runs as im2col + GEMM, one dispatch more
    expect(r.im2col).toBe(true);
    expect(r.stats.dispatches).toBeLessThanOrEqual(47);
    expect(r.logits.length).toBe(1000);
    expect(relL2(r.logits, ref)).toBeLessThan(1e-4);
  });

  it("falls back to the WebAssembly CPU path with 'auto' when WebGPU is disabled, and says so", async () => {
    const ref = await nodeReference('small', 96, 5);
    const r = await runPage(false, 'size=small&resolution=96&backend=auto&seed=5');
    expect(r.error).toBeUndefined();
    expect(r.backend).toBe('wasm');
    expect(r.reason).toMatch(/no WebGPU/);
    // f32 SIMD kernels vs the float64-accumulating TypeScript twins
    expect(relL2(r.logits, ref)).toBeLessThan(1e-5);
  });

  it('runs the TypeScript CPU path in the page on request', async () => {
    const ref = await nodeReference('small', 96, 6);
    const r = await runPage(false, 'size=small&resolution=96&backend=cpu&seed=6');
    expect(r.error).toBeUndefined();
    expect(r.backend).toBe('cpu');
    expect(relL2(r.logits, ref)).toBeLessThan(1e-6);
  });

  it("reports a clear error for backend 'webgpu' without WebGPU", async () => {
    const r = await runPage(false, 'size=small&resolution=96&backend=webgpu');
    expect(r.error).toMatch(/WebGPU/);
  });
});
