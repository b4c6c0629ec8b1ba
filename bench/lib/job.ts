/**
 * One job = one configuration on one model, in a fresh page (or a fresh Node process):
 * fetch the prepared assets (untimed), load (timed: backend init + model build/compile),
 * a cold run compared with the reference BEFORE any timing, warm-up, timed runs, the last
 * output compared again, then GPU timestamps where the configuration has them.
 * Runs in the browser (bench/page) and in Node (bench/node_worker.ts) through a Host.
 */
import type { Job, JobResult, ModelAssets, DispatchTime } from './types.js';
import { compare, stats, timeRuns, nhwcToNchw } from './measure.js';
import { SkipError, type Host, type PreparedInputs, type Runner, type RunnerFactory } from './runner.js';

export { SkipError, type Host, type Tf, type Ort, type PreparedInputs, type Runner, type RunnerFactory } from './runner.js';

const factories = new Map<string, () => Promise<RunnerFactory>>();

/**
 * Runner families register here (bench/peers/index.ts, imported by the page and the Node
 * worker) with a lazy loader, so a job only loads the peer it runs and this module never
 * imports the runners.
 */
export function registerRunner(family: string, load: () => Promise<RunnerFactory>): void {
  factories.set(family, load);
}

async function loadFactory(family: string): Promise<RunnerFactory> {
  const load = factories.get(family);
  if (!load) throw new Error(`unknown family '${family}' (registered: ${[...factories.keys()].join(', ') || 'none'}; import bench/peers/index.ts)`);
  return load();
}

async function prepareInputs(m: ModelAssets, family: string, host: Host): Promise<PreparedInputs> {
  const f32 = async (loc: string): Promise<Float32Array> => new Float32Array(await host.fetchBytes(loc));
  const p: PreparedInputs = { nhwc: await f32(m.inputNhwc), nchw: await f32(m.inputNchw) };
  if (m.kind === 'ir') {
    if (family === 'ort') p.onnx = new Uint8Array(await host.fetchBytes(m.onnx!));
    else {
      p.graphJson = new TextDecoder().decode(await host.fetchBytes(m.graphJson!));
      p.graphBin = await f32(m.graphBin!);
    }
  } else if (m.kind === 'onnx-file' && family === 'ort') p.onnx = new Uint8Array(await host.fetchBytes(m.onnx!));
  else if (m.kind === 'tflite-file') {
    p.tflite = new Uint8Array(await host.fetchBytes(m.tflite!));
    p.pixelsRgba = new Uint8Array(await host.fetchBytes(m.pixelsRgba!));
  }
  return p;
}

/** y (in `layout`) in the reference's layout */
function toReferenceLayout(y: Float32Array, layout: Runner['layout'], m: ModelAssets): Float32Array {
  const s = m.referenceShape;
  if (layout === m.referenceLayout || s.length !== 4) return y;
  if (layout === 'nhwc' && m.referenceLayout === 'nchw') return nhwcToNchw(y, s[2], s[3], s[1]);
  if (layout === 'nchw' && m.referenceLayout === 'nhwc') {
    const [, h, w, c] = s;
    const r = new Float32Array(y.length);
    for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) r[p * c + k] = y[k * h * w + p];
    return r;
  }
  return y;
}

const median = (xs: number[]): number => stats(xs).median;

export async function runJob(job: Job, host: Host): Promise<JobResult> {
  const { config, model } = job;
  if (model.absTol !== undefined) job = { ...job, absTol: model.absTol };
  const r: JobResult = { configId: config.id, modelId: model.id, repeat: job.repeat, status: 'error', info: {} };
  let runner: Runner | null = null;
  try {
    const factory = await loadFactory(config.family);
    const inputs = await prepareInputs(model, config.family, host);
    let ref = new Float32Array(await host.fetchBytes(model.reference));
    const refInt8 = model.referenceInt8 ? new Float32Array(await host.fetchBytes(model.referenceInt8)) : null;
    const t0 = performance.now();
    const deadline = job.maxJobMs > 0 ? t0 + job.maxJobMs : undefined;
    runner = await factory(job, host, inputs);
    r.loadMs = performance.now() - t0;
    r.info = runner.info;
    r.dispatches = runner.dispatches;
    // our int8 rows are checked against the integer program's output (our cpu path, quantized: 'int8')
    if (refInt8 && runner.info.quantized === 'int8') ref = refInt8;

    const t1 = performance.now();
    let y = await runner.run();
    r.coldMs = performance.now() - t1;
    r.cold = compare(toReferenceLayout(y, runner.layout, model), ref, job.absTol, model.classification);
    if (refInt8 && model.outputStep) {
      // every row on a quantized file: how far from the integer program, in output quantization steps
      const yy = toReferenceLayout(y, runner.layout, model);
      let d = 0;
      for (let i = 0; i < refInt8.length; i++) d = Math.max(d, Math.abs(yy[i] - refInt8[i]));
      r.info = { ...r.info, int8Steps: +(d / model.outputStep).toFixed(2) };
    }
    if (!r.cold.ok && !job.timeMismatched) {
      r.status = 'mismatch';
      r.message = `cold output differs from the reference (${model.referenceBy}): max|d| ${r.cold.maxAbsDiff.toExponential(2)} > bound ${r.cold.bound.toExponential(2)}${r.cold.nonFinite ? `, ${r.cold.nonFinite} non-finite` : ''}; not timed`;
      return r;
    }
    const t = await timeRuns(async () => {
      y = await runner!.run();
    }, { ...job, deadline });
    if (t.cut) r.note = `time budget (--max-job-seconds ${job.maxJobMs / 1000}): ${t.warmupRuns} warm-up runs in ${(t.warmupMs / 1000).toFixed(1)} s, ${t.times.length} timed runs`;
    r.times = t.times;
    r.warmupRuns = t.warmupRuns;
    r.warmupMs = t.warmupMs;
    r.stats = stats(t.times);
    r.last = compare(toReferenceLayout(y, runner.layout, model), ref, job.absTol, model.classification);
    r.status = r.cold.ok && r.last.ok ? 'ok' : 'mismatch';
    if (r.status === 'mismatch') r.message = `output differs from the reference (cold ok: ${r.cold.ok}, last ok: ${r.last.ok}; max|d| ${Math.max(r.cold.maxAbsDiff, r.last.maxAbsDiff).toExponential(2)})`;

    if (runner.gpuProfile) {
      const sums: number[] = [];
      let last: DispatchTime[] = [];
      for (let i = 0; i < (job.profile ? 5 : 3); i++) {
        last = await runner.gpuProfile();
        sums.push(last.reduce((a, d) => a + d.ms, 0));
      }
      r.gpuMs = median(sums);
      if (job.profile) r.profile = last;
    }
  } catch (e) {
    const err = e as Error;
    if (err instanceof SkipError || err?.name === 'SkipError') {
      r.status = 'skipped';
      r.message = err.message;
    } else {
      r.status = 'error';
      r.message = `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`;
    }
  } finally {
    try {
      runner?.dispose();
    } catch {
      // the page or process ends right after
    }
  }
  return r;
}
