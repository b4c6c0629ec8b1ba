/**
 * Scheduler / memory plan: the Plan's slot assignment is checked against lifetimes recomputed
 * here from the steps' bindings, slot sizes against tensor shapes from the unoptimized graph,
 * dispatch sizes against the work each shader header says one thread does, and weight ranges
 * against the weights blob. Then the CPU executor (which runs the Plan) is compared with the
 * float64 reference on the ORIGINAL unoptimized graph.
 */
import { describe, expect, it } from 'vitest';
import { resolveVariant, type MobileNetV3Options } from '../../src/graph/variants.js';
import { buildGraph } from '../../src/graph/mobilenetv3_graph.js';
import { type TensorShape } from '../../src/graph/ir.js';
import { inferShapes } from '../../src/graph/shapes.js';
import { createRuntime, mobilenetV3, planSource } from '../../src/runtime.js';
import { runReference } from '../../src/graph/reference.js';
import { KERNELS, SE_MAX_C4, SE_MAX_SQ4 } from '../../src/kernels/index.js';
import type { Plan } from '../../src/graph/plan.js';
import { compare, seededInput } from '../helpers/compare.js';

const c4 = (c: number): number => Math.ceil(c / 4);
const bytesOf = (s: TensorShape): number => Math.max(16, s.h * s.w * c4(s.c) * 16);

/** Every problem found in a plan (empty = valid). `shapes` come from the unoptimized graph. */
function planProblems(plan: Plan, shapes: Map<string, TensorShape>): string[] {
  const bad: string[] = [];
  const slotOf = new Map<string, number>();
  const first = new Map<string, number>(); // write step
  const last = new Map<string, number>(); // last read step
  const note = (t: string, slot: number, where: string): void => {
    const s = slotOf.get(t);
    if (s === undefined) slotOf.set(t, slot);
    else if (s !== slot) bad.push(`${where}: tensor '${t}' in slot ${slot}, elsewhere in slot ${s}`);
  };
  first.set(plan.input.name, -1);
  note(plan.input.name, plan.input.slot, 'plan.input');
  plan.steps.forEach((step, i) => {
    const where = `step ${i} (${step.label})`;
    const out = step.bindings.output;
    if (out?.buffer !== 'arena') {
      bad.push(`${where}: output is not an arena tensor`);
      return;
    }
    for (const [name, b] of Object.entries(step.bindings)) {
      if (b.buffer !== 'arena') continue;
      const shape = shapes.get(b.tensor);
      if (!shape) {
        bad.push(`${where}: unknown tensor '${b.tensor}'`);
        continue;
      }
      if (b.size !== bytesOf(shape)) bad.push(`${where}: binding '${name}' size ${b.size} != ${bytesOf(shape)} for ${shape.h}x${shape.w}x${shape.c}`);
      if (!(b.slot >= 0 && b.slot < plan.slots.length)) bad.push(`${where}: slot ${b.slot} does not exist`);
      else if (plan.slots[b.slot] < b.size) bad.push(`${where}: slot ${b.slot} has ${plan.slots[b.slot]} bytes < ${b.size} for '${b.tensor}'`);
      note(b.tensor, b.slot, where);
      if (name === 'output') {
        if (first.has(b.tensor)) bad.push(`${where}: tensor '${b.tensor}' written twice`);
        first.set(b.tensor, i);
      } else {
        if (b.slot === out.slot) bad.push(`${where}: input '${name}' (${b.tensor}) shares slot ${b.slot} with the output`);
        const w = first.get(b.tensor);
        if (w === undefined || w >= i) bad.push(`${where}: reads '${b.tensor}' before it is written`);
        last.set(b.tensor, Math.max(last.get(b.tensor) ?? -1, i));
      }
    }
  });
  for (const o of plan.outputs) {
    if (!first.has(o.name)) bad.push(`output '${o.name}' is never written`);
    last.set(o.name, plan.steps.length);
    note(o.name, o.slot, 'plan.outputs');
  }
  // lifetimes [write, last read] that intersect must live in different slots
  const life = [...first.entries()].map(([t, s]) => ({ t, s, e: Math.max(s, last.get(t) ?? s), slot: slotOf.get(t)! }));
  for (let a = 0; a < life.length; a++) {
    for (let b = a + 1; b < life.length; b++) {
      const A = life[a];
      const B = life[b];
      if (A.slot === B.slot && A.s <= B.e && B.s <= A.e) bad.push(`'${A.t}' [${A.s}, ${A.e}] and '${B.t}' [${B.s}, ${B.e}] overlap in slot ${A.slot}`);
    }
  }
  if (plan.stats.arenaBytes !== plan.slots.reduce((x, y) => x + y, 0)) bad.push(`arenaBytes ${plan.stats.arenaBytes} != sum(slots)`);
  if (plan.stats.dispatches !== plan.steps.length) bad.push('stats.dispatches != steps.length');
  if (plan.stats.weightBytes !== plan.weights.byteLength) bad.push('stats.weightBytes != weights.byteLength');
  for (const t of plan.tensors) {
    const s = slotOf.get(t.name);
    if (s !== undefined && s !== t.slot) bad.push(`plan.tensors '${t.name}' slot ${t.slot} != bound slot ${s}`);
    if (plan.slots[t.slot] < t.bytes) bad.push(`plan.tensors '${t.name}' (${t.bytes} B) does not fit slot ${t.slot}`);
  }
  return bad;
}

/** Dispatch geometry and Params vs the shapes; weight ranges vs the blob (disjoint, in range). */
function dispatchAndWeightProblems(plan: Plan, shapes: Map<string, TensorShape>): string[] {
  const bad: string[] = [];
  const ranges: [number, number, string][] = [];
  const range = (off: number, floats: number, what: string): void => {
    if (!Number.isInteger(off) || off < 0) bad.push(`${what}: bad offset ${off}`);
    ranges.push([off * 4, off * 4 + floats, what]);
  };
  plan.steps.forEach((step, i) => {
    const where = `step ${i} (${step.label})`;
    const p = step.params;
    const o = step.overrides;
    const tensorOf = (k: string): TensorShape => {
      const b = step.bindings[k];
      if (b?.buffer !== 'arena') throw new Error(`${where}: binding '${k}' is not a tensor`);
      return shapes.get(b.tensor)!;
    };
    const out = tensorOf('output');
    const spec = KERNELS[step.kernel];
    const [x, y, z] = step.dispatch;
    if ([x, y, z].some((d) => !Number.isInteger(d) || d < 1 || d > 65535)) bad.push(`${where}: dispatch ${step.dispatch} out of range`);
    const groups = x * y * z;
    const threads = groups * spec.workgroupSize[0] * spec.workgroupSize[1] * spec.workgroupSize[2];
    const expectParams = (want: Record<string, number>): void => {
      for (const [k, v] of Object.entries(want)) if (p[k] !== v) bad.push(`${where}: params.${k} = ${p[k]}, expected ${v}`);
    };
    // work per thread as documented in each shader's header
    let need: number;
    switch (step.kernel) {
      case 'pointwise': {
        const inp = tensorOf('input');
        expectParams({ pixels: out.h * out.w, in_c4: c4(inp.c), out_c4: c4(out.c) });
        // one thread: 4 pixels x 2 output channel groups
        need = Math.ceil(c4(out.c) / 2) * Math.ceil((out.h * out.w) / 4);
        if (threads < need) bad.push(`${where}: ${threads} threads < ${need}`);
        range(p.w_offset, c4(inp.c) * c4(out.c) * 16, `${where} weights`);
        range(p.b_offset, c4(out.c) * 4, `${where} bias`);
        if (o.HAS_SCALE !== (step.bindings.scale.buffer === 'arena' ? 1 : 0)) bad.push(`${where}: HAS_SCALE does not match the scale binding`);
        if (o.HAS_RES !== (step.bindings.residual.buffer === 'arena' ? 1 : 0)) bad.push(`${where}: HAS_RES does not match the residual binding`);
        break;
      }
      case 'depthwise': {
        const inp = tensorOf('input');
        expectParams({ in_h: inp.h, in_w: inp.w, out_h: out.h, out_w: out.w, c4: c4(out.c) });
        need = out.h * out.w * c4(out.c); // one thread per output vec4
        if (threads < need) bad.push(`${where}: ${threads} threads < ${need}`);
        range(p.w_offset, o.KH * o.KW * c4(out.c) * 4, `${where} weights`);
        range(p.b_offset, c4(out.c) * 4, `${where} bias`);
        break;
      }
      case 'conv2d': {
        const inp = tensorOf('input');
        expectParams({ in_h: inp.h, in_w: inp.w, in_c4: c4(inp.c), out_h: out.h, out_w: out.w, out_c4: c4(out.c) });
        need = out.h * Math.ceil(out.w / 8) * c4(out.c); // one thread: 8 pixels of a row x one output channel group
        if (threads < need) bad.push(`${where}: ${threads} threads < ${need}`);
        range(p.w_offset, o.KH * o.KW * c4(inp.c) * c4(out.c) * 16, `${where} weights`);
        range(p.b_offset, c4(out.c) * 4, `${where} bias`);
        break;
      }
      case 'squeeze_excite': {
        const inp = tensorOf('input');
        expectParams({ pixels: inp.h * inp.w, c4: c4(inp.c) });
        if (out.h !== 1 || out.w !== 1 || out.c !== inp.c) bad.push(`${where}: SE output ${out.h}x${out.w}x${out.c}`);
        // the whole SE runs in one workgroup that loops over pixels and channels
        if (groups !== 1) bad.push(`${where}: SE dispatch ${step.dispatch}`);
        if (p.c4 > SE_MAX_C4 || p.sq4 > SE_MAX_SQ4) bad.push(`${where}: SE too wide`);
        range(p.w1_offset, p.c4 * p.sq4 * 16, `${where} w1`);
        range(p.b1_offset, p.sq4 * 4, `${where} b1`);
        range(p.w2_offset, p.sq4 * p.c4 * 16, `${where} w2`);
        range(p.b2_offset, p.c4 * 4, `${where} b2`);
        break;
      }
      case 'global_pool': {
        const inp = tensorOf('input');
        expectParams({ pixels: inp.h * inp.w, c4: c4(inp.c) });
        // at most 64 pixels: one thread per channel group; else one workgroup per channel group
        if (inp.h * inp.w <= 64 ? threads < c4(out.c) : groups < c4(out.c)) bad.push(`${where}: ${groups} workgroups (${threads} threads) for c4 ${c4(out.c)}`);
        break;
      }
      case 'elementwise': {
        expectParams({ count: out.h * out.w * c4(out.c), c4: c4(out.c) });
        need = out.h * out.w * c4(out.c);
        if (threads < need) bad.push(`${where}: ${threads} threads < ${need}`);
        break;
      }
      default:
        bad.push(`${where}: unknown kernel`);
    }
    // sanity: the step's dispatch is what its spec computes
    const again = spec.dispatchSize(p, o);
    if (again.join() !== step.dispatch.join()) bad.push(`${where}: dispatch ${step.dispatch} != spec ${again}`);
  });
  ranges.sort((a, b) => a[0] - b[0]);
  ranges.forEach(([s, e, what], k) => {
    if (e > plan.weights.length) bad.push(`${what}: [${s}, ${e}) past the ${plan.weights.length}-float blob`);
    if (k > 0 && s < ranges[k - 1][1]) bad.push(`${what} overlaps ${ranges[k - 1][2]}`);
  });
  return bad;
}

const variants: [string, MobileNetV3Options][] = [
  ['large 1.0', { size: 'large' }],
  ['small 1.0', { size: 'small' }],
  ['large minimalistic 0.35', { size: 'large', minimalistic: true, width: 0.35 }],
  ['small torchvision 0.75 at [160, 224]', { size: 'small', width: 0.75, widthSemantics: 'torchvision', resolution: [160, 224] }],
];

describe('memory plan, dispatches and weights', () => {
  for (const [label, opts] of variants) {
    for (const fuse of [true, false]) {
      it(`${label}, fuse ${fuse}`, () => {
        const v = resolveVariant(opts);
        const g = buildGraph(v);
        const shapes = inferShapes(g);
        const plan = planSource({ name: v.name, graph: () => g }, { fuse });
        expect(planProblems(plan, shapes)).toEqual([]);
        expect(dispatchAndWeightProblems(plan, shapes)).toEqual([]);
        const [H, W] = v.options.resolution;
        expect([plan.input.h, plan.input.w, plan.input.c]).toEqual([H, W, 3]);
        expect(plan.outputs.map((o) => [o.h, o.w, o.c])).toEqual([[1, 1, 1000]]);
        // slots are reused: far fewer buffers than tensors
        expect(plan.slots.length).toBeLessThan(plan.steps.length / 4);
        expect(plan.slots.length).toBeGreaterThanOrEqual(2);
      });
    }
  }

  it('the checks catch a corrupted plan', () => {
    const v = resolveVariant({ size: 'small', resolution: 96 });
    const g = buildGraph(v);
    const shapes = inferShapes(g);
    const plan = planSource({ name: v.name, graph: () => g });
    const clone = (): Plan => structuredClone(plan);
    // 1. an output in the same slot as the step's input
    const a = clone();
    const s1 = a.steps[1];
    const inSlot = (s1.bindings.input as { slot: number }).slot;
    for (const st of a.steps) for (const b of Object.values(st.bindings)) if (b.buffer === 'arena' && b.tensor === (s1.bindings.output as { tensor: string }).tensor) b.slot = inSlot;
    expect(planProblems(a, shapes).join('\n')).toMatch(/shares slot/);
    // 2. a slot too small
    const b = clone();
    b.slots[b.steps[0].bindings.output.buffer === 'arena' ? (b.steps[0].bindings.output as { slot: number }).slot : 0] = 16;
    expect(planProblems(b, shapes).join('\n')).toMatch(/bytes </);
    // 3. a dispatch one workgroup short
    const c = clone();
    c.steps[0].dispatch = [c.steps[0].dispatch[0] - 1, 1, 1];
    expect(dispatchAndWeightProblems(c, shapes).join('\n')).toMatch(/threads </);
    // 4. overlapping weights
    const d = clone();
    d.steps[1].params.w_offset = d.steps[0].params.w_offset;
    expect(dispatchAndWeightProblems(d, shapes).join('\n')).toMatch(/overlaps/);
  });
});

describe('CPU executor vs the float64 reference on the unoptimized graph', () => {
  const cases: [string, Parameters<typeof mobilenetV3>[0], number, number][] = [
    ['Small 1.0 at 96', { size: 'small', resolution: 96, seed: 2 }, 96, 96],
    ['Large minimalistic 0.35 at 128', { size: 'large', minimalistic: true, width: 0.35, resolution: 128, seed: 3 }, 128, 128],
  ];
  for (const [label, opts, H, W] of cases) {
    it(label, async () => {
      const rt = await createRuntime({ backend: 'cpu' });
      expect(rt.backend).toBe('cpu');
      const src = mobilenetV3(opts);
      const x = seededInput(21, H, W);
      const original = src.graph();
      expect(original.nodes.some((n) => n.op === 'batch_norm')).toBe(true); // really the unoptimized graph
      const ref = runReference(original, { input: x }).get(original.outputs[0])!.data;
      for (const fuse of [true, false]) {
        const model = await rt.load(src, { fuse });
        const y = await model.run(x);
        expect(y).toHaveLength(1000);
        const c = compare(y, ref, 1e-4, 1e-3);
        expect(c.refMaxAbs).toBeGreaterThan(0.1); // not a comparison of near-zero logits
        expect(c.violations, `fuse ${fuse}: worst ${JSON.stringify(c.worst)}`).toBe(0);
        expect(c.relL2).toBeLessThan(1e-5);
        // no state leaks between runs through the reused slots
        const x2 = seededInput(22, H, W);
        const y2 = await model.run(x2);
        expect(compare(y2, y, 0, 0).maxAbs).toBeGreaterThan(0);
        expect(await model.run(x)).toEqual(y);
      }
    });
  }
});
