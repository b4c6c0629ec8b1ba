/**
 * Scheduler support for the importer ops (constant, binary, resize, concat, pad, pool2d,
 * softmax, conv_transpose, argmax): each graph of test/helpers/op_graphs.ts is planned as is
 * and after optimize() (fuse on and off), checked for basic plan invariants, and run by the CPU
 * executor against the float64 reference on the original graph.
 */
import { describe, expect, it } from 'vitest';
import { schedule } from '../../src/graph/scheduler.js';
import { optimize } from '../../src/graph/passes/index.js';
import { runReference } from '../../src/graph/reference.js';
import { CpuExecutor } from '../../src/backends/cpu/executor.js';
import { padChannels, unpadChannels } from '../../src/graph/layout.js';
import type { Graph } from '../../src/graph/ir.js';
import type { Plan } from '../../src/graph/plan.js';
import { KERNELS } from '../../src/kernels/index.js';
import { Rng } from '../../src/graph/rng.js';
import { compare } from '../helpers/compare.js';
import { opGraphs } from '../helpers/op_graphs.js';

/** Invariants every plan must keep (slots, sizes, dispatches). */
function planProblems(plan: Plan): string[] {
  const bad: string[] = [];
  const slotOf = new Map<string, number>();
  plan.steps.forEach((s, i) => {
    const where = `step ${i} (${s.label})`;
    const out = s.bindings.output;
    if (out?.buffer !== 'arena') return void bad.push(`${where}: output is not a tensor`);
    for (const b of KERNELS[s.kernel].bindings) {
      if (b.kind !== 'uniform' && !s.bindings[b.name]) bad.push(`${where}: binding ${b.name} missing`);
    }
    for (const [name, b] of Object.entries(s.bindings)) {
      if (b.buffer !== 'arena') continue;
      if (plan.slots[b.slot] < b.size) bad.push(`${where}: '${b.tensor}' does not fit slot ${b.slot}`);
      if (name !== 'output' && b.slot === out.slot) bad.push(`${where}: input ${name} shares slot ${b.slot} with the output`);
      const prev = slotOf.get(b.tensor);
      if (prev !== undefined && prev !== b.slot) bad.push(`${where}: '${b.tensor}' moved from slot ${prev} to ${b.slot}`);
      slotOf.set(b.tensor, b.slot);
    }
    if (s.dispatch.join() !== KERNELS[s.kernel].dispatchSize(s.params, s.overrides).join()) bad.push(`${where}: dispatch`);
  });
  return bad;
}

function runPlan(plan: Plan, g: Graph, x: Float32Array): Float32Array[] {
  const s = g.inputs[0].shape;
  const outs = new CpuExecutor(plan).run(padChannels(x, s.h * s.w, s.c));
  return outs.map((o, i) => unpadChannels(o, plan.outputs[i].h * plan.outputs[i].w, plan.outputs[i].c));
}

describe.each(opGraphs().map((t) => [t.name, t] as const))('%s', (_name, t) => {
  const g = t.graph;
  const s = g.inputs[0].shape;
  const x = new Rng(17).fill(s.h * s.w * s.c, -1, 1);
  const ref = runReference(g, { x });

  for (const [label, prep] of [
    ['as imported', (h: Graph) => h],
    ['optimized', (h: Graph) => optimize(h)],
    ['optimized, fuse false', (h: Graph) => optimize(h, { fuse: false })],
  ] as const) {
    it(`${label}: CPU executor matches the float64 reference`, () => {
      const plan = schedule(prep(g));
      expect(planProblems(plan)).toEqual([]);
      if (label === 'as imported') for (const k of t.kernels) expect(plan.steps.map((st) => st.kernel)).toContain(k);
      const ys = runPlan(plan, g, x);
      g.outputs.forEach((o, i) => {
        const want = ref.get(o)!.data;
        const c = compare(ys[i], want, 1e-4, 1e-3);
        expect(c.violations, `${o}: worst ${JSON.stringify(c.worst)}`).toBe(0);
      });
      // a second run on other data differs, and the first input again gives the same result
      const x2 = new Rng(18).fill(s.h * s.w * s.c, -1, 1);
      runPlan(plan, g, x2);
      expect(runPlan(plan, g, x)).toEqual(ys);
    });
  }
});

describe('scheduling details', () => {
  const byName = Object.fromEntries(opGraphs().map((t) => [t.name, t.graph]));

  it('a concat of 7 inputs runs as several dispatches owning disjoint channel groups', () => {
    const plan = schedule(byName.concat);
    const cat = plan.steps.filter((s) => s.node === 'cat');
    expect(cat.length).toBeGreaterThan(1);
    expect(cat.every((s) => s.kernel === 'concat')).toBe(true);
    const groups = cat.flatMap((s) => Array.from({ length: s.params.q_count }, (_v, k) => s.params.q_lo + k));
    expect(groups.sort((a, b) => a - b)).toEqual(Array.from({ length: Math.ceil(29 / 4) }, (_v, k) => k));
    expect(new Set(cat.map((s) => s.label)).size).toBe(cat.length);
    // the 2-input concat (5 + 5 channels, repacked lanes) is one dispatch
    expect(plan.steps.filter((s) => s.node === 'twice')).toHaveLength(1);
  });

  it('constants: one step right before the first reader, none when unread, outputs and aliases materialized', () => {
    const plan = schedule(byName.constants);
    const kinds = plan.steps.map((s) => `${s.kernel}#${s.node}`);
    expect(kinds).toEqual(['pointwise#a', 'constant#k', 'binary#a1', 'binary#a2', 'constant#shown']);
    expect(plan.outputs.map((o) => o.name)).toEqual(['a2', 'shown', 'kr']);
    // the constant data is in the weights blob, zero padded
    const st = plan.steps[1];
    expect(Array.from(plan.weights.subarray(st.params.w_offset * 4, st.params.w_offset * 4 + 8)).slice(6)).toEqual([0, 0]);
  });

  it('canonicalize removes the constants that fold into convs, and keeps max/min on the binary kernel', () => {
    const plan = schedule(optimize(byName.binary));
    const kernels = plan.steps.map((s) => s.kernel);
    expect(kernels.filter((k) => k === 'binary').length).toBe(5 + 4 + 1); // same-shape except add, max/min with a constant, the residual one
    expect(kernels).toContain('constant');
    const raw = schedule(byName.binary).steps.map((s) => s.kernel);
    expect(raw.filter((k) => k === 'binary').length).toBe(6 * 3 + 3);
  });

  it('softmax picks one workgroup per pixel for wide channel counts', () => {
    const plan = schedule(byName.softmax_argmax);
    const sm = plan.steps.filter((s) => s.kernel === 'softmax');
    expect(sm.map((s) => s.overrides.WIDE)).toEqual([1, 0]);
    expect(sm[0].dispatch).toEqual([1, 1, 1]);
  });
});
