/**
 * npm run soak:demo — the live demo in chromium with a fake camera (a real photo as a Y4M
 * video) for --frames N (default 10,000) or --minutes M (default 30), whichever comes first.
 * Samples every --every S seconds (default 30): inferences, dropped camera frames, live GPU
 * buffers, the page's JS heap (after a CDP-forced GC), the worker's JS heap, and the median
 * latency of the last window (a growing queue would show as rising latency). Not part of the
 * suite; writes bench/results/demo_soak.json. Options: --backend webgpu|wasm|cpu (default
 * webgpu), --task classify|detect|segment, --photo chelsea.png.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs, numberFlag } from '../src/cli/args.js';
import { startDemoServer } from '../test/helpers/browser.js';
import { fakeCameraVideo, launchDemoBrowser, openDemo, waitForDemo, demoState } from '../test/helpers/demo_page.js';

const args = parseArgs(process.argv.slice(2));
const maxFrames = numberFlag(args, 'frames') ?? 10_000;
const minutes = numberFlag(args, 'minutes') ?? 30;
const every = numberFlag(args, 'every') ?? 30;
const backend = String(args.flags.get('backend') ?? 'webgpu');
const task = String(args.flags.get('task') ?? 'classify');
const photo = String(args.flags.get('photo') ?? 'chelsea.png');

mkdirSync('test-results/soak', { recursive: true });
const { server, url } = await startDemoServer({ frozen: true });
const browser = await launchDemoBrowser({ webgpu: backend === 'webgpu', video: fakeCameraVideo(photo, 'test-results/soak') });
const { page, errors } = await openDemo(browser, url, `task=${task}&backend=${backend}`);
const cdp = await page.context().newCDPSession(page);
await cdp.send('HeapProfiler.enable');
const workerHeaps = async (): Promise<number | null> => {
  const w = page.workers()[0];
  if (!w) return null;
  return w.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? null);
};

let s = await waitForDemo(page, (d) => d.frames >= 1 || d.phase === 'error', 'the first result', 300_000);
if (s.phase === 'error') throw new Error(`demo failed to start: ${s.messages.join('; ')}`);
console.log(`soak: ${task} on ${s.backend} (${s.thread}), ${s.framePath}; up to ${maxFrames} frames or ${minutes} min`);

interface Sample { s: number; frames: number; dropped: number; cameraFrames: number; liveGpuBuffers: number; pageHeapMB: number; workerHeapMB: number | null; medianMs: number | null }
const samples: Sample[] = [];
const t0 = Date.now();
const latencies: number[] = [];
let lastFrames = s.frames;
for (;;) {
  const tick = Date.now();
  while (Date.now() - tick < every * 1000) {
    await page.waitForTimeout(500);
    s = await demoState(page);
    if (s.frames !== lastFrames && s.timings) latencies.push(s.timings.totalMs);
    lastFrames = s.frames;
    if (s.frames >= maxFrames) break;
  }
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
  const wh = await workerHeaps().catch(() => null);
  const sorted = latencies.splice(0).sort((a, b) => a - b);
  const sample: Sample = {
    s: Math.round((Date.now() - t0) / 1000),
    frames: s.frames,
    dropped: s.dropped,
    cameraFrames: s.cameraFrames,
    liveGpuBuffers: s.liveGpuBuffers,
    pageHeapMB: +(heap.usedSize / 2 ** 20).toFixed(1),
    workerHeapMB: wh === null ? null : +(wh / 2 ** 20).toFixed(1),
    medianMs: sorted.length ? +sorted[sorted.length >> 1].toFixed(1) : null,
  };
  samples.push(sample);
  console.log(JSON.stringify(sample));
  if (s.frames >= maxFrames || Date.now() - t0 > minutes * 60_000 || s.phase === 'error') break;
}

const report = { date: new Date().toISOString(), task, backend: s.backend, thread: s.thread, framePath: s.framePath, photo, maxFrames, minutes, samples, errors, messages: s.messages };
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/demo_soak.json', JSON.stringify(report, null, 2) + '\n');
console.log(`wrote bench/results/demo_soak.json; page errors: ${errors.length}`);
await browser.close();
await server.close();
