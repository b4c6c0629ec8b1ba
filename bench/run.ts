/**
 * npm run bench                 full cross-backend comparison in headless chromium
 * npm run bench -- --smoke      tiny model (Small 0.35 @ 96), two runs per configuration,
 *                               every configuration; exit 1 if any output does not match
 * npm run bench -- --node       the same in Node (ours + TF.js cpu/wasm + onnxruntime-node)
 * npm run bench -- --profile    per-dispatch GPU time (timestamp queries) of our WebGPU
 *                               configurations, sorted, with node and kernel names
 * Options: --models a,b  --configs a,b  --repeats N  --runs N  --warmup-runs N
 *          --warmup-ms N  --tol X  --time-mismatched  --job-timeout S
 *          --name N   write bench/results/N.md/.png instead of latest.* (subset runs)
 *          --max-job-seconds S   per-job budget: cut warm-up/runs (and say so) on slow
 *                                machines, e.g. SwiftShader; default none
 * Outputs: bench/results/<date>.json, bench/results/latest.md, bench/results/latest.png
 * (--node: <date>-node.json, latest-node.*; --smoke/--profile: bench/results/tmp/).
 */
import { runBench, type BenchOptions } from './lib/bench.js';

const argv = process.argv.slice(2);
const flag = (k: string): boolean => argv.includes(`--${k}`);
function value(k: string): string | undefined {
  const i = argv.findIndex((a) => a === `--${k}` || a.startsWith(`--${k}=`));
  if (i < 0) return undefined;
  const a = argv[i];
  if (a.includes('=')) return a.slice(a.indexOf('=') + 1);
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`--${k} needs a value`);
  return v;
}
const num = (k: string): number | undefined => {
  const v = value(k);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${k}: '${v}' is not a number`);
  return n;
};
const list = (k: string): string[] | undefined => value(k)?.split(',').map((s) => s.trim()).filter(Boolean);

const known = new Set(['smoke', 'node', 'profile', 'models', 'configs', 'repeats', 'runs', 'warmup-runs', 'warmup-ms', 'tol', 'time-mismatched', 'max-job-seconds', 'job-timeout', 'name', 'help']);
for (const a of argv) if (a.startsWith('--') && !known.has(a.slice(2).split('=')[0])) throw new Error(`unknown option ${a} (see bench/run.ts)`);
if (flag('help')) {
  console.log('usage: npm run bench [-- --smoke | --profile] [--node] [--models ids] [--configs ids] [--repeats N] [--runs N] [--warmup-runs N] [--warmup-ms N] [--tol X] [--time-mismatched] [--max-job-seconds S] [--job-timeout S]');
  process.exit(0);
}

const opts: BenchOptions = {
  mode: flag('profile') ? 'profile' : flag('smoke') ? 'smoke' : 'full',
  where: flag('node') ? 'node' : 'browser',
  models: list('models'),
  configs: list('configs'),
  repeats: num('repeats'),
  runs: num('runs'),
  warmupRuns: num('warmup-runs'),
  warmupMs: num('warmup-ms'),
  absTol: num('tol'),
  timeMismatched: flag('time-mismatched'),
  maxJobSeconds: num('max-job-seconds'),
  name: value('name'),
  jobTimeoutMs: num('job-timeout') !== undefined ? num('job-timeout')! * 1000 : undefined,
};
if (opts.mode === 'profile' && flag('smoke')) opts.models ??= ['small-0.35-96'];

const summary = await runBench(opts);
// --smoke is a check: any configuration that errors or mismatches fails it. A full run or a
// profile reports failures in its table and fails only when nothing ran at all.
const failed = opts.mode === 'smoke' ? !summary.ok : !summary.rows.some((r) => r.status === 'ok');
if (summary.failures.length) console.error(`\nnot ok:\n${summary.failures.map((f) => `  - ${f}`).join('\n')}`);
if (failed) {
  console.error(`bench ${opts.mode}: FAILED (${summary.failures.length} configuration(s) not ok${summary.rows.some((r) => r.status === 'ok') ? '' : ', none ok'})`);
  process.exit(1);
}
process.exit(0);
