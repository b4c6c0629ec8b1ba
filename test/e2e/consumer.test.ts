/**
 * The package as a user installs it: `npm pack`, then `npm install <tarball>` into a fresh
 * temporary project (no `webgpu` package: it is an optional peer dependency), and
 *  (a) a plain Node ESM script classifies a real photo with the official MobileNetV3-Small
 *      TFLite file on the wasm backend; asking for 'webgpu' names the package to install and
 *      'auto' falls to wasm;
 *  (b) a minimal Vite app that imports the package is built with Vite's defaults and
 *      classifies the same photo in chromium (wasm, and WebGPU on SwiftShader).
 * Both must give the top-1 of this repository's CPU path on the same pixels. Tarball and
 * bundle sizes are printed (the README quotes them).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, preview, type PreviewServer } from 'vite';
import { createRuntime, importTflite, topK } from '../../src/index.js';
import { IMAGES, loadImage } from '../helpers/images.js';
import { launchChromium } from '../helpers/browser.js';
import { assetPath } from '../helpers/assets.js';

const REPO = resolve('.');
const MODEL = assetPath('v3-small_224_1.0_uint8.tflite');
const PHOTO = `${IMAGES}/chelsea.png`;

let dir: string;
let tarball: string;
let expectedTop1: number;

const npm = (args: string[], cwd: string): string => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mnv3-consumer-'));
  // prepack builds dist/ first
  npm(['pack', '--pack-destination', dir, '--silent'], REPO);
  tarball = join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz'))!);
  const app = join(dir, 'app');
  execFileSync('mkdir', ['-p', join(app, 'public')]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer-app', private: true, type: 'module' }));
  npm(['install', tarball, '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], app);

  // the photo as raw RGBA, so neither consumer needs an image decoder
  const img = loadImage(PHOTO);
  writeFileSync(join(app, 'public', 'photo.rgba'), img.data);
  writeFileSync(join(app, 'public', 'photo.json'), JSON.stringify({ width: img.width, height: img.height }));
  copyFileSync(MODEL, join(app, 'public', 'model.tflite'));

  const rt = await createRuntime({ backend: 'cpu' });
  const m = await rt.load(importTflite(readFileSync(MODEL), 'model.tflite'));
  expectedTop1 = topK(await m.run(img), 1, { labelOffset: m.task?.kind === 'classification' ? m.task.labelOffset : 0 })[0].index;
  // the photo is of a cat: tabby, tiger cat or Egyptian cat (ImageNet 281, 282, 285)
  expect([281, 282, 285]).toContain(expectedTop1);
}, 600_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('installed from the npm tarball', () => {
  it('has no hard dependency on the native webgpu package', () => {
    const app = join(dir, 'app');
    expect(() => statSync(join(app, 'node_modules', 'webgpu'))).toThrow();
    const pkg = JSON.parse(readFileSync(join(app, 'node_modules', 'mobilenetv3-webgpu', 'package.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    expect(pkg.dependencies.webgpu).toBeUndefined();
    expect(pkg.peerDependenciesMeta.webgpu).toEqual({ optional: true });
    console.log(`consumer: tarball ${(statSync(tarball).size / 1024).toFixed(0)} KiB`);
  });

  it('a Node ESM script classifies the photo on wasm; webgpu names the missing package; auto falls to wasm', () => {
    const app = join(dir, 'app');
    writeFileSync(
      join(app, 'classify.mjs'),
      `import { readFileSync } from 'node:fs';
import { createRuntime, importTflite, topK } from 'mobilenetv3-webgpu';
const { width, height } = JSON.parse(readFileSync('public/photo.json', 'utf8'));
const photo = { width, height, data: new Uint8Array(readFileSync('public/photo.rgba')) };
let webgpuError = null;
try { await createRuntime({ backend: 'webgpu' }); } catch (e) { webgpuError = e.message; }
const auto = await createRuntime();
const rt = await createRuntime({ backend: 'wasm' });
const model = await rt.load(importTflite(readFileSync('public/model.tflite'), 'model.tflite'));
const top = topK(await model.run(photo), 3, { labelOffset: model.task.labelOffset });
console.log(JSON.stringify({ webgpuError, auto: auto.backend, autoReason: auto.reason, top }));
`,
    );
    const r = JSON.parse(execFileSync(process.execPath, ['classify.mjs'], { cwd: app, encoding: 'utf8' })) as {
      webgpuError: string | null; auto: string; autoReason: string; top: { index: number }[];
    };
    expect(r.webgpuError).toMatch(/npm install webgpu@\d/);
    expect(r.auto).toBe('wasm');
    expect(r.autoReason).toMatch(/no WebGPU provider/);
    expect(r.top[0].index).toBe(expectedTop1);
  });

  it('a minimal Vite app builds with the defaults and classifies the photo in chromium', async () => {
    const app = join(dir, 'app');
    writeFileSync(join(app, 'index.html'), '<!doctype html><html><body><pre id="out"></pre><script type="module" src="/main.js"></script></body></html>');
    writeFileSync(
      join(app, 'main.js'),
      `import { createRuntime, importTflite, topK } from 'mobilenetv3-webgpu';
const backend = new URLSearchParams(location.search).get('backend') ?? 'auto';
try {
  const [bytes, meta, rgba] = await Promise.all([
    fetch('/model.tflite').then((r) => r.arrayBuffer()),
    fetch('/photo.json').then((r) => r.json()),
    fetch('/photo.rgba').then((r) => r.arrayBuffer()),
  ]);
  const rt = await createRuntime({ backend });
  const model = await rt.load(importTflite(new Uint8Array(bytes), 'model.tflite'));
  const top = topK(await model.run({ width: meta.width, height: meta.height, data: new Uint8ClampedArray(rgba) }), 3, { labelOffset: model.task.labelOffset });
  window.__result = { backend: rt.backend, reason: rt.reason, top };
} catch (e) {
  window.__result = { error: String(e && e.stack || e) };
}
document.getElementById('out').textContent = JSON.stringify(window.__result);
`,
    );
    await build({ root: app, logLevel: 'error', configFile: false });
    const assets = readdirSync(join(app, 'dist', 'assets')).filter((f) => f.endsWith('.js'));
    const bytes = assets.reduce((s, f) => s + statSync(join(app, 'dist', 'assets', f)).size, 0);
    const gz = assets.reduce((s, f) => s + gzipSync(readFileSync(join(app, 'dist', 'assets', f))).length, 0);
    console.log(`consumer: Vite bundle ${assets.length} JS file(s), ${(bytes / 1024).toFixed(0)} KiB (${(gz / 1024).toFixed(0)} KiB gzip)`);
    expect(bytes).toBeGreaterThan(0);

    const server: PreviewServer = await preview({ root: app, logLevel: 'error', configFile: false, preview: { port: 0, host: '127.0.0.1' } });
    const addr = server.httpServer.address();
    const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/`;
    const browser = await launchChromium(true);
    try {
      for (const backend of ['wasm', 'webgpu']) {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`${url}?backend=${backend}`);
        await page.waitForFunction(() => (window as { __result?: unknown }).__result !== undefined, undefined, { timeout: 300_000 });
        const r = (await page.evaluate(() => (window as { __result?: unknown }).__result)) as { backend?: string; error?: string; top?: { index: number }[] };
        expect(r.error, backend).toBeUndefined();
        expect(errors).toEqual([]);
        expect(r.backend).toBe(backend);
        expect(r.top![0].index, backend).toBe(expectedTop1);
        await page.close();
      }
    } finally {
      await browser.close();
      await new Promise<void>((res) => server.httpServer.close(() => res()));
    }
  });
});
