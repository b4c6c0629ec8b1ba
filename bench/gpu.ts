/**
 * npm run bench:gpu — the device check: which WebGPU adapter this machine has, and each of
 * our WebGPU plans on it, in Node (Dawn through the `webgpu` package):
 *   adapter (vendor, architecture, software or hardware, features, limits) — and a clear line
 *   when there is no adapter or only a software one (SwiftShader);
 *   per model x plan: dispatches, distinct pipelines, load ms (pipelines ms), first frame ms,
 *   median frame ms (Float32Array in -> upload -> one submit -> read back -> Float32Array out),
 *   max |GPU - CPU executor| on the same input, and per-kernel GPU time from timestamp queries.
 * Plans: unfused (fuse: false), steps (graph fusion, blockFusion: false: the software adapters'
 * default), se / pairs (one block fusion each), blocks (both: the hardware adapters' default),
 * all with the register-blocked pointwise kernel; steps-tiled / blocks-tiled: the same with the
 * workgroup-memory tiled pointwise variant; steps-sg / blocks-sg: global pools, SE pools and the
 * wide softmax with subgroup reductions (needs the 'subgroups' feature; the row errors without it);
 * steps-sg-im2col / blocks-sg-im2col: those with the stem as im2col + GEMM (every other plan pins
 * the conv2d stem, so a row means the same plan on every adapter).
 * Peers (TF.js-webgpu, ORT-webgpu) run in the browser: --browser also runs `npm run bench` with
 * our three WebGPU rows and theirs on Large and Small (chromium must reach the GPU).
 * Options: --models large,small,uint8  --plans steps,steps-sg,...  --resolution N  --runs N (20)  --warmup N (5)  --browser
 * Writes bench/results/gpu-<adapter>.json (with --plans: gpu-<adapter>-subset.json). Not a test: nothing here asserts on time.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { createRuntime, importTflite, mobilenetV3, type LoadOptions, type Model, type ModelSource, type Runtime } from '../src/index.js';
import { parseArgs, numberFlag } from '../src/cli/args.js';
import { padChannels } from '../src/graph/layout.js';
import { Rng } from '../src/graph/rng.js';
import { stats } from './lib/measure.js';

const args = parseArgs(process.argv.slice(2));
const runs = numberFlag(args, 'runs') ?? 20;
const warmup = numberFlag(args, 'warmup') ?? 5;
const resolution = numberFlag(args, 'resolution') ?? 224;
const models = String(args.flags.get('models') ?? 'large,small,uint8').split(',');
const UINT8 = ['../shared/models/v3-small_224_1.0_uint8.tflite', '.cache/assets/v3-small_224_1.0_uint8.tflite'].find((p) => existsSync(p));

// kernel variants set explicitly, so that a row is the same plan and kernels on every adapter
// (and the stem as conv2d unless the plan's name says im2col)
const BASIC = { kernelVariants: { pointwise: 'basic', reductions: 'workgroup' }, im2col: false } as const;
const TILED = { kernelVariants: { pointwise: 'tiled', reductions: 'workgroup' }, im2col: false } as const;
const SG = { kernelVariants: { pointwise: 'basic', reductions: 'subgroups' }, im2col: false } as const;
const ALL_PLANS: [string, LoadOptions][] = [
  ['unfused', { fuse: false, ...BASIC }],
  ['steps', { blockFusion: false, ...BASIC }],
  ['se', { blockFusion: { se: true, pairs: false }, ...BASIC }],
  ['pairs', { blockFusion: { se: false, pairs: true }, ...BASIC }],
  ['blocks', { blockFusion: true, ...BASIC }],
  ['steps-tiled', { blockFusion: false, ...TILED }],
  ['blocks-tiled', { blockFusion: true, ...TILED }],
  ['steps-sg', { blockFusion: false, ...SG }],
  ['blocks-sg', { blockFusion: true, ...SG }],
  ['steps-sg-im2col', { blockFusion: false, ...SG, im2col: true }],
  ['blocks-sg-im2col', { blockFusion: true, ...SG, im2col: true }],
];
const planFlag = args.flags.get('plans');
const PLANS = planFlag ? ALL_PLANS.filter(([n]) => String(planFlag).split(',').includes(n)) : ALL_PLANS;


let gpu: Runtime;
try {
  gpu = await createRuntime({ backend: 'webgpu' });
} catch (e) {
  console.log(`NO WEBGPU ADAPTER: ${(e as Error).message}`);
  console.log('(a machine without a Vulkan / Metal / D3D12 driver has none; on Linux the webgpu package needs libvulkan1 and a driver ICD)');
  process.exit(0);
}
const ctx = gpu.gpu!;
const info = ctx.adapter.info;
const limits = ctx.adapter.limits;
const adapter = {
  name: ctx.adapterName,
  vendor: info.vendor,
  architecture: info.architecture,
  device: info.device,
  description: info.description,
  software: ctx.isSoftware,
  features: [...ctx.adapter.features].sort(),
  limits: {
    maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
    maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
  },
};
console.log(`adapter: ${adapter.name} (${adapter.software ? 'SOFTWARE' : 'hardware'})`);
console.log(`features: ${adapter.features.join(', ')}`);
console.log(`limits: ${JSON.stringify(adapter.limits)}`);
if (adapter.software) {
  console.log('NO HARDWARE ADAPTER FOUND: this is a software rasterizer on the CPU; the timings below are emulation, not GPU numbers.');
}
console.log(`default plan on this adapter: ${gpu.blockFusionDefault ? 'blocks' : 'steps'}; node ${process.version}, ${os.cpus().length} cpus`);

function sources(): [string, ModelSource][] {
  const out: [string, ModelSource][] = [];
  for (const m of models) {
    if (m === 'large' || m === 'small') out.push([`${m}-1.0-${resolution}`, mobilenetV3({ size: m, resolution, seed: 0 })]);
    else if (m === 'uint8') {
      if (UINT8) out.push(['v3-small_224_1.0_uint8.tflite', importTflite(new Uint8Array(readFileSync(UINT8)), UINT8)]);
      else console.log('uint8: v3-small_224_1.0_uint8.tflite not found (../shared/models); skipped');
    } else throw new Error(`--models: unknown model '${m}' (large, small, uint8)`);
  }
  return out;
}

interface Row {
  model: string;
  plan: string;
  dispatches: number;
  pipelines: number;
  loadMs: number;
  pipelinesMs: number;
  firstMs: number;
  medianMs: number;
  maxAbsDiff: number;
  gpuMsByKernel?: Record<string, number>;
  gpuTop?: { label: string; ms: number }[];
}

const rows: Row[] = [];
const cpu = await createRuntime({ backend: 'cpu' });
for (const [name, src] of sources()) {
  const ref = await cpu.load(src);
  const { h, w, c } = ref.inputShape;
  const rng = new Rng(7);
  const x = new Float32Array(h * w * c).map(() => rng.uniform(-1, 1));
  const want = await ref.run(x);
  for (const [plan, opts] of PLANS) {
    const m: Model = await gpu.load(src, opts);
    try {
      const t0 = performance.now();
      const got = await m.run(x);
      const firstMs = performance.now() - t0;
      let maxAbsDiff = 0;
      for (let i = 0; i < got.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(got[i] - want[i]));
      for (let i = 0; i < warmup; i++) await m.run(x);
      const ts: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        await m.run(x);
        ts.push(performance.now() - t);
      }
      const row: Row = {
        model: name, plan, dispatches: m.stats.dispatches, pipelines: m.loadProfile?.gpu?.pipelines ?? 0,
        loadMs: m.loadProfile?.totalMs ?? 0, pipelinesMs: m.loadProfile?.gpu?.pipelinesMs ?? 0, firstMs, medianMs: stats(ts).median, maxAbsDiff,
      };
      if (ctx.device.features.has('timestamp-query') && m.gpuExecutor) {
        const prof = await m.gpuExecutor.profile(padChannels(x, h * w, c));
        row.gpuMsByKernel = {};
        for (const p of prof) row.gpuMsByKernel[p.kernel] = (row.gpuMsByKernel[p.kernel] ?? 0) + p.ms;
        row.gpuTop = prof.slice(0, 5).map((p) => ({ label: p.label, ms: p.ms }));
      }
      rows.push(row);
      const k = row.gpuMsByKernel ? Object.entries(row.gpuMsByKernel).map(([n, v]) => `${n} ${v.toFixed(2)}`).join(', ') : 'no timestamp-query';
      console.log(`${name} ${plan}: ${row.dispatches} dispatches, ${row.pipelines} pipelines, load ${row.loadMs.toFixed(0)} ms (pipelines ${row.pipelinesMs.toFixed(0)}), first ${firstMs.toFixed(1)} ms, median ${row.medianMs.toFixed(2)} ms, max|d| ${maxAbsDiff.toExponential(1)}; GPU ms by kernel: ${k}`);
    } finally {
      m.dispose();
    }
  }
}

console.log('\n| model | plan | dispatches | load ms | first ms | median ms | max abs diff vs CPU |');
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.model} | ${r.plan} | ${r.dispatches} | ${r.loadMs.toFixed(0)} | ${r.firstMs.toFixed(1)} | ${r.medianMs.toFixed(2)} | ${r.maxAbsDiff.toExponential(1)} |`);
mkdirSync('bench/results', { recursive: true });
const slug = adapter.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'adapter';
// a --plans subset goes to its own file, so it never replaces the full report
const file = `bench/results/gpu-${slug}${planFlag ? '-subset' : ''}.json`;
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), adapter, defaultPlan: gpu.blockFusionDefault ? 'blocks' : 'steps', runs, warmup, resolution, rows }, null, 1));
console.log(`wrote ${file}`);
gpu.dispose();

if (args.flags.has('browser')) {
  console.log('\nbrowser (chromium): our WebGPU plans and the peers on the same models');
  const r = spawnSync('npx', ['tsx', 'bench/run.ts', '--configs', 'ours-webgpu-blocks,ours-webgpu-fused,ours-webgpu-unfused,tfjs-webgpu,ort-webgpu', '--models', 'large-1.0-224,small-1.0-224'], { stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
}
