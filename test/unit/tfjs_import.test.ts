/**
 * TF.js graph-model importer, checked against TF.js itself (wasm backend) running the same
 * files: a synthetic graph covering every weight encoding and the op spellings the importer
 * rewrites, malformed files, and the three real models (MediaPipe selfie, CenterNet, RVM) on
 * real photos through our CPU runtime.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { importTfjs, type TfjsImportOptions } from '../../src/import/tfjs.js';
import { ModelFormatError } from '../../src/import/errors.js';
import { runReference } from '../../src/graph/reference.js';
import { preprocessImage } from '../../src/model/preprocess.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { decodeCenterNet, type Detection } from '../../src/heads/centernet.js';
import { COCO_LABELS } from '../../src/heads/coco_labels.js';
import { compare } from '../helpers/compare.js';
import { IMAGES, loadImage } from '../helpers/images.js';
import { HUMAN_MODELS, loadTfjsGraph, readModelFiles, tf, tfjsReady } from '../helpers/tfjs_peer.js';
import { TfjsGraphBuilder, attr } from '../helpers/tfjs_builder.js';

const conv = (strides: number[], padding: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  strides: attr.ints(strides), padding: attr.s(padding), data_format: attr.s('NHWC'), dilations: attr.ints([1, 1, 1, 1]), ...extra,
});
const fused = (ops: string[], args: number): Record<string, unknown> => ({ fused_ops: attr.strs(ops), num_args: attr.i(args), epsilon: attr.f(0) });

/** A small graph in the shapes real converters write: odd sizes, every quantization. */
function syntheticModel(): ReturnType<TfjsGraphBuilder['build']> {
  const b = new TfjsGraphBuilder();
  const x = b.placeholder('image', [1, 13, 11, 3]);
  // input normalization (Sub then Mul by per-channel constants) before a zero-padded conv
  const sub = b.op('norm/sub', 'Sub', [x, b.const('norm/mean', [3], [0.5, 0.4, 0.3])]);
  const nrm = b.op('norm/mul', 'Mul', [sub, b.const('norm/inv_std', [3], [2, 2.5, 3], 'float16')]);
  const c1 = b.op('c1', '_FusedConv2D', [nrm, b.random('c1/w', [3, 3, 3, 8], 'uint8'), b.random('c1/b', [8], 'float16')], { ...conv([1, 2, 2, 1], 'SAME'), ...fused(['BiasAdd', 'Relu6'], 1) });
  // hard-swish as x * (1/6 in float16) * relu6(x + 3)
  const hsMul = b.op('hs/mul', 'Mul', [b.const('hs/k', [], [1 / 6], 'float16'), c1]);
  const hsAdd = b.op('hs/add', 'AddV2', [c1, b.const('hs/three', [], [3])]);
  const hs = b.op('hs/out', 'Mul', [hsMul, b.op('hs/relu6', 'Relu6', [hsAdd])]);
  const dw = b.op('dw', 'FusedDepthwiseConv2dNative', [hs, b.random('dw/w', [5, 5, 8, 1], 'uint16'), b.random('dw/b', [8])], { ...conv([1, 1, 1, 1], 'SAME'), ...fused(['BiasAdd', 'Relu'], 1) });
  // squeeze-excite with a hard-sigmoid gate and a BiasAdd spelled as Add
  const mean = b.op('se/mean', 'Mean', [dw, b.const('se/axes', [2], [1, 2], 'int32')], { keep_dims: attr.b(true) });
  const fc1 = b.op('se/fc1', '_FusedConv2D', [mean, b.random('se/w1', [1, 1, 8, 4]), b.random('se/b1', [4])], { ...conv([1, 1, 1, 1], 'VALID'), ...fused(['BiasAdd', 'Relu'], 1) });
  const fc2 = b.op('se/fc2b', 'Add', [b.op('se/fc2', 'Conv2D', [fc1, b.random('se/w2', [1, 1, 4, 8], 'float16')], conv([1, 1, 1, 1], 'VALID')), b.random('se/b2', [8])]);
  const gate = b.op('se/hsig', 'Mul', [b.op('se/relu6', 'Relu6', [b.op('se/add3', 'AddV2', [fc2, b.const('se/three', [], [3])])]), b.const('se/k', [], [1 / 6], 'float16')]);
  const se = b.op('se/scale', 'Mul', [dw, gate]);
  // explicit Pad + VALID conv, then a batch norm spelled as Mul + Add
  const pad = b.op('pad', 'Pad', [se, b.const('pad/p', [4, 2], [0, 0, 1, 2, 2, 1, 0, 0], 'int32')]);
  const c2 = b.op('c2/bias', 'BiasAdd', [b.op('c2', 'Conv2D', [pad, b.random('c2/w', [3, 3, 8, 6], 'uint8')], conv([1, 1, 1, 1], 'VALID')), b.random('c2/b', [6])], { data_format: attr.s('NHWC') });
  const bn = b.op('bn/add', 'Add', [b.op('bn/mul', 'Mul', [c2, b.random('bn/s', [6], 'float32', 0.5, 1.5)]), b.random('bn/o', [6])]);
  // dilated depthwise conv the way TF writes it (8x7 input, dilation 2, SAME)
  const s2b = b.op('dil/s2b', 'SpaceToBatchND', [bn, b.const('dil/block', [2], [2, 2], 'int32'), b.const('dil/pads', [2, 2], [2, 2, 2, 3], 'int32')]);
  const dwd = b.op('dil/dw', 'DepthwiseConv2dNative', [s2b, b.random('dil/w', [3, 3, 6, 1])], conv([1, 1, 1, 1], 'VALID'));
  const b2s = b.op('dil/b2s', 'BatchToSpaceND', [dwd, b.const('dil/block2', [2], [2, 2], 'int32'), b.const('dil/crops', [2, 2], [0, 0, 0, 1], 'int32')]);
  // resizes in all three coordinate modes, concatenation, pooling
  const r1 = b.op('r1', 'ResizeBilinear', [b2s, b.const('r1/size', [2], [11, 9], 'int32')], { align_corners: attr.b(false), half_pixel_centers: attr.b(true) });
  const r2 = b.op('r2', 'ResizeBilinear', [c1, b.const('r2/size', [2], [11, 9], 'int32')], { align_corners: attr.b(false), half_pixel_centers: attr.b(false) });
  const r3 = b.op('r3', 'ResizeBilinear', [hs, b.const('r3/size', [2], [11, 9], 'int32')], { align_corners: attr.b(true), half_pixel_centers: attr.b(false) });
  const cat = b.op('cat', 'ConcatV2', [r1, r2, r3, b.const('cat/axis', [], [3], 'int32')], { N: attr.i(3) });
  const ap = b.op('avg', 'AvgPool', [cat], { ksize: attr.ints([1, 3, 3, 1]), strides: attr.ints([1, 2, 2, 1]), padding: attr.s('SAME'), data_format: attr.s('NHWC') });
  b.op('max', 'MaxPool', [ap], { ksize: attr.ints([1, 2, 2, 1]), strides: attr.ints([1, 1, 1, 1]), padding: attr.s('VALID'), data_format: attr.s('NHWC') });
  // transposed conv (SAME, stride 2, odd output) + bias + sigmoid, like the selfie decoder
  const ct = b.op('ct', 'Conv2DBackpropInput', [b.const('ct/sizes', [4], [1, 11, 9, 5], 'int32'), b.random('ct/w', [3, 3, 5, 22], 'float16'), ap], conv([1, 2, 2, 1], 'SAME'));
  b.op('mask', 'Sigmoid', [b.op('ct/bias', 'Add', [ct, b.random('ct/b', [5])])]);
  return b.build();
}

function catchErr(fn: () => unknown): ModelFormatError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ModelFormatError);
    return e as ModelFormatError;
  }
  throw new Error('expected a ModelFormatError');
}

describe('TF.js importer: synthetic graph vs TF.js', () => {
  it('matches TF.js on every op spelling and weight encoding, with hard-swish fused', async () => {
    const m = syntheticModel();
    const src = importTfjs(m.text, () => m.bin, 'synthetic.json', { outputs: ['mask', 'max', 'hs/out'] });
    const g = src.graph();
    expect(g.inputs).toEqual([{ name: 'image', shape: { h: 13, w: 11, c: 3 } }]);
    expect(g.outputs).toEqual(['mask', 'max', 'hs/out']);
    // one hard-swish, one hard-sigmoid, as activations; no SpaceToBatch / pad / BN nodes remain
    expect(src.report).toMatchObject({ hardSwish: 1, hardSigmoid: 1 });
    expect(g.nodes.filter((n) => n.op === 'act').map((n) => (n.op === 'act' ? n.act : ''))).toEqual(expect.arrayContaining(['hswish', 'hsigmoid']));
    expect(g.nodes.some((n) => n.op === 'pad' || n.op === 'binary')).toBe(false);
    const dilated = g.nodes.find((n) => n.name === 'dil/dw');
    expect(dilated).toMatchObject({ op: 'conv2d', dilationH: 2, dilationW: 2, pad: [2, 2, 2, 2] });
    expect(g.nodes.find((n) => n.name === 'c2')).toMatchObject({ op: 'conv2d', pad: [1, 2, 2, 1], origin: ['c2', 'c2/bias', 'bn/mul', 'bn/add'] });

    const x = Float32Array.from({ length: 13 * 11 * 3 }, (_, i) => (Math.sin(i * 0.71) + 1) / 2);
    const env = runReference(g, { image: x });
    const model = await loadTfjsGraph(m.json, m.bin);
    const outs = model.execute(tf.tensor4d(x, [1, 13, 11, 3]), ['mask', 'max', 'hs/out']) as tf.Tensor[];
    for (const [i, name] of ['mask', 'max', 'hs/out'].entries()) {
      expect(outs[i].shape.slice(1)).toEqual([env.get(name)!.shape.h, env.get(name)!.shape.w, env.get(name)!.shape.c]);
      const c = compare(env.get(name)!.data, outs[i].dataSync(), 1e-5, 1e-4);
      expect(c.refMaxAbs, name).toBeGreaterThan(0.01);
      expect(c.violations, `${name}: worst ${JSON.stringify(c.worst)}`).toBe(0);
    }
  });
});

describe('TF.js importer: malformed files', () => {
  const m = syntheticModel();
  const json = m.json as { modelTopology: { node: { name: string; op: string }[] }; weightsManifest: { weights: { name: string; dtype: string }[] }[] };

  it('rejects bad JSON and non-graph models', () => {
    expect(catchErr(() => importTfjs('{"format": "graph-model", ', () => m.bin, 'broken.json')).message).toMatch(/^broken\.json: is not valid JSON/);
    expect(catchErr(() => importTfjs({ ...json, format: 'layers-model' }, () => m.bin, 'layers.json')).message).toMatch(/layers\.json: format 'layers-model' is not a TF\.js graph model/);
  });

  it('names the missing weight file and the weight that runs past short data', () => {
    const e1 = catchErr(() => importTfjs(m.text, () => { throw new Error('ENOENT'); }, 'model.json'));
    expect(e1.message).toMatch(/model\.json: weight file 'weights\.bin' could not be read \(ENOENT\)/);
    const e2 = catchErr(() => importTfjs(m.text, () => m.bin.subarray(0, 100), 'model.json'));
    expect(e2.tensor).toBe('c1/w');
    expect(e2.message).toMatch(/tensor 'c1\/w': needs 216 bytes at offset 18 of 'weights\.bin', but the weight data has only 100 bytes/);
  });

  it('names unsupported dtypes, unknown ops and missing outputs', () => {
    const bad = structuredClone(json);
    bad.weightsManifest[0].weights[0].dtype = 'complex64';
    const e1 = catchErr(() => importTfjs(bad, () => m.bin, 'model.json'));
    expect(e1.tensor).toBe('norm/mean');
    expect(e1.message).toMatch(/unsupported dtype 'complex64'/);

    const erf = structuredClone(json);
    erf.modelTopology.node.find((n) => n.name === 'se/relu6')!.op = 'Erf';
    const e2 = catchErr(() => importTfjs(erf, () => m.bin, 'model.json', { outputs: ['mask'] }));
    expect(e2.tensor).toBe('se/relu6');
    expect(e2.message).toMatch(/op 'Erf' is not supported/);

    const loop = structuredClone(json) as unknown as { modelTopology: { node: { name: string; input: string[] }[] } };
    loop.modelTopology.node.find((n) => n.name === 'hs/add')!.input[0] = 'dw';
    expect(catchErr(() => importTfjs(loop, () => m.bin, 'model.json', { outputs: ['mask'] })).message).toMatch(/part of a cycle through/);

    expect(catchErr(() => importTfjs(m.text, () => m.bin, 'model.json', { outputs: ['nope'] })).message).toMatch(/requested output 'nope' is not a node/);
    expect(catchErr(() => importTfjs(m.text, () => m.bin, 'model.json', { outputs: ['mask'], inputHeight: 20 })).message).toMatch(/fixes the input height at 13/);
  });
});

// ------------------------------------------------------------------ real models

interface Loaded {
  src: ReturnType<typeof importTfjs>;
  files: ReturnType<typeof readModelFiles>;
  importMs: number;
}

function importModel(name: string, opts: TfjsImportOptions = {}): Loaded {
  const files = readModelFiles(HUMAN_MODELS, name);
  const t0 = performance.now();
  const src = importTfjs(files.json, files.readWeights, `${name}.json`, opts);
  return { src, files, importMs: performance.now() - t0 };
}

describe('TF.js importer: real models vs TF.js on photos', () => {
  let cpu: Runtime;
  beforeAll(async () => {
    cpu = await createRuntime({ backend: 'cpu' });
    await tfjsReady();
  });

  async function ours(l: Loaded, x: Float32Array): Promise<Float32Array[]> {
    const model = await cpu.load(l.src);
    return model.runAll(x);
  }

  it('selfie: sigmoid person mask on astronaut.png within 1e-3 of TF.js', async () => {
    const l = importModel('selfie');
    expect(l.src.task).toEqual({ kind: 'segmentation', format: 'sigmoid-mask' });
    const x = preprocessImage(loadImage(`${IMAGES}/astronaut.png`), l.src.preprocess!);
    const [mask] = await ours(l, x);
    const peer = await loadTfjsGraph(JSON.parse(l.files.json), l.files.allWeights);
    const ref = (peer.execute(tf.tensor4d(x, [1, 256, 256, 3]), 'activation_10') as tf.Tensor).dataSync();
    const c = compare(mask, ref, 1e-3, 0);
    console.log(`selfie: import ${l.importMs.toFixed(0)} ms, max |ours - tfjs| ${c.maxAbs.toExponential(2)}, relL2 ${c.relL2.toExponential(2)}`);
    expect(c.maxAbs).toBeLessThan(1e-3);
    // the photo is a head-and-shoulders portrait: person below and in the middle, sky corners empty
    const region = (y0: number, y1: number, x0: number, x1: number): number => {
      let s = 0;
      for (let y = y0; y < y1; y++) for (let xx = x0; xx < x1; xx++) s += mask[y * 256 + xx];
      return s / ((y1 - y0) * (x1 - x0));
    };
    expect(region(200, 256, 64, 192)).toBeGreaterThan(0.9);
    expect(region(24, 56, 88, 144)).toBeGreaterThan(0.7);
    expect(region(0, 32, 0, 32)).toBeLessThan(0.05);
    expect(region(0, 32, 224, 256)).toBeLessThan(0.05);
  });

  it('centernet: heatmap and extents within 1e-4 of TF.js; decoded boxes match tower_0/detections on messi5.jpg', async () => {
    const l = importModel('centernet');
    expect(l.src.task).toEqual({ kind: 'detection', format: 'centernet' });
    const img = loadImage(`${IMAGES}/messi5.jpg`);
    const x = preprocessImage(img, l.src.preprocess!);
    expect(Math.max(...x.subarray(0, 3000))).toBeGreaterThan(1.5); // raw 0..255 input
    const [heat, wh] = await ours(l, x);
    const peer = await loadTfjsGraph(JSON.parse(l.files.json), l.files.allWeights);
    const [tHeat, tWh, tDet] = peer.execute(tf.tensor4d(x, [1, 512, 512, 3]), ['tower_0/keypoints', 'tower_0/wh', 'tower_0/detections']) as tf.Tensor[];
    const ch = compare(heat, tHeat.dataSync(), 0, 0);
    const cw = compare(wh, tWh.dataSync(), 0, 0);
    console.log(`centernet: import ${l.importMs.toFixed(0)} ms, relL2 heatmap ${ch.relL2.toExponential(2)} wh ${cw.relL2.toExponential(2)}`);
    expect(ch.relL2).toBeLessThan(1e-4);
    expect(cw.relL2).toBeLessThan(1e-4);

    const dets = decodeCenterNet(heat, wh, { h: 128, w: 128, c: 80 });
    const theirs = (tDet.arraySync() as number[][][])[0];
    expect(dets).toHaveLength(100);
    // every TF.js detection above 0.2 has ours at the same rank: same class, box within 2 px
    const strong = theirs.filter((d) => d[4] > 0.2);
    expect(strong.length).toBeGreaterThanOrEqual(5);
    strong.forEach((d, i) => {
      const o: Detection = dets[i];
      expect(o.classId, `rank ${i}`).toBe(d[5]);
      expect(Math.abs(o.score - d[4])).toBeLessThan(1e-3);
      for (let k = 0; k < 4; k++) expect(Math.abs(o.box[k] - d[k]), `rank ${i} coord ${k}`).toBeLessThan(2);
    });
    const top = dets.filter((d) => d.score > 0.3).map((d) => `${d.label} ${d.score.toFixed(2)} [${d.box.map((v) => v.toFixed(0)).join(', ')}]`);
    console.log(`centernet on messi5 (512x512 frame): ${top.join('; ')}`);
    expect(dets[0].label).toBe('sports ball');
    expect(dets.filter((d) => d.score > 0.3).map((d) => d.label)).toEqual(expect.arrayContaining(['person', 'sports ball']));
    // the ball lies in the lower half of the photo; box mapped to image pixels
    const ball = decodeCenterNet(heat, wh, { h: 128, w: 128, c: 80 }, { scaleX: img.width / 512, scaleY: img.height / 512, minScore: 0.3 }).find((d) => d.label === 'sports ball')!;
    expect(ball.box[1]).toBeGreaterThan(img.height / 2);
    expect(ball.box[2] - ball.box[0]).toBeLessThan(img.width / 4);
  });

  it('rvm: MobileNetV3-Large encoder and LR-ASPP outputs within 1e-4 of TF.js at 208x272 (odd 13x17 at 1/16)', async () => {
    const l = importModel('rvm', { outputs: ['mobile_net_v3_encoder/conv_bn_activation_45/hardswish_19/mul', 'lraspp/mul'], inputHeight: 208, inputWidth: 272 });
    const g = l.src.graph();
    expect(g.outputs).toEqual(['mobile_net_v3_encoder/conv_bn_activation_45/hardswish_19/mul', 'lraspp/mul']);
    // 1/16 resolution (dilated last stage), 960 and 128 channels; dilation rebuilt from SpaceToBatchND
    expect(g.nodes.filter((n) => n.op === 'conv2d' && n.dilationH === 2)).toHaveLength(3);
    const x = preprocessImage(loadImage(`${IMAGES}/astronaut.png`), l.src.preprocess!);
    const [enc, aspp] = await ours(l, x);
    expect(enc.length).toBe(13 * 17 * 960);
    expect(aspp.length).toBe(13 * 17 * 128);
    const peer = await loadTfjsGraph(JSON.parse(l.files.json), l.files.allWeights);
    const P = 'StatefulPartitionedCall/matting_network_wrapper/StatefulPartitionedCall/';
    const zeros = tf.zeros([1, 1, 1, 1]);
    const [tEnc, tAspp] = (await peer.executeAsync(
      { src: tf.tensor4d(x, [1, 208, 272, 3]), downsample_ratio: tf.scalar(1), r1i: zeros, r2i: zeros, r3i: zeros, r4i: zeros },
      [`${P}mobile_net_v3_encoder/conv_bn_activation_45/hardswish_19/mul`, `${P}lraspp/mul`],
    )) as tf.Tensor[];
    const ce = compare(enc, tEnc.dataSync(), 0, 0);
    const ca = compare(aspp, tAspp.dataSync(), 0, 0);
    console.log(`rvm: import ${l.importMs.toFixed(0)} ms, relL2 encoder ${ce.relL2.toExponential(2)} lraspp ${ca.relL2.toExponential(2)}`);
    expect(ce.relL2).toBeLessThan(1e-4);
    expect(ca.relL2).toBeLessThan(1e-4);
  });

  it('COCO labels: 80 classes, person first', () => {
    expect(COCO_LABELS).toHaveLength(80);
    expect([COCO_LABELS[0], COCO_LABELS[32], COCO_LABELS[79]]).toEqual(['person', 'sports ball', 'toothbrush']);
  });
});
