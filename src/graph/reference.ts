/**
 * Float64 naive reference executor over the IR (before or after passes). Independent of
 * the Plan, the packing and the kernels: plain loops on unpadded NHWC arrays. Used as the
 * oracle for the CPU path and for BatchNorm calibration of seeded weights.
 */
import { type Graph, type Node, type Epilogue, type TensorShape, inferShapes, unreachable } from './ir.js';
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

function applyEpilogue(ep: Epilogue, v: number, residual: number): number {
  v = refAct(ep.act, v);
  if (ep.clamp) v = Math.min(Math.max(v, ep.clamp[0]), ep.clamp[1]);
  v += residual;
  if (ep.postClamp) v = Math.min(Math.max(v, ep.postClamp[0]), ep.postClamp[1]);
  return v;
}

function conv(n: Extract<Node, { op: 'conv2d' }>, x: RefTensor, out: TensorShape, scale?: Float64Array, res?: Float64Array): Float64Array {
  const { h: ih, w: iw, c: ic } = x.shape;
  const { h: oh, w: ow, c: oc } = out;
  const y = new Float64Array(oh * ow * oc);
  const icg = ic / n.groups;
  const ocg = oc / n.groups;
  const xs = x.data;
  const w = n.weight;
  const xin = scale ? new Float64Array(xs.length) : xs;
  if (scale) for (let i = 0; i < xs.length; i++) xin[i] = xs[i] * scale[i % ic];
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

function fc(weight: Float32Array, bias: Float32Array, act: Act, x: Float64Array, inC: number, outC: number): Float64Array {
  const y = new Float64Array(outC);
  for (let o = 0; o < outC; o++) {
    let acc = bias[o];
    for (let i = 0; i < inC; i++) acc += weight[o * inC + i] * x[i];
    y[o] = refAct(act, acc);
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
        const p = pool(x);
        const s = fc(n.fc1.weight, n.fc1.bias, n.fc1.act, p, x.shape.c, n.squeeze);
        data = fc(n.fc2.weight, n.fc2.bias, n.fc2.act, s, n.squeeze, x.shape.c);
        break;
      }
      case 'reshape':
        data = t(n.input).data;
        break;
      default:
        unreachable(n, 'op');
    }
    env.set(n.output, { shape: out, data });
  }
  return env;
}
