/** `--node` mode: every job in a freshly spawned Node process (bench/node_worker.ts). */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { Job, JobResult } from './types.js';

export async function runJobInNode(job: Job, tmpDir: string, timeoutMs: number): Promise<JobResult> {
  mkdirSync(tmpDir, { recursive: true });
  const base = path.join(tmpDir, `${job.config.id}__${job.model.id}__${job.repeat}`);
  writeFileSync(`${base}.job.json`, JSON.stringify(job));
  const out = `${base}.result.json`;
  const logs: string[] = [];
  const fail = (message: string): JobResult => ({ configId: job.config.id, modelId: job.model.id, repeat: job.repeat, status: 'error', message, info: {}, logs });
  const code = await new Promise<number | string>((resolve) => {
    const child = spawn(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', 'bench/node_worker.ts', `${base}.job.json`, out], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer): void => {
      for (const line of d.toString().split('\n')) if (line.trim() && logs.length < 50) logs.push(line.slice(0, 500));
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (c, sig) => {
      clearTimeout(timer);
      resolve(c ?? sig ?? 'unknown');
    });
  });
  if (!existsSync(out)) return fail(`worker exited with ${code} and no result${logs.length ? `: ${logs.slice(-3).join(' | ')}` : ''}`);
  const r = JSON.parse(readFileSync(out, 'utf8')) as JobResult;
  return { ...r, logs: [...(r.logs ?? []), ...logs.filter((l) => !/^=+$|tfjs-node|TensorFlow\.js in Node|^Hi, looks like/.test(l))] };
}
