/**
 * Semantics of every TF op the importer accepts (the conv family is in tfjs_conv.ts, pooling,
 * resize, concat, pad and reshapes in tfjs_ops_spatial.ts).
 * An op either folds at import time (all inputs known: shape arithmetic, constants,
 * control-flow predicates) or becomes IR nodes. Anything else is a ModelFormatError naming
 * the op and the node.
 */
import type { Act, BinaryOp, Node, TensorShape } from '../graph/ir.js';
import { type TfNode, attrStr, attrInts, attrInt, attrBool, attrFloat, attrShape, constValue } from './tfjs_format.js';
import { type HostTensor, type HostBinary, hostTensor, hostBinary, hostCast, hostReshape, hostSqueeze, hostExpandDims, hostConcat, hostPack, hostStridedSlice, hostSlice, scalarOf, numel } from './tfjs_host.js';
import type { Lowering } from './tfjs_lower.js';
import { type Value, type DevValue, DEAD, NONE, host, devShapeOf, mulScales } from './tfjs_values.js';
import { lowerConv, lowerConvTranspose, hostOf, intsOf, devOf as dev } from './tfjs_conv.js';
import { mean, pool, resize, concat, pad, reshapeDev, squeezeDev } from './tfjs_ops_spatial.js';

const HOST_BINARY: Record<string, HostBinary> = {
  Add: 'add', AddV2: 'add', BiasAdd: 'add', Sub: 'sub', Mul: 'mul', RealDiv: 'div', Maximum: 'max', Minimum: 'min',
  FloorDiv: 'floordiv', FloorMod: 'floormod', Equal: 'equal', NotEqual: 'notequal', Less: 'less', Greater: 'greater',
};
const IR_BINARY: Record<string, BinaryOp> = { Add: 'add', AddV2: 'add', BiasAdd: 'add', Sub: 'sub', Mul: 'mul', RealDiv: 'div', Maximum: 'max', Minimum: 'min' };
const TF_TYPES: Record<string, HostTensor['dtype']> = { DT_FLOAT: 'float32', DT_INT32: 'int32', DT_BOOL: 'bool', DT_INT64: 'int32' };
const F32_MAX = 3.4028234663852886e38;

/** ops that exist here only as import-time arithmetic on constants and shapes */
const HOST_ONLY = new Set(['StridedSlice', 'Slice', 'Pack', 'ExpandDims', 'FloorDiv', 'FloorMod', 'Equal', 'NotEqual', 'Less', 'Greater']);

export function lowerNode(L: Lowering, n: TfNode, ins: Value[]): Value | Value[] {
  const allHost = ins.length > 0 && ins.every((v) => v.kind === 'host');
  if (HOST_ONLY.has(n.op) && !allHost) return L.fail(n, `op '${n.op}' on activations is not supported (no IR equivalent; only its use on constants and shapes is)`);
  const H = (i: number, what: string): HostTensor => hostOf(L, n, ins[i], what);
  switch (n.op) {
    case 'Const':
      return host(constValue(n, L.weights, L.file));
    case 'Placeholder':
    case 'PlaceholderWithDefault':
      return placeholder(L, n, ins);
    case 'Identity':
    case 'StopGradient':
    case 'Snapshot':
    case 'PreventGradient':
      return ins[0];
    case 'IdentityN':
      return ins;
    case 'NoOp':
      return NONE;
    case 'Switch': {
      const pred = scalarOf(H(1, 'the Switch predicate'));
      return pred ? [DEAD, ins[0]] : [ins[0], DEAD];
    }
    case 'Merge': {
      const live = ins.findIndex((v) => v.kind !== 'dead');
      return live < 0 ? [DEAD, DEAD] : [ins[live], host(hostTensor('int32', [], [live]))];
    }
    case 'Shape': {
      const v = ins[0];
      if (v.kind === 'host') return host(hostTensor('int32', [v.t.shape.length], v.t.shape));
      if (v.kind !== 'dev' && v.kind !== 'pad') return L.fail(n, `shape of a ${v.kind} value is not known`);
      const s = devShapeOf(v);
      return host(hostTensor('int32', [4], [1, s.h, s.w, s.c]));
    }
    case 'StridedSlice': {
      const m = (k: string): number => attrInt(n, k) ?? 0;
      const masks = { begin: m('begin_mask'), end: m('end_mask'), ellipsis: m('ellipsis_mask'), newAxis: m('new_axis_mask'), shrink: m('shrink_axis_mask') };
      return host(hostStridedSlice(H(0, 'the sliced tensor'), intsOf(L, n, ins[1], 'begin'), intsOf(L, n, ins[2], 'end'), intsOf(L, n, ins[3], 'strides'), masks));
    }
    case 'Slice':
      return host(hostSlice(H(0, 'the sliced tensor'), intsOf(L, n, ins[1], 'begin'), intsOf(L, n, ins[2], 'size')));
    case 'Pack':
      return host(hostPack(ins.map((_, i) => H(i, 'a packed value')), attrInt(n, 'axis') ?? 0));
    case 'ExpandDims':
      return host(hostExpandDims(H(0, 'the input'), scalarOf(H(1, 'the axis'))));
    case 'Cast': {
      const to = TF_TYPES[n.attr.DstT?.type ?? ''];
      if (!to) return L.fail(n, `cast to ${n.attr.DstT?.type} is not supported`);
      if (ins[0].kind === 'host') return host(hostCast(ins[0].t, to));
      if (to !== 'float32') return L.fail(n, 'casts an activation to a non-float type');
      return ins[0];
    }
    case 'Squeeze': {
      const dims = attrInts(n, 'squeeze_dims') ?? [];
      if (ins[0].kind === 'host') return host(hostSqueeze(ins[0].t, dims));
      return squeezeDev(L, n, ins[0], dims);
    }
    case 'Reshape':
      if (ins[0].kind === 'host') return host(hostReshape(ins[0].t, intsOf(L, n, ins[1], 'the shape')));
      return reshapeDev(L, n, ins[0], intsOf(L, n, ins[1], 'the shape'));
    case 'FloorDiv':
    case 'FloorMod':
    case 'Equal':
    case 'NotEqual':
    case 'Less':
    case 'Greater':
      return host(hostBinary(HOST_BINARY[n.op], H(0, 'the first operand'), H(1, 'the second operand')));
    case 'Add':
    case 'AddV2':
    case 'BiasAdd':
    case 'Sub':
    case 'Mul':
    case 'RealDiv':
    case 'Maximum':
    case 'Minimum':
      if (n.op === 'BiasAdd' && (attrStr(n, 'data_format') ?? 'NHWC') !== 'NHWC') return L.fail(n, 'only NHWC BiasAdd is supported');
      if (allHost) return host(hostBinary(HOST_BINARY[n.op], H(0, 'a'), H(1, 'b')));
      return elementwise(L, n, n.op, ins[0], ins[1]);
    case 'AddN':
      if (allHost) return host(ins.slice(1).reduce((a, b, i) => hostBinary('add', a, H(i + 1, 'an operand')), H(0, 'an operand')));
      return ins.slice(1).reduce((a, b) => elementwise(L, n, 'AddV2', a, b), ins[0]);
    case 'Relu':
      return activation(L, n, ins[0], 'relu');
    case 'Relu6':
      return activation(L, n, ins[0], 'relu6');
    case 'Sigmoid':
      return activation(L, n, ins[0], 'sigmoid');
    case '_HardSwish':
      return activation(L, n, ins[0], 'hswish');
    case '_HardSigmoid':
      return activation(L, n, ins[0], 'hsigmoid');
    case 'Conv2D':
    case '_FusedConv2D':
    case 'DepthwiseConv2dNative':
    case 'FusedDepthwiseConv2dNative':
      return lowerConv(L, n, ins);
    case 'Conv2DBackpropInput':
      return lowerConvTranspose(L, n, ins);
    case 'FusedBatchNorm':
    case 'FusedBatchNormV2':
    case 'FusedBatchNormV3': {
      if (attrBool(n, 'is_training')) return L.fail(n, 'training-mode batch norm');
      const x = dev(L, n, ins[0]);
      const c = x.shape.c;
      const [g, b, m, v] = [1, 2, 3, 4].map((i) => perChannel(H(i, 'a batch-norm parameter'), c) ?? L.fail(n, `batch-norm parameters do not have ${c} values`));
      const eps = attrFloat(n, 'epsilon') ?? 1e-3;
      const s = g.map((gk, k) => gk / Math.sqrt(v[k] + eps));
      return L.applyAffine(n, x, s, b.map((bk, k) => bk - m[k] * s[k]));
    }
    case 'Mean':
      return mean(L, n, ins);
    case 'AvgPool':
    case 'MaxPool':
      return pool(L, n, ins[0]);
    case 'ResizeBilinear':
    case 'ResizeNearestNeighbor':
      return resize(L, n, ins);
    case 'ConcatV2':
      if (allHost) return host(hostConcat(ins.slice(0, -1).map((_, i) => H(i, 'a part')), scalarOf(H(ins.length - 1, 'the axis'))));
      return concat(L, n, ins);
    case 'Pad':
    case 'PadV2':
      return pad(L, n, ins);
    case 'SpaceToBatchND': {
      const x = ins[0];
      const block = intsOf(L, n, ins[1], 'block_shape');
      const p = intsOf(L, n, ins[2], 'paddings');
      if (block.length !== 2 || p.length !== 4) return L.fail(n, 'only spatial (2-D) SpaceToBatchND is supported');
      const src = x.kind === 'pad' || x.kind === 'dev' ? x : L.materialize(x, n);
      return { kind: 's2b', src, block: [block[0], block[1]], pad: [p[0], p[2], p[1], p[3]] };
    }
    case 'BatchToSpaceND': {
      const x = ins[0];
      if (x.kind !== 'dilated') return L.fail(n, 'BatchToSpaceND is only supported right after a convolution of a SpaceToBatchND output (dilated convolution)');
      const block = intsOf(L, n, ins[1], 'block_shape');
      const c = intsOf(L, n, ins[2], 'crops');
      if (block[0] !== x.block[0] || block[1] !== x.block[1] || c.length !== 4) return L.fail(n, `block [${block.join(', ')}] does not match its SpaceToBatchND [${x.block.join(', ')}]`);
      return x.finish([c[0], c[2], c[1], c[3]]);
    }
    case 'Softmax': {
      const x = L.materialize(ins[0], n);
      return L.emit({ op: 'softmax', name: n.name, input: x.tensor, output: n.name }, x.shape);
    }
    case 'ArgMax': {
      const axis = scalarOf(H(1, 'the axis'));
      if (axis !== 3 && axis !== -1) return L.fail(n, `argmax over axis ${axis} (only channels)`);
      const x = L.materialize(ins[0], n);
      return L.emit({ op: 'argmax', name: n.name, input: x.tensor, output: n.name }, { ...x.shape, c: 1 });
    }
    default:
      return L.fail(n, `op '${n.op}' is not supported by the TF.js importer (no IR equivalent)`);
  }
}

function placeholder(L: Lowering, n: TfNode, ins: Value[]): Value {
  const given = L.opts.constants?.[n.name];
  if (given !== undefined) {
    const vals = Array.isArray(given) ? given : [given];
    const type = TF_TYPES[n.attr.dtype?.type ?? 'DT_FLOAT'] ?? 'float32';
    return host(hostTensor(type, Array.isArray(given) ? [vals.length] : [], vals));
  }
  if (n.op === 'PlaceholderWithDefault') return ins[0];
  const type = n.attr.dtype?.type;
  const shape = attrShape(n, 'shape');
  if ((type && type !== 'DT_FLOAT') || !shape || shape.length !== 4) {
    return L.fail(n, `placeholder (${type ?? 'no dtype'}, shape ${shape ? `[${shape.join(', ')}]` : 'unknown'}) is not an NHWC float image input; give its value in opts.constants`);
  }
  if (L.input) return L.fail(n, `a second image input (the first is '${L.input.name}'); give this placeholder a value in opts.constants`);
  const [b, h, w, c] = shape;
  if (b > 1) return L.fail(n, `batch ${b} (only batch 1 is supported)`);
  if (!(c > 0)) return L.fail(n, 'input channel count is not fixed');
  const pick = (dim: number, opt: number | undefined, what: string): number => {
    if (opt !== undefined && (!Number.isInteger(opt) || opt < 1)) return L.fail(n, `${what} ${opt} is not a positive integer`);
    if (dim > 0) {
      if (opt !== undefined && opt !== dim) return L.fail(n, `the graph fixes the input ${what === 'inputHeight' ? 'height' : 'width'} at ${dim}; ${what} ${opt} cannot change it`);
      return dim;
    }
    if (opt === undefined) return L.fail(n, `the input ${what === 'inputHeight' ? 'height' : 'width'} is dynamic: pass ${what}`);
    return opt;
  };
  return L.setInput(n.name, { h: pick(h, L.opts.inputHeight, 'inputHeight'), w: pick(w, L.opts.inputWidth, 'inputWidth'), c });
}

/** a constant as one value per channel (scalar or [..., 1, C]), or undefined */
function perChannel(t: HostTensor, c: number): Float32Array | undefined {
  if (t.data.length === 1) return new Float32Array(c).fill(t.data[0]);
  const s = t.shape;
  if (s.length >= 1 && s[s.length - 1] === c && numel(s) === c) return Float32Array.from(t.data);
  return undefined;
}

function activation(L: Lowering, n: TfNode, v: Value, act: Act): Value {
  const x = L.materialize(v, n);
  const k = n.actScale;
  const scale = k !== undefined && Math.abs(k - 1) > 1e-6 ? new Float32Array(x.shape.c).fill(k) : undefined;
  return L.emit({ op: 'act', name: n.name, input: x.tensor, output: n.name, act }, x.shape, scale);
}

function elementwise(L: Lowering, n: TfNode, op: string, a: Value, b: Value): Value {
  if (a.kind === 'host' || b.kind === 'host') {
    const constFirst = a.kind === 'host';
    const c = (constFirst ? a : b) as { kind: 'host'; t: HostTensor };
    const x = dev(L, n, constFirst ? b : a);
    const s = perChannel(c.t, x.shape.c);
    if (s) {
      switch (op) {
        case 'Add':
        case 'AddV2':
        case 'BiasAdd':
          return L.applyAffine(n, x, undefined, s);
        case 'Sub':
          return constFirst ? L.applyAffine(n, x, new Float32Array(s.length).fill(-1), s) : L.applyAffine(n, x, undefined, s.map((v) => -v));
        case 'Mul':
          return L.applyAffine(n, x, s, undefined);
        case 'RealDiv':
          if (!constFirst) return L.applyAffine(n, x, s.map((v) => 1 / v), undefined);
          break;
        case 'Maximum':
        case 'Minimum':
          if (c.t.data.length === 1) {
            const m = L.materialize(x, n);
            const clamp: [number, number] = op === 'Maximum' ? [c.t.data[0], F32_MAX] : [-F32_MAX, c.t.data[0]];
            return L.emit({ op: 'act', name: n.name, input: m.tensor, output: n.name, act: 'none', clamp }, m.shape);
          }
          break;
      }
    }
    // general case: an IR binary with a constant operand (second operand only)
    const full = numel(c.t.shape) === x.shape.h * x.shape.w * x.shape.c && c.t.shape.length >= 3;
    if (constFirst && !['Add', 'AddV2', 'Mul', 'Maximum', 'Minimum'].includes(op)) return L.fail(n, 'a constant first operand of a non-commutative op is not supported');
    if (!s && !full) return L.fail(n, `constant of shape [${c.t.shape.join(', ')}] does not broadcast onto ${x.shape.h}x${x.shape.w}x${x.shape.c}`);
    const shape: TensorShape = full ? x.shape : { h: 1, w: 1, c: x.shape.c };
    const k = L.emit({ op: 'constant', name: `${n.name}#const`, output: `${n.name}#const`, shape, data: s ?? Float32Array.from(c.t.data) }, shape);
    const m = L.materialize(x, n);
    return L.emit({ op: 'binary', name: n.name, kind: IR_BINARY[op], inputs: [m.tensor, k.tensor], output: n.name, epilogue: { act: 'none' } }, m.shape);
  }
  let p = dev(L, n, a);
  let q = dev(L, n, b);
  const small = (v: DevValue, o: DevValue): boolean => v.shape.h * v.shape.w === 1 && o.shape.h * o.shape.w > 1 && v.shape.c === o.shape.c;
  const same = p.shape.h === q.shape.h && p.shape.w === q.shape.w && p.shape.c === q.shape.c;
  if (op === 'Mul') {
    // SE gating x * s (s 1x1xC): channel_scale; pending multipliers of both pass through
    if (small(p, q)) [p, q] = [q, p];
    if (small(q, p)) return L.emit({ op: 'channel_scale', name: n.name, input: p.tensor, scale: q.tensor, output: n.name }, p.shape, mulScales(p.scale, q.scale));
  }
  const commutative = ['Add', 'AddV2', 'BiasAdd', 'Mul', 'Maximum', 'Minimum'].includes(op);
  if (!same && commutative && (small(p, q) || (p.shape.h * p.shape.w * p.shape.c === 1 && q.shape.h * q.shape.w * q.shape.c > 1))) [p, q] = [q, p];
  const pm = L.materialize(p, n);
  const qm = L.materialize(q, n);
  if (same && (op === 'Add' || op === 'AddV2' || op === 'BiasAdd')) {
    return L.emit({ op: 'add', name: n.name, inputs: [pm.tensor, qm.tensor], output: n.name, epilogue: { act: 'none' } }, pm.shape);
  }
  const node: Node = { op: 'binary', name: n.name, kind: IR_BINARY[op], inputs: [pm.tensor, qm.tensor], output: n.name, epilogue: { act: 'none' } };
  return L.emit(node, pm.shape);
}
