#!/usr/bin/env node
/**
 * mobilenetv3-webgpu command line:
 *   inspect large|small|FILE [variant options] [--head lraspp|ssdlite --form torchvision|paper] [--json]
 *   run     large|small|FILE [variant options] [--image PATH] [--backend webgpu|wasm|cpu|auto] [--seed S] [--json]
 *   table   [--backend ...]   every variant on the GPU and the CPU path, one row each
 * Variant options: --width W, --width-semantics tf|torchvision, --minimalistic,
 *   --resolution N|HxW, --classes N, --weights FILE.safetensors, --no-fuse
 */
import { readFileSync } from 'node:fs';
import { parseArgs, numberFlag, resolutionFlag, type ParsedArgs } from './args.js';
import { createRuntime, mobilenetV3, planSource, type Runtime, type MobileNetV3SourceOptions, type ModelSource, type BackendChoice } from '../runtime.js';
import { isModelFile, loadModelFile, loadLabels } from './model_file.js';
import { readImageFile, writeMaskPng } from './image_file.js';
import { decodeOutputs, type DetectionOut } from '../heads/decode.js';
import { lraspp } from '../heads/segmentation.js';
import { ssdlite } from '../heads/detection.js';
import { Rng } from '../graph/rng.js';
import { countGraph } from '../graph/stats.js';
import { inferShapes } from '../graph/shapes.js';
import type { Plan } from '../graph/plan.js';

const USAGE = `usage:
  mobilenetv3-webgpu inspect large|small [--width W] [--width-semantics tf|torchvision] [--minimalistic]
                     [--resolution N|HxW] [--classes N] [--weights F.safetensors]
                     [--head lraspp|ssdlite] [--form torchvision|paper] [--json]
  mobilenetv3-webgpu inspect FILE.tflite|FILE.onnx|model.json [--resolution N|HxW] [--json]
  mobilenetv3-webgpu run large|small|FILE [same options] [--image PATH] [--out mask.png] [--labels labels.json]
                     [--backend webgpu|wasm|cpu|auto] [--seed S] [--no-fuse] [--quantized int8|float] [--json]
  mobilenetv3-webgpu table [--backend webgpu|wasm|cpu|auto] [--resolution N]`;

class UsageError extends Error {}

function variantOptions(a: ParsedArgs, size: string | undefined): MobileNetV3SourceOptions {
  if (!size) throw new UsageError('missing model: large or small');
  const sem = a.flags.get('width-semantics');
  const weightsPath = a.flags.get('weights');
  let weights: Uint8Array | undefined;
  if (typeof weightsPath === 'string') {
    try {
      weights = new Uint8Array(readFileSync(weightsPath));
    } catch (e) {
      throw new Error(`cannot read --weights ${weightsPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  return {
    size: size as 'large',
    width: numberFlag(a, 'width'),
    widthSemantics: sem === undefined ? undefined : (String(sem) as 'tf'),
    minimalistic: a.flags.get('minimalistic') === true,
    resolution: resolutionFlag(a),
    classes: numberFlag(a, 'classes'),
    seed: numberFlag(a, 'seed'),
    weights,
    weightsName: typeof weightsPath === 'string' ? weightsPath : undefined,
  };
}

/** The model a command is about: a model file, or a native variant with an optional head. */
function sourceFromArgs(a: ParsedArgs): ModelSource {
  const what = a.positionals[1];
  if (isModelFile(what)) return loadModelFile(what!, resolutionFlag(a));
  const head = a.flags.get('head');
  const formFlag = a.flags.get('form') ?? 'torchvision';
  if (formFlag !== 'torchvision' && formFlag !== 'paper' && formFlag !== 'tf') throw new UsageError(`--form must be torchvision or paper, got '${String(formFlag)}'`);
  const form = formFlag === 'torchvision' ? 'torchvision' : 'tf';
  const v = variantOptions(a, what);
  if (head === undefined) return mobilenetV3(v);
  const common = { size: v.size, width: v.width, minimalistic: v.minimalistic, resolution: v.resolution, classes: v.classes, seed: v.seed, weights: v.weights, weightsName: v.weightsName, form } as const;
  if (head === 'lraspp') return lraspp(common);
  if (head === 'ssdlite') return ssdlite(common);
  throw new UsageError(`--head must be lraspp or ssdlite, got '${String(head)}'`);
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function inspect(a: ParsedArgs): void {
  const t0 = performance.now();
  const src = sourceFromArgs(a);
  const g = src.graph();
  const importMs = performance.now() - t0;
  const fused = planSource(src);
  const unfused = planSource(src, { fuse: false });
  const counts = countGraph(g);
  const stepOf = new Map<string, number>();
  fused.steps.forEach((s, i) => s.fused.forEach((n) => stepOf.set(n, i)));
  const decodeAnchors = (src as { head?: { decode?: { anchors?: ArrayLike<number> } } }).head?.decode?.anchors;
  const anchors = decodeAnchors ? decodeAnchors.length / 4 : undefined;
  const summary = {
    model: src.name,
    params: src.params ?? counts.params,
    macs: counts.macs,
    dispatches: fused.stats.dispatches,
    dispatchesUnfused: unfused.stats.dispatches,
    arenaBytes: fused.stats.arenaBytes,
    arenaBytesUnfused: unfused.stats.arenaBytes,
    weightBytes: fused.stats.weightBytes,
    ...(anchors !== undefined ? { anchors } : {}),
    importMs: Math.round(importMs),
    input: { h: fused.input.h, w: fused.input.w, c: fused.input.c },
    outputs: fused.outputs.map((o) => ({ name: o.name, h: o.h, w: o.w, c: o.c })),
    task: src.task ?? null,
  };
  const shapes = inferShapes(g);
  const ops: Record<string, number> = {};
  for (const n of g.nodes) ops[n.op] = (ops[n.op] ?? 0) + 1;
  if (a.flags.get('json')) {
    const layers = counts.perNode.map((c) => {
      const o = shapes.get(g.nodes.find((n) => n.name === c.node)!.output)!;
      return { ...c, output: [o.h, o.w, o.c], dispatch: stepOf.get(c.node) ?? null };
    });
    const steps = fused.steps.map((s, i) => ({ dispatch: i, label: s.label, kernel: s.kernel, nodes: s.fused, macs: s.macs, workgroups: s.dispatch }));
    process.stdout.write(JSON.stringify({ ...summary, ops, layers, steps }) + '\n');
    return;
  }
  const lines = [`${pad('layer', 40)} ${pad('op', 16)} ${pad('output', 14)} ${pad('params', 10)} ${pad('MACs', 13)} dispatch`];
  for (const c of counts.perNode) {
    const d = stepOf.get(c.node);
    const label = d === undefined ? '(no dispatch)' : `#${d} ${fused.steps[d].kernel}`;
    const o = shapes.get(g.nodes.find((n) => n.name === c.node)!.output)!;
    lines.push(`${pad(c.node, 40)} ${pad(c.op, 16)} ${pad(`${o.h}x${o.w}x${o.c}`, 14)} ${pad(fmt(c.params), 10)} ${pad(fmt(c.macs), 13)} ${label}`);
  }
  lines.push('');
  lines.push(`model ${src.name}  (input ${summary.input.h}x${summary.input.w}x${summary.input.c}; outputs ${summary.outputs.map((o) => `${o.name} ${o.h}x${o.w}x${o.c}`).join(', ')})`);
  lines.push(`ops ${Object.entries(ops).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push(`params ${fmt(summary.params)}  MACs ${fmt(summary.macs)}${anchors !== undefined ? `  anchors ${anchors}` : ''}`);
  lines.push(`dispatches ${summary.dispatches} fused / ${summary.dispatchesUnfused} unfused`);
  lines.push(`arena ${fmt(summary.arenaBytes)} bytes (unfused ${fmt(summary.arenaBytesUnfused)})  weights ${fmt(summary.weightBytes)} bytes`);
  process.stdout.write(lines.join('\n') + '\n');
}

function top5(y: Float32Array): { index: number; score: number }[] {
  return [...y].map((score, index) => ({ index, score })).sort((p, q) => q.score - p.score).slice(0, 5);
}

async function timeRuns(run: () => Promise<unknown>, n: number): Promise<number> {
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await run();
    ts.push(performance.now() - t);
  }
  ts.sort((x, y) => x - y);
  return ts[Math.floor(ts.length / 2)];
}

async function runCmd(a: ParsedArgs): Promise<void> {
  const src = sourceFromArgs(a);
  const imagePath = a.flags.get('image');
  const image = typeof imagePath === 'string' ? readImageFile(imagePath) : null;
  const backend = String(a.flags.get('backend') ?? 'auto') as BackendChoice;
  const rt = await createRuntime({ backend });
  try {
    const qf = a.flags.get('quantized');
    if (qf !== undefined && qf !== 'int8' && qf !== 'float') throw new Error(`option --quantized must be int8 or float, got '${String(qf)}'`);
    const model = await rt.load(src, { fuse: a.flags.get('no-fuse') !== true, ...(qf ? { quantized: qf } : {}) });
    const { h, w, c } = model.inputShape;
    const x = image ?? new Rng(numberFlag(a, 'seed') ?? 0).fill(h * w * c, -1, 1);
    const t0 = performance.now();
    const outs = await model.runAll(x);
    const firstMs = performance.now() - t0;
    const latencyMs = await timeRuns(() => model.runAll(x), 3);
    // without --image a classifier prints its raw top-5 outputs (seeded input, issue 2's contract)
    const rawTop5 = !image && (src.task === undefined || src.task.kind === 'classification');
    const decoded = decodeOutputs(outs, {
      task: rawTop5 ? { kind: 'features' } : src.task,
      head: (src as { head?: unknown }).head,
      outputs: model.plan.outputs,
      image: image ? { width: image.width, height: image.height } : { width: w, height: h },
      labels: src.task?.kind === 'classification' ? loadLabels(a.flags.get('labels') as string | undefined) : undefined,
    });
    const result: Record<string, unknown> = { model: src.name, backend: rt.backend, reason: rt.reason, quantized: model.quantized, latencyMs, firstRunMs: firstMs, dispatches: model.stats.dispatches };
    if (rawTop5) {
      result.top5 = [...outs[0]].map((score, index) => ({ index, score })).sort((p, q) => q.score - p.score).slice(0, 5);
    } else if (decoded.kind === 'classification') {
      result.top5 = decoded.top5;
    } else if (decoded.kind === 'detection') {
      result.detections = decoded.detections.map((d) => ({ ...d, box: d.box.map((v) => Math.round(v * 10) / 10) }));
    } else if (decoded.kind === 'segmentation') {
      const m = decoded.mask;
      result.mask = { width: m.width, height: m.height, foregroundFraction: m.foregroundFraction };
      const out = a.flags.get('out');
      if (typeof out === 'string') {
        writeMaskPng(out, m.mask, m.width, m.height);
        (result.mask as Record<string, unknown>).file = out;
      }
    } else {
      result.outputs = model.plan.outputs.map((o) => ({ name: o.name, h: o.h, w: o.w, c: o.c }));
    }
    if (a.flags.get('json')) process.stdout.write(JSON.stringify(result) + '\n');
    else {
      process.stdout.write(`model ${src.name}${model.quantized === 'int8' ? ' (int8)' : ''}\nbackend ${rt.backend} (${rt.reason})\n`);
      if (result.top5) for (const t of result.top5 as { index: number; label?: string; score: number }[]) process.stdout.write(`  ${String(t.index).padStart(5)}  ${t.score.toFixed(5)}  ${t.label ?? ''}\n`);
      if (result.detections) for (const d of result.detections as DetectionOut[]) process.stdout.write(`  ${d.label.padEnd(16)} ${d.score.toFixed(3)}  [${d.box.join(', ')}]\n`);
      if (result.mask) process.stdout.write(`  mask ${JSON.stringify(result.mask)}\n`);
      process.stdout.write(`latency ${latencyMs.toFixed(1)} ms (median of 3 warm runs; first run ${firstMs.toFixed(0)} ms), ${model.stats.dispatches} dispatches\n`);
    }
    model.dispose();
  } finally {
    rt.dispose();
  }
}

/** The main job until the demo exists: every variant, GPU and CPU, one table. */
async function table(a: ParsedArgs): Promise<void> {
  const res = resolutionFlag(a) ?? 224;
  const gpuRt: Runtime | null = await createRuntime({ backend: 'webgpu' }).catch((e: Error) => {
    process.stderr.write(`note: no WebGPU (${e.message}); GPU columns are empty\n`);
    return null;
  });
  const cpuRt = await createRuntime({ backend: 'cpu' });
  const wasmRt: Runtime | null = await createRuntime({ backend: 'wasm' }).catch(() => null);
  if (gpuRt) process.stdout.write(`GPU: ${gpuRt.reason}\n`);
  const header = ['variant', 'params', 'MACs', 'disp', 'disp unf', 'arena KiB', 'GPU ms', 'wasm ms', 'CPU ms', 'max|GPU-CPU|', 'top-1 agree'];
  const widths = [44, 10, 12, 5, 8, 10, 8, 8, 8, 13, 11];
  const row = (cells: string[]): string => cells.map((c, i) => pad(c, widths[i])).join(' ');
  process.stdout.write(row(header) + '\n');
  for (const size of ['large', 'small'] as const) {
    for (const minimalistic of [false, true]) {
      for (const width of [0.35, 0.5, 0.75, 1.0, 1.25]) {
        const src = mobilenetV3({ size, width, minimalistic, resolution: res });
        const plan: Plan = planSource(src);
        const unfused = planSource(src, { fuse: false });
        const { h, w, c } = plan.input;
        const x = new Rng(1).fill(h * w * c, -1, 1);
        const cpu = await cpuRt.load(src);
        const yc = await cpu.run(x);
        const cpuMs = await timeRuns(() => cpu.run(x), 2);
        let wasmMs = NaN;
        if (wasmRt) {
          const wm = await wasmRt.load(src);
          await wm.run(x);
          wasmMs = await timeRuns(() => wm.run(x), 5);
          wm.dispose();
        }
        let gpuMs = NaN;
        let diff = NaN;
        let agree = '-';
        if (gpuRt) {
          const gm = await gpuRt.load(src);
          const yg = await gm.run(x);
          gpuMs = await timeRuns(() => gm.run(x), 2);
          diff = yg.reduce((m, v, i) => Math.max(m, Math.abs(v - yc[i])), 0);
          agree = top5(yg)[0].index === top5(yc)[0].index ? 'yes' : 'NO';
          gm.dispose();
        }
        const counts = src.params!;
        process.stdout.write(
          row([src.name, fmt(counts), fmt(plan.stats.macs), String(plan.stats.dispatches), String(unfused.stats.dispatches), fmt(Math.round(plan.stats.arenaBytes / 1024)), gpuMs.toFixed(0), wasmMs.toFixed(1), cpuMs.toFixed(0), diff.toExponential(1), agree]) + '\n',
        );
      }
    }
  }
  gpuRt?.dispose();
}

async function main(argv: string[]): Promise<number> {
  let a: ParsedArgs;
  try {
    a = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const cmd = a.positionals[0];
  try {
    switch (cmd) {
      case 'inspect':
        inspect(a);
        return 0;
      case 'run':
        await runCmd(a);
        return 0;
      case 'table':
        await table(a);
        return 0;
      case undefined:
      case 'help':
        process.stdout.write(USAGE + '\n');
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${cmd}'`);
    }
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    if (e instanceof UsageError) process.stderr.write(USAGE + '\n');
    return e instanceof UsageError ? 2 : 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
