/**
 * The bench driver: prepare models (Node), build + serve the bench page (loopback,
 * COOP/COEP), run every (model, configuration) job in a fresh chromium (or a fresh Node
 * process with `where: 'node'`) in interleaved order, then aggregate and write the report.
 * `runBench` is what `npm run bench` and test/e2e/bench_smoke.test.ts call.
 */
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { CONFIGS, type ConfigSpec, type Job, type JobResult, type ModelAssets } from './types.js';
import { MODELS, SMOKE_MODEL, prepareModels, type ModelDef } from './models.js';
import { startStaticServer, type StaticServer } from './server.js';
import { buildPage, renderPng } from './page_build.js';
import { browserEnv, runJobInBrowser } from './browser_jobs.js';
import { runJobInNode } from './node_jobs.js';
import { aggregate, markdownTable, chartSvg, type Row } from './report.js';
import { describeRun, printProfiles } from './describe.js';

export type BenchMode = 'full' | 'smoke' | 'profile';

export interface BenchOptions {
  mode: BenchMode;
  where: 'browser' | 'node';
  /** model ids (default: all for full, the tiny model for smoke) */
  models?: string[];
  /** configuration ids (default: all that run in `where`) */
  configs?: string[];
  repeats?: number;
  runs?: number;
  warmupRuns?: number;
  warmupMs?: number;
  absTol?: number;
  timeMismatched?: boolean;
  /** per-job time budget (0/undefined: none): warm-up and timed runs are cut, and say so */
  maxJobSeconds?: number;
  jobTimeoutMs?: number;
  /** where latest.md etc. go (default bench/results) */
  outDir?: string;
  /** base name of the .md/.png (default 'latest'): a subset run can keep the full latest.md */
  name?: string;
  log?: (s: string) => void;
}

export interface BenchSummary {
  ok: boolean;
  failures: string[];
  rows: Row[];
  results: JobResult[];
  files: string[];
}

const TMP = 'bench/results/tmp';

function applies(c: ConfigSpec, m: ModelAssets): boolean {
  if (c.family === 'ours') return true;
  // LiteRT.js and MediaPipe take .tflite files only; the IR models reach TF.js and ORT through converters
  if (m.kind === 'tflite-file') return c.family === 'litert' || c.family === 'mediapipe';
  if (c.family === 'litert' || c.family === 'mediapipe') return false;
  if (m.kind === 'ir') return true;
  return m.kind === 'tfjs-file' ? c.family === 'tfjs' : c.family === 'ort';
}

/** round-robin: repeat r runs the models in order and the configurations rotated by r */
export function interleave<T>(repeats: number, models: ModelAssets[], configs: ConfigSpec[], make: (c: ConfigSpec, m: ModelAssets, r: number) => T): T[] {
  const jobs: T[] = [];
  for (let r = 0; r < repeats; r++) {
    for (const m of models) {
      const cs = configs.filter((c) => applies(c, m));
      const k = cs.length ? r % cs.length : 0;
      for (const c of [...cs.slice(k), ...cs.slice(0, k)]) jobs.push(make(c, m, r));
    }
  }
  return jobs;
}

function pickModels(o: BenchOptions): ModelDef[] {
  const catalog: ModelDef[] = [...MODELS, SMOKE_MODEL];
  const ids = o.models ?? (o.mode === 'smoke' ? [SMOKE_MODEL.id] : o.mode === 'profile' ? ['large-1.0-224', 'small-1.0-224'] : MODELS.map((m) => m.id));
  return ids.map((id) => {
    const d = catalog.find((m) => m.id === id);
    if (!d) throw new Error(`unknown model '${id}' (known: ${catalog.map((m) => m.id).join(', ')})`);
    return d;
  });
}

function pickConfigs(o: BenchOptions): ConfigSpec[] {
  let cs = CONFIGS.filter((c) => c.where.includes(o.where));
  if (o.mode === 'profile') cs = cs.filter((c) => c.family === 'ours' && c.backend === 'webgpu');
  if (o.configs) {
    for (const id of o.configs) if (!CONFIGS.some((c) => c.id === id)) throw new Error(`unknown configuration '${id}' (known: ${CONFIGS.map((c) => c.id).join(', ')})`);
    cs = cs.filter((c) => o.configs!.includes(c.id));
  }
  return cs;
}

export async function runBench(o: BenchOptions): Promise<BenchSummary> {
  const log = o.log ?? ((s: string) => console.log(s));
  const smoke = o.mode === 'smoke';
  const profile = o.mode === 'profile';
  const outDir = o.outDir ?? 'bench/results';
  const timing = {
    runs: o.runs ?? (smoke ? 1 : profile ? 3 : 20),
    warmupRuns: o.warmupRuns ?? (smoke ? 0 : profile ? 2 : 5),
    warmupMs: o.warmupMs ?? (smoke || profile ? 0 : 5000),
  };
  const repeats = o.repeats ?? (smoke || profile ? 1 : 2);
  const absTol = o.absTol ?? 1e-3;
  const maxJobMs = (o.maxJobSeconds ?? 0) * 1000;
  const jobTimeoutMs = o.jobTimeoutMs ?? (smoke ? 120_000 : Math.max(900_000, 2 * maxJobMs));
  mkdirSync(TMP, { recursive: true });
  const loadStart = os.loadavg();
  const t0 = performance.now();

  log(`preparing models (${o.where})...`);
  const prepared = await prepareModels(pickModels(o), path.join(TMP, 'assets'), log);
  const missing = prepared.filter((m): m is { id: string; label: string; missing: string } => 'missing' in m);
  for (const m of missing) log(`  ${m.id}: skipped, ${m.missing}`);
  const models = prepared.filter((m): m is ModelAssets => !('missing' in m));
  const configs = pickConfigs(o);

  let server: StaticServer | null = null;
  const results: JobResult[] = [];
  let env: Record<string, unknown>;
  try {
    let jobModels = models;
    if (o.where === 'browser') {
      await buildPage(log);
      const fileDirs = Object.fromEntries(models.filter((m) => m.kind !== 'ir').map((m) => [`/files/${m.id}/`, path.dirname((m.tfjsJson ?? m.onnx ?? m.tflite)!)]));
      server = await startStaticServer({
        '/': path.join(TMP, 'page-dist'),
        '/wasm/tfjs/': 'node_modules/@tensorflow/tfjs-backend-wasm/dist',
        '/wasm/ort/': 'node_modules/onnxruntime-web/dist',
        '/wasm/litert/': 'node_modules/@litertjs/core/wasm',
        '/wasm/mediapipe/': 'node_modules/@mediapipe/tasks-vision/wasm',
        '/prepared/': path.join(TMP, 'assets'),
        ...fileDirs,
      });
      const s = server;
      const u = (p?: string): string | undefined => (p ? s.urlFor(p) : undefined);
      jobModels = models.map((m) => ({
        ...m, graphJson: u(m.graphJson), graphBin: u(m.graphBin), onnx: u(m.onnx), tfjsJson: u(m.tfjsJson), tflite: u(m.tflite), pixelsRgba: u(m.pixelsRgba),
        inputNhwc: u(m.inputNhwc)!, inputNchw: u(m.inputNchw)!, reference: u(m.reference)!, referenceInt8: u(m.referenceInt8),
      }));
      env = { ...(await browserEnv(`${s.url}/`)) };
      log(`browser: ${env.browser}; adapter: ${JSON.stringify(env.adapter)}; crossOriginIsolated: ${env.crossOriginIsolated}`);
    } else env = await nodeEnv();

    const jobs = interleave(repeats, jobModels, configs, (config, model, repeat): Job => ({ config, model, repeat, ...timing, absTol, maxJobMs, timeMismatched: !!o.timeMismatched, profile }));
    log(`${jobs.length} jobs: ${configs.length} configurations x ${jobModels.length} models x ${repeats} repeats (${timing.runs} runs after >= ${timing.warmupRuns} runs and >= ${timing.warmupMs} ms of warm-up)`);
    for (const [i, job] of jobs.entries()) {
      const j0 = performance.now();
      const r = o.where === 'browser' ? await runJobInBrowser(`${server!.url}/`, job, jobTimeoutMs) : await runJobInNode(job, path.join(TMP, 'node-jobs'), jobTimeoutMs);
      results.push(r);
      const what = r.stats ? `median ${r.stats.median.toFixed(2)} ms (load ${r.loadMs?.toFixed(0)} ms, first ${r.coldMs?.toFixed(1)} ms)` : (r.message ?? '').slice(0, 300);
      const diff = r.cold ? ` max|d| ${r.cold.maxAbsDiff.toExponential(1)}` : '';
      log(`[${i + 1}/${jobs.length}] ${job.model.id} ${job.config.id} #${job.repeat}: ${r.status}${diff} ${what} (${((performance.now() - j0) / 1000).toFixed(1)} s)`);
    }
  } finally {
    await server?.close();
  }

  const rows = aggregate(results, models.map((m) => m.id), configs.map((c) => c.id));
  const labels = Object.fromEntries(prepared.map((m) => [m.id, m.label]));
  const failures = rows.filter((r) => r.status === 'error' || r.status === 'mismatch').map((r) => `${r.modelId} / ${r.configId}: ${r.status}: ${r.message ?? ''}`);
  const meta = {
    date: new Date().toISOString(), mode: o.mode, where: o.where, repeats, ...timing, absTol, maxJobSeconds: maxJobMs / 1000, env, loadavgStart: loadStart, loadavgEnd: os.loadavg(),
    wallSeconds: (performance.now() - t0) / 1000, missingModels: missing,
    inputs: Object.fromEntries(models.map((m) => [m.id, m.inputBy])),
  };
  const files: string[] = [];
  const stamp = meta.date.replace(/:/g, '-').replace(/\..*/, '');
  const suffix = o.where === 'node' ? '-node' : '';
  const dir = smoke || profile ? TMP : outDir;
  mkdirSync(dir, { recursive: true });
  const base = smoke ? `smoke${suffix}` : profile ? `profile${suffix}` : null;
  const jsonFile = path.join(dir, base ? `${base}.json` : `${stamp}${suffix}.json`);
  writeFileSync(jsonFile, JSON.stringify({ ...meta, rows, results }, null, 1));
  files.push(jsonFile);
  if (profile) printProfiles(results, log);
  else {
    const md = `${describeRun(meta, rows, labels)}\n\n${markdownTable(rows, labels)}\n`;
    const mdFile = path.join(dir, base ? `${base}.md` : `${o.name ?? 'latest'}${suffix}.md`);
    writeFileSync(mdFile, md);
    files.push(mdFile);
    const pngFile = path.join(dir, base ? `${base}.png` : `${o.name ?? 'latest'}${suffix}.png`);
    try {
      await renderPng(chartSvg(rows, labels, `mobilenetv3-webgpu bench (${o.mode}, ${o.where}) ${String((env as { browser?: string }).browser ?? (env as { node?: string }).node ?? '')}`), pngFile);
      files.push(pngFile);
    } catch (e) {
      log(`chart not rendered: ${(e as Error).message}`);
    }
    log('');
    log(markdownTable(rows, labels));
  }
  log(`\nwrote ${files.join(', ')} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return { ok: failures.length === 0 && rows.some((r) => r.status === 'ok'), failures, rows, results, files };
}

async function nodeEnv(): Promise<Record<string, unknown>> {
  const { createRuntime } = await import('../../src/index.js');
  let adapter = 'none';
  try {
    const rt = await createRuntime({ backend: 'webgpu' });
    adapter = rt.gpu?.adapterName ?? 'none';
    rt.dispose();
  } catch (e) {
    adapter = `no WebGPU: ${(e as Error).message}`;
  }
  const webgpuPkg = existsSync('node_modules/webgpu/package.json') ? (JSON.parse(readFileSync('node_modules/webgpu/package.json', 'utf8')) as { version: string }).version : 'missing';
  return { node: process.version, adapter: { description: adapter }, webgpuPackage: webgpuPkg };
}
