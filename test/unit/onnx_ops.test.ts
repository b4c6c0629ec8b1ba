/**
 * ONNX importer op coverage beyond the two real files: small models built here, run by
 * onnxruntime-node and by our float64 reference (and CPU runtime) on the imported graph.
 */
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/import/onnx.js';
import { runReference } from '../../src/graph/reference.js';
import { createRuntime } from '../../src/runtime.js';
import type { Graph } from '../../src/graph/ir.js';
import { attr, buildModel, constant, node, tensor, values } from '../helpers/onnx_builder.js';
import { runOrt, maxAbsDiff } from '../helpers/ort.js';

/** ORT vs float64 reference vs CPU runtime on every output; returns the worst |d| / (1 + |ref|). */
async function agree(bytes: Uint8Array, g: Graph, x: Float32Array, cpu = true): Promise<number> {
  const { h, w, c } = g.inputs[0].shape;
  const peer = await runOrt(bytes, x, h, w, c);
  const env = runReference(g, { [g.inputs[0].name]: x });
  const outs = cpu ? await (await createRuntime({ backend: 'cpu' })).load({ name: g.name, graph: () => g }).then((m) => m.runAll(x)) : [];
  let worst = 0;
  g.outputs.forEach((o, i) => {
    const p = peer.get(o);
    expect(p, `output ${o}`).toBeDefined();
    const scale = 1 + Math.max(...Array.from(p!, Math.abs));
    worst = Math.max(worst, maxAbsDiff(env.get(o)!.data, p!) / scale);
    if (cpu) worst = Math.max(worst, maxAbsDiff(outs[i], p!) / scale);
  });
  return worst;
}

const ops = (g: Graph): string[] => g.nodes.map((n) => (n.op === 'act' ? `act:${n.act}` : n.op));

describe('ONNX import: op coverage against onnxruntime', () => {
  it('opset 14: convs (SAME, dilated, depthwise), pools (ceil, pads), resizes, concat with a constant, pad, ConvTranspose + BN, softmax, SE gate, Gemm/MatMul head with a folded shape chain', async () => {
    const C = 4;
    const init = [
      tensor('w1', [8, C, 3, 3], values(8 * C * 9, 1, 0.3)), tensor('b1', [8], values(8, 2, 0.1)),
      tensor('bn_s', [8], values(8, 3, 0.2).map((v) => 1 + v)), tensor('bn_b', [8], values(8, 4, 0.2)),
      tensor('bn_m', [8], values(8, 5, 0.1)), tensor('bn_v', [8], values(8, 6, 0.2).map((v) => 1 + v)),
      tensor('wd', [8, 1, 3, 3], values(72, 7, 0.5)),
      tensor('pc', [1, 8, 1, 1], values(8, 8, 0.5).map((v) => 1.5 + v)),
      tensor('cat_c', [1, 2, 6, 5], values(60, 9)),
      tensor('wt', [18, 6, 3, 3], values(18 * 54, 10, 0.2)), tensor('bt', [6], values(6, 11, 0.1)),
      tensor('bn2_s', [6], values(6, 12, 0.2).map((v) => 1 + v)), tensor('bn2_b', [6], values(6, 13, 0.2)),
      tensor('bn2_m', [6], values(6, 14, 0.1)), tensor('bn2_v', [6], values(6, 15, 0.2).map((v) => 1 + v)),
      tensor('wg', [5, 18], values(90, 16, 0.3)), tensor('cg', [5], values(5, 17, 0.1)), tensor('wm', [18, 5], values(90, 18, 0.3)),
    ];
    const nodes = [
      node('Conv', ['x', 'w1', 'b1'], ['c1'], { auto_pad: attr.s('SAME_UPPER'), strides: attr.ints([2, 2]) }),
      node('BatchNormalization', ['c1', 'bn_s', 'bn_b', 'bn_m', 'bn_v'], ['bn'], { epsilon: attr.f(1e-3) }),
      node('HardSigmoid', ['bn'], ['hs'], { alpha: attr.f(0.2), beta: attr.f(0.5) }),
      node('Conv', ['hs', 'wd'], ['d'], { group: attr.i(8), dilations: attr.ints([2, 2]), pads: attr.ints([2, 2, 2, 2]) }),
      constant('lo', [], [-0.5]), constant('hi', [], [0.7]),
      node('Clip', ['d', 'lo', 'hi'], ['clip']),
      node('HardSwish', ['clip'], ['sw']),
      node('GlobalAveragePool', ['sw'], ['gap']), node('Sigmoid', ['gap'], ['gate']), node('Mul', ['sw', 'gate'], ['se']),
      constant('k15', [], [1.5]), node('Sub', ['k15', 'se'], ['sub']),
      node('Div', ['sub', 'pc'], ['div']),
      node('AveragePool', ['div'], ['ap'], { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]), ceil_mode: attr.i(1) }),
      node('MaxPool', ['div'], ['mp'], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]), pads: attr.ints([0, 0, 0, 1]) }),
      constant('sizes', [4], [1, 8, 6, 5], 7),
      node('Resize', ['ap', '', '', 'sizes'], ['rs'], { mode: attr.s('linear') }),
      node('Resize', ['mp', '', '', 'sizes'], ['rn'], { mode: attr.s('nearest') }),
      node('Concat', ['rs', 'rn', 'cat_c'], ['cat'], { axis: attr.i(1) }),
      constant('pads', [8], [0, 0, 1, 0, 0, 0, 0, 2], 7), constant('pv', [], [0.25]),
      node('Pad', ['cat', 'pads', 'pv'], ['pd']),
      node('ConvTranspose', ['pd', 'wt', 'bt'], ['ct'], { strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]), output_padding: attr.ints([1, 1]) }),
      node('BatchNormalization', ['ct', 'bn2_s', 'bn2_b', 'bn2_m', 'bn2_v'], ['bn2']),
      node('Relu', ['bn2'], ['relu']),
      node('Softmax', ['relu'], ['y1'], { axis: attr.i(1) }),
      node('GlobalAveragePool', ['cat'], ['g2']),
      node('Shape', ['g2'], ['shp']), constant('zero', [], [0], 7), node('Gather', ['shp', 'zero'], ['n0']),
      constant('ax0', [1], [0], 7), node('Unsqueeze', ['n0', 'ax0'], ['n1']), constant('m1', [1], [-1], 7),
      node('Concat', ['n1', 'm1'], ['newshape'], { axis: attr.i(0) }), node('Reshape', ['g2', 'newshape'], ['r']),
      node('Gemm', ['r', 'wg', 'cg'], ['gm'], { transB: attr.i(1), alpha: attr.f(0.5), beta: attr.f(2) }),
      node('Flatten', ['g2'], ['fl']), node('MatMul', ['fl', 'wm'], ['mm']),
      node('Add', ['gm', 'mm'], ['sum']), constant('k01', [], [0.1]), node('Max', ['sum', 'k01'], ['mx']),
      constant('ax23', [2], [2, 3], 7), node('Unsqueeze', ['mx', 'ax23'], ['u4']), constant('ax32', [2], [3, 2], 7), node('Squeeze', ['u4', 'ax32'], ['sq']),
      node('Softmax', ['sq'], ['y2'], { axis: attr.i(-1) }),
    ];
    const bytes = buildModel({ opset: 14, inputs: [{ name: 'x', dims: [1, C, 12, 10] }], outputs: [{ name: 'y1' }, { name: 'y2' }], nodes, initializers: init });
    const src = importOnnx(bytes, 'coverage.onnx');
    const g = src.graph();
    expect(g.inputs[0].shape).toEqual({ h: 12, w: 10, c: C });
    const o = ops(g);
    expect(o).toContain('channel_scale');
    expect(o).toContain('conv_transpose');
    expect(o.filter((k) => k === 'batch_norm').length).toBe(1); // the one after ConvTranspose folded at import
    const worst = await agree(bytes, g, values(12 * 10 * C, 99));
    console.log(`opset-14 coverage model: worst |d|/(1+max|ref|) ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-5);
  });

  it('opset 9 (Paddle2ONNX style): decomposed hard-swish, x*HardSigmoid(1/6) swish, Clip attributes, Upsample, Pad attributes, Dropout, Slice folding', async () => {
    const init = [tensor('w', [6, 3, 1, 1], values(18, 21, 0.5)), tensor('b', [6], values(6, 22, 0.1))];
    const nodes = [
      constant('three', [], [3]), constant('six', [], [6]),
      node('Add', ['x', 'three'], ['a']), node('Clip', ['a'], ['c'], { min: attr.f(0), max: attr.f(6) }),
      node('Mul', ['x', 'c'], ['m']), node('Div', ['m', 'six'], ['hsw']),
      node('HardSigmoid', ['hsw'], ['hsg'], { alpha: attr.f(1 / 6), beta: attr.f(0.5) }), node('Mul', ['hsw', 'hsg'], ['sw2']),
      node('Clip', ['sw2'], ['r6'], { min: attr.f(0), max: attr.f(6) }),
      constant('sc', [4], [1, 1, 2, 2]),
      node('Upsample', ['r6', 'sc'], ['un'], { mode: attr.s('nearest') }),
      node('Upsample', ['r6', 'sc'], ['ul'], { mode: attr.s('linear') }),
      node('Add', ['un', 'ul'], ['s']),
      node('Pad', ['s'], ['p'], { pads: attr.ints([0, 0, 1, 1, 0, 0, 0, 0]), value: attr.f(-1) }),
      node('Dropout', ['p'], ['dp']),
      node('Conv', ['dp', 'w', 'b'], ['cv'], { kernel_shape: attr.ints([1, 1]) }),
      node('Shape', ['cv'], ['shp']), node('Slice', ['shp'], ['sl'], { starts: attr.ints([0]), ends: attr.ints([2]) }),
      constant('m1', [2], [-1, 1], 7), node('Concat', ['sl', 'm1'], ['ns'], { axis: attr.i(0) }),
      node('Reshape', ['cv', 'ns'], ['rr']), // [1, 6, 17*17, 1]: H/W regroup only
      node('Relu', ['rr'], ['y']),
    ];
    const bytes = buildModel({ opset: 9, inputs: [{ name: 'x', dims: [1, 3, 8, 8] }], outputs: [{ name: 'y' }], nodes, initializers: init });
    const g = importOnnx(bytes, 'legacy.onnx').graph();
    const o = ops(g);
    expect(o.filter((k) => k === 'act:hswish').length).toBe(2);
    expect(o).toContain('act:relu6');
    expect(o).not.toContain('binary');
    expect(o.filter((k) => k === 'resize').length).toBe(2);
    expect(g.nodes.find((n) => n.op === 'reshape')).toBeDefined();
    const worst = await agree(bytes, g, values(3 * 64, 23, 4));
    console.log(`opset-9 legacy model: worst |d|/(1+max|ref|) ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-5);
  });

  it('dynamic H/W of a generic model come from the options, raw_data and int64 initializers decode', async () => {
    const init = [tensor('w', [2, 3, 3, 3], values(54, 31, 0.5), 1, true), tensor('shape', [2], [1, -1], 7, true)];
    const nodes = [
      node('Conv', ['x', 'w'], ['c'], { pads: attr.ints([1, 1, 1, 1]), strides: attr.ints([2, 2]) }),
      node('GlobalMaxPool', ['c'], ['g']), node('Reshape', ['g', 'shape'], ['y']),
    ];
    const bytes = buildModel({ opset: 13, inputs: [{ name: 'x', dims: ['N', 3, 'H', 'W'] }], outputs: [{ name: 'y' }], nodes, initializers: init });
    const g = importOnnx(bytes, 'dyn.onnx', { inputHeight: 9, inputWidth: 7 }).graph();
    expect(g.inputs[0].shape).toEqual({ h: 9, w: 7, c: 3 });
    expect(await agree(bytes, g, values(9 * 7 * 3, 32))).toBeLessThan(1e-5);
  });
});
