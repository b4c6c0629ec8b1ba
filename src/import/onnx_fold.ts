/**
 * Constant folding for the ONNX importer: shape arithmetic (Shape -> Gather -> Concat ->
 * Reshape chains, Cast, Slice, ...) and small constant expressions, evaluated at import on
 * float64 values with numpy-style broadcasting. Also the dim rules shared with the runtime
 * reshape family (Reshape, Flatten, Squeeze, Unsqueeze).
 */
import { type ConstVal, type Attrs, DTYPE, OnnxDataError, elementCount, isFloatType, dtypeName, decodeTensor } from './onnx_tensor.js';

export const constOf = (dims: number[], data: ArrayLike<number>, dtype: number): ConstVal => ({ kind: 'const', dims, data: new Float64Array(data), dtype });

const stridesOf = (dims: readonly number[]): number[] => {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1] * dims[i + 1];
  return s;
};

/** Normalises a possibly negative axis for a tensor of the given rank. */
export function axisOf(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!(a >= 0 && a < rank)) throw new OnnxDataError(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** numpy broadcast of two shapes. */
export function broadcastDims(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new OnnxDataError(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Values of `v` broadcast to `dims` (which must be a broadcast of v.dims). */
export function expandTo(v: ConstVal, dims: readonly number[]): Float64Array {
  const n = elementCount(dims);
  const out = new Float64Array(n);
  const r = dims.length;
  const vd = Array.from({ length: r }, (_, i) => v.dims[v.dims.length - r + i] ?? 1);
  const vs = stridesOf(vd);
  const os = stridesOf(dims);
  for (let i = 0; i < n; i++) {
    let src = 0;
    for (let k = 0; k < r; k++) if (vd[k] !== 1) src += Math.floor(i / os[k]) % dims[k] * vs[k];
    out[i] = v.data[src];
  }
  return out;
}

const isInt = (t: number): boolean => !isFloatType(t) && t !== DTYPE.BOOL;

export function binaryConst(op: string, a: ConstVal, b: ConstVal): ConstVal {
  const dims = broadcastDims(a.dims, b.dims);
  const x = expandTo(a, dims);
  const y = expandTo(b, dims);
  const intDiv = isInt(a.dtype);
  const f = {
    Add: (p: number, q: number) => p + q,
    Sub: (p: number, q: number) => p - q,
    Mul: (p: number, q: number) => p * q,
    Div: (p: number, q: number) => (intDiv ? Math.trunc(p / q) : p / q),
    Pow: (p: number, q: number) => p ** q,
    Max: (p: number, q: number) => Math.max(p, q),
    Min: (p: number, q: number) => Math.min(p, q),
    Equal: (p: number, q: number) => Number(p === q),
    Less: (p: number, q: number) => Number(p < q),
    Greater: (p: number, q: number) => Number(p > q),
  }[op];
  if (!f) throw new OnnxDataError(`cannot fold ${op}`);
  const out = x.map((v, i) => f(v, y[i]));
  const dtype = ['Equal', 'Less', 'Greater'].includes(op) ? DTYPE.BOOL : a.dtype;
  return { kind: 'const', dims, data: dtype === DTYPE.FLOAT ? out.map(Math.fround) : out, dtype };
}

export function unaryConst(op: string, a: ConstVal): ConstVal {
  const f = {
    Neg: (v: number) => -v, Abs: Math.abs, Floor: Math.floor, Ceil: Math.ceil, Sqrt: Math.sqrt,
    Reciprocal: (v: number) => 1 / v, Relu: (v: number) => Math.max(v, 0), Exp: Math.exp, Not: (v: number) => Number(!v),
    Round: (v: number) => { const r = Math.round(v); return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; },
  }[op];
  if (!f) throw new OnnxDataError(`cannot fold ${op}`);
  return { ...a, data: a.data.map(f) };
}

export function castConst(a: ConstVal, to: number): ConstVal {
  let data: Float64Array;
  switch (to) {
    case DTYPE.FLOAT: case DTYPE.FLOAT16: case DTYPE.BFLOAT16: data = a.data.map(Math.fround); break;
    case DTYPE.DOUBLE: data = a.data.slice(); break;
    case DTYPE.BOOL: data = a.data.map((v) => Number(v !== 0)); break;
    case DTYPE.INT8: case DTYPE.UINT8: case DTYPE.INT16: case DTYPE.UINT16: case DTYPE.INT32: case DTYPE.UINT32: case DTYPE.INT64: case DTYPE.UINT64:
      data = a.data.map(Math.trunc);
      break;
    default: throw new OnnxDataError(`Cast to ${dtypeName(to)} is unsupported`);
  }
  return { kind: 'const', dims: a.dims.slice(), data, dtype: to };
}

export function gatherConst(data: ConstVal, idx: ConstVal, axisAttr: number): ConstVal {
  const r = data.dims.length;
  const axis = axisOf(axisAttr, r);
  const outer = data.dims.slice(0, axis).reduce((p, q) => p * q, 1);
  const inner = data.dims.slice(axis + 1).reduce((p, q) => p * q, 1);
  const n = data.dims[axis];
  const dims = [...data.dims.slice(0, axis), ...idx.dims, ...data.dims.slice(axis + 1)];
  const out = new Float64Array(elementCount(dims));
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const raw of idx.data) {
      const i = raw < 0 ? raw + n : raw;
      if (!(i >= 0 && i < n)) throw new OnnxDataError(`Gather index ${raw} is out of range for a dimension of ${n}`);
      for (let b = 0; b < inner; b++) out[o++] = data.data[(a * n + i) * inner + b];
    }
  }
  return { kind: 'const', dims, data: out, dtype: data.dtype };
}

/** ONNX Slice on a constant (starts/ends/axes/steps already read from attributes or inputs). */
export function sliceConst(data: ConstVal, starts: number[], ends: number[], axesIn?: number[], stepsIn?: number[]): ConstVal {
  const r = data.dims.length;
  const axes = (axesIn ?? starts.map((_, i) => i)).map((a) => axisOf(a, r));
  const steps = stepsIn ?? starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) throw new OnnxDataError('Slice starts/ends/axes/steps differ in length');
  const lo = data.dims.map(() => 0);
  const step = data.dims.map(() => 1);
  const count = data.dims.slice();
  axes.forEach((ax, k) => {
    const n = data.dims[ax];
    const s = steps[k];
    if (s === 0 || !Number.isFinite(s)) throw new OnnxDataError('Slice step must be non-zero');
    const clampIdx = (v: number, hi: number): number => { const x = v < 0 ? v + n : v; return Math.min(Math.max(x, s > 0 ? 0 : -1), hi); };
    const b = clampIdx(starts[k], s > 0 ? n : n - 1);
    const e = clampIdx(ends[k], s > 0 ? n : n - 1);
    lo[ax] = b;
    step[ax] = s;
    count[ax] = Math.max(0, Math.ceil((e - b) / s));
  });
  const out = new Float64Array(elementCount(count));
  const is = stridesOf(data.dims);
  const os = stridesOf(count);
  for (let i = 0; i < out.length; i++) {
    let src = 0;
    for (let k = 0; k < r; k++) src += (lo[k] + (Math.floor(i / os[k]) % count[k]) * step[k]) * is[k];
    out[i] = data.data[src];
  }
  return { kind: 'const', dims: count, data: out, dtype: data.dtype };
}

export function concatConst(vals: ConstVal[], axisAttr: number): ConstVal {
  const r = vals[0].dims.length;
  const axis = axisOf(axisAttr, r);
  for (const v of vals) {
    if (v.dims.length !== r || v.dims.some((d, i) => i !== axis && d !== vals[0].dims[i])) throw new OnnxDataError(`Concat inputs [${vals.map((x) => x.dims.join('x')).join('], [')}] differ off axis ${axis}`);
  }
  const dims = vals[0].dims.slice();
  dims[axis] = vals.reduce((p, v) => p + v.dims[axis], 0);
  const outer = dims.slice(0, axis).reduce((p, q) => p * q, 1);
  const out = new Float64Array(elementCount(dims));
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const v of vals) {
      const chunk = v.data.length / outer;
      out.set(v.data.subarray(a * chunk, (a + 1) * chunk), o);
      o += chunk;
    }
  }
  return { kind: 'const', dims, data: out, dtype: vals[0].dtype };
}

export function transposeConst(v: ConstVal, permIn?: number[]): ConstVal {
  const r = v.dims.length;
  const perm = permIn ?? v.dims.map((_, i) => r - 1 - i);
  if (perm.length !== r || new Set(perm.map((p) => axisOf(p, r))).size !== r) throw new OnnxDataError(`Transpose perm [${perm.join(', ')}] is not a permutation of rank ${r}`);
  const dims = perm.map((p) => v.dims[p]);
  const is = stridesOf(v.dims);
  const os = stridesOf(dims);
  const out = new Float64Array(v.data.length);
  for (let i = 0; i < out.length; i++) {
    let src = 0;
    for (let k = 0; k < r; k++) src += (Math.floor(i / os[k]) % dims[k]) * is[perm[k]];
    out[i] = v.data[src];
  }
  return { kind: 'const', dims, data: out, dtype: v.dtype };
}

/** Output dims of ONNX Reshape (0 copies the input dim unless allowzero, -1 is inferred). */
export function reshapeDims(inDims: readonly number[], shape: readonly number[], allowzero: boolean): number[] {
  const total = inDims.reduce((p, q) => p * q, 1);
  let infer = -1;
  const out = shape.map((d, i) => {
    if (d === 0 && !allowzero) {
      if (i >= inDims.length) throw new OnnxDataError(`Reshape: 0 at position ${i} copies a dimension the input does not have`);
      return inDims[i];
    }
    if (d === -1) {
      if (infer >= 0) throw new OnnxDataError('Reshape: more than one -1');
      infer = i;
      return 1;
    }
    if (!Number.isInteger(d) || d < 0) throw new OnnxDataError(`Reshape: invalid dimension ${d}`);
    return d;
  });
  const known = out.reduce((p, q) => p * q, 1);
  if (infer >= 0) {
    if (known === 0 || total % known !== 0) throw new OnnxDataError(`Reshape: cannot infer -1 reshaping [${inDims.join(', ')}] to [${shape.join(', ')}]`);
    out[infer] = total / known;
  }
  if (out.reduce((p, q) => p * q, 1) !== total) throw new OnnxDataError(`Reshape: [${inDims.join(', ')}] has ${total} elements, [${out.join(', ')}] would need ${out.reduce((p, q) => p * q, 1)}`);
  return out;
}

export function flattenDims(dims: readonly number[], axisAttr: number): number[] {
  const axis = axisAttr < 0 ? axisAttr + dims.length : axisAttr;
  if (!(axis >= 0 && axis <= dims.length)) throw new OnnxDataError(`Flatten axis ${axisAttr} out of range for rank ${dims.length}`);
  return [dims.slice(0, axis).reduce((p, q) => p * q, 1), dims.slice(axis).reduce((p, q) => p * q, 1)];
}

export function squeezeDims(dims: readonly number[], axes?: number[]): number[] {
  if (!axes) return dims.filter((d) => d !== 1);
  const set = new Set(axes.map((a) => axisOf(a, dims.length)));
  for (const a of set) if (dims[a] !== 1) throw new OnnxDataError(`Squeeze axis ${a} has size ${dims[a]}, not 1`);
  return dims.filter((_, i) => !set.has(i));
}

export function unsqueezeDims(dims: readonly number[], axes: number[]): number[] {
  const r = dims.length + axes.length;
  const set = new Set(axes.map((a) => axisOf(a, r)));
  if (set.size !== axes.length) throw new OnnxDataError('Unsqueeze axes repeat');
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < r; i++) out.push(set.has(i) ? 1 : dims[k++]);
  return out;
}

/** Reads an int list from an optional constant input, or undefined when the input is absent. */
export const intsOf = (v: ConstVal | undefined): number[] | undefined => (v ? Array.from(v.data) : undefined);

/** Folds one node whose inputs are all constants; undefined when the op is not foldable. */
export function foldNode(op: string, ins: (ConstVal | undefined)[], attrs: Attrs, opset: number): ConstVal | undefined {
  const need = (i: number): ConstVal => {
    const v = ins[i];
    if (!v) throw new OnnxDataError(`${op} needs input ${i}`);
    return v;
  };
  switch (op) {
    case 'Identity': case 'Dropout': return need(0);
    case 'Cast': return castConst(need(0), attrs.int('to', 0));
    case 'Add': case 'Sub': case 'Mul': case 'Div': case 'Pow': case 'Equal': case 'Less': case 'Greater':
      return binaryConst(op, need(0), need(1));
    case 'Max': case 'Min': return ins.slice(1).reduce<ConstVal>((p, _q, i) => binaryConst(op, p, need(i + 1)), need(0));
    case 'Neg': case 'Abs': case 'Floor': case 'Ceil': case 'Sqrt': case 'Reciprocal': case 'Relu': case 'Exp': case 'Not': case 'Round':
      return unaryConst(op, need(0));
    case 'Shape': {
      const d = need(0).dims;
      const r = d.length;
      const s = attrs.int('start', 0);
      const e = attrs.int('end', r);
      const norm = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
      return constOf([Math.max(norm(e) - norm(s), 0)], d.slice(norm(s), norm(e)), DTYPE.INT64);
    }
    case 'Size': return constOf([], [need(0).data.length], DTYPE.INT64);
    case 'Gather': return gatherConst(need(0), need(1), attrs.int('axis', 0));
    case 'Slice':
      if (opset < 10) return sliceConst(need(0), attrs.ints('starts') ?? [], attrs.ints('ends') ?? [], attrs.ints('axes'));
      return sliceConst(need(0), intsOf(need(1))!, intsOf(need(2))!, intsOf(ins[3]), intsOf(ins[4]));
    case 'Concat': return concatConst(ins.map((_, i) => need(i)), attrs.int('axis', 0));
    case 'Transpose': return transposeConst(need(0), attrs.ints('perm'));
    case 'Reshape': {
      const x = need(0);
      const shape = opset < 5 ? attrs.ints('shape') ?? [] : intsOf(need(1))!;
      return { ...x, dims: reshapeDims(x.dims, shape, attrs.int('allowzero', 0) === 1) };
    }
    case 'Flatten': return { ...need(0), dims: flattenDims(need(0).dims, attrs.int('axis', 1)) };
    case 'Squeeze': return { ...need(0), dims: squeezeDims(need(0).dims, opset < 13 ? attrs.ints('axes') : intsOf(ins[1])) };
    case 'Unsqueeze': return { ...need(0), dims: unsqueezeDims(need(0).dims, (opset < 13 ? attrs.ints('axes') : intsOf(ins[1])) ?? []) };
    case 'ConstantOfShape': {
      const dims = intsOf(need(0))!;
      const t = attrs.tensor('value');
      const v = t ? decodeTensor(t) : undefined;
      return { kind: 'const', dims, data: new Float64Array(elementCount(dims)).fill(v?.data[0] ?? 0), dtype: v?.dtype ?? DTYPE.FLOAT };
    }
    case 'Range': {
      const [s, l, d] = [need(0).data[0], need(1).data[0], need(2).data[0]];
      const n = Math.max(Math.ceil((l - s) / d), 0);
      return constOf([elementCount([n])], Array.from({ length: n }, (_, i) => s + i * d), need(0).dtype);
    }
    case 'Expand': {
      const x = need(0);
      const dims = broadcastDims(x.dims, intsOf(need(1))!);
      return { kind: 'const', dims, data: expandTo(x, dims), dtype: x.dtype };
    }
    default:
      return undefined;
  }
}
