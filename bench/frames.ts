/**
 * npm run bench:frames: the per-frame latency split of model.runFrame in headless chromium
 * (README "Per-frame latency split"): classify (the official uint8 MobileNetV3-Small), detect
 * (CenterNet, TF.js file) and segment (MediaPipe selfie) on the webgpu and wasm backends, from
 * a 640x480 VideoFrame (a photo drawn into a canvas), a fresh page per job. Median of N runs
 * after 2 warm-ups of each timing field; the frame path and how the pixels were read.
 *   --runs N (default 10)   --out FILE (default bench/results/frames-latest.md)
 */
import { writeFileSync } from 'node:fs';
import { launchChromium, startDemoServer } from '../test/helpers/browser.js';

const args = process.argv.slice(2);
const opt = (k: string, d: string): string => {
  const i = args.indexOf(`--${k}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : d;
};
const RUNS = Number(opt('runs', '10'));
const OUT = opt('out', 'bench/results/frames-latest.md');

const TASKS: { task: string; model: string; photo: string; gpuMask?: boolean }[] = [
  { task: 'classify', model: 'v3-small_224_1.0_uint8.tflite', photo: 'chelsea.png' },
  { task: 'detect', model: 'centernet.json', photo: 'messi5.jpg' },
  { task: 'segment', model: 'selfie_segmentation.tflite', photo: 'astronaut.png' },
  // the mask left on the GPU and drawn by createMaskOverlay onto a WebGPU canvas in the frame's
  // submit (webgpu only; a browser with CANVAS_ARGS, where WebGPU canvases present here)
  { task: 'segment, mask on a GPU canvas', model: 'selfie_segmentation.tflite', photo: 'astronaut.png', gpuMask: true },
];

interface Row {
  task: string;
  model: string;
  backend: string;
  path?: string;
  pixelRead?: string;
  preprocessMs?: number;
  networkMs?: number;
  readbackMs?: number;
  postMs?: number;
  totalMs?: number;
  gpuTimestamps?: boolean;
  error?: string;
}

// plain JS (no TypeScript helpers) evaluated in the page; modules from the Vite dev server
const PAGE = (backend: string, model: string, photo: string, runs: number, gpuMask = false): string => `(async () => {
  const api = await import('/@fs${process.cwd()}/src/index.ts');
  const url = '/models/${model}';
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  let source;
  if (url.endsWith('.json')) {
    const json = JSON.parse(new TextDecoder().decode(bytes));
    const shards = new Map();
    for (const g of json.weightsManifest) for (const p of g.paths) shards.set(p, new Uint8Array(await (await fetch(url.replace(/[^/]*$/, p))).arrayBuffer()));
    source = api.importTfjs(json, (p) => shards.get(p), '${model}');
  } else source = api.importTflite(bytes, '${model}');
  const rt = await api.createRuntime({ backend: '${backend}' });
  const m = await rt.load(source);
  const img = await createImageBitmap(await (await fetch('/images/${photo}')).blob());
  const c = new OffscreenCanvas(640, 480);
  c.getContext('2d').drawImage(img, 0, 0, 640, 480);
  const bitmap = await createImageBitmap(c);
  let frameOpts = {};
  if (${gpuMask}) {
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 480;
    document.body.appendChild(canvas);
    const ctx = canvas.getContext('webgpu');
    const format = navigator.gpu.getPreferredCanvasFormat();
    ctx.configure({ device: m.device, format, alphaMode: 'premultiplied' });
    frameOpts = { mask: 'gpu', overlay: api.createMaskOverlay(m, ctx, { format, opacity: 0.6 }) };
  }
  const rows = [];
  let last;
  for (let i = 0; i < ${runs} + 2; i++) {
    const vf = new VideoFrame(bitmap, { timestamp: i * 33000 });
    const r = await m.runFrame(vf, frameOpts);
    vf.close();
    if (i >= 2) rows.push(r.timings);
    last = r;
  }
  const med = (k) => { const v = rows.map((r) => r[k]).sort((a, b) => a - b); return v[v.length >> 1]; };
  const out = { backend: rt.backend, path: last.framePath, pixelRead: last.pixelRead, gpuTimestamps: last.timings.gpuTimestamps };
  for (const k of ['preprocessMs', 'networkMs', 'readbackMs', 'postMs', 'totalMs']) out[k] = med(k);
  m.dispose();
  rt.dispose();
  return out;
})()`;

const { server, url } = await startDemoServer({ frozen: true });
const browser = await launchChromium(true);
const canvasBrowser = await launchChromium(true, { canvas: true });
const rows: Row[] = [];
try {
  for (const t of TASKS) {
    for (const backend of t.gpuMask ? ['webgpu'] : ['webgpu', 'wasm']) {
      const page = await (t.gpuMask ? canvasBrowser : browser).newPage();
      await page.goto(`${url}core.html`);
      const t0 = performance.now();
      try {
        const r = (await page.evaluate(PAGE(backend, t.model, t.photo, RUNS, t.gpuMask))) as Omit<Row, 'task' | 'model'>;
        rows.push({ task: t.task, model: t.model, ...r });
      } catch (e) {
        rows.push({ task: t.task, model: t.model, backend, error: (e as Error).message.split('\n')[0] });
      }
      const r = rows[rows.length - 1];
      console.log(`${t.task} ${backend}: ${r.error ?? `total ${r.totalMs?.toFixed(1)} ms (${r.path}${r.pixelRead ? `, ${r.pixelRead}` : ''})`} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      await page.close();
    }
  }
} finally {
  await browser.close();
  await canvasBrowser.close();
  await server.close();
}

const f = (v?: number): string => (v === undefined ? '' : v < 10 ? v.toFixed(2) : v.toFixed(1));
const lines = [
  `# runFrame latency split (chromium ${browser.version()}, headless, ${new Date().toISOString().slice(0, 10)})`,
  '',
  `640x480 VideoFrame (a photo drawn into a canvas) -> model.runFrame -> decoded result; median of ${RUNS} after 2 warm-ups, ms. webgpu network = GPU timestamps where gpuTimestamps; wasm: the default thread pool.`,
  '',
  '| task (model) | backend | path (pixels read) | preprocess | network | read-back | post | total |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map((r) =>
    r.error
      ? `| ${r.task} (${r.model}) | ${r.backend} | error: ${r.error} | | | | | |`
      : `| ${r.task} (${r.model}) | ${r.backend} | ${r.path}${r.pixelRead ? ` (${r.pixelRead})` : ''} | ${f(r.preprocessMs)} | ${f(r.networkMs)}${r.gpuTimestamps ? ' (GPU)' : ''} | ${f(r.readbackMs)} | ${f(r.postMs)} | **${f(r.totalMs)}** |`,
  ),
  '',
];
writeFileSync(OUT, lines.join('\n'));
console.log(lines.join('\n'));
console.log(`wrote ${OUT}`);
