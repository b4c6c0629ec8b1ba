/**
 * npm run soak — many load / run / dispose cycles of one model in one process, on webgpu and
 * on wasm: live GPU buffers (counted at the device, independent of the runtime's counters),
 * process RSS and JS heap after a forced GC, the wasm memory still held by models. Then the
 * same for a device lost mid-run every few cycles (webgpu). Not a test: it reports figures
 * (bench/results/soak.json); the suite's test/gpu/soak.test.ts asserts the bounded parts.
 * Options: --cycles N (default 1000), --resolution N (default 224), --size small|large,
 *          --backends webgpu,wasm
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createRuntime, mobilenetV3, type Model } from '../src/index.js';
import { requestGpu } from '../src/backends/webgpu/device.js';
import { parseArgs, numberFlag } from '../src/cli/args.js';
import { Rng } from '../src/graph/rng.js';
import { trackBuffers } from '../test/helpers/gpu_accounting.js';

const args = parseArgs(process.argv.slice(2));
const cycles = numberFlag(args, 'cycles') ?? 1000;
const resolution = numberFlag(args, 'resolution') ?? 224;
const size = (args.flags.get('size') as 'small' | 'large' | undefined) ?? 'small';
const backends = String(args.flags.get('backends') ?? 'webgpu,wasm').split(',');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) console.warn('soak: run with node --expose-gc for meaningful RSS / heap figures');

const MB = 1024 * 1024;
interface Sample {
  cycle: number;
  liveBuffers?: number;
  liveBufferMB?: number;
  rssMB: number;
  heapMB: number;
  wasmHeldMB: number;
  uncollectedModels: number;
  msPerCycle: number;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function soak(backend: 'webgpu' | 'wasm'): Promise<{ backend: string; baselineBuffers?: number; samples: Sample[] }> {
  // webgpu: our own device, tracked at createBuffer / destroy, handed to the runtime
  const dev = backend === 'webgpu' ? (await requestGpu()).device : null;
  const acc = dev ? trackBuffers(dev) : null;
  const rt = await createRuntime(dev ? { device: dev } : { backend: 'wasm' });
  const x = new Rng(1).fill(resolution * resolution * 3, -1, 1);
  const source = mobilenetV3({ size, resolution });
  source.graph(); // build (and calibrate) the graph once: the soak is about load / dispose
  const baselineBuffers = acc?.live;
  const collected = { n: 0 };
  const registry = new FinalizationRegistry(() => collected.n++);
  const samples: Sample[] = [];
  const marks = new Set([1, 10, 100, 250, 500, 750, cycles]);
  let t0 = performance.now();
  let held = 0;
  let lastMark = 0;
  for (let i = 1; i <= cycles; i++) {
    const m: Model = await rt.load(source);
    registry.register(m, i);
    await m.run(x);
    held = m.wasmMemoryBytes;
    m.dispose();
    if (marks.has(i)) {
      const ms = (performance.now() - t0) / (i - lastMark);
      await settle();
      const mem = process.memoryUsage();
      samples.push({
        cycle: i,
        ...(acc ? { liveBuffers: acc.live, liveBufferMB: +(acc.liveBytes / MB).toFixed(2) } : {}),
        rssMB: +(mem.rss / MB).toFixed(1),
        heapMB: +(mem.heapUsed / MB).toFixed(1),
        wasmHeldMB: +(held / MB).toFixed(2),
        uncollectedModels: i - collected.n,
        msPerCycle: +ms.toFixed(1),
      });
      console.log(`${backend} cycle ${i}: ${JSON.stringify(samples[samples.length - 1])}`);
      lastMark = i;
      t0 = performance.now();
    }
  }
  rt.dispose();
  dev?.destroy();
  return { backend, baselineBuffers, samples };
}

/** webgpu: a device destroyed during every 10th run; each time the run rejects and the next recovers */
async function lossSoak(rounds: number): Promise<{ rounds: number; rejected: number; recovered: number; mismatches: number; liveBuffersPerModel: number[] }> {
  const rt = await createRuntime({ backend: 'webgpu' });
  const x = new Rng(2).fill(resolution * resolution * 3, -1, 1);
  const m = await rt.load(mobilenetV3({ size, resolution }));
  const ref = await m.run(x);
  let rejected = 0;
  let mismatches = 0;
  const per: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const p = m.run(x);
    rt.gpu!.device.destroy();
    await p.then(() => undefined, () => rejected++);
    for (let k = 0; k < 9; k++) {
      const y = await m.run(x);
      if (y.some((v, i) => v !== ref[i])) mismatches++;
    }
    per.push(m.gpuBuffers);
  }
  const out = { rounds, rejected, recovered: rt.deviceRecoveries, mismatches, liveBuffersPerModel: [...new Set(per)] };
  m.dispose();
  rt.dispose();
  return out;
}

const results: unknown[] = [];
for (const b of backends) results.push(await soak(b as 'webgpu' | 'wasm'));
let loss: unknown = null;
if (backends.includes('webgpu')) {
  loss = await lossSoak(Math.max(3, Math.round(cycles / 100)));
  console.log(`device loss: ${JSON.stringify(loss)}`);
}
const report = { date: new Date().toISOString(), host: `${os.cpus()[0]?.model} x${os.cpus().length}`, node: process.version, size, resolution, cycles, results, deviceLoss: loss };
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/soak.json', JSON.stringify(report, null, 2) + '\n');
console.log('wrote bench/results/soak.json');
