/**
 * `npm run bench -- --smoke` as a test: the tiny model (MobileNetV3-Small 0.35 @ 96, seeded)
 * on every browser configuration (ours WebGPU fused/unfused, CPU, wasm; TF.js webgpu, webgl,
 * wasm, cpu; ORT webgpu, wasm), each in a freshly launched chromium, two runs each. Every
 * configuration's output must match our Node CPU path. No assertions on time.
 */
import { describe, it, expect } from 'vitest';
import { runBench } from '../../bench/lib/bench.js';
import { CONFIGS } from '../../bench/lib/types.js';

describe('bench smoke (chromium)', () => {
  it('every configuration runs the same model and matches our output', async () => {
    const lines: string[] = [];
    const s = await runBench({ mode: 'smoke', where: 'browser', jobTimeoutMs: 150_000, log: (l) => lines.push(l) });
    // LiteRT.js and MediaPipe run .tflite files only (the test below)
    const browserConfigs = CONFIGS.filter((c) => c.where.includes('browser') && c.family !== 'litert' && c.family !== 'mediapipe').map((c) => c.id);
    const byConfig = Object.fromEntries(s.rows.map((r) => [r.configId, r]));
    const report = s.rows.map((r) => `${r.configId}: ${r.status}${r.message ? ` (${r.message})` : ''}`).join('\n');
    expect(Object.keys(byConfig).sort(), report).toEqual([...browserConfigs].sort());
    for (const id of browserConfigs) {
      const r = byConfig[id];
      // only our wasm backend may be missing (it is detected at run time)
      if (id === 'ours-wasm' && r.status === 'skipped') continue;
      expect(r.status, `${id}: ${r.message ?? ''}\n${report}`).toBe('ok');
      expect(r.worst?.ok, id).toBe(true);
      expect(r.worst!.maxAbsDiff, id).toBeLessThanOrEqual(r.worst!.bound);
      expect(r.top1Agree, id).toBe('2/2');
    }
    expect(s.failures).toEqual([]);
    expect(s.ok).toBe(true);
  }, 300_000);

  it('a real .tflite file: ours, LiteRT.js and MediaPipe rows (a peer refusal shows its own message)', async () => {
    const lines: string[] = [];
    const configs = ['ours-cpu', 'litert-wasm', 'mediapipe-cpu'];
    const s = await runBench({ mode: 'smoke', where: 'browser', models: ['mp-selfie'], configs, jobTimeoutMs: 150_000, log: (l) => lines.push(l) });
    const report = s.rows.map((r) => `${r.configId}: ${r.status}${r.message ? ` (${r.message})` : ''}`).join('\n') || lines.join('\n');
    expect(s.rows.map((r) => r.configId).sort(), report).toEqual([...configs].sort());
    for (const r of s.rows) {
      if (r.configId === 'ours-cpu' || r.status === 'ok') {
        // ran: the mask is within the model's stated bound of our Node CPU path
        expect(r.status, `${r.configId}\n${report}`).toBe('ok');
        expect(r.worst!.maxAbsDiff, r.configId).toBeLessThanOrEqual(r.worst!.bound);
        expect(r.stats!.n, r.configId).toBeGreaterThan(0);
      } else {
        // refused at load: skipped, with the peer's own message in the row
        expect(r.status, `${r.configId}\n${report}`).toBe('skipped');
        expect(r.message, r.configId).toMatch(r.configId.startsWith('litert') ? /^LiteRT\.js refused \(wasm\): \S/ : /^MediaPipe ImageSegmenter refused \(delegate CPU\): \S/);
      }
    }
    expect(s.failures, report).toEqual([]);
  }, 300_000);
});
