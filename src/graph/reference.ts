/**
 * Float64 naive reference executor over the IR (before or after passes). Independent of
 * the Plan, the packing and the kernels: plain loops on unpadded NHWC arrays. Used as the
 * oracle for the CPU path and for BatchNorm calibration of seeded weights. The per-op loops
 * are in reference_ops.ts; this file walks the graph.
 */
import { type Graph, type Node, unreachable } from './ir.js';
import { inferShapes } from './shapes.js';
import { candidateRows, decodeCandidates } from './ssd_decode.js';
import { type RefTensor, refAct, applyEpilogue, clampRange, conv, fc, pool, resize, binaryOp, pool2d, convTranspose } from './reference_ops.js';


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
