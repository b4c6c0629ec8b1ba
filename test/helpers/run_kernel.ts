/**
 * Test helpers: run ONE kernel on the GPU (explicit layout, real Params, its dispatchSize)
 * and its CPU twin on copies of the same data; a seeded PRNG; an element-wise comparison.
 */
import { CPU_KERNELS } from '../../src/kernels/cpu/index.js';
import { SE_SCRATCH_VEC4 } from '../../src/kernels/squeeze_excite.js';
import { gpuParams, packParams, type KernelSpec, type OverrideValues, type ParamValues } from '../../src/kernels/spec.js';
import { PipelineCache } from '../../src/backends/webgpu/pipelines.js';

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n uniform values in [lo, hi). */
export function randomArray(rng: () => number, n: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rng();
  return out;
}

/**
 * Lays packed parts out like the executor's weights arena, after `lead` junk floats and with
 * junk-filled gaps (so a kernel reading outside its part shows up). Offsets are in vec4 units.
 */
export function packArena(parts: Float32Array[], lead = 8, junk = 1234.5): { weights: Float32Array; offsets: number[] } {
  const offsets: number[] = [];
  let n = Math.ceil(lead / 4) * 4;
  for (const p of parts) {
    offsets.push(n / 4);
    n += Math.ceil(p.length / 4) * 4 + 4;
  }
  const weights = new Float32Array(n).fill(junk);
  parts.forEach((p, i) => weights.set(p, offsets[i] * 4));
  return { weights, offsets };
}

/** A conv / depthwise edge-sweep case shared by the GPU and WASM kernel tests. */
export interface ConvCase {
  h: number;
  w: number;
  inC: number;
  outC: number;
  k: [number, number];
  s: [number, number];
  d: [number, number];
  /** top, left, bottom, right */
  pad: [number, number, number, number];
  act: number;
}

export interface KernelRun {
  readonly spec: KernelSpec;
  readonly overrides: OverrideValues;
  readonly params: ParamValues;
  /** data per storage binding name (not the output); missing read-only bindings get a zero dummy */
  readonly inputs: Readonly<Record<string, Float32Array>>;
  /** floats in the output binding */
  readonly outputLength: number;
  /** the writable binding returned, for a kernel with several (default: the only one) */
  readonly output?: string;
  /** floats in each other writable binding (default outputLength); NaN-filled on the GPU */
  readonly otherLengths?: Readonly<Record<string, number>>;
}

const BUF_STORAGE = 0x80;
const BUF_UNIFORM = 0x40;
const BUF_COPY_SRC = 0x04;
const BUF_COPY_DST = 0x08;
const BUF_MAP_READ = 0x01;
const MAP_READ = 0x1;

function outputBinding(spec: KernelSpec, chosen?: string): string {
  if (chosen) {
    if (!spec.bindings.some((b) => b.kind === 'storage' && b.name === chosen)) throw new Error(`${spec.name}: no writable binding '${chosen}'`);
    return chosen;
  }
  const outs = spec.bindings.filter((b) => b.kind === 'storage' && b.name !== 'scratch');
  if (outs.length !== 1) throw new Error(`${spec.name}: expected exactly one read_write binding besides scratch`);
  return outs[0].name;
}

/** Bytes for a buffer holding `floats` f32: a multiple of 16, at least 16. */
function paddedBytes(floats: number): number {
  return Math.max(16, Math.ceil((floats * 4) / 16) * 16);
}

const caches = new WeakMap<GPUDevice, PipelineCache>();

export function pipelineCache(device: GPUDevice): PipelineCache {
  let c = caches.get(device);
  if (!c) {
    c = new PipelineCache(device);
    caches.set(device, c);
  }
  return c;
}

/**
 * Runs the kernel once on the GPU and returns its output. The output buffer starts as NaN, so an
 * element the kernel fails to write shows up as a mismatch against the CPU twin.
 */
export async function runKernelGpu(device: GPUDevice, run: KernelRun): Promise<Float32Array> {
  const { spec, overrides, params, inputs, outputLength } = run;
  const outName = outputBinding(spec, run.output);
  const { pipeline, layout } = await pipelineCache(device).get(spec, overrides);
  const buffers: GPUBuffer[] = [];
  device.pushErrorScope('validation');
  try {
    const makeBuffer = (label: string, data: Float32Array, usage: number): GPUBuffer => {
      const buf = device.createBuffer({ label, size: paddedBytes(data.length), usage, mappedAtCreation: true });
      new Float32Array(buf.getMappedRange()).set(data);
      buf.unmap();
      buffers.push(buf);
      return buf;
    };
    let outBuf: GPUBuffer | undefined;
    const entries: GPUBindGroupEntry[] = spec.bindings.map((b) => {
      let buffer: GPUBuffer;
      if (b.kind === 'uniform') {
        const bytes = packParams(spec, gpuParams(spec, params, overrides));
        buffer = device.createBuffer({ label: `${spec.name}.params`, size: bytes.byteLength, usage: BUF_UNIFORM | BUF_COPY_DST });
        device.queue.writeBuffer(buffer, 0, bytes);
        buffers.push(buffer);
      } else if (b.name === outName) {
        buffer = makeBuffer(`${spec.name}.${b.name}`, new Float32Array(outputLength).fill(NaN), BUF_STORAGE | BUF_COPY_SRC);
        outBuf = buffer;
      } else if (b.kind === 'storage') {
        buffer = makeBuffer(`${spec.name}.${b.name}`, new Float32Array(run.otherLengths?.[b.name] ?? (b.name === 'scratch' ? SE_SCRATCH_VEC4 * 4 : outputLength)).fill(NaN), BUF_STORAGE);
      } else {
        buffer = makeBuffer(`${spec.name}.${b.name}`, inputs[b.name] ?? new Float32Array(4), BUF_STORAGE);
      }
      return { binding: b.binding, resource: { buffer } };
    });
    const bindGroup = device.createBindGroup({ label: `${spec.name}.bindGroup`, layout, entries });
    const readback = device.createBuffer({ label: 'readback', size: paddedBytes(outputLength), usage: BUF_MAP_READ | BUF_COPY_DST });
    buffers.push(readback);
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    const [x, y, z] = spec.dispatchSize(params, overrides);
    pass.dispatchWorkgroups(x, y, z);
    pass.end();
    enc.copyBufferToBuffer(outBuf!, 0, readback, 0, paddedBytes(outputLength));
    device.queue.submit([enc.finish()]);
    const err = await device.popErrorScope();
    if (err) throw new Error(`${spec.name}: WebGPU validation error: ${err.message}`);
    await readback.mapAsync(MAP_READ);
    const out = new Float32Array(readback.getMappedRange().slice(0, outputLength * 4));
    readback.unmap();
    return out;
  } finally {
    for (const b of buffers) b.destroy();
  }
}

/** Runs the CPU twin on copies of the same data (zero dummies for missing read-only bindings). */
export function runKernelCpu(run: KernelRun): Float32Array {
  const { spec, overrides, params, inputs, outputLength } = run;
  const outName = outputBinding(spec, run.output);
  const views: Record<string, Float32Array> = {};
  for (const b of spec.bindings) {
    if (b.kind === 'uniform') continue;
    if (b.name === outName) views[b.name] = new Float32Array(outputLength);
    else if (b.kind === 'storage') views[b.name] = new Float32Array(run.otherLengths?.[b.name] ?? outputLength);
    else views[b.name] = new Float32Array(inputs[b.name] ?? new Float32Array(4));
  }
  CPU_KERNELS[spec.name](views, params, overrides);
  return views[outName];
}

export interface Mismatch {
  readonly count: number;
  readonly worst: { index: number; got: number; want: number } | null;
  readonly maxAbs: number;
}

/** Elements with |got - want| > atol + rtol*|want| (NaN anywhere counts). */
export function compare(got: Float32Array, want: Float32Array, atol = 1e-4, rtol = 1e-3): Mismatch {
  if (got.length !== want.length) throw new Error(`length ${got.length} != ${want.length}`);
  let count = 0;
  let maxAbs = 0;
  let worst: Mismatch['worst'] = null;
  let worstExcess = -Infinity;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    const ok = d <= atol + rtol * Math.abs(want[i]);
    if (!Number.isNaN(d)) maxAbs = Math.max(maxAbs, d);
    if (!ok) {
      count++;
      const excess = Number.isNaN(d) ? Infinity : d - rtol * Math.abs(want[i]);
      if (worst === null || excess > worstExcess) {
        worst = { index: i, got: got[i], want: want[i] };
        worstExcess = excess;
      }
    }
  }
  return { count, worst, maxAbs };
}

/** Throws a descriptive error when `got` and `want` differ beyond tolerance. */
export function expectClose(got: Float32Array, want: Float32Array, what: string, atol = 1e-4, rtol = 1e-3): void {
  const m = compare(got, want, atol, rtol);
  if (m.count > 0) {
    const w = m.worst!;
    throw new Error(
      `${what}: ${m.count}/${got.length} elements differ (worst at ${w.index}: got ${w.got}, want ${w.want}; max |d| ${m.maxAbs})`,
    );
  }
}

/** Runs GPU and CPU and compares them; returns both outputs. */
export async function checkKernel(device: GPUDevice, run: KernelRun, what: string): Promise<{ gpu: Float32Array; cpu: Float32Array }> {
  const gpu = await runKernelGpu(device, run);
  const cpu = runKernelCpu(run);
  expectClose(gpu, cpu, what);
  return { gpu, cpu };
}
