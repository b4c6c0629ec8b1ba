/**
 * The TFLite importer on real files: the two ImageNet MobileNetV3-Small classifiers (TOCO uint8
 * with activations only as output ranges; MLIR int8 per-channel with float input) and the two
 * MediaPipe selfie segmenters (fp16 weights, custom transposed conv). Outcomes are checked
 * against independent references: known ImageNet labels of real photos, the person in
 * astronaut.png, and TF.js running its own conversion of the same selfie network. Then bad
 * files: hand-made corruptions, and a seeded fuzz of byte flips and truncations.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { importTflite, parseTflite, type TfliteImport } from '../../src/import/tflite.js';
import { FbReader, parseTfliteModel, Builtin } from '../../src/import/tflite_schema.js';
import { ModelFormatError } from '../../src/import/errors.js';
import { type Graph, type Epilogue } from '../../src/graph/ir.js';
import { validate } from '../../src/graph/shapes.js';
import { createRuntime, planSource, type Runtime } from '../../src/runtime.js';
import { optimize } from '../../src/graph/passes/index.js';
import { runReference } from '../../src/graph/reference.js';
import { preprocessImage } from '../../src/model/preprocess.js';
import { Rng } from '../../src/graph/rng.js';
import { IMAGES, loadImage } from '../helpers/images.js';
import { assetPath } from '../helpers/assets.js';
import { HUMAN_MODELS, readModelFiles, loadTfjsGraph, tf } from '../helpers/tfjs_peer.js';

const FILES = {
  uint8: assetPath('v3-small_224_1.0_uint8.tflite'),
  int8: assetPath('Mobilenet_v3_small_quant.tflite'),
  selfie: assetPath('selfie_segmentation.tflite'),
  landscape: assetPath('selfie_segmentation_landscape.tflite'),
} as const;
type Key = keyof typeof FILES;

const LABELS: string[] = JSON.parse(readFileSync(assetPath('imagenet_labels.json'), 'utf8'));
const CATS = [281, 282, 285]; // tabby, tiger cat, Egyptian cat
const ESPRESSO = 967;

const bytesOf = (k: Key): Uint8Array => new Uint8Array(readFileSync(FILES[k]));

function histogram(g: Graph): Record<string, number> {
  const h: Record<string, number> = {};
  for (const n of g.nodes) h[n.op] = (h[n.op] ?? 0) + 1;
  return h;
}

function expectFormatError(f: () => unknown, ...parts: (string | RegExp)[]): ModelFormatError {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a ModelFormatError').toBeInstanceOf(ModelFormatError);
  const e = err as ModelFormatError;
  for (const p of parts) expect(e.message).toMatch(p);
  return e;
}

describe('TFLite import: real models', () => {
  const imported = {} as Record<Key, TfliteImport>;
  let cpu: Runtime;

  beforeAll(async () => {
    for (const k of Object.keys(FILES) as Key[]) {
      const bytes = bytesOf(k);
      const t0 = performance.now();
      imported[k] = parseTflite(bytes, FILES[k]);
      console.log(`${k}: imported in ${(performance.now() - t0).toFixed(0)} ms (${(bytes.length / 1e6).toFixed(2)} MB, clamps '${imported[k].clamps}'), file ops ${JSON.stringify(imported[k].ops)}, IR ${JSON.stringify(histogram(imported[k].graph))}`);
    }
    cpu = await createRuntime({ backend: 'cpu' });
  });

  it('builds graphs with the MobileNetV3-Small structure (paper Table 2)', () => {
    for (const k of ['uint8', 'int8'] as const) {
      const g = imported[k].graph;
      validate(g);
      const convs = g.nodes.filter((n) => n.op === 'conv2d');
      // 11 bneck depthwise convs (kernel 3 or 5), 9 squeeze-excite blocks + the final pool
      expect(convs.filter((n) => n.op === 'conv2d' && n.groups > 1 && n.kh > 1).map((n) => n.op === 'conv2d' && n.kh)).toEqual([3, 3, 3, 5, 5, 5, 5, 5, 5, 5, 5]);
      expect(g.nodes.filter((n) => n.op === 'global_avg_pool')).toHaveLength(10);
      // every HARD_SWISH op became a conv epilogue; every SE gate (TOCO: conv, +3, range [0, 6],
      // *1/6; MLIR: conv + ReLU6, *1/6) one conv whose output lies in [0, 1]: a hard-sigmoid, or a
      // clamp within [0, 1] where the file's ranges cut the gate further
      const acts = convs.map((n) => n.op === 'conv2d' && n.epilogue.act);
      expect(acts.filter((a) => a === 'hswish')).toHaveLength(imported[k].ops.HARD_SWISH);
      const inUnit = (e: Epilogue): boolean => e.act === 'hsigmoid' || (!!e.clamp && (e.act === 'relu' || e.clamp[0] >= 0) && e.clamp[1] <= 1);
      const gates = convs.filter((n) => n.op === 'conv2d' && inUnit(n.epilogue));
      expect(gates).toHaveLength(9);
      expect(g.nodes.filter((n) => n.op === 'act')).toHaveLength(0);
    }
    // the uint8 file's ReLUs exist only as ranges [0, x]: they must be there, as relu epilogues
    const dw = imported.uint8.graph.nodes.filter((n) => n.op === 'conv2d' && n.groups > 1 && n.kh === 3);
    expect(dw.map((n) => n.op === 'conv2d' && n.epilogue.act)).toEqual(['relu', 'relu', 'relu']);
    expect(imported.uint8.task).toEqual({ kind: 'classification', labelOffset: 1, softmax: true });
    expect(imported.int8.task).toEqual({ kind: 'classification', labelOffset: 1, softmax: false });
    // uint8 input (p - 128) / 127; float input in [0, 1]; paper crop
    const p8 = imported.uint8.preprocess!;
    expect(p8.mean[0]).toBeCloseTo(128 / 255, 6);
    expect(p8.std[0]).toBeCloseTo(127 / 255, 6);
    expect(p8.crop).toBe(0.875);
    expect(imported.int8.preprocess).toMatchObject({ height: 224, width: 224, mean: [0, 0, 0], std: [1, 1, 1], crop: 0.875 });
    for (const [k, h, w] of [['selfie', 256, 256], ['landscape', 144, 256]] as const) {
      const g = imported[k].graph;
      expect(g.inputs[0].shape).toEqual({ h, w, c: 3 });
      expect(imported[k].task).toEqual({ kind: 'segmentation', format: 'sigmoid-mask' });
      expect(imported[k].preprocess).toMatchObject({ height: h, width: w, mean: [0, 0, 0], std: [1, 1, 1], crop: 1 });
      const ct = g.nodes.filter((n) => n.op === 'conv_transpose');
      expect(ct).toHaveLength(1);
      expect(ct[0]).toMatchObject({ kh: 2, kw: 2, strideH: 2, strideW: 2, outC: 1, pad: [0, 0, 0, 0], epilogue: { act: 'sigmoid' } });
      expect(g.nodes.filter((n) => n.op === 'resize').map((n) => n.op === 'resize' && n.coord)).toEqual(['half_pixel', 'half_pixel', 'half_pixel']);
    }
  });

  for (const k of ['uint8', 'int8'] as const) {
    it(`${k} classifier: cat and espresso photos (CPU runtime, the model's preprocessing)`, async () => {
      const model = await cpu.load(importTflite(bytesOf(k), FILES[k]));
      for (const [img, expected] of [['chelsea.png', CATS], ['coffee.png', [ESPRESSO]]] as const) {
        const y = await model.run(loadImage(`${IMAGES}/${img}`));
        expect(y).toHaveLength(1001);
        expect(y.every(Number.isFinite)).toBe(true);
        const top = [...y.keys()].sort((a, b) => y[b] - y[a]).slice(0, 5).map((i) => i - 1);
        console.log(`${k} ${img}: ${top.map((c) => `${c} ${LABELS[c]} (${y[c + 1].toFixed(3)})`).join(', ')}`);
        expect(expected).toContain(top[0]);
      }
    });
  }

  it("SE blocks fuse like native ones under every clamp policy: TFLite's ranges ride in squeeze_excite and the seScale prologue", async () => {
    // native MobileNetV3-Small plans to 46 dispatches; + the file's softmax (uint8) or input affine (int8)
    for (const [k, clamps] of [['uint8', 'all'], ['uint8', 'activations'], ['int8', 'auto']] as const) {
      const plan = planSource(importTflite(bytesOf(k), FILES[k], { clamps }));
      const kernels = plan.steps.map((s) => s.kernel);
      expect(plan.stats.dispatches, `${k} ${clamps}`).toBeLessThanOrEqual(47);
      expect(kernels.filter((x) => x === 'squeeze_excite'), `${k} ${clamps}`).toHaveLength(9);
      expect(kernels.filter((x) => x === 'binary' || x === 'elementwise'), `${k} ${clamps}`).toHaveLength(0);
    }
    // 'all' (the uint8 default): the ranges inside SE are carried, not dropped
    expect(imported.uint8.clamps).toBe('all');
    const g = imported.uint8.graph;
    const o = optimize(g);
    const ses = o.nodes.filter((n) => n.op === 'squeeze_excite');
    expect(ses).toHaveLength(9);
    expect(ses.every((n) => n.op === 'squeeze_excite' && n.fc1.clamp !== undefined)).toBe(true);
    const gated = o.nodes.filter((n) => n.op === 'conv2d' && n.prologue);
    expect(gated).toHaveLength(9);
    expect(gated.every((n) => n.op === 'conv2d' && n.prologue?.clamp !== undefined)).toBe(true);
    // the fusion is exact (float64 reference), and the fused plan's f32 kernels stay within rounding of it
    const x = preprocessImage(loadImage(`${IMAGES}/chelsea.png`), imported.uint8.preprocess!);
    const inName = g.inputs[0].name;
    const ref = runReference(g, { [inName]: x }).get(g.outputs[0])!.data;
    const fused = runReference(o, { [inName]: x }).get(o.outputs[0])!.data;
    const y = await (await cpu.load(importTflite(bytesOf('uint8'), FILES.uint8))).run(x);
    const relL2 = (a: ArrayLike<number>): number => {
      let d = 0;
      let n = 0;
      for (let i = 0; i < ref.length; i++) {
        d += (a[i] - ref[i]) ** 2;
        n += ref[i] ** 2;
      }
      return Math.sqrt(d / n);
    };
    expect(relL2(fused)).toBeLessThan(1e-12);
    expect(relL2(y)).toBeLessThan(1e-5);
  });

  it("the int8 file's output range saturates the logits under clamps: 'all' (TFLite semantics)", async () => {
    const src = importTflite(bytesOf('int8'), FILES.int8, { clamps: 'all' });
    const y = await (await cpu.load(src)).run(loadImage(`${IMAGES}/chelsea.png`));
    // the int8 logits tensor holds at most 0.05800 * (127 - 0) ~ 7.396: the cat classes tie there
    const max = Math.max(...y);
    expect(max).toBeLessThan(7.4);
    const atMax = [...y.keys()].filter((i) => y[i] === max).map((i) => i - 1);
    expect(atMax).toEqual(expect.arrayContaining(CATS));
  });

  for (const k of ['selfie', 'landscape'] as const) {
    it(`${k} segmenter: person mask on astronaut.png`, async () => {
      const src = importTflite(bytesOf(k), FILES[k]);
      const model = await cpu.load(src);
      const m = await model.run(loadImage(`${IMAGES}/astronaut.png`));
      const { h, w } = src.graph().inputs[0].shape;
      expect(m).toHaveLength(h * w);
      const mean = (x0: number, x1: number, y0: number, y1: number): number => {
        let s = 0;
        let n = 0;
        for (let y = Math.floor(y0 * h); y < Math.ceil(y1 * h); y++) for (let x = Math.floor(x0 * w); x < Math.ceil(x1 * w); x++, n++) s += m[y * w + x];
        return s / n;
      };
      // astronaut.png: the woman's face ~x 0.36-0.56, y 0.08-0.30; orange suit ~x 0.12-0.5, y 0.62-0.95;
      // the flag fills the left edge, the shuttle model stands right of her head
      const stats = {
        person: mean(0.2, 0.8, 0.1, 1), face: mean(0.36, 0.56, 0.08, 0.3), suit: mean(0.12, 0.5, 0.62, 0.95),
        topLeft: mean(0, 0.15, 0, 0.15), topRight: mean(0.85, 1, 0, 0.15), besideHead: mean(0.62, 0.7, 0.02, 0.25),
      };
      console.log(`${k} ${h}x${w} mask means: ${Object.entries(stats).map(([n, v]) => `${n} ${v.toFixed(3)}`).join(', ')}`);
      expect(stats.person).toBeGreaterThan(0.5);
      expect(stats.face).toBeGreaterThan(0.9);
      expect(stats.suit).toBeGreaterThan(0.9);
      expect(stats.topLeft).toBeLessThan(0.1);
      expect(stats.topRight).toBeLessThan(0.1);
      expect(stats.besideHead).toBeLessThan(0.2);
    });
  }

  it('selfie mask matches TF.js running its own conversion of the same network', async () => {
    const src = importTflite(bytesOf('selfie'), FILES.selfie);
    const x = preprocessImage(loadImage(`${IMAGES}/astronaut.png`), src.preprocess!);
    const ours = await (await cpu.load(src)).run(x);
    const f = readModelFiles(HUMAN_MODELS, 'selfie');
    const gm = await loadTfjsGraph(JSON.parse(f.json), f.allWeights);
    const t = tf.tensor(x, [1, 256, 256, 3]);
    const out = gm.predict(t) as tf.Tensor;
    const peer = await out.data();
    tf.dispose([t, out]);
    gm.dispose();
    let maxAbs = 0;
    let sum = 0;
    let far = 0;
    for (let i = 0; i < peer.length; i++) {
      const d = Math.abs(peer[i] - ours[i]);
      maxAbs = Math.max(maxAbs, d);
      sum += d;
      if (d > 0.01) far++;
    }
    console.log(`selfie vs TF.js: max |d| ${maxAbs.toExponential(2)}, mean |d| ${(sum / peer.length).toExponential(2)}, ${far} pixels > 0.01`);
    // same fp16 weights; the TF.js graph spells hard-swish with an fp16-rounded 1/6 (rel. 2.4e-4),
    // which is all that separates the two: a layout or padding error would be far larger
    expect(sum / peer.length).toBeLessThan(2e-4);
    expect(maxAbs).toBeLessThan(0.05);
    expect(far / peer.length).toBeLessThan(1e-3);
  });
});

// ---- bad files ----

/** absolute offsets of fields in the flatbuffer, for surgical corruptions */
function fieldsOf(bytes: Uint8Array): {
  opcodes: { deprecated: number; code: number; custom: number }[];
  tensors: { type: number; shape: number }[];
  inputs: number[];
} {
  const r = new FbReader(bytes, 't');
  const model = r.tableAt(0, 'Model');
  const opcodes = model.tables(1, 'operator_codes').map((t) => ({ deprecated: t.field(0, 1), code: t.field(3, 4), custom: t.vector(1, 1, 'c')?.start ?? 0 }));
  const sg = model.tables(2, 'subgraphs')[0];
  const tensors = sg.tables(0, 'tensors').map((t) => ({ type: t.field(1, 1), shape: t.vector(0, 4, 's')!.start }));
  return { opcodes, tensors, inputs: sg.i32s(1, 'inputs')! };
}

describe('TFLite import: bad files', () => {
  const selfie = bytesOf('selfie');
  const u8 = bytesOf('uint8');

  it('rejects a wrong file identifier, empty and truncated files', () => {
    const x = selfie.slice();
    x.set([0x58, 0x58, 0x58, 0x58], 4);
    expectFormatError(() => parseTflite(x, 'bad.tflite'), /^bad\.tflite: /, /TFL3/);
    expectFormatError(() => parseTflite(new Uint8Array(0), 'empty.tflite'), /empty\.tflite/, /too short/);
    expectFormatError(() => parseTflite(selfie.slice(0, 5000), 'cut.tflite'), /cut\.tflite/, /outside the file|truncated/);
  });

  it('rejects offsets that point past the end of the buffer', () => {
    const x = selfie.slice();
    new DataView(x.buffer).setUint32(0, 0x7ffffff0, true);
    expectFormatError(() => parseTflite(x, 'root.tflite'), /root\.tflite/, /outside the file/);
    // a vector length that runs past the end: the first tensor's shape vector
    const y = selfie.slice();
    const f = fieldsOf(y);
    new DataView(y.buffer).setUint32(f.tensors[0].shape - 4, 0x10000000, true);
    expectFormatError(() => parseTflite(y, 'vec.tflite'), /vec\.tflite/, /shape/, /outside the file/);
  });

  it('names an unsupported operator, its index and output tensor', () => {
    const x = u8.slice();
    const m = parseTfliteModel(x, 'u8');
    const hs = m.opcodes.findIndex((o) => o.builtin === Builtin.HARD_SWISH);
    const f = fieldsOf(x).opcodes[hs];
    // HARD_SWISH (117) -> TRANSPOSE (39); the first HARD_SWISH is operator #1
    if (f.deprecated) x[f.deprecated] = 39;
    if (f.code) new DataView(x.buffer).setInt32(f.code, 39, true);
    expectFormatError(() => parseTflite(x, 'op.tflite'), /op\.tflite/, /operator #1 TRANSPOSE/, /not supported/, /MobilenetV3\/Conv\/hard_swish\/mul_1/);
    // an unknown custom op in the selfie model
    const y = selfie.slice();
    const c = fieldsOf(y).opcodes.find((o) => o.custom)!;
    y[c.custom] = 'X'.charCodeAt(0);
    expectFormatError(() => parseTflite(y, 'custom.tflite'), /custom operator 'Xonvolution2DTransposeBias' is not supported/, /tensor 'segment'/);
  });

  it('rejects unsupported tensor types and batch sizes, naming the tensor', () => {
    const x = u8.slice();
    const f = fieldsOf(x);
    const m = parseTfliteModel(x, 'u8');
    const w = m.subgraphs[0].operators[0].inputs[1]; // the stem conv's weights
    x[f.tensors[w].type] = 8; // COMPLEX64
    expectFormatError(() => parseTflite(x, 'type.tflite'), /type\.tflite/, /MobilenetV3\/Conv\/weights_quant/, /COMPLEX64/);
    const y = u8.slice();
    const fy = fieldsOf(y);
    new DataView(y.buffer).setInt32(fy.tensors[fy.inputs[0]].shape, 2, true);
    expectFormatError(() => parseTflite(y, 'batch.tflite'), /batch\.tflite/, /tensor 'input'/, /batch 2/);
  });

  it('fuzz: byte flips and truncations import or throw ModelFormatError, nothing else', () => {
    const budget: [Key, number][] = [['selfie', 900], ['landscape', 600], ['uint8', 250], ['int8', 250]];
    const t0 = performance.now();
    let total = 0;
    for (const [k, n] of budget) {
      const bytes = bytesOf(k);
      const m = parseTfliteModel(bytes, k);
      // flips land mostly outside the weight payloads, where the structure is
      const payload = new Uint8Array(bytes.length);
      for (let i = 0; i < m.bufferCount; i++) {
        const d = m.buffer(i, '');
        if (d) payload.fill(1, d.byteOffset - bytes.byteOffset, d.byteOffset - bytes.byteOffset + d.length);
      }
      const structure: number[] = [];
      for (let i = 0; i < bytes.length; i++) if (!payload[i]) structure.push(i);
      const rng = new Rng(7 + total);
      const ri = (x: number): number => Math.floor(rng.next() * x);
      const counts = { imported: 0, rejected: 0 };
      for (let c = 0; c < n; c++) {
        let x: Uint8Array;
        if (c % 4 === 0) x = bytes.slice(0, ri(bytes.length));
        else {
          x = bytes.slice();
          for (let j = 1 + ri(4); j > 0; j--) {
            const p = rng.next() < 0.9 ? structure[ri(structure.length)] : ri(x.length);
            x[p] = c % 4 === 3 ? x[p] ^ (1 << ri(8)) : ri(256);
          }
        }
        try {
          const r = parseTflite(x, `fuzz_${k}_${c}.tflite`);
          validate(r.graph);
          counts.imported++;
        } catch (e) {
          if (!(e instanceof ModelFormatError)) throw new Error(`${k} case ${c}: ${(e as Error).stack}`);
          // the importer's last-resort wrapper must never be what caught it
          expect(e.reason, `${k} case ${c}`).not.toMatch(/^unexpected /);
          expect(e.message.startsWith(`fuzz_${k}_${c}.tflite: `)).toBe(true);
          counts.rejected++;
        }
      }
      total += n;
      console.log(`fuzz ${k}: ${n} cases, ${counts.imported} imported, ${counts.rejected} rejected`);
    }
    console.log(`fuzz: ${total} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  });
});
