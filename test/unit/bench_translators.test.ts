/**
 * The bench's IR -> peer translators (bench/peers/tfjs_from_ir.ts, onnx_from_ir.ts) give
 * the IR's semantics: a small graph using every op they translate (asymmetric conv pads,
 * standalone BN, depthwise + clamp, fused SE node, SE prologue, residual, Gemm path,
 * constant/binary, pad, max/avg pools with both padding rules, bilinear/nearest resize,
 * concat, transposed conv with output padding, softmax, argmax), run in Node by TF.js (cpu)
 * and onnxruntime-node, against the float64 reference executor. Also MobileNetV3-Small
 * 0.35 @ 96 (BatchNorm folding path) against our CPU path.
 */
import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import type { Graph, Node } from '../../src/graph/ir.js';
import { inferShapes } from '../../src/graph/shapes.js';
import { runReference } from '../../src/graph/reference.js';
import { Rng } from '../../src/graph/rng.js';
import { createRuntime, mobilenetV3 } from '../../src/index.js';
import { tfjsFromIr } from '../../bench/peers/tfjs_from_ir.js';
import { onnxFromIr } from '../../bench/peers/onnx_from_ir.js';
import { serializeGraph, deserializeGraph } from '../../bench/peers/ir_serial.js';
import { nhwcToNchw } from '../../bench/lib/measure.js';

const rng = new Rng(11);
const r = (n: number, s = 0.5): Float32Array => rng.fill(n, -s, s);
const ep = { act: 'none' as const };

function opGraph(): Graph {
  const nodes: Node[] = [
    { op: 'conv2d', name: 'c1', input: 'x', output: 'c1', outC: 8, kh: 3, kw: 3, strideH: 2, strideW: 2, dilationH: 1, dilationW: 1, pad: [1, 0, 1, 1], groups: 1, weight: r(8 * 4 * 9), bias: r(8), epilogue: { act: 'hswish' } },
    { op: 'batch_norm', name: 'bn', input: 'c1', output: 'bn', gamma: rng.fill(8, 0.5, 1.5), beta: r(8), mean: r(8), variance: rng.fill(8, 0.5, 2), eps: 1e-3 },
    { op: 'conv2d', name: 'dw', input: 'bn', output: 'dw', outC: 8, kh: 5, kw: 5, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, pad: [2, 2, 2, 2], groups: 8, weight: r(8 * 25), bias: r(8), epilogue: { act: 'relu6', clamp: [0, 0.8] } },
    { op: 'squeeze_excite', name: 'se', input: 'dw', output: 'se', squeeze: 4, fc1: { weight: r(32), bias: r(4), act: 'relu' }, fc2: { weight: r(32), bias: r(8), act: 'hsigmoid' } },
    { op: 'conv2d', name: 'pw', input: 'dw', output: 'pw', outC: 8, kh: 1, kw: 1, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, pad: [0, 0, 0, 0], groups: 1, weight: r(64), prologue: { seScale: 'se' }, epilogue: { act: 'none', residual: 'bn' } },
    { op: 'global_avg_pool', name: 'gap', input: 'pw', output: 'gap' },
    { op: 'conv2d', name: 'fc', input: 'gap', output: 'fc', outC: 8, kh: 1, kw: 1, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, pad: [0, 0, 0, 0], groups: 1, weight: r(64), bias: r(8), epilogue: { act: 'sigmoid' } },
    { op: 'channel_scale', name: 'cs', input: 'pw', scale: 'fc', output: 'cs' },
    { op: 'constant', name: 'k', output: 'k', shape: { h: 1, w: 1, c: 8 }, data: r(8, 0.2) },
    { op: 'binary', name: 'b1', kind: 'sub', inputs: ['cs', 'k'], output: 'b1', epilogue: { act: 'relu' } },
    { op: 'pad', name: 'p1', input: 'b1', output: 'p1', pad: [1, 2, 0, 1], value: 0.5 },
    { op: 'pool2d', name: 'mp', kind: 'max', input: 'p1', output: 'mp', kh: 3, kw: 3, strideH: 2, strideW: 2, pad: [1, 1, 1, 1], countIncludePad: false },
    { op: 'pool2d', name: 'ap', kind: 'avg', input: 'p1', output: 'ap', kh: 3, kw: 3, strideH: 1, strideW: 1, pad: [1, 1, 1, 1], countIncludePad: false },
    { op: 'pool2d', name: 'ap2', kind: 'avg', input: 'p1', output: 'ap2', kh: 3, kw: 3, strideH: 1, strideW: 1, pad: [1, 1, 1, 1], countIncludePad: true },
    { op: 'add', name: 'ad', inputs: ['ap', 'ap2'], output: 'ad', epilogue: { act: 'none', postClamp: [0, 1.2] } },
    { op: 'resize', name: 'r1', input: 'mp', output: 'r1', outH: 8, outW: 8, mode: 'bilinear', coord: 'half_pixel' },
    { op: 'resize', name: 'r2', input: 'mp', output: 'r2', outH: 8, outW: 8, mode: 'nearest', coord: 'half_pixel' },
    { op: 'concat', name: 'cat', inputs: ['r1', 'ad', 'r2'], output: 'cat' },
    { op: 'conv_transpose', name: 'ct', input: 'cat', output: 'ct', outC: 4, kh: 3, kw: 3, strideH: 2, strideW: 2, pad: [1, 1, 1, 1], outputPadding: [1, 1], weight: r(24 * 4 * 9), bias: r(4), epilogue: ep },
    { op: 'softmax', name: 'sm', input: 'ct', output: 'sm' },
    { op: 'argmax', name: 'am', input: 'cat', output: 'am' },
  ];
  return { name: 'ops', inputs: [{ name: 'x', shape: { h: 13, w: 11, c: 4 } }], outputs: ['sm', 'am', 'fc'], nodes };
}

async function viaTfjs(g: Graph, x: Float32Array): Promise<Float32Array[]> {
  await tf.setBackend('cpu');
  const m = tfjsFromIr(tf, g);
  const { h, w, c } = g.inputs[0].shape;
  const input = tf.tensor4d(x, [1, h, w, c]);
  const outs = m.predict(input);
  const r = await Promise.all(outs.map(async (o) => (await o.data()) as Float32Array));
  tf.dispose([input, ...outs]);
  m.dispose();
  return r;
}

/** ORT outputs, converted back to NHWC */
async function viaOrt(g: Graph, x: Float32Array): Promise<Float32Array[]> {
  const shapes = inferShapes(g);
  const { h, w, c } = g.inputs[0].shape;
  const s = await ort.InferenceSession.create(onnxFromIr(g));
  const out = await s.run({ [g.inputs[0].name]: new ort.Tensor('float32', nhwcToNchw(x, h, w, c), [1, c, h, w]) });
  const r = g.outputs.map((name, i) => {
    const y = out[`output${i}`].data as Float32Array;
    const o = shapes.get(name)!;
    const nhwc = new Float32Array(y.length);
    for (let p = 0; p < o.h * o.w; p++) for (let k = 0; k < o.c; k++) nhwc[p * o.c + k] = y[k * o.h * o.w + p];
    return nhwc;
  });
  await s.release();
  return r;
}

function maxRelDiff(y: ArrayLike<number>, ref: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(y[i] - ref[i]) / (1 + Math.abs(ref[i])));
  return m;
}

describe('bench IR translators', () => {
  it('TF.js and ONNX translations of every op match the float64 reference', async () => {
    const g = opGraph();
    const x = new Rng(5).fill(13 * 11 * 4, -2, 2);
    const ref = runReference(g, { x });
    const want = g.outputs.map((o) => ref.get(o)!.data);
    for (const [who, ys] of [['tfjs', await viaTfjs(g, x)], ['onnx', await viaOrt(g, x)]] as const) {
      ys.forEach((y, i) => {
        expect(y.length, `${who} ${g.outputs[i]}`).toBe(want[i].length);
        expect(maxRelDiff(y, want[i]), `${who} ${g.outputs[i]}`).toBeLessThan(1e-4);
      });
    }
  });

  it('MobileNetV3 through serialize -> TF.js / ONNX matches our CPU path', async () => {
    const src = mobilenetV3({ size: 'small', width: 0.35, resolution: 96, seed: 2 });
    const { json, bin } = serializeGraph(src.graph());
    const g = deserializeGraph(json, bin);
    const x = new Rng(3).fill(96 * 96 * 3, -1, 1);
    const rt = await createRuntime({ backend: 'cpu' });
    const ours = await (await rt.load(src)).run(x);
    for (const [who, [y]] of [['tfjs', await viaTfjs(g, x)], ['onnx', await viaOrt(g, x)]] as const) {
      expect(maxRelDiff(y, ours), who).toBeLessThan(1e-4);
    }
  });
});
