/**
 * ONNX -> IR converters for activations, elementwise arithmetic, Softmax, Concat and the
 * layout-only ops (Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Identity, ...).
 *
 * Broadcasting follows numpy on the ONNX (NCHW) dims, then is classified for the IR: the
 * second operand must be the same shape, per channel ([1,C,1,1], [C,1,1]) or a scalar. A
 * constant per-channel or scalar operand becomes an affine map (folded into the producing
 * conv when possible, else a 1x1 depthwise conv); a computed per-channel multiplier becomes
 * channel_scale (the SE gate); equal shapes become add / binary.
 */
import type { Act, BinaryOp } from '../graph/ir.js';
import type { ImportContext, NodeInfo, RtVal, Val } from './onnx_ctx.js';
import { broadcastDims, axisOf, reshapeDims, flattenDims, squeezeDims, unsqueezeDims, intsOf } from './onnx_fold.js';
import type { ConstVal } from './onnx_tensor.js';
import { DTYPE, isFloatType } from './onnx_tensor.js';
import type { Converter } from './onnx_ops_nn.js';

const FLT_MAX = 3.4028234663852886e38;
const near = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));

function act(ctx: ImportContext, n: NodeInfo, x: RtVal, a: Act, out: string, clamp?: [number, number]): void {
  const y = ctx.emit({ op: 'act', name: ctx.nodeName(n), input: x.name, output: ctx.tensor(out), act: a, ...(clamp ? { clamp } : {}) });
  ctx.setRt(out, y.output, x.dims);
}

const simpleAct = (a: Act): Converter => (ctx: ImportContext, n: NodeInfo) => act(ctx, n, ctx.rt(n, 0), a, n.outputs[0]);

const hardSigmoid: Converter = (ctx: ImportContext, n: NodeInfo) => {
  const x = ctx.rt(n, 0);
  const alpha = ctx.guard(n, () => n.attrs.float('alpha', 0.2));
  const beta = ctx.guard(n, () => n.attrs.float('beta', 0.5));
  if (near(alpha, 1 / 6) && near(beta, 0.5)) return act(ctx, n, x, 'hsigmoid', n.outputs[0]);
  // clamp(alpha x + beta, 0, 1) == hsigmoid(6 alpha x + 6 beta - 3) exactly (Paddle's slope 0.2
  // is not hsigmoid's 1/6); the affine part folds into the producing conv, e.g. the SE fc2
  const mid = `${n.outputs[0]}:affine`;
  ctx.affine(n, x, [6 * alpha], [6 * beta - 3], mid);
  act(ctx, n, ctx.vals.get(mid) as RtVal, 'hsigmoid', n.outputs[0]);
};

function bound(ctx: ImportContext, n: NodeInfo, name: 'min' | 'max', i: number): number | undefined {
  if (ctx.opset < 11) return n.attrs.has(name) ? ctx.guard(n, () => n.attrs.float(name, 0)) : undefined;
  const v = ctx.optCst(n, i, name);
  if (v && v.data.length !== 1) ctx.fail(n, `${name} must be a scalar`, n.inputs[i]);
  return v?.data[0];
}

const clip: Converter = (ctx: ImportContext, n: NodeInfo) => {
  const x = ctx.rt(n, 0);
  const lo = bound(ctx, n, 'min', 1);
  const hi = bound(ctx, n, 'max', 2);
  if (lo === 0 && hi === 6) return act(ctx, n, x, 'relu6', n.outputs[0]);
  if (lo === 0 && hi === undefined) return act(ctx, n, x, 'relu', n.outputs[0]);
  act(ctx, n, x, 'none', n.outputs[0], [Math.max(lo ?? -FLT_MAX, -FLT_MAX), Math.min(hi ?? FLT_MAX, FLT_MAX)]);
};

/** Where the channel axis sits for a computed tensor of this rank (none for scalars). */
const channelAxis = (rank: number): number => (rank >= 2 ? 1 : rank - 1);

/** The per-channel (length C) or scalar (length 1) values of operand v broadcast over dims, else undefined. */
function perChannel(v: { dims: number[] }, dims: number[]): 'scalar' | 'channel' | undefined {
  const r = dims.length;
  const aligned = Array.from({ length: r }, (_, i) => v.dims[v.dims.length - r + i] ?? 1);
  const nonOne = aligned.map((d, i) => (d !== 1 ? i : -1)).filter((i) => i >= 0);
  if (nonOne.length === 0) return 'scalar';
  return nonOne.length === 1 && nonOne[0] === channelAxis(r) ? 'channel' : undefined;
}

function binaryNode(ctx: ImportContext, n: NodeInfo, kind: BinaryOp, a: string, b: string, dims: number[], out: string): RtVal {
  const y = ctx.emit({ op: 'binary', name: ctx.nodeName(n), kind, inputs: [a, b], output: ctx.tensor(out), epilogue: { act: 'none' } });
  return ctx.setRt(out, y.output, dims);
}

function binary(kind: BinaryOp): Converter {
  const commutative = kind === 'add' || kind === 'mul' || kind === 'max' || kind === 'min';
  return (ctx: ImportContext, n: NodeInfo) => {
    if (n.inputs.length !== 2) ctx.fail(n, `has ${n.inputs.length} inputs; 2 are supported`);
    const a = ctx.input(n, 0);
    const b = ctx.input(n, 1);
    if (!a || !b) ctx.fail(n, 'needs two inputs');
    const dims = ctx.guard(n, () => broadcastDims(a.dims, b.dims));
    const out = n.outputs[0];
    const same = (v: Val): boolean => v.dims.length === dims.length && v.dims.every((d, i) => d === dims[i]);
    if (a.kind === 'const' || b.kind === 'const') {
      const aFirst = a.kind === 'rt';
      const x = (aFirst ? a : b) as RtVal;
      const c = (aFirst ? b : a) as ConstVal;
      if (!same(x)) ctx.fail(n, `the constant operand [${c.dims.join(', ')}] would enlarge the computed one [${x.dims.join(', ')}] (unsupported)`);
      const pc = perChannel(c, dims);
      if (pc && (kind === 'add' || kind === 'sub' || kind === 'mul' || (kind === 'div' && aFirst))) {
        const v = c.data;
        const ones = [1];
        const zeros = [0];
        if (kind === 'add') ctx.affine(n, x, ones, v, out);
        else if (kind === 'sub') ctx.affine(n, x, aFirst ? ones : [-1], aFirst ? v.map((t) => -t) : v, out);
        else if (kind === 'mul') ctx.affine(n, x, v, zeros, out);
        else ctx.affine(n, x, v.map((t) => 1 / t), zeros, out);
        return;
      }
      if (pc === 'scalar' && (kind === 'max' || kind === 'min')) return act(ctx, n, x, 'none', out, kind === 'max' ? [c.data[0], FLT_MAX] : [-FLT_MAX, c.data[0]]);
      // a per-channel or scalar constant as a 1x1xC (or 1x1x1) tensor, else the full shape
      const cName = pc ? ctx.constTensor(n, { ...c, dims: [1, c.data.length] }, [1, c.data.length]) : ctx.constTensor(n, c, dims);
      if (!aFirst && !commutative) {
        if (kind !== 'sub') ctx.fail(n, `${n.opType} with a constant first operand is unsupported`);
        ctx.affine(n, binaryNode(ctx, n, 'sub', x.name, cName, dims, `${out}:neg`), [-1], [0], out);
        return;
      }
      binaryNode(ctx, n, kind, x.name, cName, dims, out);
      return;
    }
    if (same(a) && same(b)) {
      if (kind === 'add') {
        const y = ctx.emit({ op: 'add', name: ctx.nodeName(n), inputs: [a.name, b.name], output: ctx.tensor(out), epilogue: { act: 'none' } });
        ctx.setRt(out, y.output, dims);
      } else binaryNode(ctx, n, kind, a.name, b.name, dims, out);
      return;
    }
    const full = same(a) ? a : same(b) ? b : undefined;
    const small = full === a ? b : a;
    if (!full || !perChannel(small, dims)) ctx.fail(n, `operands [${a.dims.join(', ')}] and [${b.dims.join(', ')}] broadcast in a way the IR cannot express (it needs the same shape, per channel or a scalar)`);
    const sShape = ctx.irShape(n, small.dims);
    const fShape = ctx.irShape(n, dims);
    if (sShape.h * sShape.w !== 1) ctx.fail(n, `per-channel operand [${small.dims.join(', ')}] has no 1x1xC layout`);
    if (full === b && !commutative) {
      if (kind !== 'sub') ctx.fail(n, `${n.opType} of a per-channel tensor by a full one is unsupported`);
      const mid = binaryNode(ctx, n, 'sub', b.name, a.name, dims, `${out}:neg`);
      ctx.affine(n, mid, [-1], [0], out);
      return;
    }
    if (kind === 'mul' && sShape.c === fShape.c) {
      const y = ctx.emit({ op: 'channel_scale', name: ctx.nodeName(n), input: full.name, scale: small.name, output: ctx.tensor(out) });
      ctx.setRt(out, y.output, dims);
      return;
    }
    binaryNode(ctx, n, kind, full.name, small.name, dims, out);
  };
}

const softmax: Converter = (ctx: ImportContext, n: NodeInfo) => {
  const x = ctx.rt(n, 0);
  const r = x.dims.length;
  const axis = ctx.guard(n, () => axisOf(n.attrs.int('axis', ctx.opset < 13 ? 1 : -1), r));
  const s = ctx.irShape(n, x.dims);
  // opset < 13 flattens from `axis` on: a channel softmax only when nothing follows C
  const ok = r <= 2 ? axis === r - 1 : axis === 1 && (ctx.opset >= 13 || s.h * s.w === 1);
  if (!ok) ctx.fail(n, `softmax over axis ${axis} of [${x.dims.join(', ')}] (opset ${ctx.opset}) is not over channels only (unsupported)`);
  const y = ctx.emit({ op: 'softmax', name: ctx.nodeName(n), input: x.name, output: ctx.tensor(n.outputs[0]) });
  ctx.setRt(n.outputs[0], y.output, x.dims);
};

const concat: Converter = (ctx: ImportContext, n: NodeInfo) => {
  const ins = n.inputs.map((_, i) => ctx.input(n, i)).filter((v): v is Val => !!v);
  const rt = ins.find((v): v is RtVal => v.kind === 'rt');
  if (!rt) ctx.fail(n, 'has no inputs');
  const r = rt.dims.length;
  const axis = ctx.guard(n, () => axisOf(n.attrs.int('axis', 1), r));
  if (axis !== channelAxis(r)) ctx.fail(n, `concatenation along axis ${axis} of [${rt.dims.join(', ')}] is not along channels (unsupported)`);
  for (const v of ins) if (v.dims.length !== r || v.dims.some((d, i) => i !== axis && d !== rt.dims[i])) ctx.fail(n, `inputs [${ins.map((q) => q.dims.join(', ')).join('], [')}] differ off the channel axis`);
  const names = ins.map((v) => (v.kind === 'rt' ? v.name : ctx.constTensor(n, v, v.dims)));
  const dims = rt.dims.slice();
  dims[axis] = ins.reduce((p, v) => p + v.dims[axis], 0);
  if (names.length === 1) return void ctx.alias(n.outputs[0], rt);
  const y = ctx.emit({ op: 'concat', name: ctx.nodeName(n), inputs: names, output: ctx.tensor(n.outputs[0]) });
  ctx.setRt(n.outputs[0], y.output, dims);
};

/** A reshape of computed data: free when the NHWC layout is unchanged, an IR reshape when only H/W regroup. */
function reshapeTo(ctx: ImportContext, n: NodeInfo, x: RtVal, dims: number[]): void {
  const from = ctx.irShape(n, x.dims);
  const to = ctx.irShape(n, dims);
  if (from.h === to.h && from.w === to.w && from.c === to.c) return void ctx.alias(n.outputs[0], x, dims);
  if (from.c !== to.c) ctx.fail(n, `[${x.dims.join(', ')}] -> [${dims.join(', ')}] mixes channels and pixels, which would need an NCHW<->NHWC transpose (unsupported)`);
  const y = ctx.emit({ op: 'reshape', name: ctx.nodeName(n), input: x.name, output: ctx.tensor(n.outputs[0]), shape: to });
  ctx.setRt(n.outputs[0], y.output, dims);
}

const layoutOps: Record<string, Converter> = {
  Reshape: (ctx: ImportContext, n: NodeInfo) => {
    const x = ctx.rt(n, 0);
    const shape = ctx.opset < 5 ? ctx.guard(n, () => n.attrs.ints('shape', []))! : Array.from(ctx.cst(n, 1, 'shape').data);
    reshapeTo(ctx, n, x, ctx.guard(n, () => reshapeDims(x.dims, shape, n.attrs.int('allowzero', 0) === 1)));
  },
  Flatten: (ctx: ImportContext, n: NodeInfo) => {
    const x = ctx.rt(n, 0);
    reshapeTo(ctx, n, x, ctx.guard(n, () => flattenDims(x.dims, n.attrs.int('axis', 1))));
  },
  Squeeze: (ctx: ImportContext, n: NodeInfo) => {
    const x = ctx.rt(n, 0);
    const axes = ctx.opset < 13 ? ctx.guard(n, () => n.attrs.ints('axes')) : intsOf(ctx.optCst(n, 1, 'axes'));
    reshapeTo(ctx, n, x, ctx.guard(n, () => squeezeDims(x.dims, axes)));
  },
  Unsqueeze: (ctx: ImportContext, n: NodeInfo) => {
    const x = ctx.rt(n, 0);
    const axes = ctx.opset < 13 ? ctx.guard(n, () => n.attrs.ints('axes', [])) : intsOf(ctx.cst(n, 1, 'axes'));
    reshapeTo(ctx, n, x, ctx.guard(n, () => unsqueezeDims(x.dims, axes ?? [])));
  },
  Transpose: (ctx: ImportContext, n: NodeInfo) => {
    const x = ctx.rt(n, 0);
    const perm = ctx.guard(n, () => n.attrs.ints('perm', x.dims.map((_, i) => x.dims.length - 1 - i)))!;
    if (perm.length !== x.dims.length || new Set(perm).size !== perm.length || perm.some((p) => !(p >= 0 && p < perm.length))) ctx.fail(n, `perm [${perm.join(', ')}] is not a permutation of rank ${x.dims.length}`);
    const moved = perm.filter((p) => x.dims[p] !== 1);
    if (moved.some((p, i) => i > 0 && p < moved[i - 1])) ctx.fail(n, `perm [${perm.join(', ')}] reorders non-unit axes of [${x.dims.join(', ')}] (unsupported)`);
    reshapeTo(ctx, n, x, perm.map((p) => x.dims[p]));
  },
  Identity: (ctx: ImportContext, n: NodeInfo) => void ctx.alias(n.outputs[0], ctx.rt(n, 0)),
  Dropout: (ctx: ImportContext, n: NodeInfo) => {
    if (n.outputs[1] && ctx.uses.get(n.outputs[1])) ctx.fail(n, 'the mask output is used (unsupported)', n.outputs[1]);
    ctx.alias(n.outputs[0], ctx.rt(n, 0));
  },
  Cast: (ctx: ImportContext, n: NodeInfo) => {
    const to = ctx.guard(n, () => n.attrs.int('to', 0));
    if (!isFloatType(to)) ctx.fail(n, `casting computed data to a non-float type (${to}) is unsupported`);
    ctx.alias(n.outputs[0], ctx.rt(n, 0));
  },
  Shape: (ctx: ImportContext, n: NodeInfo) => {
    const d = ctx.rt(n, 0).dims;
    const r = d.length;
    const norm = (v: number): number => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
    const s = norm(ctx.guard(n, () => n.attrs.int('start', 0)));
    const e = norm(ctx.guard(n, () => n.attrs.int('end', r)));
    const v = d.slice(s, Math.max(s, e));
    ctx.setConst(n.outputs[0], { kind: 'const', dims: [v.length], data: Float64Array.from(v), dtype: DTYPE.INT64 });
  },
  Size: (ctx: ImportContext, n: NodeInfo) => {
    const d = ctx.rt(n, 0).dims;
    ctx.setConst(n.outputs[0], { kind: 'const', dims: [], data: Float64Array.of(d.reduce((p, q) => p * q, 1)), dtype: DTYPE.INT64 });
  },
};

export const BASIC_CONVERTERS: Record<string, Converter> = {
  Relu: simpleAct('relu'),
  Sigmoid: simpleAct('sigmoid'),
  HardSwish: simpleAct('hswish'),
  HardSigmoid: hardSigmoid,
  Clip: clip,
  Add: binary('add'),
  Sub: binary('sub'),
  Mul: binary('mul'),
  Div: binary('div'),
  Max: binary('max'),
  Min: binary('min'),
  Softmax: softmax,
  Concat: concat,
  ...layoutOps,
};
