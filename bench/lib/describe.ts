/** The report's header (machine, browser, method, bounds) and the --profile printout. */
import os from 'node:os';
import { readFileSync, existsSync } from 'node:fs';
import type { JobResult } from './types.js';
import type { Row } from './report.js';

function version(pkg: string): string {
  const f = `node_modules/${pkg}/package.json`;
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as { version: string }).version : 'missing';
}

function cpuModel(): string {
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

interface Meta {
  date: string;
  mode: string;
  where: string;
  repeats: number;
  runs: number;
  warmupRuns: number;
  warmupMs: number;
  absTol: number;
  env: Record<string, unknown>;
  loadavgStart: number[];
  loadavgEnd: number[];
  wallSeconds: number;
  missingModels: { id: string; missing: string }[];
  maxJobSeconds: number;
  inputs: Record<string, string>;
}

export function describeRun(meta: Meta, rows: Row[], labels: Record<string, string>): string {
  const e = meta.env as { browser?: string; userAgent?: string; adapter?: Record<string, string> | null; adapterFeatures?: string[]; webgl?: string; crossOriginIsolated?: boolean; hardwareConcurrency?: number; flags?: string[]; node?: string; webgpuPackage?: string };
  const adapter = e.adapter ? Object.entries(e.adapter).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(', ') : 'none';
  const lines = [
    `# Cross-backend latency (${meta.mode}, ${meta.where})`,
    '',
    `- date: ${meta.date}`,
    `- CPU: ${cpuModel()} x ${os.cpus().length} logical cores; ${Math.round(os.totalmem() / 2 ** 30)} GiB; ${os.type()} ${os.release()}; load average ${meta.loadavgStart.map((v) => v.toFixed(1)).join('/')} at start, ${meta.loadavgEnd.map((v) => v.toFixed(1)).join('/')} at end${meta.loadavgStart[0] > os.cpus().length * 0.5 ? ' (**busy machine: timings are noisy**)' : ''}`,
  ];
  if (meta.where === 'browser') {
    lines.push(
      `- browser: ${e.browser} (headless; flags ${(e.flags ?? []).join(' ')}); navigator.hardwareConcurrency ${e.hardwareConcurrency}; crossOriginIsolated ${e.crossOriginIsolated}`,
      `- WebGPU adapter (requestAdapter().info): ${adapter}; timestamp-query: ${e.adapterFeatures?.includes('timestamp-query') ? 'yes' : 'no'}`,
      `- WebGL: ${e.webgl ?? 'none'}`,
    );
  } else lines.push(`- Node ${e.node}; \`webgpu\` package ${e.webgpuPackage}; adapter: ${adapter}`);
  lines.push(
    `- peers: @tensorflow/tfjs ${version('@tensorflow/tfjs')} (+ backend-wasm ${version('@tensorflow/tfjs-backend-wasm')}, backend-webgpu ${version('@tensorflow/tfjs-backend-webgpu')}), onnxruntime-web ${version('onnxruntime-web')}, onnxruntime-node ${version('onnxruntime-node')}, @litertjs/core ${version('@litertjs/core')}, @mediapipe/tasks-vision ${version('@mediapipe/tasks-vision')}`,
    `- method: every job (one configuration on one model) runs in a freshly launched ${meta.where === 'browser' ? 'chromium (new browser, new page)' : 'Node process'}; jobs are interleaved (each of ${meta.repeats} repeat(s) runs the models in turn with the configurations rotated). Per job: load = backend init + model build/compile from bytes already in memory; first run = cold inference; then a warm-up of >= ${meta.warmupRuns} runs and >= ${meta.warmupMs / 1000} s, then ${meta.runs} timed runs. Every run goes from a Float32Array input in CPU memory to every output back in CPU memory. Warm statistics pool the timed runs of all repeats; load and first run are medians over repeats.`,
    `- correctness first: each job compares its first output with the reference before timing (bound: max |y - ref| <= ${meta.absTol} x max(1, max |ref|), no NaN/Inf, same top-1 for classifiers unless the reference's top-2 gap is within the bound); the last timed output is compared again. A row outside the bound is marked MISMATCH and not timed. .tflite files use their own bound (bench/lib/models.ts absTol: 0.15 uint8 Small softmax, 0.1 int8 Small logits, 0.05 selfie mask; reference: our CPU path in Node on the same pixels; MediaPipe timed from an ImageData at the model's size already in memory, ours and LiteRT from a typed array).`,
    `- references: seeded IR models (MobileNetV3, seed 0): our CPU path in Node; TF.js files: TF.js cpu backend in Node; ONNX files: onnxruntime-node. The same IR model reaches TF.js through bench/peers/tfjs_from_ir.ts and ORT through bench/peers/onnx_from_ir.ts (BatchNorm folded as converters do).`,
    `- inputs: ${Object.entries(meta.inputs).map(([k, v]) => `${k}: ${v}`).join('; ')}`,
    ...(meta.maxJobSeconds > 0 ? [`- per-job time budget: ${meta.maxJobSeconds} s (--max-job-seconds): slow rows have fewer runs than stated above, see Remarks`] : []),
    `- GPU ms: ours only, median over profiled runs of the sum of per-dispatch timestamp-query durations (one compute pass per dispatch while profiling).`,
    `- wall time: ${meta.wallSeconds.toFixed(0)} s`,
  );
  for (const m of meta.missingModels) lines.push(`- model ${m.id} not run: ${m.missing}`);
  const details = rows
    .filter((r) => Object.keys(r.info).length)
    .map((r) => `  - ${labels[r.modelId] ?? r.modelId} / ${r.configId}: ${Object.entries(r.info).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  const seen = new Set<string>();
  const logs = rows.flatMap((r) => r.logs.filter((l) => !seen.has(`${r.configId}${l}`) && seen.add(`${r.configId}${l}`)).slice(0, 3).map((l) => `  - ${r.configId}: ${l.replace(/\s+/g, ' ').slice(0, 300)}`));
  if (details.length) lines.push('- configuration details:', ...details);
  if (logs.length) lines.push('- console warnings/errors seen (first 3 per row):', ...logs.slice(0, 60));
  return lines.join('\n');
}

/** --profile: per model and configuration, every dispatch's GPU time, slowest first. */
export function printProfiles(results: JobResult[], log: (s: string) => void): void {
  for (const r of results) {
    log('');
    if (!r.profile) {
      log(`${r.modelId} / ${r.configId}: no profile (${r.status}${r.message ? `: ${r.message}` : ''})`);
      continue;
    }
    const total = r.profile.reduce((a, d) => a + d.ms, 0);
    log(`${r.modelId} / ${r.configId}: ${r.profile.length} dispatches, GPU ${total.toFixed(3)} ms (sum of timestamps), warm wall median ${r.stats?.median.toFixed(2)} ms`);
    log(`${'ms'.padStart(9)} ${'%'.padStart(6)} ${'cum%'.padStart(6)}  ${'kernel'.padEnd(16)} ${'node'.padEnd(36)} label`);
    let cum = 0;
    for (const d of r.profile) {
      cum += d.ms;
      log(`${d.ms.toFixed(4).padStart(9)} ${((100 * d.ms) / total).toFixed(1).padStart(6)} ${((100 * cum) / total).toFixed(1).padStart(6)}  ${d.kernel.padEnd(16)} ${d.node.padEnd(36)} ${d.label}`);
    }
  }
}
