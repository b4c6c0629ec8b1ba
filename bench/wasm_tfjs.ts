/**
 * The same model in TF.js ops, for bench/wasm.ts: builds a forward function from OUR optimized
 * graph (BatchNorm folded; same weights), using TF.js's fused conv + bias + relu/relu6 where
 * TF.js has them; hard-swish / hard-sigmoid (which TF.js has no op for) become the usual
 * relu6(x + 3) / 6 elementwise ops, as in TF.js's own converted MobileNetV3 graphs.
 * Run on the `wasm` backend (XNNPACK, SIMD) with 1 thread.
 */
import type * as TF from '@tensorflow/tfjs';

/** the TF.js namespace (a dynamic import's module object) */
export type Tfjs = Omit<typeof TF, 'default'>;
import type { Graph, Conv2dNode, Epilogue } from '../src/graph/ir.js';
import { inferShapes } from '../src/graph/shapes.js';

type T4 = TF.Tensor4D;

export function tfjsForward(tf: Tfjs, g: Graph): { run: (x: Float32Array) => Float32Array; dispose: () => void } {
  const shapes = inferShapes(g);
  const consts: TF.Tensor[] = [];
  const keep = <X extends TF.Tensor>(t: X): X => {
    consts.push(t);
    return tf.keep(t);
  };
  const act = (x: T4, a: Epilogue['act']): T4 => {
    switch (a) {
      case 'none':
        return x;
      case 'relu':
        return tf.relu(x);
      case 'relu6':
        return tf.relu6(x);
      case 'hswish':
        return tf.mul(x, tf.mul(tf.relu6(tf.add(x, 3)), 1 / 6));
      case 'hsigmoid':
        return tf.mul(tf.relu6(tf.add(x, 3)), 1 / 6);
      case 'sigmoid':
        return tf.sigmoid(x);
    }
  };
  const fusedAct = (a: Epilogue['act']): 'relu' | 'relu6' | 'sigmoid' | 'linear' | null =>
    a === 'none' ? 'linear' : a === 'relu' || a === 'relu6' || a === 'sigmoid' ? a : null;

  // prepare the weights once (HWIO / HW C 1), outside any timed run
  const convW = new Map<string, { filter: T4; bias: TF.Tensor1D }>();
  const fc = (w: Float32Array, b: Float32Array, outC: number, inC: number): { filter: T4; bias: TF.Tensor1D } => {
    const hwio = new Float32Array(inC * outC);
    for (let o = 0; o < outC; o++) for (let c = 0; c < inC; c++) hwio[c * outC + o] = w[o * inC + c];
    return { filter: keep(tf.tensor4d(hwio, [1, 1, inC, outC])), bias: keep(tf.tensor1d(b)) };
  };
  for (const n of g.nodes) {
    if (n.op === 'conv2d') {
      const inC = shapes.get(n.input)!.c;
      const { kh, kw, outC } = n;
      const dw = n.groups > 1;
      const icg = dw ? 1 : inC;
      const w = new Float32Array(kh * kw * icg * outC);
      for (let o = 0; o < outC; o++)
        for (let c = 0; c < icg; c++)
          for (let y = 0; y < kh; y++)
            for (let x = 0; x < kw; x++) {
              const src = n.weight[((o * icg + c) * kh + y) * kw + x];
              if (dw) w[(y * kw + x) * outC + o] = src; // [kh][kw][C][1]
              else w[((y * kw + x) * inC + c) * outC + o] = src; // HWIO
            }
      const filter = keep(dw ? tf.tensor4d(w, [kh, kw, outC, 1]) : tf.tensor4d(w, [kh, kw, inC, outC]));
      convW.set(n.name, { filter, bias: keep(tf.tensor1d(n.bias ?? new Float32Array(outC))) });
    } else if (n.op === 'squeeze_excite') {
      const c = shapes.get(n.input)!.c;
      convW.set(`${n.name}/fc1`, fc(n.fc1.weight, n.fc1.bias, n.squeeze, c));
      convW.set(`${n.name}/fc2`, fc(n.fc2.weight, n.fc2.bias, c, n.squeeze));
    }
  }

  const conv = (n: Conv2dNode, x: T4, env: Map<string, T4>): T4 => {
    const { filter, bias } = convW.get(n.name)!;
    if (n.prologue) x = tf.mul(x, env.get(n.prologue.seScale)!);
    const [pt, pl, pb, pr] = n.pad;
    const fa = fusedAct(n.epilogue.act);
    const common = { filter, bias, strides: [n.strideH, n.strideW] as [number, number], dilations: [n.dilationH, n.dilationW] as [number, number], activation: fa ?? 'linear' } as const;
    let y: T4;
    if (n.groups === 1) {
      y = tf.fused.conv2d({ ...common, x, pad: [[0, 0], [pt, pb], [pl, pr], [0, 0]] });
    } else if (pt === pb && pl === pr && pt === pl) {
      y = tf.fused.depthwiseConv2d({ ...common, x, pad: pt });
    } else {
      // fused depthwise takes only symmetric padding
      y = tf.fused.depthwiseConv2d({ ...common, x: tf.pad(x, [[0, 0], [pt, pb], [pl, pr], [0, 0]]), pad: 'valid' });
    }
    if (!fa) y = act(y, n.epilogue.act);
    return epilogueRest(y, n.epilogue, env);
  };
  const epilogueRest = (y: T4, e: Epilogue, env: Map<string, T4>): T4 => {
    if (e.clamp) y = tf.clipByValue(y, e.clamp[0], e.clamp[1]);
    if (e.residual) y = tf.add(y, env.get(e.residual)!);
    if (e.postClamp) y = tf.clipByValue(y, e.postClamp[0], e.postClamp[1]);
    return y;
  };

  const forward = (input: T4): T4 => {
    const env = new Map<string, T4>([[g.inputs[0].name, input]]);
    for (const n of g.nodes) {
      const s = shapes.get(n.output)!;
      switch (n.op) {
        case 'conv2d':
          env.set(n.output, conv(n, env.get(n.input)!, env));
          break;
        case 'squeeze_excite': {
          const p = tf.mean(env.get(n.input)!, [1, 2], true) as T4;
          const f1 = convW.get(`${n.name}/fc1`)!;
          const f2 = convW.get(`${n.name}/fc2`)!;
          const h = act(tf.add(tf.conv2d(p, f1.filter, 1, 'valid'), f1.bias), n.fc1.act);
          env.set(n.output, act(tf.add(tf.conv2d(h, f2.filter, 1, 'valid'), f2.bias), n.fc2.act));
          break;
        }
        case 'global_avg_pool':
          env.set(n.output, tf.mean(env.get(n.input)!, [1, 2], true) as T4);
          break;
        case 'reshape':
          env.set(n.output, tf.reshape(env.get(n.input)!, [1, s.h, s.w, s.c]));
          break;
        case 'act':
          env.set(n.output, epilogueRest(act(env.get(n.input)!, n.act), { act: 'none', clamp: n.clamp }, env));
          break;
        case 'add':
          env.set(n.output, epilogueRest(act(tf.add(env.get(n.inputs[0])!, env.get(n.inputs[1])!), n.epilogue.act), { ...n.epilogue, act: 'none' }, env));
          break;
        case 'channel_scale':
          env.set(n.output, tf.mul(env.get(n.input)!, env.get(n.scale)!));
          break;
        default:
          throw new Error(`tfjs bench: op '${n.op}' not supported (node ${n.name})`);
      }
    }
    return env.get(g.outputs[0])!;
  };
  const { h, w, c } = g.inputs[0].shape;
  return {
    run: (x) => {
      const y = tf.tidy(() => forward(tf.tensor4d(x, [1, h, w, c])));
      const out = y.dataSync() as Float32Array;
      y.dispose();
      return out;
    },
    dispose: () => consts.forEach((t) => t.dispose()),
  };
}
