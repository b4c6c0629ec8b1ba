/**
 * canonicalize (src/graph/passes/canonicalize.ts): each rewrite fires where it should, leaves
 * alone what it must not touch, keeps the float64 reference output (1e-9 relative, with dyadic
 * weights so that the f32 weight products are exact), and never changes its input graph.
 */
import { describe, expect, it } from 'vitest';
import { binaryToCanonical, canonicalize, foldAffine, foldPad, optimize, removeDeadConstants } from '../../src/graph/passes/index.js';
import { runReference } from '../../src/graph/reference.js';
import type { Act, BinaryOp, Conv2dNode, Epilogue, Graph, Node, TensorShape } from '../../src/graph/ir.js';
import { Rng } from '../../src/graph/rng.js';

const rng = new Rng(7);
/** n values k/8, k in [-16, 16] \ {0}: products of a few of them are exact in f32 */
function dyadic(n: number): Float32Array {
  return Float32Array.from({ length: n }, () => {
    const k = Math.floor(rng.uniform(1, 17)) * (rng.next() < 0.5 ? -1 : 1);
    return k / 8;
  });
}

function conv(name: string, input: string, output: string, inC: number, outC: number, o: Partial<Conv2dNode> = {}): Conv2dNode {
  const kh = o.kh ?? 3;
  const kw = o.kw ?? 3;
  const groups = o.groups ?? 1;
  return {
    op: 'conv2d', name, input, output, outC, kh, kw, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, pad: [1, 1, 1, 1], groups,
    weight: dyadic((outC * inC * kh * kw) / groups), bias: dyadic(outC), epilogue: { act: 'none' }, ...o,
  };
}

const constant = (name: string, shape: TensorShape, data?: Float32Array): Node => ({ op: 'constant', name, output: name, shape, data: data ?? dyadic(shape.h * shape.w * shape.c) });
const binary = (name: string, kind: BinaryOp, a: string, b: string, epilogue: Epilogue = { act: 'none' }): Node => ({ op: 'binary', name, kind, inputs: [a, b], output: name, epilogue });
const act = (name: string, input: string, a: Act, clamp?: [number, number]): Node => ({ op: 'act', name, input, output: name, act: a, ...(clamp ? { clamp } : {}) });

function graph(nodes: Node[], outputs: string[], shape: TensorShape = { h: 5, w: 6, c: 3 }): Graph {
  return { name: 'g', inputs: [{ name: 'x', shape }], outputs, nodes };
}

const ops = (g: Graph): string[] => g.nodes.map((n) => n.op);

/** Reference outputs of g and h on the same input agree to `tol` relative to max |output|. */
function expectSameOutputs(g: Graph, h: Graph, tol = 1e-9): void {
  const s = g.inputs[0].shape;
  const x = new Rng(3).fill(s.h * s.w * s.c, -2, 2);
  const a = runReference(g, { x });
  const b = runReference(h, { x });
  for (const o of g.outputs) {
    const ra = a.get(o)!.data;
    const rb = b.get(o)!.data;
    expect(rb.length).toBe(ra.length);
    let d = 0;
    let m = 0;
    for (let i = 0; i < ra.length; i++) {
      d = Math.max(d, Math.abs(ra[i] - rb[i]));
      m = Math.max(m, Math.abs(ra[i]));
    }
    expect(m, `output ${o} is all zero`).toBeGreaterThan(0);
    expect(d / m, `output ${o}`).toBeLessThanOrEqual(tol);
  }
}

/** Runs the pass, checks purity and equivalence, returns the result. */
function check(pass: (g: Graph) => Graph, g: Graph, tol = 1e-9): Graph {
  const before = JSON.stringify(g, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v));
  const r = pass(g);
  expect(JSON.stringify(g, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v))).toBe(before);
  expectSameOutputs(g, r, tol);
  return r;
}

describe('binary with a constant operand -> 1x1 depthwise conv', () => {
  const kinds: BinaryOp[] = ['add', 'sub', 'mul', 'div'];
  for (const kind of kinds) {
    for (const cshape of [{ h: 1, w: 1, c: 1 }, { h: 1, w: 1, c: 3 }]) {
      it(`x ${kind} constant ${cshape.c === 1 ? 'scalar' : '1x1xC'}`, () => {
        const g = graph([constant('k', cshape), binary('y', kind, 'x', 'k', { act: 'relu6', clamp: [0.5, 5] })], ['y']);
        // x / c becomes x * fround(1/c): within f32 rounding, exact otherwise
        const r = check(binaryToCanonical, g, kind === 'div' ? 1e-7 : 1e-9);
        const dw = r.nodes.find((n) => n.name === 'y') as Conv2dNode;
        expect(dw.op).toBe('conv2d');
        expect([dw.groups, dw.outC, dw.kh, dw.kw]).toEqual([3, 3, 1, 1]);
        expect(dw.epilogue).toEqual({ act: 'relu6', clamp: [0.5, 5] });
        expect(dw.origin).toEqual(['y', 'k']);
        expect(ops(check(canonicalize, g, kind === 'div' ? 1e-7 : 1e-9))).toEqual(['conv2d']); // the constant is gone
      });
    }
  }

  for (const kind of ['add', 'sub', 'mul'] as BinaryOp[]) {
    it(`constant ${kind} x (constant first, both 1x1xC)`, () => {
      const g = graph([{ op: 'global_avg_pool', name: 'p', input: 'x', output: 'p' }, constant('k', { h: 1, w: 1, c: 3 }), binary('y', kind, 'k', 'p')], ['y']);
      const r = check(canonicalize, g);
      expect(ops(r)).toEqual(['global_avg_pool', 'conv2d']);
      const dw = r.nodes[1] as Conv2dNode;
      expect(dw.input).toBe('p');
      if (kind === 'sub') expect(Array.from(dw.weight)).toEqual([-1, -1, -1]);
    });
  }

  it('division by a non-dyadic constant is within f32 rounding of 1/c', () => {
    const g = graph([constant('k', { h: 1, w: 1, c: 1 }, new Float32Array([6])), binary('y', 'div', 'x', 'k')], ['y']);
    const r = check(canonicalize, g, 1e-7);
    expect(ops(r)).toEqual(['conv2d']);
    expect((r.nodes[0] as Conv2dNode).weight[0]).toBe(Math.fround(1 / 6));
  });

  it('sees through a reshape of the constant, and drops both', () => {
    const g = graph([constant('k', { h: 1, w: 1, c: 3 }), { op: 'reshape', name: 'kr', input: 'k', output: 'kr', shape: { h: 1, w: 1, c: 3 } }, binary('y', 'mul', 'x', 'kr')], ['y']);
    expect(ops(check(canonicalize, g))).toEqual(['conv2d']);
  });

  it('leaves alone: div by zero, constant-first div, max/min, residual epilogues, full-size constants', () => {
    const g = graph(
      [
        constant('z', { h: 1, w: 1, c: 1 }, new Float32Array([0])),
        binary('d0', 'div', 'x', 'z'),
        constant('k', { h: 1, w: 1, c: 3 }),
        binary('mx', 'max', 'x', 'k'),
        binary('mn', 'min', 'x', 'k'),
        constant('full', { h: 5, w: 6, c: 3 }),
        binary('r', 'add', 'x', 'k', { act: 'none', residual: 'mx' }),
        binary('f', 'mul', 'x', 'full'),
      ],
      ['d0', 'mn', 'r', 'f'],
    );
    const r = binaryToCanonical(g);
    expect(ops(r)).toEqual(ops(g));
    const p = graph([{ op: 'global_avg_pool', name: 'p', input: 'x', output: 'p' }, constant('k', { h: 1, w: 1, c: 3 }, new Float32Array([1, 2, 4])), binary('y', 'div', 'k', 'p')], ['y']);
    expect(ops(binaryToCanonical(p))).toEqual(ops(p));
  });
});

describe('binary -> add / channel_scale', () => {
  it('add of two same-shape tensors becomes add (act and clamp kept)', () => {
    const g = graph([act('a', 'x', 'relu'), binary('y', 'add', 'x', 'a', { act: 'hswish', clamp: [-1, 2] })], ['y']);
    const r = check(canonicalize, g);
    expect(ops(r)).toEqual(['act', 'add']);
    expect(r.nodes[1]).toMatchObject({ inputs: ['x', 'a'], epilogue: { act: 'hswish', clamp: [-1, 2] } });
  });

  it('mul by a non-constant 1x1xC tensor becomes channel_scale', () => {
    const g = graph([{ op: 'global_avg_pool', name: 'p', input: 'x', output: 'p' }, binary('y', 'mul', 'x', 'p')], ['y']);
    const r = check(canonicalize, g);
    expect(ops(r)).toEqual(['global_avg_pool', 'channel_scale']);
    expect(r.nodes[1]).toMatchObject({ input: 'x', scale: 'p' });
    // not with an activation (channel_scale has no epilogue)
    const h = graph([{ op: 'global_avg_pool', name: 'p', input: 'x', output: 'p' }, binary('y', 'mul', 'x', 'p', { act: 'relu' })], ['y']);
    expect(ops(canonicalize(h))).toEqual(['global_avg_pool', 'binary']);
  });
});

describe('pad folding', () => {
  const pad = (value: number, p: [number, number, number, number] = [1, 0, 2, 1], input = 'x'): Node => ({ op: 'pad', name: 'pd', input, output: 'pd', pad: p, value });
  const pool = (kind: 'max' | 'avg', countIncludePad: boolean, own: [number, number, number, number] = [0, 0, 0, 0], input = 'pd'): Node => ({
    op: 'pool2d', name: 'pl', kind, input, output: 'pl', kh: 3, kw: 2, strideH: 2, strideW: 1, pad: own, countIncludePad,
  });

  it('into a conv2d (value 0), adding to its own padding', () => {
    const g = graph([pad(0), conv('c', 'pd', 'y', 3, 5)], ['y']);
    const r = check(foldPad, g);
    expect(ops(r)).toEqual(['conv2d']);
    expect(r.nodes[0]).toMatchObject({ input: 'x', pad: [2, 1, 3, 2], origin: ['pd', 'c'] });
    // and into a depthwise conv
    expect(ops(check(foldPad, graph([pad(0), conv('c', 'pd', 'y', 3, 3, { groups: 3 })], ['y'])))).toEqual(['conv2d']);
  });

  it('not into a conv2d with a non-zero value, nor when the pad has another reader or is an output', () => {
    expect(ops(foldPad(graph([pad(1), conv('c', 'pd', 'y', 3, 5)], ['y'])))).toEqual(['pad', 'conv2d']);
    expect(ops(foldPad(graph([pad(0), conv('c', 'pd', 'y', 3, 5), act('a', 'pd', 'relu')], ['y', 'a'])))).toEqual(['pad', 'conv2d', 'act']);
    expect(ops(foldPad(graph([pad(0), conv('c', 'pd', 'y', 3, 5)], ['y', 'pd'])))).toEqual(['pad', 'conv2d']);
  });

  it('into avg pools: countIncludePad, or no own padding (becomes countIncludePad)', () => {
    const a = check(foldPad, graph([pad(0), pool('avg', true, [1, 1, 0, 0])], ['pl']));
    expect(ops(a)).toEqual(['pool2d']);
    expect(a.nodes[0]).toMatchObject({ pad: [2, 1, 2, 1], countIncludePad: true });
    const b = check(foldPad, graph([pad(0), pool('avg', false)], ['pl']));
    expect(ops(b)).toEqual(['pool2d']);
    expect(b.nodes[0]).toMatchObject({ pad: [1, 0, 2, 1], countIncludePad: true });
    // TF-style (valid taps only) with its own padding: the explicit zeros count, cannot fold
    expect(ops(foldPad(graph([pad(0), pool('avg', false, [1, 0, 0, 0])], ['pl'])))).toEqual(['pad', 'pool2d']);
    expect(ops(foldPad(graph([pad(0.5), pool('avg', true)], ['pl'])))).toEqual(['pad', 'pool2d']);
  });

  it('into max pools: -inf always; 0 only on a non-negative input with a real pixel in every window', () => {
    expect(ops(check(foldPad, graph([pad(-Infinity), pool('max', false)], ['pl'])))).toEqual(['pool2d']);
    expect(ops(foldPad(graph([pad(0), pool('max', false)], ['pl'])))).toEqual(['pad', 'pool2d']); // x may be negative
    const relu = graph([act('r', 'x', 'relu'), pad(0, [1, 0, 2, 1], 'r'), pool('max', false)], ['pl']);
    expect(ops(check(foldPad, relu))).toEqual(['act', 'pool2d']);
    const clamped = graph([conv('c', 'x', 'cv', 3, 4, { epilogue: { act: 'none', clamp: [0, 6] } }), pad(0, [1, 1, 1, 1], 'cv'), pool('max', false)], ['pl']);
    expect(ops(check(foldPad, clamped))).toEqual(['conv2d', 'pool2d']);
    // a window of padding only (pad 3 >= kh 3): max would be 0, not -inf
    expect(ops(foldPad(graph([act('r', 'x', 'relu6'), pad(0, [3, 0, 0, 0], 'r'), pool('max', false)], ['pl'])))).toEqual(['act', 'pad', 'pool2d']);
  });
});

describe('affine folding into the producing conv', () => {
  const dw = (name: string, input: string, c: number, epilogue: Epilogue = { act: 'none' }): Conv2dNode =>
    conv(name, input, name, c, c, { kh: 1, kw: 1, groups: c, pad: [0, 0, 0, 0], epilogue });

  it('conv -> mul const -> add const (TFLite style) becomes one conv', () => {
    const g = graph(
      [conv('c', 'x', 'cv', 3, 5), constant('s', { h: 1, w: 1, c: 5 }), binary('m', 'mul', 'cv', 's'), constant('t', { h: 1, w: 1, c: 1 }), binary('y', 'add', 'm', 't', { act: 'relu' })],
      ['y'],
    );
    const r = check(canonicalize, g);
    expect(ops(r)).toEqual(['conv2d']);
    expect(r.nodes[0]).toMatchObject({ output: 'y', epilogue: { act: 'relu' }, origin: ['c', 'm', 's', 'y', 't'] });
  });

  it('folds a 1x1 depthwise conv into dense and depthwise convs, with or without bias', () => {
    const g = graph([conv('c', 'x', 'cv', 3, 4, { bias: undefined }), dw('a', 'cv', 4, { act: 'hswish' })], ['a']);
    const r = check(foldAffine, g);
    expect(ops(r)).toEqual(['conv2d']);
    expect(r.nodes[0]).toMatchObject({ output: 'a', epilogue: { act: 'hswish' }, kh: 3 });
    expect(ops(check(foldAffine, graph([conv('c', 'x', 'cv', 3, 3, { groups: 3 }), dw('a', 'cv', 3)], ['a'])))).toEqual(['conv2d']);
  });

  it('does not fold past an activation, a second reader, a graph output, or into a non-conv', () => {
    expect(ops(foldAffine(graph([conv('c', 'x', 'cv', 3, 4, { epilogue: { act: 'relu' } }), dw('a', 'cv', 4)], ['a'])))).toEqual(['conv2d', 'conv2d']);
    expect(ops(foldAffine(graph([conv('c', 'x', 'cv', 3, 4), dw('a', 'cv', 4), act('b', 'cv', 'relu')], ['a', 'b'])))).toEqual(['conv2d', 'conv2d', 'act']);
    expect(ops(foldAffine(graph([conv('c', 'x', 'cv', 3, 4), dw('a', 'cv', 4)], ['a', 'cv'])))).toEqual(['conv2d', 'conv2d']);
    expect(ops(foldAffine(graph([act('r', 'x', 'relu'), dw('a', 'r', 3)], ['a'])))).toEqual(['act', 'conv2d']);
  });
});

describe('dead constants', () => {
  it('drops unread constants and reshapes, keeps read ones and graph outputs', () => {
    const g = graph(
      [
        constant('dead', { h: 1, w: 1, c: 3 }),
        { op: 'reshape', name: 'deadr', input: 'dead', output: 'deadr', shape: { h: 1, w: 1, c: 3 } },
        constant('used', { h: 5, w: 6, c: 3 }),
        binary('y', 'max', 'x', 'used'),
        constant('out', { h: 1, w: 1, c: 2 }),
      ],
      ['y', 'out'],
    );
    expect(removeDeadConstants(g).nodes.map((n) => n.name)).toEqual(['used', 'y', 'out']);
    const clean = graph([act('a', 'x', 'relu')], ['a']);
    expect(removeDeadConstants(clean)).toBe(clean);
  });
});

describe('optimize runs canonicalize first', () => {
  it('conv -> BN-as-affine (mul, add constants) -> act: one fused conv', () => {
    const g = graph(
      [
        conv('c', 'x', 'cv', 3, 6),
        constant('g', { h: 1, w: 1, c: 6 }),
        binary('m', 'mul', 'cv', 'g'),
        constant('b', { h: 1, w: 1, c: 6 }),
        binary('bn', 'add', 'm', 'b'),
        act('h', 'bn', 'hswish'),
        { op: 'batch_norm', name: 'bn2', input: 'h', output: 'bn2', gamma: dyadic(6), beta: dyadic(6), mean: dyadic(6), variance: new Float32Array(6).fill(3), eps: 1 },
      ],
      ['bn2'],
    );
    for (const fuse of [true, false]) {
      const r = check((h) => optimize(h, { fuse }), g, 1e-6);
      expect(ops(r)).toEqual(fuse ? ['conv2d', 'conv2d'] : ['conv2d', 'act', 'conv2d']);
    }
  });
});
