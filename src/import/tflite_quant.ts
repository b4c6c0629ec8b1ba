/**
 * A fully quantized TFLite file (uint8 or int8 activations) -> integer program (src/graph/qprogram.ts),
 * for `LoadOptions.quantized: 'int8'`. Weights keep their integers (zero point subtracted), biases
 * their int32, activations their scale / zero point: the model runs in the arithmetic it was
 * quantized for, instead of the importer's dequantized float graph.
 *
 * Supported: CONV_2D, DEPTHWISE_CONV_2D (multiplier 1), HARD_SWISH, ADD / SUB / MUL (by a
 * constant scalar: a table; ADD of two equal-shape tensors; MUL by a per-channel gate), MEAN and
 * AVERAGE_POOL_2D over the whole image, RESHAPE / SQUEEZE, SOFTMAX, QUANTIZE (of the float input,
 * or int8 -> int8), DEQUANTIZE (of an output). Anything else is a ModelFormatError naming the op,
 * which tells the user to load with `quantized: 'float'`.
 */
import { ModelFormatError } from './errors.js';
import { Builtin, builtinName, Padding, TensorType, type TfModel, type TfOperator, type TfTensor } from './tflite_schema.js';
import { decodeInts, typeName } from './tflite_tensors.js';
import { samePad } from './tflite_ops.js';
import { convOutSize } from '../graph/shapes.js';
import { roundHalfEven, hswishQ, type QHswish, type QOp, type QProgram, type QTensor } from '../graph/qprogram.js';

const f = Math.fround;

export function buildQuantProgram(model: TfModel, file: string, name: string): QProgram {
  const sg = model.subgraphs[0];
  if (!sg) throw new ModelFormatError(file, 'the model has no subgraph');
  const tensors: QTensor[] = [];
  const map = new Map<number, number>(); // TFLite tensor index -> QTensor id
  const uses = new Map<number, number>(); // QTensor id -> consumers (ops, outputs)
  const isConst = (t: TfTensor): boolean => !!model.buffer(t.buffer, t.name);
  let activations = '';

  const fail = (reason: string, what?: string): never => {
    throw new ModelFormatError(file, `${reason}; the int8 path cannot run this file (load it with { quantized: 'float' })`, what);
  };
  /** the QTensor of a TFLite activation (created on first sight) */
  const qt = (ti: number, op: string): number => {
    const have = map.get(ti);
    if (have !== undefined) return have;
    const t = sg.tensors[ti];
    if (t.type !== TensorType.UINT8 && t.type !== TensorType.INT8) fail(`${op}: tensor has type ${typeName(t.type)}, not a quantized activation`, t.name);
    const kind = typeName(t.type);
    if (activations && activations !== kind) fail(`${op}: mixes ${activations} and ${kind} activations`, t.name);
    activations = kind;
    const q = t.quant;
    if (!q || q.scale.length !== 1) fail(`${op}: activation needs one scale (per-tensor quantization)`, t.name);
    const scale = q!.scale[0];
    if (!(Number.isFinite(scale) && scale > 0)) fail(`${op}: invalid activation scale ${scale}`, t.name);
    const zp = (q!.zeroPoint[0] ?? 0) - (t.type === TensorType.UINT8 ? 128 : 0);
    if (!(zp >= -128 && zp <= 127)) fail(`${op}: zero point out of range`, t.name);
    const d = t.shape;
    let [h, w, c] = [1, 1, d[d.length - 1] ?? 1];
    if (d.length === 4) [h, w, c] = [d[1], d[2], d[3]];
    else if (d.length !== 2 && d.length !== 1) fail(`${op}: activation shape [${d.join(', ')}] is not NHWC or [1, C]`, t.name);
    if (d.length >= 2 && d[0] !== 1) fail(`${op}: batch ${d[0]} is not supported`, t.name);
    const id = tensors.length;
    tensors.push({ id, name: t.name, h, w, c, scale, zp });
    map.set(ti, id);
    return id;
  };
  const use = (id: number): number => (uses.set(id, (uses.get(id) ?? 0) + 1), id);
  const T = (id: number): QTensor => tensors[id];
  /** raw integers of a quantized constant, with its per-channel (or per-tensor) params */
  const ints = (t: TfTensor, op: string): { v: Int32Array; scale: number[]; zp: number[] } => {
    const buf = model.buffer(t.buffer, t.name);
    if (!buf) return fail(`${op}: expected a constant`, t.name);
    const n = t.shape.reduce((a, b) => a * b, 1);
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const v = new Int32Array(n);
    const bytes = t.type === TensorType.INT32 ? 4 : t.type === TensorType.UINT8 || t.type === TensorType.INT8 ? 1 : 0;
    if (!bytes) fail(`${op}: constant of type ${typeName(t.type)} (expected uint8, int8 or int32)`, t.name);
    if (buf.byteLength < n * bytes) fail(`${op}: constant has ${buf.byteLength} bytes, expected ${n * bytes}`, t.name);
    if (t.type === TensorType.INT32) for (let i = 0; i < n; i++) v[i] = dv.getInt32(i * 4, true);
    // bytes: a typed view copied in one go (a DataView read per element cost ~30 ms per load in chromium)
    else v.set(t.type === TensorType.UINT8 ? new Uint8Array(buf.buffer, buf.byteOffset, n) : new Int8Array(buf.buffer, buf.byteOffset, n));
    const q = t.quant;
    return { v, scale: q?.scale ?? [], zp: q?.zeroPoint.length ? q.zeroPoint : [0] };
  };
  /** int8 clamp of a fused activation on grid (scale, zp) */
  const actRange = (code: number, o: QTensor, op: string): [number, number] => {
    const at = (x: number): number => Math.min(127, Math.max(-128, o.zp + roundHalfEven(x / o.scale)));
    switch (code) {
      case 0:
        return [-128, 127];
      case 1:
        return [at(0), 127];
      case 2:
        return [at(-1), at(1)];
      case 3:
        return [at(0), at(6)];
      default:
        return fail(`${op}: fused activation #${code} is not supported`);
    }
  };

  const ops: QOp[] = [];
  let input = -1;
  let inputFloat = false;
  const outputs: number[] = [];
  const producer = new Map<number, QOp>();
  const emit = (op: QOp): void => {
    ops.push(op);
    producer.set(op.output, op);
  };
  /** a 256-entry table op: y = fn(real x) quantized to o within [lo, hi] */
  const lut = (nm: string, x: number, o: number, fn: (r: number) => number, lo = -128, hi = 127): void => {
    const [xi, oi] = [T(x), T(o)];
    const table = new Int8Array(256);
    for (let q = -128; q <= 127; q++) table[q + 128] = Math.min(hi, Math.max(lo, roundHalfEven(fn((q - xi.zp) * xi.scale) / oi.scale + oi.zp)));
    emit({ kind: 'lut', name: nm, input: use(x), output: o, table });
  };
  const scalarConst = (t: TfTensor, op: string): number | null => {
    if (!isConst(t)) return null;
    const c = ints(t, op);
    const first = c.v[0];
    if (!c.v.every((x) => x === first) || c.scale.length !== 1) return null;
    return (first - (c.zp[0] ?? 0)) * c.scale[0];
  };

  const gIn = sg.tensors[sg.inputs[0]];
  if (gIn.type === TensorType.FLOAT32) inputFloat = true;
  else input = qt(gIn.index, 'input');

  for (const op of sg.operators) {
    const code = model.opcodes[op.opcode]?.builtin ?? -1;
    const opName = `operator #${op.index} (${builtinName(code)})`;
    const tin = (k: number): TfTensor => sg.tensors[op.inputs[k]];
    const tout = sg.tensors[op.outputs[0]];
    const nm = tout.name;
    const o: TfOperator['options'] = op.options;
    switch (code) {
      case Builtin.QUANTIZE: {
        if (inputFloat && op.inputs[0] === gIn.index && input < 0) {
          input = qt(tout.index, opName);
          break;
        }
        const x = qt(op.inputs[0], opName);
        lut(nm, x, qt(tout.index, opName), (r) => r);
        break;
      }
      case Builtin.DEQUANTIZE: {
        if (!sg.outputs.includes(tout.index)) fail(`${opName}: dequantizes a tensor that is not a graph output`, nm);
        const x = qt(op.inputs[0], opName);
        map.set(tout.index, x);
        break;
      }
      case Builtin.CONV_2D:
      case Builtin.DEPTHWISE_CONV_2D: {
        const dw = code === Builtin.DEPTHWISE_CONV_2D;
        const x = qt(op.inputs[0], opName);
        const out = qt(tout.index, opName);
        const xi = T(x);
        const wt = tin(1);
        const wq = ints(wt, opName);
        const [d0, kh, kw, d3] = wt.shape;
        const cout = dw ? d3 : d0;
        if (wt.shape.length !== 4 || (dw && (d0 !== 1 || d3 !== xi.c)) || (!dw && d3 !== xi.c)) fail(`${opName}: weights [${wt.shape.join(', ')}] do not fit a ${xi.c}-channel input`, wt.name);
        const nsc = wq.scale.length;
        if (nsc !== 1 && nsc !== cout) fail(`${opName}: ${nsc} weight scales for ${cout} channels`, wt.name);
        const chan = (oc: number): number => (nsc === 1 ? 0 : oc);
        const wz = (oc: number): number => (wq.zp.length === 1 ? wq.zp[0] : wq.zp[oc]);
        const cin = dw ? 1 : xi.c;
        const weights = new Int16Array(kh * kw * cin * cout);
        for (let oc = 0; oc < cout; oc++)
          for (let t = 0; t < kh * kw; t++)
            for (let ic = 0; ic < cin; ic++) {
              const src = dw ? t * cout + oc : (oc * kh * kw + t) * cin + ic;
              weights[dw ? t * cout + oc : (t * cin + ic) * cout + oc] = wq.v[src] - wz(oc);
            }
        const bias = new Int32Array(cout);
        if (op.inputs.length > 2 && op.inputs[2] >= 0) {
          const bq = ints(tin(2), opName);
          if (bq.v.length !== cout) fail(`${opName}: bias has ${bq.v.length} values, expected ${cout}`, tin(2).name);
          bias.set(bq.v);
        }
        const ot = T(out);
        const mult = new Float32Array(cout);
        for (let oc = 0; oc < cout; oc++) mult[oc] = f((xi.scale * wq.scale[chan(oc)]) / ot.scale);
        const padding = o?.u8(0, 0) ?? 0;
        const sw = o?.i32(1, 1) ?? 1;
        const sh = o?.i32(2, 1) ?? 1;
        const fa = o?.u8(dw ? 4 : 3, 0) ?? 0;
        const dlw = o?.i32(dw ? 5 : 4, 1) ?? 1;
        const dlh = o?.i32(dw ? 6 : 5, 1) ?? 1;
        if (![sw, sh, dlw, dlh].every((v) => Number.isInteger(v) && v >= 1 && v <= 64)) fail(`${opName}: invalid stride / dilation`, nm);
        if (padding !== Padding.SAME && padding !== Padding.VALID) fail(`${opName}: unknown padding ${padding}`, nm);
        const [padT, padB] = padding === Padding.SAME ? samePad(xi.h, kh, sh, dlh) : [0, 0];
        const [padL, padR] = padding === Padding.SAME ? samePad(xi.w, kw, sw, dlw) : [0, 0];
        const expH = convOutSize(xi.h, kh, sh, dlh, padT, padB);
        const expW = convOutSize(xi.w, kw, sw, dlw, padL, padR);
        if (ot.h !== expH || ot.w !== expW || ot.c !== cout) fail(`${opName}: output ${ot.h}x${ot.w}x${ot.c} does not match the computed ${expH}x${expW}x${cout}`, nm);
        const [lo, hi] = actRange(fa, ot, opName);
        emit({ kind: 'conv', name: nm, input: use(x), output: out, depthwise: dw, kh, kw, strideH: sh, strideW: sw, dilH: dlh, dilW: dlw, padT, padL, cin, cout, weights, bias, mult, zp: ot.zp, lo, hi });
        break;
      }
      case Builtin.HARD_SWISH: {
        const x = qt(op.inputs[0], opName);
        const out = qt(tout.index, opName);
        const [xi, oi] = [T(x), T(out)];
        const h: QHswish = { s1: xi.scale, z1: xi.zp, s2: oi.scale, z2: oi.zp };
        const table = new Int8Array(256);
        for (let q = -128; q <= 127; q++) table[q + 128] = hswishQ(q, h);
        emit({ kind: 'lut', name: nm, input: use(x), output: out, table });
        break;
      }
      case Builtin.ADD:
      case Builtin.SUB:
      case Builtin.MUL: {
        const [ta, tb] = [tin(0), tin(1)];
        const fa = o?.u8(0, 0) ?? 0;
        const ca = scalarConst(ta, opName);
        const cb = scalarConst(tb, opName);
        const out = qt(tout.index, opName);
        const [lo, hi] = actRange(fa, T(out), opName);
        if (ca !== null || cb !== null) {
          if (ca !== null && cb !== null) fail(`${opName}: both operands are constants`, nm);
          const x = qt((ca !== null ? tb : ta).index, opName);
          const c = (ca ?? cb)!;
          const fn =
            code === Builtin.ADD ? (r: number) => r + c : code === Builtin.MUL ? (r: number) => r * c : ca !== null ? (r: number) => c - r : (r: number) => r - c;
          lut(nm, x, out, fn, lo, hi);
          break;
        }
        if (isConst(ta) || isConst(tb)) fail(`${opName}: a constant operand that is not one scalar`, nm);
        const [a, b] = [qt(ta.index, opName), qt(tb.index, opName)];
        const [ai, bi, oi] = [T(a), T(b), T(out)];
        const same = ai.h === bi.h && ai.w === bi.w && ai.c === bi.c;
        if (code === Builtin.ADD && same) {
          emit({ kind: 'add', name: nm, a: use(a), b: use(b), output: out, ma: f(ai.scale / oi.scale), mb: f(bi.scale / oi.scale), lo, hi });
          break;
        }
        if (code === Builtin.MUL && ai.c === bi.c && (bi.h * bi.w === 1 || ai.h * ai.w === 1)) {
          const [x, g] = bi.h * bi.w === 1 ? [a, b] : [b, a];
          emit({ kind: 'mul_channel', name: nm, input: use(x), gate: use(g), output: out, m: f((T(x).scale * T(g).scale) / oi.scale), lo, hi });
          break;
        }
        fail(`${opName}: operands ${ai.h}x${ai.w}x${ai.c} and ${bi.h}x${bi.w}x${bi.c} are not supported (same shape ADD or per-channel MUL)`, nm);
        break;
      }
      case Builtin.AVERAGE_POOL_2D:
      case Builtin.MEAN: {
        const x = qt(op.inputs[0], opName);
        const out = qt(tout.index, opName);
        const [xi, oi] = [T(x), T(out)];
        if (code === Builtin.AVERAGE_POOL_2D) {
          const [fw, fh] = [o?.i32(3, 1) ?? 1, o?.i32(4, 1) ?? 1];
          if (fw !== xi.w || fh !== xi.h || (o?.u8(5, 0) ?? 0) !== 0) fail(`${opName}: only a global average pool is supported (window ${fh}x${fw}, input ${xi.h}x${xi.w})`, nm);
        } else {
          const axes = decodeInts(file, model, tin(1)).map((a) => (a < 0 ? a + 4 : a)).sort();
          if (axes.join() !== '1,2') fail(`${opName}: MEAN over axes [${axes.join(', ')}] is not supported (only [1, 2])`, nm);
        }
        if (oi.h * oi.w !== 1 || oi.c !== xi.c) fail(`${opName}: output ${oi.h}x${oi.w}x${oi.c} is not 1x1x${xi.c}`, nm);
        emit({ kind: 'mean', name: nm, input: use(x), output: out, m: f(xi.scale / (xi.h * xi.w * oi.scale)) });
        break;
      }
      case Builtin.RESHAPE:
      case Builtin.SQUEEZE: {
        const x = qt(op.inputs[0], opName);
        const xi = T(x);
        const d = tout.shape;
        const last = d[d.length - 1];
        if (xi.h * xi.w !== 1 || last !== xi.c) fail(`${opName}: only [1, 1, 1, C] -> [1, C] reshapes are supported`, nm);
        const oq = tout.quant;
        if (oq && (oq.scale[0] !== xi.scale || (oq.zeroPoint[0] ?? 0) - (tout.type === TensorType.UINT8 ? 128 : 0) !== xi.zp)) fail(`${opName}: reshape changes the quantization`, nm);
        map.set(tout.index, x);
        break;
      }
      case Builtin.SOFTMAX: {
        const x = qt(op.inputs[0], opName);
        const out = qt(tout.index, opName);
        const beta = o?.f32(0, 1) ?? 1;
        if (T(x).h * T(x).w !== 1) fail(`${opName}: softmax of a spatial tensor is not supported`, nm);
        emit({ kind: 'softmax', name: nm, input: use(x), output: out, beta });
        break;
      }
      default:
        fail(`${opName} is not supported by the int8 path`, nm);
    }
  }
  if (input < 0) fail('the float input is never quantized');
  for (const ti of sg.outputs) {
    const id = map.get(ti);
    if (id === undefined) fail('graph output is not a quantized tensor', sg.tensors[ti].name);
    outputs.push(use(id!));
  }
  const p: QProgram = { name, tensors, input, entry: input, ops, outputs, activations };
  fuse(p, uses, producer);
  return p;
}

/** Fusions that change no result: conv + HARD_SWISH table -> conv epilogue; table chains composed; tables on the input folded into its quantization. */
function fuse(p: QProgram, uses: Map<number, number>, producer: Map<number, QOp>): void {
  const single = (id: number): boolean => (uses.get(id) ?? 0) === 1 && !p.outputs.includes(id);
  const kept: QOp[] = [];
  for (const op of p.ops) {
    if (op.kind === 'lut' && single(op.input)) {
      if (op.input === p.entry) {
        const t0 = p.inputLut;
        const t = new Int8Array(256);
        for (let i = 0; i < 256; i++) t[i] = op.table[(t0 ? t0[i] : i - 128) + 128];
        p.inputLut = t;
        p.entry = op.output;
        continue;
      }
      const prev = producer.get(op.input);
      if (prev?.kind === 'conv' && !prev.hswish && prev.output === op.input && isHswishTable(p, op)) {
        const [xi, oi] = [p.tensors[op.input], p.tensors[op.output]];
        prev.hswish = { s1: xi.scale, z1: xi.zp, s2: oi.scale, z2: oi.zp };
        prev.output = op.output;
        producer.set(op.output, prev);
        continue;
      }
      if (prev?.kind === 'lut' && prev.output === op.input) {
        const t = new Int8Array(256);
        for (let i = 0; i < 256; i++) t[i] = op.table[prev.table[i] + 128];
        prev.table = t;
        prev.output = op.output;
        producer.set(op.output, prev);
        continue;
      }
    }
    kept.push(op);
  }
  p.ops = kept;
}

/** whether a table is exactly the HARD_SWISH of its grids (then the conv epilogue computes it) */
function isHswishTable(p: QProgram, op: Extract<QOp, { kind: 'lut' }>): boolean {
  const [xi, oi] = [p.tensors[op.input], p.tensors[op.output]];
  const h: QHswish = { s1: xi.scale, z1: xi.zp, s2: oi.scale, z2: oi.zp };
  for (let q = -128; q <= 127; q++) if (op.table[q + 128] !== hswishQ(q, h)) return false;
  return true;
}
