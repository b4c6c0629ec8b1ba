/**
 * Import-time evaluation of the small tensors of a TF graph: constants and the shape
 * arithmetic that TF emits around dynamic shapes (Shape -> StridedSlice -> Pack -> Mul ...),
 * the control-flow predicates of `cond` (Equal, Squeeze) and the like. These ops never become
 * IR nodes: the IR has static shapes, so everything computable from shapes and constants is
 * folded here. Errors are plain Errors; the lowering wraps them with the node's name.
 */

export type HostDType = 'float32' | 'int32' | 'bool';

export interface HostTensor {
  dtype: HostDType;
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

export const numel = (shape: readonly number[]): number => shape.reduce((a, d) => a * d, 1);

export function hostTensor(dtype: HostDType, shape: number[], vals: ArrayLike<number>): HostTensor {
  const data = dtype === 'float32' ? Float32Array.from(vals) : dtype === 'int32' ? Int32Array.from(vals, (v) => Math.trunc(v)) : Uint8Array.from(vals, (v) => (v ? 1 : 0));
  if (data.length !== numel(shape)) throw new Error(`internal: ${data.length} values for shape [${shape.join(', ')}]`);
  return { dtype, shape, data };
}

export const scalarOf = (t: HostTensor): number => {
  if (t.data.length !== 1) throw new Error(`expected a scalar, got shape [${t.shape.join(', ')}]`);
  return t.data[0];
};

const strides = (shape: readonly number[]): number[] => {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
};

export type HostBinary = 'add' | 'sub' | 'mul' | 'div' | 'floordiv' | 'floormod' | 'max' | 'min' | 'equal' | 'notequal' | 'less' | 'greater';

function binaryValue(op: HostBinary, a: number, b: number, dtype: HostDType): number {
  switch (op) {
    case 'add':
      return a + b;
    case 'sub':
      return a - b;
    case 'mul':
      return a * b;
    case 'div':
      return dtype === 'int32' ? Math.trunc(a / b) : a / b;
    case 'floordiv':
      return Math.floor(a / b);
    case 'floormod':
      return a - Math.floor(a / b) * b;
    case 'max':
      return Math.max(a, b);
    case 'min':
      return Math.min(a, b);
    case 'equal':
      return a === b ? 1 : 0;
    case 'notequal':
      return a !== b ? 1 : 0;
    case 'less':
      return a < b ? 1 : 0;
    case 'greater':
      return a > b ? 1 : 0;
  }
}

/** Elementwise op with numpy broadcasting. */
export function hostBinary(op: HostBinary, a: HostTensor, b: HostTensor): HostTensor {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pa = [...new Array<number>(rank - a.shape.length).fill(1), ...a.shape];
  const pb = [...new Array<number>(rank - b.shape.length).fill(1), ...b.shape];
  const shape = pa.map((d, i) => {
    if (d !== pb[i] && d !== 1 && pb[i] !== 1) throw new Error(`cannot broadcast [${a.shape.join(', ')}] with [${b.shape.join(', ')}]`);
    return d === 1 ? pb[i] : d;
  });
  const sa = strides(pa).map((s, i) => (pa[i] === 1 ? 0 : s));
  const sb = strides(pb).map((s, i) => (pb[i] === 1 ? 0 : s));
  const so = strides(shape);
  const n = numel(shape);
  const outType: HostDType = ['equal', 'notequal', 'less', 'greater'].includes(op) ? 'bool' : a.dtype;
  const vals = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let ia = 0;
    let ib = 0;
    let r = i;
    for (let d = 0; d < rank; d++) {
      const k = Math.floor(r / so[d]);
      r -= k * so[d];
      ia += k * sa[d];
      ib += k * sb[d];
    }
    vals[i] = binaryValue(op, a.data[ia], b.data[ib], a.dtype);
  }
  return hostTensor(outType, shape, vals);
}

export function hostCast(t: HostTensor, to: HostDType): HostTensor {
  return hostTensor(to, [...t.shape], to === 'int32' ? Array.from(t.data, (v) => Math.trunc(v)) : t.data);
}

export function hostReshape(t: HostTensor, target: number[]): HostTensor {
  const n = numel(t.shape);
  const known = target.filter((d) => d !== -1).reduce((a, d) => a * d, 1);
  const shape = target.map((d) => (d === -1 ? n / known : d));
  if (numel(shape) !== n || shape.some((d) => !Number.isInteger(d))) throw new Error(`cannot reshape [${t.shape.join(', ')}] to [${target.join(', ')}]`);
  return { ...t, shape };
}

export function hostSqueeze(t: HostTensor, dims: number[]): HostTensor {
  const r = t.shape.length;
  const drop = new Set(dims.length ? dims.map((d) => (d < 0 ? d + r : d)) : t.shape.flatMap((d, i) => (d === 1 ? [i] : [])));
  for (const d of drop) if (t.shape[d] !== 1) throw new Error(`cannot squeeze dimension ${d} of size ${t.shape[d]}`);
  return { ...t, shape: t.shape.filter((_, i) => !drop.has(i)) };
}

export function hostExpandDims(t: HostTensor, axis: number): HostTensor {
  const a = axis < 0 ? axis + t.shape.length + 1 : axis;
  const shape = [...t.shape];
  shape.splice(a, 0, 1);
  return { ...t, shape };
}

/** Concatenation along `axis` (Pack is concat of expanded tensors). */
export function hostConcat(ts: HostTensor[], axis: number): HostTensor {
  if (!ts.length) throw new Error('nothing to concatenate');
  const r = ts[0].shape.length;
  const a = axis < 0 ? axis + r : axis;
  for (const t of ts) {
    if (t.shape.length !== r || t.shape.some((d, i) => i !== a && d !== ts[0].shape[i])) throw new Error(`shapes ${ts.map((x) => `[${x.shape.join(', ')}]`).join(' ')} do not concatenate on axis ${axis}`);
  }
  const outer = numel(ts[0].shape.slice(0, a));
  const vals: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const t of ts) {
      const inner = numel(t.shape.slice(a));
      for (let i = 0; i < inner; i++) vals.push(t.data[o * inner + i]);
    }
  }
  const shape = [...ts[0].shape];
  shape[a] = ts.reduce((s, t) => s + t.shape[a], 0);
  return hostTensor(ts[0].dtype, shape, vals);
}

export const hostPack = (ts: HostTensor[], axis: number): HostTensor =>
  hostConcat(
    ts.map((t) => hostExpandDims(t, axis < 0 ? axis + t.shape.length + 1 : axis)),
    axis < 0 ? axis + ts[0].shape.length + 1 : axis,
  );

export interface SliceMasks {
  begin: number;
  end: number;
  ellipsis: number;
  newAxis: number;
  shrink: number;
}

/** TF StridedSlice (without ellipsis / new-axis masks, which shape code here never uses). */
export function hostStridedSlice(t: HostTensor, begin: number[], end: number[], step: number[], m: SliceMasks): HostTensor {
  if (m.ellipsis || m.newAxis) throw new Error('StridedSlice with ellipsis_mask or new_axis_mask is not supported');
  const r = t.shape.length;
  const ranges: { start: number; count: number; step: number; keep: boolean }[] = [];
  for (let d = 0; d < r; d++) {
    const size = t.shape[d];
    if (d >= begin.length) {
      ranges.push({ start: 0, count: size, step: 1, keep: true });
      continue;
    }
    const s = step[d] ?? 1;
    if (s === 0) throw new Error('StridedSlice step 0');
    const norm = (v: number): number => (v < 0 ? v + size : v);
    if (m.shrink & (1 << d)) {
      const i = norm(begin[d]);
      if (i < 0 || i >= size) throw new Error(`index ${begin[d]} out of range for size ${size}`);
      ranges.push({ start: i, count: 1, step: 1, keep: false });
      continue;
    }
    const lo = s > 0 ? 0 : -1;
    const hi = s > 0 ? size : size - 1;
    const clampTo = (v: number): number => Math.min(Math.max(v, lo), hi);
    const b = m.begin & (1 << d) ? (s > 0 ? 0 : size - 1) : clampTo(norm(begin[d]));
    const e = m.end & (1 << d) ? (s > 0 ? size : -1) : clampTo(norm(end[d]));
    const count = Math.max(0, Math.ceil((e - b) / s));
    ranges.push({ start: b, count, step: s, keep: true });
  }
  const inStrides = strides(t.shape);
  const counts = ranges.map((x) => x.count);
  const n = numel(counts);
  const vals = new Float64Array(n);
  const cs = strides(counts);
  for (let i = 0; i < n; i++) {
    let src = 0;
    let rem = i;
    for (let d = 0; d < r; d++) {
      const k = Math.floor(rem / cs[d]);
      rem -= k * cs[d];
      src += (ranges[d].start + k * ranges[d].step) * inStrides[d];
    }
    vals[i] = t.data[src];
  }
  return hostTensor(t.dtype, ranges.filter((x) => x.keep).map((x) => x.count), vals);
}

/** TF Slice: begin and size (-1 = to the end) per dimension. */
export function hostSlice(t: HostTensor, begin: number[], size: number[]): HostTensor {
  const end = begin.map((b, d) => (size[d] === -1 ? t.shape[d] : b + size[d]));
  return hostStridedSlice(t, begin, end, begin.map(() => 1), { begin: 0, end: 0, ellipsis: 0, newAxis: 0, shrink: 0 });
}
