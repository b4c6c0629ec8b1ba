/**
 * One GPU run of a frame for the demo engine: the input (floats, or a preprocess pass from a
 * camera texture) and the network in one submit, timestamp queries around both passes when
 * the device has 'timestamp-query', and a failure tagged with where it happened.
 */
import type { Model } from '../../src/runtime.js';
import { unpadChannels } from '../../src/graph/layout.js';
import type { Timings } from './engine_types.js';

/** where a GPU run failed: preparing the input (source refused), running (device broken), validation */
export type GpuRunError = Error & { stage?: 'prepare' | 'run' | 'validation' };

/** query set (preprocess begin/end, network begin/end) and its resolve / read-back buffers */
export interface Timestamps {
  qs: GPUQuerySet;
  resolve: GPUBuffer;
  read: GPUBuffer;
}

export const TIMESTAMP_RESOURCES = 3;

export function createTimestamps(device: GPUDevice): Timestamps {
  return {
    qs: device.createQuerySet({ label: 'demo:timestamps', type: 'timestamp', count: 4 }),
    resolve: device.createBuffer({ label: 'demo:timestamps', size: 32, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }),
    read: device.createBuffer({ label: 'demo:timestamps-read', size: 32, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
  };
}

export function destroyTimestamps(ts: Timestamps | null): void {
  ts?.qs.destroy();
  ts?.resolve.destroy();
  ts?.read.destroy();
}

/**
 * One GPU run. `input` returns either the padded input floats or a writer recording the
 * preprocess pass (given its timestamp writes). Validation errors reject.
 */
export async function runGpu(
  model: Model,
  ts: Timestamps | null,
  input: (ts?: GPUComputePassTimestampWrites) => Float32Array | ((e: GPUCommandEncoder, b: GPUBuffer) => void),
): Promise<{ outs: Float32Array[]; timings: Omit<Timings, 'postMs' | 'totalMs'> }> {
  const ex = model.gpuExecutor!;
  const device = ex.device;
  const t0 = performance.now();
  device.pushErrorScope('validation');
  let padded: Float32Array[];
  let writer: Float32Array | ((e: GPUCommandEncoder, b: GPUBuffer) => void);
  let error: unknown = null;
  let stage: GpuRunError['stage'] = 'prepare';
  let tPre = t0;
  try {
    writer = input(ts ? { querySet: ts.qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } : undefined);
    tPre = performance.now();
    stage = 'run';
    const gpuPre = !(writer instanceof Float32Array);
    padded = await ex.runWith(writer, {
      ...(ts ? { timestampWrites: { querySet: ts.qs, beginningOfPassWriteIndex: 2, endOfPassWriteIndex: 3 } } : {}),
      epilogue: ts
        ? (e) => {
            const first = gpuPre ? 0 : 2;
            e.resolveQuerySet(ts.qs, first, 4 - first, ts.resolve, first * 8);
            e.copyBufferToBuffer(ts.resolve, 0, ts.read, 0, 32);
          }
        : undefined,
    });
  } catch (e) {
    error = e;
  }
  const v = await device.popErrorScope().catch((e: unknown) => ({ message: `device lost (${(e as Error).message})` }) as GPUError);
  if (error || v) {
    // an exception while preparing: the source was refused; while running: the device broke;
    // a validation error alone: this path's commands are invalid here
    const err = (error instanceof Error ? error : new Error(v?.message ?? String(error))) as GpuRunError;
    err.stage = error ? stage : 'validation';
    throw err;
  }
  const tRun = performance.now();
  const isWriter = !(writer! instanceof Float32Array);
  let gpuPreMs = 0;
  let gpuNetMs: number | null = null;
  if (ts) {
    await ts.read.mapAsync(GPUMapMode.READ);
    const t = new BigUint64Array(ts.read.getMappedRange().slice(0));
    ts.read.unmap();
    if (isWriter && t[1] > t[0]) gpuPreMs = Number(t[1] - t[0]) / 1e6;
    if (t[3] > t[2]) gpuNetMs = Number(t[3] - t[2]) / 1e6;
  }
  const outs = padded!.map((o, i) => {
    const t = model.plan.outputs[i];
    return unpadChannels(o, t.h * t.w, t.c);
  });
  const tEnd = performance.now();
  const wall = tRun - tPre;
  const cpuPre = tPre - t0; // texture upload / bind group recording
  if (gpuNetMs !== null) {
    const preMs = cpuPre + gpuPreMs;
    return { outs, timings: { preMs, netMs: gpuNetMs, readMs: Math.max(0, wall - gpuNetMs - gpuPreMs) + (tEnd - tRun), gpuTimed: true } };
  }
  return { outs, timings: { preMs: cpuPre, netMs: wall, readMs: tEnd - tRun, gpuTimed: false } };
}

