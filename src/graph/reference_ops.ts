/**
 * The float64 reference's per-op loops (reference.ts walks the graph): plain loops on
 * unpadded NHWC arrays, written from the op definitions and independent of every kernel.
 */
import { type Node, type Epilogue, type FcParams, type TensorShape, type ResizeCoord, type BinaryOp, type NearestMode, unreachable } from './ir.js';
import type { Act } from '../kernels/spec.js';

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

export function applyEpilogue(ep: Epilogue, v: number, residual: number): number {
  v = refAct(ep.act, v);
  if (ep.clamp) v = Math.min(Math.max(v, ep.clamp[0]), ep.clamp[1]);
  v += residual;
  if (ep.postClamp) v = Math.min(Math.max(v, ep.postClamp[0]), ep.postClamp[1]);
  return v;
}

export const clampRange = (v: number, c: [number, number] | undefined): number => (c ? Math.min(Math.max(v, c[0]), c[1]) : v);

export function conv(n: Extract<Node, { op: 'conv2d' }>, x: RefTensor, out: TensorShape, scale?: Float64Array, res?: Float64Array): Float64Array {
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

export function fc(f: FcParams, x: Float64Array, inC: number, outC: number): Float64Array {
  const y = new Float64Array(outC);
  for (let o = 0; o < outC; o++) {
    let acc = f.bias[o];
    for (let i = 0; i < inC; i++) acc += f.weight[o * inC + i] * x[i];
    y[o] = clampRange(refAct(f.act, acc), f.clamp);
  }
  return y;
}

export function pool(x: RefTensor): Float64Array {
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

export function resize(n: Extract<Node, { op: 'resize' }>, x: RefTensor): Float64Array {
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

export function binaryOp(kind: BinaryOp, a: number, b: number): number {
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

export function pool2d(n: Extract<Node, { op: 'pool2d' }>, x: RefTensor, out: TensorShape): Float64Array {
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

export function convTranspose(n: Extract<Node, { op: 'conv_transpose' }>, x: RefTensor, out: TensorShape, res?: Float64Array): Float64Array {
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
