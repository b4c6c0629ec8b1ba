/**
 * npm run bench:core — per model: dispatches fused/unfused, arena bytes, and the median
 * latency of 20 warm runs (input upload to output read back) for GPU fused, GPU unfused, the
 * WebAssembly SIMD path and the TypeScript CPU path, in Node. Not a test: no assertions on time. Writes bench/results/core.json.
 * Options: --runs N (default 20), --warmup N (default 5), --resolution N, --models large,small
 *          --profile (adds the per-dispatch GPU-time top 10 from timestamp queries)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createRuntime, mobilenetV3, type Model } from '../src/index.js';
import { Rng } from '../src/graph/rng.js';
import { padChannels } from '../src/graph/layout.js';
import { parseArgs, numberFlag } from '../src/cli/args.js';

const args = parseArgs(process.argv.slice(2));
const runs = numberFlag(args, 'runs') ?? 20;
const warmup = numberFlag(args, 'warmup') ?? 5;
const resolution = numberFlag(args, 'resolution') ?? 224;
const models = String(args.flags.get('models') ?? 'large,small').split(',') as ('large' | 'small')[];

function stats(ts: number[]): { median: number; p10: number; p90: number; min: number; max: number } {
  const s = [...ts].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p10: q(0.1), p90: q(0.9), min: s[0], max: s[s.length - 1] };
}

async function time(model: Model, x: Float32Array): Promise<ReturnType<typeof stats> & { firstMs: number }> {
  const t0 = performance.now();
  await model.run(x);
  const firstMs = performance.now() - t0;
  for (let i = 0; i < warmup; i++) await model.run(x);
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await model.run(x);
    ts.push(performance.now() - t);
  }
  return { ...stats(ts), firstMs };
}

const gpu = await createRuntime({ backend: 'webgpu' });
const cpu = await createRuntime({ backend: 'cpu' });
const wasm = await createRuntime({ backend: 'wasm' });
const rows: Record<string, unknown>[] = [];
console.log(`adapter: ${gpu.gpu?.adapterName}; CPU: ${os.cpus()[0]?.model} x${os.cpus().length}; node ${process.version}; ${runs} runs after ${warmup} warm-up`);
console.log('| model | dispatches fused / unfused | arena bytes fused / unfused | GPU fused ms | GPU unfused ms | wasm ms | CPU (TS) ms |');
console.log('|---|---|---|---|---|---|---|');
for (const size of models) {
  const src = mobilenetV3({ size, resolution });
  const x = new Rng(3).fill(resolution * resolution * 3, -1, 1);
  const r: Record<string, unknown> = { model: src.name };
  const res: Record<string, ReturnType<typeof stats> & { firstMs: number }> = {};
  for (const [key, rt, fuse] of [['gpuFused', gpu, true], ['gpuUnfused', gpu, false], ['wasm', wasm, true], ['cpu', cpu, true]] as const) {
    const m = await rt.load(src, { fuse });
    r[`${key}Dispatches`] = m.stats.dispatches;
    r[`${key}ArenaBytes`] = m.stats.arenaBytes;
    res[key] = await time(m, x);
    if (key === 'gpuFused' && args.flags.get('profile')) {
      const prof = await m.gpuExecutor!.profile(padChannels(x, resolution * resolution, 3));
      r.profileTop10 = prof.slice(0, 10);
      console.log(prof.slice(0, 10).map((p) => `    ${p.ms.toFixed(2)} ms  ${p.label}`).join('\n'));
    }
    m.dispose();
  }
  Object.assign(r, res);
  rows.push(r);
  const f = (k: string): string => `${res[k].median.toFixed(1)} (p10 ${res[k].p10.toFixed(1)}, p90 ${res[k].p90.toFixed(1)})`;
  console.log(`| ${src.name} | ${r.gpuFusedDispatches} / ${r.gpuUnfusedDispatches} | ${r.gpuFusedArenaBytes} / ${r.gpuUnfusedArenaBytes} | ${f('gpuFused')} | ${f('gpuUnfused')} | ${f('wasm')} | ${f('cpu')} |`);
}
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/core.json', JSON.stringify({ date: new Date().toISOString(), adapter: gpu.gpu?.adapterName, cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, runs, warmup, resolution, rows }, null, 2));
gpu.dispose();
process.exit(0);
