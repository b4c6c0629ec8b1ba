/**
 * Minimal browser page for the runtime core: builds a seeded variant, runs it on the chosen
 * backend and shows backend, adapter, top-5, latency and plan statistics. Query parameters
 * (size, width, resolution, backend, minimalistic, seed, autorun) fill the form; the e2e test
 * reads `window.__result`.
 */
import { createRuntime, mobilenetV3, Rng } from '../src/index.js';

const form = document.getElementById('form') as HTMLFormElement;
const status = document.getElementById('status')!;
const out = document.getElementById('result')!;
const q = new URLSearchParams(location.search);
for (const k of ['size', 'width', 'resolution', 'backend']) {
  const v = q.get(k);
  if (v !== null) (form.elements.namedItem(k) as HTMLInputElement).value = v;
}
if (q.get('minimalistic') === '1') (form.elements.namedItem('minimalistic') as HTMLInputElement).checked = true;

declare global {
  interface Window {
    __result?: unknown;
  }
}

async function run(): Promise<void> {
  const f = new FormData(form);
  status.textContent = 'running...';
  try {
    const rt = await createRuntime({ backend: f.get('backend') as 'auto' });
    const resolution = Number(f.get('resolution'));
    const src = mobilenetV3({ size: f.get('size') as 'small', width: Number(f.get('width')), resolution, minimalistic: f.get('minimalistic') === 'on' });
    const model = await rt.load(src);
    const x = new Rng(Number(q.get('seed') ?? 0)).fill(resolution * resolution * 3, -1, 1);
    const t0 = performance.now();
    const y = await model.run(x);
    const firstMs = performance.now() - t0;
    const t1 = performance.now();
    await model.run(x);
    const latencyMs = performance.now() - t1;
    const top5 = [...y].map((score, index) => ({ index, score })).sort((a, b) => b.score - a.score).slice(0, 5);
    const result = { model: src.name, backend: rt.backend, reason: rt.reason, top5, logits: Array.from(y), latencyMs, firstMs, stats: model.stats, im2col: model.im2col };
    window.__result = result;
    out.textContent = JSON.stringify({ ...result, logits: `[${y.length} values]` }, null, 2);
    status.textContent = `done on ${rt.backend}`;
    model.dispose();
  } catch (e) {
    window.__result = { error: (e as Error).message };
    status.textContent = `error: ${(e as Error).message}`;
  }
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  void run();
});
if (q.get('autorun') === '1') void run();
