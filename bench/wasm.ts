/**
 * npm run bench:wasm — CPU backends in Node, Large and Small 1.0 at 224 (seeded weights):
 *   our `wasm` backend (WebAssembly SIMD, 1 thread), our TypeScript `cpu` backend, and TF.js
 *   on its `wasm` backend (XNNPACK, SIMD, 1 thread) running the same model (same weights,
 *   built from our optimized graph with TF.js ops: bench/wasm_tfjs.ts).
 * Per backend: warm-up until >= 5 runs AND >= 5 s, then the median of 20 runs (wall clock),
 * with p10 / p90 and the median CPU time of the process over the same runs (process.cpuUsage:
 * on a shared machine the wall clock also counts time other processes took from us). The 20
 * runs are taken round-robin over the fast backends (ours wasm, TF.js), so that background
 * load hits them alike; the TS path is timed separately.
 * Then a per-step profile of the wasm backend (the minimum over 30 runs of each step), summed
 * per kernel type as ms and GFLOP/s (2 * MACs / time). Not a test: no assertions on time.
 * Writes bench/results/wasm.json.
 * Options: --runs N (20), --warmup N (5), --warmup-s S (5), --models large,small,
 *          --resolution N (224), --no-tfjs, --no-cpu, --steps (print every step's profile)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRuntime, mobilenetV3, planSource } from '../src/index.js';
import { optimize } from '../src/graph/passes/index.js';
import { WasmExecutor } from '../src/backends/wasm/executor.js';
import { padChannels } from '../src/graph/layout.js';
import { Rng } from '../src/graph/rng.js';
import { parseArgs, numberFlag } from '../src/cli/args.js';
import { argmax, compare } from '../test/helpers/compare.js';
import { tfjsForward } from './wasm_tfjs.js';

const args = parseArgs(process.argv.slice(2));
const runs = numberFlag(args, 'runs') ?? 20;
const warmup = numberFlag(args, 'warmup') ?? 5;
const warmupS = numberFlag(args, 'warmup-s') ?? 5;
const resolution = numberFlag(args, 'resolution') ?? 224;
const models = String(args.flags.get('models') ?? 'large,small').split(',') as ('large' | 'small')[];
const withTfjs = !args.flags.has('no-tfjs');
const withCpu = !args.flags.has('no-cpu');

interface Timing {
  median: number;
  p10: number;
  p90: number;
  min: number;
  cpuMedian: number;
  warmupRuns: number;
}

async function warm(run: () => unknown): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  while (n < warmup || performance.now() - t0 < warmupS * 1000) {
    await run();
    n++;
  }
  return n;
}

/**
 * Times the backends round-robin (one run of each per round), so that load from other
 * processes on a shared machine hits them alike; each was warmed up first.
 */
async function timeAll(fns: Record<string, () => unknown>): Promise<Record<string, Timing>> {
  const names = Object.keys(fns);
  const warmRuns: Record<string, number> = {};
  for (const n of names) warmRuns[n] = await warm(fns[n]);
  const wall: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const cpu: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < runs; i++) {
    for (const n of names) {
      const c0 = process.cpuUsage();
      const t = performance.now();
      await fns[n]();
      wall[n].push(performance.now() - t);
      const c = process.cpuUsage(c0);
      cpu[n].push((c.user + c.system) / 1000);
    }
  }
  const q = (a: number[], p: number): number => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * a.length))];
  return Object.fromEntries(
    names.map((n) => [n, { median: q(wall[n], 0.5), p10: q(wall[n], 0.1), p90: q(wall[n], 0.9), min: q(wall[n], 0), cpuMedian: q(cpu[n], 0.5), warmupRuns: warmRuns[n] }]),
  );
}

let tf: typeof import('@tensorflow/tfjs') | null = null;
if (withTfjs) {
  try {
    tf = await import('@tensorflow/tfjs');
    const wasmBackend = await import('@tensorflow/tfjs-backend-wasm');
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false); // 1 thread, like our backend
    wasmBackend.setWasmPaths(path.resolve('node_modules/@tensorflow/tfjs-backend-wasm/dist') + '/');
    await tf.setBackend('wasm');
    await tf.ready();
  } catch (e) {
    console.log(`note: TF.js wasm unavailable (${(e as Error).message}); skipping it`);
    tf = null;
  }
}

const wasmRt = await createRuntime({ backend: 'wasm' });
const cpuRt = await createRuntime({ backend: 'cpu' });
const f = (t: Timing | undefined): string => (t ? `${t.median.toFixed(2)} (p10 ${t.p10.toFixed(2)}, p90 ${t.p90.toFixed(2)}; cpu ${t.cpuMedian.toFixed(2)})` : '-');
console.log(`CPU: ${os.cpus()[0]?.model} x${os.cpus().length}; node ${process.version}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`${runs} runs after >= ${warmup} warm-up runs and >= ${warmupS} s; ms: median (p10, p90; median process CPU time)\n`);
console.log('| model | ours wasm | ours TS cpu | TF.js wasm (XNNPACK) | wasm vs TF.js |');
console.log('|---|---|---|---|---|');
const rows: Record<string, unknown>[] = [];
for (const size of models) {
  const src = mobilenetV3({ size, resolution });
  const x = new Rng(3).fill(resolution * resolution * 3, -1, 1);
  const row: Record<string, unknown> = { model: src.name };
  const wasmModel = await wasmRt.load(src);
  const yWasm = await wasmModel.run(x);
  const fns: Record<string, () => unknown> = { wasm: () => wasmModel.run(x) };
  if (withCpu) {
    const cpuModel = await cpuRt.load(src);
    const yCpu = await cpuModel.run(x);
    const cmp = compare(yWasm, yCpu, 1e-3, 1e-3);
    row.wasmVsCpu = { relL2: cmp.relL2, maxAbs: cmp.maxAbs, top1Agree: argmax(yWasm) === argmax(yCpu) };
    fns.cpu = () => cpuModel.run(x);
  }
  let fwd: ReturnType<typeof tfjsForward> | null = null;
  if (tf) {
    fwd = tfjsForward(tf, optimize(src.graph()));
    const yTf = fwd.run(x);
    const cmp = compare(yTf, yWasm, 1e-3, 1e-3);
    row.tfjsVsWasm = { relL2: cmp.relL2, maxAbs: cmp.maxAbs, top1Agree: argmax(yTf) === argmax(yWasm) };
    const f = fwd;
    fns.tfjs = () => f.run(x);
  }
  // the TypeScript path (0.2-0.7 s a run) is timed on its own: interleaved, it would flush
  // the caches before every run of the fast backends
  const { cpu: cpuFn, ...fast } = fns;
  const t = { ...(await timeAll(fast)), ...(cpuFn ? await timeAll({ cpu: cpuFn }) : {}) };
  fwd?.dispose();
  Object.assign(row, t);
  const [wasmT, cpuT, tfT] = [t.wasm, t.cpu, t.tfjs];
  console.log(`| ${src.name} | ${f(wasmT)} | ${f(cpuT)} | ${f(tfT)} | ${tfT ? `${(tfT.median / wasmT.median).toFixed(2)}x faster` : '-'} |`);

  // per-step profile of the wasm executor: the minimum over 30 runs of each step
  const plan = planSource(src);
  const ex = await WasmExecutor.create(plan);
  const prof = ex.profile(padChannels(x, resolution * resolution, 3), 30, 'min');
  const byKernel = new Map<string, { ms: number; macs: number; steps: number }>();
  for (const p of prof) {
    const k = byKernel.get(p.kernel) ?? { ms: 0, macs: 0, steps: 0 };
    k.ms += p.ms;
    k.macs += p.macs;
    k.steps++;
    byKernel.set(p.kernel, k);
  }
  const total = prof.reduce((a, p) => a + p.ms, 0);
  row.profile = Object.fromEntries([...byKernel].map(([k, v]) => [k, { ...v, gflops: v.macs ? (2 * v.macs) / v.ms / 1e6 : null }]));
  row.profileSumMs = total;
  console.log(
    `    per-step minima sum to ${total.toFixed(2)} ms: ` +
      [...byKernel]
        .sort((a, b) => b[1].ms - a[1].ms)
        .map(([k, v]) => `${k} ${v.ms.toFixed(2)} ms${v.macs ? ` (${((2 * v.macs) / v.ms / 1e6).toFixed(1)} GFLOP/s, ${v.steps} steps)` : ''}`)
        .join('; '),
  );
  if (args.flags.has('steps')) for (const p of prof) console.log(`      ${p.ms.toFixed(3)} ms ${p.macs ? ((2 * p.macs) / p.ms / 1e6).toFixed(1).padStart(5) : '    -'} GFLOP/s  ${p.label}`);
  ex.dispose();
  wasmModel.dispose();
  rows.push(row);
}
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/wasm.json',
  JSON.stringify({ date: new Date().toISOString(), cpu: os.cpus()[0]?.model, cores: os.cpus().length, loadavg: os.loadavg(), node: process.version, runs, warmup, warmupS, resolution, rows }, null, 2),
);
process.exit(0);
