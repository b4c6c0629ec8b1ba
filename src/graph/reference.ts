/**
 * Float64 naive reference executor over the IR (before or after passes). Independent of
 * the Plan, the packing and the kernels: plain loops on unpadded NHWC arrays. Used as the
 * oracle for the CPU path and for BatchNorm calibration of seeded weights.
 */
import { type Graph, type Node, type Epilogue, type FcParams, type TensorShape, type ResizeCoord, type BinaryOp, type NearestMode, inferShapes, unreachable } from './ir.js';
import type { Act } from '../kernels/spec.js';
import { candidateRows, decodeCandidates } from './ssd_decode.js';

export interface RefTensor {
  shape: TensorShape;
  data: Float64Array;
}

export function refAct(act: Act, x: number): number {
  switch (act) {
    case 'none':
      return x;
    case 'relu':
      return x > 0 ? x : 0;
    case 'relu6':
      return Math.min(Math.max(x, 0), 6);
    case 'hswish':
      return (x * Math.min(Math.max(x + 3, 0), 6)) / 6;
    case 'hsigmoid':
      return Math.min(Math.max(x + 3, 0), 6) / 6;
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    default:
      return unreachable(act, 'activation');
  }
}

function applyEpilogue(ep: Epilogue, v: number, residual: number): number {
  v = refAct(ep.act, v);
  if (ep.clamp) v = Math.min(Math.max(v, ep.clamp[0]), ep.clamp[1]);
  v += residual;
  if (ep.postClamp) v = Math.min(Math.max(v, ep.postClamp[0]), ep.postClamp[1]);
  return v;
}

const clampRange = (v: number, c: [number, number] | undefined): number => (c ? Math.min(Math.max(v, c[0]), c[1]) : v);

function conv(n: Extract<Node, { op: 'conv2d' }>, x: RefTensor, out: TensorShape, scale?: Float64Array, res?: Float64Array): Float64Array {
  const { h: ih, w: iw, c: ic } = x.shape;
  const { h: oh, w: ow, c: oc } = out;
  const y = new Float64Array(oh * ow * oc);
  const icg = ic / n.groups;
  const ocg = oc / n.groups;
  const xs = x.data;
  const w = n.weight;
  const xin = scale ? new Float64Array(xs.length) : xs;
  const sc = n.prologue?.clamp;
  if (scale) for (let i = 0; i < xs.length; i++) xin[i] = clampRange(xs[i] * scale[i % ic], sc);
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      const ob = (oy * ow + ox) * oc;
      for (let o = 0; o < oc; o++) {
        const g = Math.floor(o / ocg);
        let acc = n.bias ? n.bias[o] : 0;
        for (let ky = 0; ky < n.kh; ky++) {
          const iy = oy * n.strideH - n.pad[0] + ky * n.dilationH;
          if (iy < 0 || iy >= ih) continue;
          for (let kx = 0; kx < n.kw; kx++) {
            const ix = ox * n.strideW - n.pad[1] + kx * n.dilationW;
            if (ix < 0 || ix >= iw) continue;
            const ib = (iy * iw + ix) * ic + g * icg;
            const wb = o * icg * n.kh * n.kw + ky * n.kw + kx;
            for (let i = 0; i < icg; i++) acc += w[wb + i * n.kh * n.kw] * xin[ib + i];
          }
        }
        y[ob + o] = applyEpilogue(n.epilogue, acc, res ? res[ob + o] : 0);
      }
    }
  }
  return y;
}

function fc(f: FcParams, x: Float64Array, inC: number, outC: number): Float64Array {
  const y = new Float64Array(outC);
  for (let o = 0; o < outC; o++) {
    let acc = f.bias[o];
    for (let i = 0; i < inC; i++) acc += f.weight[o * inC + i] * x[i];
    y[o] = clampRange(refAct(f.act, acc), f.clamp);
  }
  return y;
}

function pool(x: RefTensor): Float64Array {
  const { h, w, c } = x.shape;
  const y = new Float64Array(c);
  for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) y[k] += x.data[p * c + k];
  for (let k = 0; k < c; k++) y[k] /= h * w;
  return y;
}


/** Source coordinate of output index `d` for a resize from `inSize` to `outSize`. */
export function resizeSource(d: number, inSize: number, outSize: number, coord: ResizeCoord): number {
  switch (coord) {
    case 'half_pixel':
      return (d + 0.5) * (inSize / outSize) - 0.5;
    case 'pytorch_half_pixel':
      return outSize > 1 ? (d + 0.5) * (inSize / outSize) - 0.5 : 0;
    case 'align_corners':
      return outSize > 1 ? (d * (inSize - 1)) / (outSize - 1) : 0;
    case 'asymmetric':
      return d * (inSize / outSize);
    default:
      return unreachable(coord, 'resize coordinate mode');
  }
}

/** Pixel index of a nearest-resize source coordinate before clamping (ResizeNode.nearestMode). */
export function nearestIndex(s: number, mode: NearestMode = 'floor'): number {
  switch (mode) {
    case 'floor':
      return Math.floor(s);
    case 'ceil':
      return Math.ceil(s);
    case 'round_prefer_floor':
      return s === Math.floor(s) + 0.5 ? Math.floor(s) : Math.round(s);
    case 'round_prefer_ceil':
      return Math.round(s);
    default:
      return unreachable(mode, 'nearest mode');
  }
}

function resize(n: Extract<Node, { op: 'resize' }>, x: RefTensor): Float64Array {
  const { h: ih, w: iw, c } = x.shape;
  const y = new Float64Array(n.outH * n.outW * c);
  for (let oy = 0; oy < n.outH; oy++) {
    const sy = resizeSource(oy, ih, n.outH, n.coord);
    for (let ox = 0; ox < n.outW; ox++) {
      const sx = resizeSource(ox, iw, n.outW, n.coord);
      const ob = (oy * n.outW + ox) * c;
      if (n.mode === 'nearest') {
        const iy = Math.min(Math.max(nearestIndex(sy, n.nearestMode), 0), ih - 1);
        const ix = Math.min(Math.max(nearestIndex(sx, n.nearestMode), 0), iw - 1);
        for (let k = 0; k < c; k++) y[ob + k] = x.data[(iy * iw + ix) * c + k];
        continue;
      }
      const cy = Math.min(Math.max(sy, 0), ih - 1);
      const cx = Math.min(Math.max(sx, 0), iw - 1);
      const y0 = Math.floor(cy);
      const x0 = Math.floor(cx);
      const y1 = Math.min(y0 + 1, ih - 1);
      const x1 = Math.min(x0 + 1, iw - 1);
      const fy = cy - y0;
      const fx = cx - x0;
      for (let k = 0; k < c; k++) {
        const v00 = x.data[(y0 * iw + x0) * c + k];
        const v01 = x.data[(y0 * iw + x1) * c + k];
        const v10 = x.data[(y1 * iw + x0) * c + k];
        const v11 = x.data[(y1 * iw + x1) * c + k];
        y[ob + k] = (v00 * (1 - fx) + v01 * fx) * (1 - fy) + (v10 * (1 - fx) + v11 * fx) * fy;
      }
    }
  }
  return y;
}

function binaryOp(kind: BinaryOp, a: number, b: number): number {
  switch (kind) {
    case 'add':
      return a + b;
    case 'sub':
      return a - b;
    case 'mul':
      return a * b;
    case 'div':
      return a / b;
    case 'max':
      return Math.max(a, b);
    case 'min':
      return Math.min(a, b);
    default:
      return unreachable(kind, 'binary op');
  }
}

function pool2d(n: Extract<Node, { op: 'pool2d' }>, x: RefTensor, out: TensorShape): Float64Array {
  const { h: ih, w: iw, c } = x.shape;
  const y = new Float64Array(out.h * out.w * c);
  for (let oy = 0; oy < out.h; oy++) {
    for (let ox = 0; ox < out.w; ox++) {
      for (let k = 0; k < c; k++) {
        let acc = n.kind === 'max' ? -Infinity : 0;
        let count = 0;
        for (let ky = 0; ky < n.kh; ky++) {
          const iy = oy * n.strideH - n.pad[0] + ky;
          if (iy < 0 || iy >= ih) continue;
          for (let kx = 0; kx < n.kw; kx++) {
            const ix = ox * n.strideW - n.pad[1] + kx;
            if (ix < 0 || ix >= iw) continue;
            const v = x.data[(iy * iw + ix) * c + k];
            acc = n.kind === 'max' ? Math.max(acc, v) : acc + v;
            count++;
          }
        }
        y[(oy * out.w + ox) * c + k] = n.kind === 'max' ? acc : acc / (n.countIncludePad ? n.kh * n.kw : Math.max(count, 1));
      }
    }
  }
  return y;
}

function convTranspose(n: Extract<Node, { op: 'conv_transpose' }>, x: RefTensor, out: TensorShape, res?: Float64Array): Float64Array {
  const { h: ih, w: iw, c: ic } = x.shape;
  const oc = n.outC;
  const acc = new Float64Array(out.h * out.w * oc);
  for (let iy = 0; iy < ih; iy++) {
    for (let ix = 0; ix < iw; ix++) {
      for (let ky = 0; ky < n.kh; ky++) {
        const oy = iy * n.strideH - n.pad[0] + ky;
        if (oy < 0 || oy >= out.h) continue;
        for (let kx = 0; kx < n.kw; kx++) {
          const ox = ix * n.strideW - n.pad[1] + kx;
          if (ox < 0 || ox >= out.w) continue;
          for (let i = 0; i < ic; i++) {
            const v = x.data[(iy * iw + ix) * ic + i];
            const wb = ((i * oc) * n.kh + ky) * n.kw + kx;
            for (let o = 0; o < oc; o++) acc[(oy * out.w + ox) * oc + o] += v * n.weight[wb + o * n.kh * n.kw];
          }
        }
      }
    }
  }
  for (let i = 0; i < acc.length; i++) acc[i] = applyEpilogue(n.epilogue, acc[i] + (n.bias ? n.bias[i % oc] : 0), res ? res[i] : 0);
  return acc;
}

export interface ReferenceHooks {
  /** called before a node runs with its input tensors; may mutate the node (calibration) */
  beforeNode?(node: Node, inputs: RefTensor[]): void;
}

/** Runs the graph in float64; returns every tensor by name. */
export function runReference(g: Graph, inputs: Record<string, Float64Array | Float32Array>, hooks: ReferenceHooks = {}): Map<string, RefTensor> {
  const shapes = inferShapes(g);
  const env = new Map<string, RefTensor>();
  for (const i of g.inputs) {
    const d = inputs[i.name];
    if (!d) throw new Error(`reference: missing input '${i.name}'`);
    env.set(i.name, { shape: i.shape, data: Float64Array.from(d) });
  }
  const t = (name: string): RefTensor => env.get(name)!;
  for (const n of g.nodes) {
    const out = shapes.get(n.output)!;
    let data: Float64Array;
    switch (n.op) {
      case 'conv2d': {
        hooks.beforeNode?.(n, [t(n.input)]);
        data = conv(n, t(n.input), out, n.prologue ? t(n.prologue.seScale).data : undefined, n.epilogue.residual ? t(n.epilogue.residual).data : undefined);
        break;
      }
      case 'batch_norm': {
        const x = t(n.input);
        hooks.beforeNode?.(n, [x]);
        const c = x.shape.c;
        data = new Float64Array(x.data.length);
        for (let i = 0; i < data.length; i++) {
          const k = i % c;
          data[i] = ((x.data[i] - n.mean[k]) / Math.sqrt(n.variance[k] + n.eps)) * n.gamma[k] + n.beta[k];
        }
        break;
      }
      case 'act': {
        const x = t(n.input);
        data = x.data.map((v) => {
          let r = refAct(n.act, v);
          if (n.clamp) r = Math.min(Math.max(r, n.clamp[0]), n.clamp[1]);
          return r;
        });
        break;
      }
      case 'add': {
        const a = t(n.inputs[0]).data;
        const b = t(n.inputs[1]).data;
        const r = n.epilogue.residual ? t(n.epilogue.residual).data : undefined;
        data = a.map((v, i) => applyEpilogue(n.epilogue, v + b[i], r ? r[i] : 0));
        break;
      }
      case 'channel_scale': {
        const x = t(n.input);
        const s = t(n.scale).data;
        const c = x.shape.c;
        data = x.data.map((v, i) => v * s[i % c]);
        break;
      }
      case 'global_avg_pool':
        data = pool(t(n.input));
        break;
      case 'squeeze_excite': {
        const x = t(n.input);
        const p = pool(x).map((v) => clampRange(v, n.poolClamp));
        const s = fc(n.fc1, p, x.shape.c, n.squeeze);
        data = fc(n.fc2, s, n.squeeze, x.shape.c);
        break;
      }
      case 'reshape':
        data = t(n.input).data;
        break;
      case 'constant':
        data = Float64Array.from(n.data);
        break;
      case 'binary': {
        const a = t(n.inputs[0]);
        const b = t(n.inputs[1]);
        const r = n.epilogue.residual ? t(n.epilogue.residual).data : undefined;
        const bLen = b.data.length;
        const c = a.shape.c;
        data = a.data.map((v, i) => applyEpilogue(n.epilogue, binaryOp(n.kind, v, b.data[bLen === a.data.length ? i : bLen === 1 ? 0 : i % c]), r ? r[i] : 0));
        break;
      }
      case 'resize':
        data = resize(n, t(n.input));
        break;
      case 'concat': {
        const xs = n.inputs.map(t);
        const pixels = out.h * out.w;
        data = new Float64Array(pixels * out.c);
        let off = 0;
        for (const x of xs) {
          for (let p = 0; p < pixels; p++) for (let k = 0; k < x.shape.c; k++) data[p * out.c + off + k] = x.data[p * x.shape.c + k];
          off += x.shape.c;
        }
        break;
      }
      case 'pad': {
        const x = t(n.input);
        data = new Float64Array(out.h * out.w * out.c).fill(n.value);
        for (let y = 0; y < x.shape.h; y++) for (let xx = 0; xx < x.shape.w; xx++) for (let k = 0; k < out.c; k++) {
          data[((y + n.pad[0]) * out.w + xx + n.pad[1]) * out.c + k] = x.data[(y * x.shape.w + xx) * out.c + k];
        }
        break;
      }
      case 'pool2d':
        data = pool2d(n, t(n.input), out);
        break;
      case 'softmax': {
        const x = t(n.input);
        const c = out.c;
        data = new Float64Array(x.data.length);
        for (let p = 0; p < x.data.length / c; p++) {
          let m = -Infinity;
          for (let k = 0; k < c; k++) m = Math.max(m, x.data[p * c + k]);
          let sum = 0;
          for (let k = 0; k < c; k++) sum += (data[p * c + k] = Math.exp(x.data[p * c + k] - m));
          for (let k = 0; k < c; k++) data[p * c + k] /= sum;
        }
        break;
      }
      case 'argmax': {
        const x = t(n.input);
        const c = x.shape.c;
        data = new Float64Array(out.h * out.w);
        for (let p = 0; p < data.length; p++) {
          let best = 0;
          for (let k = 1; k < c; k++) if (x.data[p * c + k] > x.data[p * c + best]) best = k;
          data[p] = best;
        }
        break;
      }
      case 'conv_transpose':
        data = convTranspose(n, t(n.input), out, n.epilogue.residual ? t(n.epilogue.residual).data : undefined);
        break;
      case 'ssd_decode': {
        const maps = n.anchorsPerLocation.length;
        const xs = n.inputs.map((i) => t(i).data);
        data = candidateRows(decodeCandidates(n, xs.slice(0, maps), xs.slice(maps)), n.maxCandidates);
        break;
      }
      default:
        unreachable(n, 'op');
    }
    env.set(n.output, { shape: out, data });
  }
  return env;
}
