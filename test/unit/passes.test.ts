/**
 * Graph passes (src/graph/passes): purity (the input graph and its weight arrays are never
 * changed), numerical equivalence on the float64 reference executor, the fused op histogram,
 * a snapshot of the fused head of MobileNetV3-Small, and dispatch-count regression bounds.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { foldBatchNorm, fuseActivations, fuseSqueezeExcite, fuseResidual, optimize } from '../../src/graph/passes/index.js';
import { runReference } from '../../src/graph/reference.js';
import { resolveVariant, SMALL_BLOCKS, LARGE_BLOCKS } from '../../src/graph/variants.js';
import { buildGraph } from '../../src/graph/mobilenetv3_graph.js';
import { consumers, type Graph, type Node, type Conv2dNode, type Epilogue, type TensorShape } from '../../src/graph/ir.js';
import { mobilenetV3, planSource } from '../../src/runtime.js';
import { Rng } from '../../src/graph/rng.js';
import { CpuExecutor } from '../../src/backends/cpu/executor.js';
import { NO_CLAMP } from '../../src/kernels/spec.js';
import { compare, seededInput } from '../helpers/compare.js';

/** 64-bit-ish FNV-1a over the bytes of a typed array (two independent 32-bit lanes). */
function hashBytes(a: ArrayBufferView): string {
  const u8 = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ u8.length;
  for (let i = 0; i < u8.length; i++) {
    h1 = Math.imul(h1 ^ u8[i], 0x01000193);
    h2 = Math.imul(h2 ^ u8[i], 0x5bd1e995) ^ (h2 >>> 13);
  }
  return `${(h1 >>> 0).toString(16)}${(h2 >>> 0).toString(16)}`;
}

/** Everything about a graph, including the contents of every weight array. */
function fingerprint(g: Graph): string {
  return JSON.stringify(g, (_k, v: unknown) => (ArrayBuffer.isView(v) ? `${v.constructor.name}(${(v as Float32Array).length}):${hashBytes(v)}` : v));
}

const histogram = (g: Graph): Record<string, number> => {
  const h: Record<string, number> = {};
  for (const n of g.nodes) h[n.op] = (h[n.op] ?? 0) + 1;
  return h;
};

const refOut = (g: Graph, x: Float32Array): Float64Array => runReference(g, { [g.inputs[0].name]: x }).get(g.outputs[0])!.data;

/** max |a - b| relative to max |b| */
function relMax(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  expect(m).toBeGreaterThan(0);
  return d / m;
}

describe('passes on MobileNetV3-Small 1.0 at 96 (seed 1)', () => {
  let g: Graph;
  let x: Float32Array;
  let ref: Float64Array;
  let print: string;
  beforeAll(() => {
    g = mobilenetV3({ size: 'small', resolution: 96, seed: 1 }).graph();
    x = seededInput(11, 96, 96);
    print = fingerprint(g);
    ref = refOut(g, x);
  });

  const passes: [string, (g: Graph) => Graph][] = [
    ['foldBatchNorm', foldBatchNorm],
    ['fuseActivations (after folding)', (h) => fuseActivations(foldBatchNorm(h))],
    ['fuseSqueezeExcite (after folding + activations)', (h) => fuseSqueezeExcite(fuseActivations(foldBatchNorm(h)))],
    ['fuseResidual (after folding)', (h) => fuseResidual(foldBatchNorm(h))],
    ['optimize', (h) => optimize(h)],
    ['optimize {fuse: false}', (h) => optimize(h, { fuse: false })],
  ];
  for (const [label, pass] of passes) {
    it(`${label} leaves its input graph unchanged and is deterministic`, () => {
      const before = fingerprint(g);
      const nodesBefore = g.nodes.slice();
      const r1 = pass(g);
      expect(fingerprint(g)).toBe(before);
      expect(g.nodes).toHaveLength(nodesBefore.length);
      nodesBefore.forEach((n, i) => expect(g.nodes[i]).toBe(n));
      expect(r1).not.toBe(g);
      expect(fingerprint(pass(g))).toBe(fingerprint(r1));
    });
  }

  it('each single pass leaves its own (already folded) input unchanged', () => {
    const folded = foldBatchNorm(g);
    for (const pass of [fuseActivations, fuseSqueezeExcite, fuseResidual]) {
      const before = fingerprint(folded);
      pass(folded);
      expect(fingerprint(folded)).toBe(before);
    }
    const acts = fuseActivations(folded);
    const b2 = fingerprint(acts);
    fuseResidual(fuseSqueezeExcite(acts));
    expect(fingerprint(acts)).toBe(b2);
  });

  it('the original graph has the unfused histogram of spec 3.2', () => {
    // 34 conv+BN pairs (stem, block 1: dw + project, blocks 2-11: expand + dw + project, last conv),
    // 9 SE (blocks 1, 4-11) = 9 pools + 18 FC convs + 9 scales, 6 residual adds (blocks 3, 5, 6, 8, 10, 11),
    // the head pool and 2 classifier linears; acts: 23 conv+BN acts (34 minus 11 projections),
    // 18 SE FC acts, classifier.0 act.
    expect(histogram(g)).toEqual({ conv2d: 34 + 18 + 2, batch_norm: 34, act: 23 + 18 + 1, global_avg_pool: 10, channel_scale: 9, add: 6 });
    expect(fingerprint(g)).toBe(print);
  });

  it('foldBatchNorm removes every batch_norm and keeps the output (float32 rounding of folded weights)', () => {
    const f = foldBatchNorm(g);
    expect(histogram(f).batch_norm ?? 0).toBe(0);
    expect(f.nodes).toHaveLength(g.nodes.length - 34);
    // every folded conv now has a bias
    for (const n of f.nodes) if (n.op === 'conv2d' && !n.name.startsWith('classifier')) expect(n.bias, n.name).toBeDefined();
    const y = refOut(f, x);
    // folded weights are w * gamma / sqrt(var + eps) rounded to float32 (2^-24 relative), so
    // the float64 outputs differ by float32 rounding only, not by any algebra error
    expect(relMax(y, ref)).toBeLessThan(1e-5);
    expect(compare(y, ref, 0, 0).relL2).toBeLessThan(1e-6);
  });

  it('foldBatchNorm is exact (1e-9 relative) when the folded scale is a power of two', () => {
    // independent graph with BN parameters chosen so w*k and (0 - mean)*k + beta are exact in float32
    const h = buildGraph(resolveVariant({ size: 'small', resolution: 96, seed: 1 }));
    const rng = new Rng(99);
    const pow2 = (lo: number, hi: number): number => 2 ** Math.floor(rng.uniform(lo, hi + 1));
    for (const n of h.nodes) {
      if (n.op !== 'batch_norm') continue;
      n.eps = 0;
      for (let i = 0; i < n.gamma.length; i++) {
        n.variance[i] = pow2(-2, 2) ** 2; // 4^m
        n.gamma[i] = (rng.next() < 0.5 ? -1 : 1) * pow2(-1, 1);
        n.mean[i] = Math.round(rng.uniform(-16, 16)) / 16;
        n.beta[i] = Math.round(rng.uniform(-4, 4)) / 16;
      }
    }
    const r0 = refOut(h, x);
    const f = foldBatchNorm(h);
    expect(histogram(f).batch_norm ?? 0).toBe(0);
    expect(relMax(refOut(f, x), r0)).toBeLessThan(1e-9);
    expect(relMax(refOut(optimize(h), x), r0)).toBeLessThan(1e-9);
  });

  it('optimize keeps the output: equal to the folded graph (1e-9) and to the original (float32 folding)', () => {
    const o = optimize(g);
    const y = refOut(o, x);
    expect(relMax(y, refOut(foldBatchNorm(g), x))).toBeLessThan(1e-9);
    expect(relMax(y, ref)).toBeLessThan(1e-5);
    const u = optimize(g, { fuse: false });
    expect(relMax(refOut(u, x), refOut(foldBatchNorm(g), x))).toBeLessThan(1e-9);
  });

  it('optimize gives the expected op histogram', () => {
    const o = optimize(g);
    // conv2d: stem 1 + block 1 (dw, project) 2 + blocks 2-11 3 each + last conv 1 + 2 linears = 36;
    // 9 squeeze_excite; only the head's global pool is left.
    expect(histogram(o)).toEqual({ conv2d: 36, squeeze_excite: 9, global_avg_pool: 1 });
    expect(o.nodes.filter((n) => n.op === 'global_avg_pool').map((n) => n.name)).toEqual(['avgpool']);
    expect(histogram(optimize(g, { fuse: false }))).toEqual({ conv2d: 54, act: 42, global_avg_pool: 10, channel_scale: 9, add: 6 });
  });

  it('every squeeze_excite feeds exactly one pointwise conv with prologue.seScale on the gated tensor', () => {
    const o = optimize(g);
    const readers = consumers(o);
    const ses = o.nodes.filter((n) => n.op === 'squeeze_excite');
    expect(ses).toHaveLength(9);
    for (const se of ses) {
      const rs = readers.get(se.output) ?? [];
      expect(rs, se.name).toHaveLength(1);
      const c = rs[0] as Conv2dNode;
      expect(c.op).toBe('conv2d');
      expect(c.prologue?.seScale).toBe(se.output);
      expect(c.input).toBe(se.input); // the conv reads the SE input and scales it on the fly
      expect([c.kh, c.kw, c.groups, c.strideH]).toEqual([1, 1, 1, 1]);
    }
    expect(o.nodes.filter((n) => n.op === 'conv2d' && n.prologue)).toHaveLength(9);
  });

  it('residual blocks (stride 1, in == out) end in a conv with epilogue.residual = the block input', () => {
    const o = optimize(g);
    const v = resolveVariant({ size: 'small' });
    const projects = (i: number): Conv2dNode[] => o.nodes.filter((n): n is Conv2dNode => n.op === 'conv2d' && n.name.startsWith(`features.${i}.`));
    const outputOf = (i: number): string => {
      const mine = o.nodes.filter((n) => n.name.startsWith(`features.${i}.`));
      return mine[mine.length - 1].output;
    };
    const residualBlocks: number[] = [];
    SMALL_BLOCKS.forEach((row, k) => {
      const i = k + 1;
      const convs = projects(i);
      const last = convs[convs.length - 1];
      const inC = k === 0 ? 16 : SMALL_BLOCKS[k - 1].out;
      if (row.stride === 1 && inC === row.out) {
        residualBlocks.push(i);
        expect(last.epilogue.residual, `features.${i}`).toBe(outputOf(i - 1));
      } else {
        expect(last.epilogue.residual, `features.${i}`).toBeUndefined();
      }
      // no other conv of the block has a residual
      for (const c of convs.slice(0, -1)) expect(c.epilogue.residual).toBeUndefined();
    });
    expect(residualBlocks).toEqual([3, 5, 6, 8, 10, 11]);
    expect(v.blocks.filter((b) => b.residual).map((b) => b.index)).toEqual(residualBlocks);
  });

  it('activations sit in the epilogues where the paper puts them (Table 2 NL column)', () => {
    const o = optimize(g);
    const act = (name: string): string => (o.nodes.find((n) => n.name === name) as Conv2dNode).epilogue.act;
    expect(act('features.0.0')).toBe('hswish');
    SMALL_BLOCKS.forEach((row, k) => {
      const i = k + 1;
      const convs = o.nodes.filter((n): n is Conv2dNode => n.op === 'conv2d' && n.name.startsWith(`features.${i}.`));
      const nl = row.nl === 'RE' ? 'relu' : 'hswish';
      convs.forEach((c, j) => expect(c.epilogue.act, c.name).toBe(j === convs.length - 1 ? 'none' : nl));
    });
    expect(act('features.12.0')).toBe('hswish');
    expect(act('classifier.0')).toBe('hswish');
    expect(act('classifier.3')).toBe('none');
    for (const n of o.nodes) {
      if (n.op === 'squeeze_excite') expect([n.fc1.act, n.fc2.act]).toEqual(['relu', 'hsigmoid']);
    }
  });

  it('snapshot: the first 10 nodes after optimize', () => {
    const o = optimize(g);
    const view = (n: Node): Record<string, unknown> => {
      if (n.op === 'conv2d') {
        return {
          op: n.op, name: n.name, input: n.input, output: n.output, k: [n.kh, n.kw], stride: [n.strideH, n.strideW], pad: n.pad, groups: n.groups,
          outC: n.outC, act: n.epilogue.act, seScale: n.prologue?.seScale, residual: n.epilogue.residual,
        };
      }
      if (n.op === 'squeeze_excite') return { op: n.op, name: n.name, input: n.input, output: n.output, squeeze: n.squeeze, acts: [n.fc1.act, n.fc2.act] };
      return { op: n.op, name: n.name };
    };
    const conv = (name: string, input: string, output: string, k: number, stride: number, groups: number, outC: number, act: string, extra: { seScale?: string; residual?: string } = {}) => ({
      op: 'conv2d', name, input, output, k: [k, k], stride: [stride, stride], pad: k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0], groups, outC, act,
      seScale: extra.seScale, residual: extra.residual,
    });
    expect(o.nodes.slice(0, 10).map(view)).toEqual([
      conv('features.0.0', 'input', 'features.0.2:out', 3, 2, 1, 16, 'hswish'),
      conv('features.1.block.0.0', 'features.0.2:out', 'features.1.block.0.2:out', 3, 2, 16, 16, 'relu'),
      { op: 'squeeze_excite', name: 'features.1.block.1#se', input: 'features.1.block.0.2:out', output: 'features.1.block.1.fc2.act:out', squeeze: 8, acts: ['relu', 'hsigmoid'] },
      conv('features.1.block.2.0', 'features.1.block.0.2:out', 'features.1.block.2.1:out', 1, 1, 1, 16, 'none', { seScale: 'features.1.block.1.fc2.act:out' }),
      conv('features.2.block.0.0', 'features.1.block.2.1:out', 'features.2.block.0.2:out', 1, 1, 1, 72, 'relu'),
      conv('features.2.block.1.0', 'features.2.block.0.2:out', 'features.2.block.1.2:out', 3, 2, 72, 72, 'relu'),
      conv('features.2.block.2.0', 'features.2.block.1.2:out', 'features.2.block.2.1:out', 1, 1, 1, 24, 'none'),
      conv('features.3.block.0.0', 'features.2.block.2.1:out', 'features.3.block.0.2:out', 1, 1, 1, 88, 'relu'),
      conv('features.3.block.1.0', 'features.3.block.0.2:out', 'features.3.block.1.2:out', 3, 1, 88, 88, 'relu'),
      conv('features.3.block.2.0', 'features.3.block.1.2:out', 'features.3:out', 1, 1, 1, 24, 'none', { residual: 'features.2.block.2.1:out' }),
    ]);
    // origin lists what each fused node replaced
    expect(o.nodes[2].origin).toEqual(['features.1.block.1.avgpool', 'features.1.block.1.fc1', 'features.1.block.1.fc1.act', 'features.1.block.1.fc2', 'features.1.block.1.fc2.act']);
    expect(o.nodes[9].origin).toEqual(['features.3.block.2.0', 'features.3.block.2.1', 'features.3.add']);
  });
});

describe('passes on small hand-built graphs', () => {
  const S: TensorShape = { h: 5, w: 3, c: 8 };
  const rng = new Rng(5);
  const pw = (name: string, input: string, output: string, extra: Partial<Conv2dNode> = {}): Conv2dNode => ({
    op: 'conv2d', name, input, output, outC: 8, kh: 1, kw: 1, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, pad: [0, 0, 0, 0], groups: 1,
    weight: rng.fill(64, -0.5, 0.5), bias: rng.fill(8, -0.1, 0.1), epilogue: { act: 'none' }, ...extra,
  });
  const x = rng.fill(S.h * S.w * S.c, -1, 1);

  it('fuseResidual fuses into the operand whose partner already exists (both operands are pointwise convs)', () => {
    // add(a, b) with a produced BEFORE b: the residual must go into b's conv, which runs after a
    const g: Graph = {
      name: 'two-branch', inputs: [{ name: 'x', shape: S }], outputs: ['y'],
      nodes: [pw('A', 'x', 'a'), pw('B', 'x', 'b'), { op: 'add', name: 'add', inputs: ['a', 'b'], output: 'y', epilogue: { act: 'none' } }],
    };
    const f = optimize(g); // validates: throws if a tensor is read before it is produced
    expect(f.nodes.map((n) => [n.name, n.output, n.op === 'conv2d' ? n.epilogue.residual : undefined])).toEqual([
      ['A', 'a', undefined],
      ['B', 'y', 'a'],
    ]);
    expect(relMax(refOut(f, x), refOut(g, x))).toBeLessThan(1e-12);
  });

  it('a batch_norm that does not follow a conv becomes a 1x1 depthwise conv with the same affine map', () => {
    const bn = { gamma: rng.fill(8, 0.5, 1.5), beta: rng.fill(8, -0.2, 0.2), mean: rng.fill(8, -0.3, 0.3), variance: rng.fill(8, 0.5, 2) };
    const g: Graph = {
      name: 'bn-after-add', inputs: [{ name: 'x', shape: S }], outputs: ['z'],
      nodes: [
        pw('A', 'x', 'a'),
        { op: 'add', name: 'add', inputs: ['a', 'x'], output: 'y', epilogue: { act: 'relu' } },
        { op: 'batch_norm', name: 'bn', input: 'y', output: 'z', eps: 1e-3, ...bn },
      ],
    };
    const f = foldBatchNorm(g);
    expect(f.nodes.map((n) => n.op)).toEqual(['conv2d', 'add', 'conv2d']);
    const dw = f.nodes[2] as Conv2dNode;
    expect([dw.groups, dw.kh, dw.outC, dw.input, dw.output]).toEqual([8, 1, 8, 'y', 'z']);
    expect(relMax(refOut(f, x), refOut(g, x))).toBeLessThan(1e-6);
  });

  it('a BN whose conv output has a second reader is not folded into the conv', () => {
    const g: Graph = {
      name: 'shared', inputs: [{ name: 'x', shape: S }], outputs: ['z'],
      nodes: [
        pw('A', 'x', 'a'),
        { op: 'batch_norm', name: 'bn', input: 'a', output: 'b', eps: 1e-3, gamma: rng.fill(8, 0.5, 1.5), beta: rng.fill(8, -0.2, 0.2), mean: rng.fill(8, -0.3, 0.3), variance: rng.fill(8, 0.5, 2) },
        { op: 'add', name: 'add', inputs: ['a', 'b'], output: 'z', epilogue: { act: 'none' } },
      ],
    };
    const f = foldBatchNorm(g);
    expect(f.nodes.map((n) => [n.op, n.name])).toEqual([['conv2d', 'A'], ['conv2d', 'bn'], ['add', 'add']]);
    expect((f.nodes[0] as Conv2dNode).weight).toBe((g.nodes[0] as Conv2dNode).weight);
    expect(relMax(refOut(optimize(g), x), refOut(g, x))).toBeLessThan(1e-6);
  });

  /** TFLite's quantized SE block: pool -> clamp -> fc1 (+clamp) -> fc2 (+clamp) -> clamped x * s -> 1x1 conv */
  const tfliteSe = (o: { poolAct?: Node; fc1?: Partial<Conv2dNode>; fc2?: Partial<Conv2dNode>; gate?: Epilogue } = {}): Graph => ({
    name: 'tflite-se', inputs: [{ name: 'x', shape: S }], outputs: ['y'],
    nodes: [
      { op: 'global_avg_pool', name: 'se.pool', input: 'x', output: 'p' },
      o.poolAct ?? { op: 'act', name: 'se.pool.clamp', input: 'p', output: 'pc', act: 'none', clamp: [-0.1, 0.06] },
      pw('se.fc1', 'pc', 'h', { outC: 4, weight: rng.fill(32, -1, 1), bias: rng.fill(4, -0.1, 0.1), epilogue: { act: 'relu', clamp: [-NO_CLAMP, 0.1] }, ...o.fc1 }),
      pw('se.fc2', 'h', 's', { weight: rng.fill(32, -2, 2), epilogue: { act: 'none', clamp: [0.45, 0.55] }, ...o.fc2 }),
      { op: 'binary', name: 'se.mul', kind: 'mul', inputs: ['x', 's'], output: 'g', epilogue: o.gate ?? { act: 'none', clamp: [-0.3, 0.25] } },
      pw('proj', 'g', 'y'),
    ],
  });

  it('a TFLite-style clamped SE block fuses like a native one: the clamps ride in squeeze_excite and prologue.clamp', () => {
    const g = tfliteSe();
    const print = fingerprint(g);
    const f = optimize(g);
    expect(fingerprint(g)).toBe(print);
    expect(f.nodes.map((n) => n.op)).toEqual(['squeeze_excite', 'conv2d']);
    const [se, conv] = f.nodes;
    if (se.op !== 'squeeze_excite' || conv.op !== 'conv2d') throw new Error('unreachable');
    expect(se.origin).toEqual(['se.pool', 'se.pool.clamp', 'se.fc1', 'se.fc2']);
    expect([se.input, se.output, se.squeeze, se.poolClamp]).toEqual(['x', 's', 4, [-0.1, 0.06]]);
    expect([se.fc1.act, se.fc1.clamp, se.fc2.act, se.fc2.clamp]).toEqual(['relu', [-NO_CLAMP, 0.1], 'none', [0.45, 0.55]]);
    expect([conv.input, conv.prologue, conv.origin]).toEqual(['x', { seScale: 's', clamp: [-0.3, 0.25] }, ['se.mul', 'proj']]);
    // exact on the float64 reference, and every clamp cuts (without them the output differs)
    const want = refOut(g, x);
    expect(relMax(refOut(f, x), want)).toBeLessThan(1e-12);
    const loose: [number, number] = [-NO_CLAMP, NO_CLAMP];
    const unclamped = [
      tfliteSe({ poolAct: { op: 'act', name: 'se.pool.clamp', input: 'p', output: 'pc', act: 'none', clamp: loose } }),
      tfliteSe({ fc1: { epilogue: { act: 'relu' } } }),
      tfliteSe({ fc2: { epilogue: { act: 'none', clamp: [0, 1] } } }),
      tfliteSe({ gate: { act: 'none', clamp: loose } }),
    ];
    for (const u of unclamped) expect(relMax(refOut(u, x), want)).toBeGreaterThan(1e-3);
    // the plan: one squeeze_excite and one pointwise step, equal to the reference on the CPU twins
    const plan = planSource({ name: g.name, graph: () => g });
    expect(plan.steps.map((st) => st.kernel)).toEqual(['squeeze_excite', 'pointwise']);
    expect(plan.steps[0].params).toMatchObject({ pool_lo: -0.1, pool_hi: 0.06, fc1_lo: -NO_CLAMP, fc1_hi: 0.1, fc2_lo: 0.45, fc2_hi: 0.55 });
    expect(plan.steps[1].params).toMatchObject({ scale_lo: -0.3, scale_hi: 0.25 });
    expect(plan.steps[1].overrides.HAS_SCALE).toBe(1);
    const y = new CpuExecutor(plan).run(x)[0];
    expect(relMax(y, want)).toBeLessThan(1e-5);
  });

  it('relu / relu6 clamps become pure clamp ranges; a gate with another activation stays unfused', () => {
    const g = tfliteSe({ poolAct: { op: 'act', name: 'se.pool.relu', input: 'p', output: 'pc', act: 'relu' }, gate: { act: 'relu6', clamp: [0.02, 10] } });
    const f = optimize(g);
    expect(f.nodes.map((n) => n.op)).toEqual(['squeeze_excite', 'conv2d']);
    const [se, conv] = f.nodes;
    expect(se.op === 'squeeze_excite' && se.poolClamp).toEqual([0, NO_CLAMP]);
    expect(conv.op === 'conv2d' && conv.prologue).toEqual({ seScale: 's', clamp: [0.02, 6] });
    expect(relMax(refOut(f, x), refOut(g, x))).toBeLessThan(1e-12);
    // hswish is not a clamp: the SE still fuses, the gating multiply keeps its own dispatch
    const h = tfliteSe({ gate: { act: 'hswish', clamp: [-0.3, 0.25] } });
    const fh = optimize(h);
    expect(fh.nodes.map((n) => n.op)).toEqual(['squeeze_excite', 'binary', 'conv2d']);
    expect(relMax(refOut(fh, x), refOut(h, x))).toBeLessThan(1e-12);
  });

  it('channel_scale before a padded 1x1 conv stays unfused (only the pointwise kernel has the prologue)', () => {
    const g: Graph = {
      name: 'padded-1x1', inputs: [{ name: 'x', shape: S }], outputs: ['y'],
      nodes: [
        { op: 'global_avg_pool', name: 'pool', input: 'x', output: 'p' },
        { op: 'channel_scale', name: 'scale', input: 'x', scale: 'p', output: 's' },
        pw('C', 's', 'y', { pad: [1, 1, 1, 1] }),
      ],
    };
    const f = optimize(g);
    expect(f.nodes.map((n) => n.op)).toEqual(['global_avg_pool', 'channel_scale', 'conv2d']);
    expect(() => planSource({ name: 'padded-1x1', graph: () => g })).not.toThrow();
    expect(relMax(refOut(f, x), refOut(g, x))).toBeLessThan(1e-12);
  });
});

describe('dispatch counts (regression upper bounds; DESIGN.md section 5)', () => {
  const cases: ['large' | 'small', number, readonly { se: boolean }[]][] = [
    ['large', 57, LARGE_BLOCKS],
    ['small', 46, SMALL_BLOCKS],
  ];
  for (const [size, bound, blocks] of cases) {
    it(`${size}: fused <= ${bound}, unfused strictly more, <= 4 per SE block and <= 3 per other block`, () => {
      const src = mobilenetV3({ size });
      const fused = planSource(src);
      const unfused = planSource(src, { fuse: false });
      expect(fused.stats.dispatches).toBe(fused.steps.length);
      expect(fused.stats.dispatches).toBeLessThanOrEqual(bound);
      expect(unfused.stats.dispatches).toBeGreaterThan(fused.stats.dispatches);
      blocks.forEach((b, k) => {
        const i = k + 1;
        const n = fused.steps.filter((s) => s.fused.some((f) => f.startsWith(`features.${i}.`))).length;
        expect(n, `features.${i}`).toBeGreaterThanOrEqual(2);
        expect(n, `features.${i}`).toBeLessThanOrEqual(b.se ? 4 : 3);
      });
      // every source node runs in exactly one step, fused or not
      const all = src.graph().nodes.map((n) => n.name).sort();
      expect(fused.steps.flatMap((s) => s.fused).sort()).toEqual(all);
      expect(unfused.steps.flatMap((s) => s.fused).sort()).toEqual(all);
    });
  }
});
