/**
 * A generic IR -> TF.js translator, so TF.js runs the IDENTICAL model (same weights, same
 * torchvision-style symmetric padding) as our runtime. NHWC throughout, like our IR.
 *
 * It builds what tfjs-converter would give for the equivalent Keras/TF model: BatchNorm is
 * folded into the preceding conv, and bias + relu/relu6/sigmoid are fused into
 * `tf.fused.conv2d` / `tf.fused.depthwiseConv2d` (converter's _FusedConv2D); hard-swish is
 * Keras' `x * relu6(x + 3) / 6`; SE is mean -> 1x1 convs -> multiply. Padding: a single
 * number when all four sides agree (TF.js then pads symmetrically, exactly the IR's
 * semantics), otherwise explicit [[0,0],[t,b],[l,r],[0,0]].
 *
 * Weights become tf tensors at construction (that is the peer's "load"); `predict` runs in
 * a tidy and returns the outputs (NHWC, batch 1) that the caller must dispose.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Graph, Node, Epilogue, Act, TensorShape } from '../../src/graph/ir.js';
import { unreachable } from '../../src/graph/ir.js';
import { inferShapes } from '../../src/graph/shapes.js';
import { resizeSource } from '../../src/graph/reference_ops.js';
import { foldBatchNormForPeers } from './fold.js';

type Tf = typeof tfjs;
type T4 = tfjs.Tensor4D;
type FusedAct = 'linear' | 'relu' | 'relu6' | 'sigmoid';

export interface TfjsModelFromIr {
  predict(input: T4): T4[];
  /** number of weight tensors created */
  readonly weightTensors: number;
  dispose(): void;
}

export function tfjsFromIr(tf: Tf, graph: Graph): TfjsModelFromIr {
  const g = foldBatchNormForPeers(graph);
  const shapes = inferShapes(g);
  const owned: tfjs.Tensor[] = [];
  const keep = <X extends tfjs.Tensor>(t: X): X => (owned.push(t), t);
  const steps: ((env: Map<string, T4>) => void)[] = [];

  const act = (x: T4, a: Act): T4 => {
    switch (a) {
      case 'none':
        return x;
      case 'relu':
        return tf.relu(x);
      case 'relu6':
        return tf.relu6(x);
      case 'hswish':
        return tf.mul(tf.mul(x, tf.relu6(tf.add(x, 3))), 1 / 6);
      case 'hsigmoid':
        return tf.mul(tf.relu6(tf.add(x, 3)), 1 / 6);
      case 'sigmoid':
        return tf.sigmoid(x);
      default:
        return unreachable(a, 'activation');
    }
  };
  const epilogue = (x: T4, ep: Epilogue, env: Map<string, T4>, actDone = false): T4 => {
    let y = actDone ? x : act(x, ep.act);
    if (ep.clamp) y = tf.clipByValue(y, ep.clamp[0], ep.clamp[1]);
    if (ep.residual) y = tf.add(y, env.get(ep.residual)!);
    if (ep.postClamp) y = tf.clipByValue(y, ep.postClamp[0], ep.postClamp[1]);
    return y;
  };
  const padArg = (p: readonly [number, number, number, number]): number | [[0, 0], [number, number], [number, number], [0, 0]] =>
    p[0] === p[1] && p[1] === p[2] && p[2] === p[3] ? p[0] : [[0, 0], [p[0], p[2]], [p[1], p[3]], [0, 0]];
  const vec = (v: Float32Array | undefined): tfjs.Tensor1D | undefined => (v ? keep(tf.tensor1d(v)) : undefined);
  const fusable = (a: Act): a is FusedAct & Act => a === 'relu' || a === 'relu6' || a === 'sigmoid';

  for (const n of g.nodes) {
    const out = shapes.get(n.output)!;
    switch (n.op) {
      case 'conv2d': {
        const inC = shapes.get(n.input)!.c;
        const depthwise = n.groups !== 1;
        // OIHW -> HWIO (dense) or HW C 1 (depthwise)
        const filter = keep(depthwise ? ohwiFromOihw(tf, n.weight, n.outC, 1, n.kh, n.kw, true) : ohwiFromOihw(tf, n.weight, n.outC, inC, n.kh, n.kw, false));
        const bias = vec(n.bias);
        const fuseAct: FusedAct = fusable(n.epilogue.act) ? n.epilogue.act : 'linear';
        const pad = padArg(n.pad);
        const strides: [number, number] = [n.strideH, n.strideW];
        const dilations: [number, number] = [n.dilationH, n.dilationW];
        steps.push((env) => {
          let x = env.get(n.input)!;
          if (n.prologue) x = tf.mul(x, env.get(n.prologue.seScale)!);
          const args = { x, filter, strides, pad, dilations, bias, activation: fuseAct } as const;
          const y = depthwise ? tf.fused.depthwiseConv2d(args as Parameters<typeof tf.fused.depthwiseConv2d>[0]) : tf.fused.conv2d(args as Parameters<typeof tf.fused.conv2d>[0]);
          env.set(n.output, epilogue(y as T4, n.epilogue, env, fuseAct !== 'linear'));
        });
        break;
      }
      case 'batch_norm': {
        const [mean, variance, offset, scale] = [n.mean, n.variance, n.beta, n.gamma].map((v) => vec(v)!);
        steps.push((env) => env.set(n.output, tf.batchNorm(env.get(n.input)!, mean, variance, offset, scale, n.eps)));
        break;
      }
      case 'act':
        steps.push((env) => {
          let y = act(env.get(n.input)!, n.act);
          if (n.clamp) y = tf.clipByValue(y, n.clamp[0], n.clamp[1]);
          env.set(n.output, y);
        });
        break;
      case 'add':
        steps.push((env) => env.set(n.output, epilogue(tf.add(env.get(n.inputs[0])!, env.get(n.inputs[1])!), n.epilogue, env)));
        break;
      case 'channel_scale':
        steps.push((env) => env.set(n.output, tf.mul(env.get(n.input)!, env.get(n.scale)!)));
        break;
      case 'global_avg_pool':
        steps.push((env) => env.set(n.output, tf.mean(env.get(n.input)!, [1, 2], true)));
        break;
      case 'squeeze_excite': {
        const c = shapes.get(n.input)!.c;
        const w1 = keep(tf.tensor4d(transpose2d(n.fc1.weight, n.squeeze, c), [1, 1, c, n.squeeze]));
        const w2 = keep(tf.tensor4d(transpose2d(n.fc2.weight, c, n.squeeze), [1, 1, n.squeeze, c]));
        const [b1, b2] = [vec(n.fc1.bias)!, vec(n.fc2.bias)!];
        steps.push((env) => {
          const p = tf.mean(env.get(n.input)!, [1, 2], true) as T4;
          const s = act(tf.conv2d(p, w1, 1, 'valid').add(b1) as T4, n.fc1.act);
          env.set(n.output, act(tf.conv2d(s, w2, 1, 'valid').add(b2) as T4, n.fc2.act));
        });
        break;
      }
      case 'reshape':
        steps.push((env) => env.set(n.output, tf.reshape(env.get(n.input)!, [1, n.shape.h, n.shape.w, n.shape.c])));
        break;
      case 'constant': {
        const t = keep(tf.tensor4d(n.data, [1, n.shape.h, n.shape.w, n.shape.c]));
        steps.push((env) => env.set(n.output, t));
        break;
      }
      case 'binary': {
        const f = { add: tf.add, sub: tf.sub, mul: tf.mul, div: tf.div, max: tf.maximum, min: tf.minimum }[n.kind];
        steps.push((env) => env.set(n.output, epilogue(f(env.get(n.inputs[0])!, env.get(n.inputs[1])!) as T4, n.epilogue, env)));
        break;
      }
      case 'resize': {
        const x = shapes.get(n.input)!;
        if (n.mode === 'bilinear') {
          const align = n.coord === 'align_corners';
          const half = n.coord === 'half_pixel' || n.coord === 'pytorch_half_pixel';
          steps.push((env) => env.set(n.output, tf.image.resizeBilinear(env.get(n.input)!, [n.outH, n.outW], align, half)));
        } else {
          // TF's nearest rounds differently from ONNX 'floor' with half-pixel centres: gather
          // the rows and columns the IR's rule picks instead (exact for every coord mode)
          const pick = (o: number, i: number): Int32Array => Int32Array.from({ length: o }, (_, d) => Math.min(Math.max(Math.floor(resizeSource(d, i, o, n.coord)), 0), i - 1));
          const rows = keep(tf.tensor1d(pick(n.outH, x.h), 'int32'));
          const cols = keep(tf.tensor1d(pick(n.outW, x.w), 'int32'));
          steps.push((env) => env.set(n.output, tf.gather(tf.gather(env.get(n.input)!, rows, 1), cols, 2)));
        }
        break;
      }
      case 'concat':
        steps.push((env) => env.set(n.output, tf.concat(n.inputs.map((t) => env.get(t)!), 3)));
        break;
      case 'pad':
        steps.push((env) => env.set(n.output, tf.pad(env.get(n.input)!, [[0, 0], [n.pad[0], n.pad[2]], [n.pad[1], n.pad[3]], [0, 0]], n.value)));
        break;
      case 'pool2d':
        steps.push(pool2d(tf, n, shapes.get(n.input)!, out, keep));
        break;
      case 'softmax':
        steps.push((env) => env.set(n.output, tf.softmax(env.get(n.input)!, -1)));
        break;
      case 'argmax':
        steps.push((env) => env.set(n.output, tf.expandDims(tf.cast(tf.argMax(env.get(n.input)!, 3), 'float32'), 3) as T4));
        break;
      case 'conv_transpose': {
        const inC = shapes.get(n.input)!.c;
        // [inC][outC][kh][kw] -> [kh][kw][outC][inC]
        const w = new Float32Array(n.weight.length);
        for (let i = 0; i < inC; i++) for (let o = 0; o < n.outC; o++) for (let y = 0; y < n.kh; y++) for (let x = 0; x < n.kw; x++) {
          w[((y * n.kw + x) * n.outC + o) * inC + i] = n.weight[((i * n.outC + o) * n.kh + y) * n.kw + x];
        }
        const filter = keep(tf.tensor4d(w, [n.kh, n.kw, n.outC, inC]));
        const bias = vec(n.bias);
        steps.push((env) => {
          const x = env.get(n.input)!;
          const full: [number, number] = [(x.shape[1] - 1) * n.strideH + n.kh, (x.shape[2] - 1) * n.strideW + n.kw];
          let y = tf.conv2dTranspose(x, filter, [1, full[0], full[1], n.outC], [n.strideH, n.strideW], 'valid');
          if (n.outputPadding[0] || n.outputPadding[1]) y = tf.pad(y, [[0, 0], [0, n.outputPadding[0]], [0, n.outputPadding[1]], [0, 0]]);
          y = tf.slice(y, [0, n.pad[0], n.pad[1], 0], [1, out.h, out.w, n.outC]);
          if (bias) y = tf.add(y, bias);
          env.set(n.output, epilogue(y, n.epilogue, env));
        });
        break;
      }
      default:
        // ops added to the IR later (e.g. ssd_decode) have no TF.js translation yet
        throw new Error(`tfjs_from_ir: op '${(n as Node).op}' (node '${(n as Node).name}') is not supported`);
    }
  }

  const inputName = g.inputs[0].name;
  return {
    weightTensors: owned.length,
    predict(input: T4): T4[] {
      return tf.tidy(() => {
        const env = new Map<string, T4>([[inputName, input]]);
        for (const s of steps) s(env);
        return g.outputs.map((o) => env.get(o)!);
      });
    },
    dispose(): void {
      for (const t of owned) t.dispose();
    },
  };
}

/** OIHW -> HWIO; for depthwise ([C][1][kh][kw]) -> [kh][kw][C][1]. */
function ohwiFromOihw(tf: Tf, w: Float32Array, outC: number, inC: number, kh: number, kw: number, depthwise: boolean): tfjs.Tensor4D {
  const r = new Float32Array(w.length);
  for (let o = 0; o < outC; o++) for (let i = 0; i < inC; i++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) {
    r[((y * kw + x) * inC + i) * outC + o] = w[((o * inC + i) * kh + y) * kw + x];
  }
  return depthwise ? tf.tensor4d(r, [kh, kw, outC, 1]) : tf.tensor4d(r, [kh, kw, inC, outC]);
}

/** [rows][cols] -> [cols][rows] */
function transpose2d(w: Float32Array, rows: number, cols: number): Float32Array {
  const r = new Float32Array(w.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) r[j * rows + i] = w[i * cols + j];
  return r;
}

/**
 * Pooling with the IR's exact padding semantics on every TF.js backend (their own padded
 * average differs between cpu and webgl): pad explicitly, pool 'valid'; an average that
 * excludes the padding is rescaled by a constant window-count map.
 */
function pool2d(tf: Tf, n: Extract<Node, { op: 'pool2d' }>, x: TensorShape, out: TensorShape, keep: <X extends tfjs.Tensor>(t: X) => X): (env: Map<string, T4>) => void {
  const window: [number, number] = [n.kh, n.kw];
  const strides: [number, number] = [n.strideH, n.strideW];
  const anyPad = n.pad.some((p) => p > 0);
  const pads: [[0, 0], [number, number], [number, number], [0, 0]] = [[0, 0], [n.pad[0], n.pad[2]], [n.pad[1], n.pad[3]], [0, 0]];
  const crop = (y: T4): T4 => (y.shape[1] === out.h && y.shape[2] === out.w ? y : tf.slice(y, [0, 0, 0, 0], [1, out.h, out.w, out.c]));
  if (n.kind === 'max') return (env) => env.set(n.output, crop(tf.maxPool(anyPad ? tf.pad(env.get(n.input)!, pads, -3.4e38) : env.get(n.input)!, window, strides, 'valid')));
  let scale: tfjs.Tensor4D | null = null;
  if (anyPad && !n.countIncludePad) {
    const m = new Float32Array(out.h * out.w);
    for (let oy = 0; oy < out.h; oy++) for (let ox = 0; ox < out.w; ox++) {
      const ys = Math.min(oy * n.strideH - n.pad[0] + n.kh, x.h) - Math.max(oy * n.strideH - n.pad[0], 0);
      const xs = Math.min(ox * n.strideW - n.pad[1] + n.kw, x.w) - Math.max(ox * n.strideW - n.pad[1], 0);
      m[oy * out.w + ox] = (n.kh * n.kw) / Math.max(1, ys * xs);
    }
    scale = keep(tf.tensor4d(m, [1, out.h, out.w, 1]));
  }
  return (env) => {
    const y = crop(tf.avgPool(anyPad ? tf.pad(env.get(n.input)!, pads) : env.get(n.input)!, window, strides, 'valid'));
    env.set(n.output, scale ? tf.mul(y, scale) : y);
  };
}
