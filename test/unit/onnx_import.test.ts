/**
 * The ONNX importer on the two real PaddleOCR files (MobileNetV3 backbones), against
 * onnxruntime-node fed the same preprocessed tensor (NCHW): the float64 reference over the
 * imported graph and the CPU runtime (passes + kernels), plus the right answers on text lines
 * rendered here: the detector lights up the text box, the classifier tells upright text from
 * text turned by 180 degrees.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import onnxProto from 'onnx-proto';
import { importOnnx } from '../../src/import/onnx.js';
import { runReference } from '../../src/graph/reference.js';
import { optimize } from '../../src/graph/passes/index.js';
import { preprocessImage, type ImageLike } from '../../src/model/preprocess.js';
import { createRuntime, planSource } from '../../src/runtime.js';
import type { Graph } from '../../src/graph/ir.js';
import { IMAGES, loadImage } from '../helpers/images.js';
import { assetPath } from '../helpers/assets.js';
import { canvas, drawText, rotate180, type TextBox } from '../helpers/text.js';
import { runOrt, relL2, maxAbsDiff } from '../helpers/ort.js';

const DET = assetPath('ch_mobile_v1.1_det.onnx');
const CLS = assetPath('ch_ppocr_mobile_v2.0_cls_infer.onnx');

/** op_type counts of the file itself (decoded here, independently of the importer) */
function onnxOpCounts(path: string): Record<string, number> {
  const m = onnxProto.onnx.ModelProto.decode(readFileSync(path));
  const r: Record<string, number> = {};
  for (const n of m.graph!.node!) r[n.opType!] = (r[n.opType!] ?? 0) + 1;
  return r;
}

function irOpCounts(g: Graph): Record<string, number> {
  const r: Record<string, number> = {};
  for (const n of g.nodes) r[n.op] = (r[n.op] ?? 0) + 1;
  return r;
}

function timedImport(path: string, opts = {}) {
  const bytes = new Uint8Array(readFileSync(path));
  const t = performance.now();
  const src = importOnnx(bytes, path, opts);
  const ms = performance.now() - t;
  return { src, ms };
}

const reference = (g: Graph, x: Float32Array): Float64Array => runReference(g, { [g.inputs[0].name]: x }).get(g.outputs[0])!.data;

describe('ONNX import: PaddleOCR text direction classifier (MobileNetV3-Small x0.35, opset 9)', () => {
  it('imports with the PaddleOCR conventions and the native MobileNetV3 block structure', () => {
    const { src, ms } = timedImport(CLS);
    console.log(`cls import: ${ms.toFixed(1)} ms`);
    const g = src.graph();
    expect(g.inputs[0].shape).toEqual({ h: 48, w: 192, c: 3 });
    expect(src.preprocess).toEqual({ height: 48, width: 192, crop: 1, colorOrder: 'bgr', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    expect(src.task).toEqual({ kind: 'classification', labelOffset: 0, softmax: true });
    const file = onnxOpCounts(CLS);
    const ir = irOpCounts(g);
    // every decomposed hard-swish (Add, Clip, Mul, Div) became one act; Paddle's HardSigmoid
    // (slope 0.2) folded into its SE fc2 as an exact affine + hsigmoid
    expect(file.HardSigmoid).toBe(9);
    expect(ir.binary).toBeUndefined();
    expect(ir.batch_norm).toBe(file.BatchNormalization);
    expect(ir.channel_scale).toBe(file.HardSigmoid);
    const acts = g.nodes.filter((n) => n.op === 'act').map((n) => (n.op === 'act' ? n.act : ''));
    expect(acts.filter((a) => a === 'hswish').length).toBe(file.Clip);
    expect(acts.filter((a) => a === 'hsigmoid').length).toBe(file.HardSigmoid);
    // so the SE pass fuses all 9 blocks, as for a native variant
    expect(irOpCounts(optimize(g)).squeeze_excite).toBe(file.HardSigmoid);
    const fused = planSource(src).stats.dispatches;
    const unfused = planSource(src, { fuse: false }).stats.dispatches;
    console.log(`cls dispatches: fused ${fused}, unfused ${unfused}`);
    expect(fused).toBeLessThan(unfused);
  });

  it('matches onnxruntime (float64 reference and CPU runtime) and tells upright from upside-down text', async () => {
    const { src } = timedImport(CLS);
    const g = src.graph();
    const model = await (await createRuntime({ backend: 'cpu' })).load(src);
    const line = (text: string, scale: number, y: number): ImageLike => {
      const img = canvas(192, 48);
      drawText(img, text, 4, y, scale);
      return img;
    };
    const lines = [line('HELLO WORLD', 2, 10), line('PADDLE OCR 2024', 2, 10), line('TEXT LINE', 3, 4)];
    const worst = { ref: 0, cpu: 0 };
    for (const [i, img] of lines.entries()) {
      for (const [orientation, im] of [[0, img], [1, rotate180(img)]] as const) {
        const x = preprocessImage(im, src.preprocess!);
        const peer = [...(await runOrt(CLS, x, 48, 192, 3)).values()][0];
        const cpu = await model.run(x);
        worst.cpu = Math.max(worst.cpu, relL2(cpu, peer));
        if (i === 0) worst.ref = Math.max(worst.ref, relL2(reference(g, x), peer));
        // class 0 = 0 degrees, class 1 = 180 degrees
        expect(peer[orientation]).toBeGreaterThan(0.5);
        expect(cpu[orientation]).toBeGreaterThan(0.5);
      }
    }
    // a real photo (no text): only agreement is meaningful
    const photo = preprocessImage(loadImage(`${IMAGES}/chelsea.png`), src.preprocess!);
    const peer = [...(await runOrt(CLS, photo, 48, 192, 3)).values()][0];
    worst.ref = Math.max(worst.ref, relL2(reference(g, photo), peer));
    worst.cpu = Math.max(worst.cpu, relL2(await model.run(photo), peer));
    console.log(`cls vs onnxruntime: rel-L2 float64 reference ${worst.ref.toExponential(2)}, CPU runtime ${worst.cpu.toExponential(2)}`);
    expect(worst.ref).toBeLessThan(1e-4);
    expect(worst.cpu).toBeLessThan(1e-4);
  });
});

/** mean probability on the middle rows of the text and the max far from it */
function textScores(p: ArrayLike<number>, size: number, box: TextBox): { band: number; outside: number } {
  const cy = Math.floor((box.y0 + box.y1) / 2);
  let band = 0;
  let n = 0;
  let outside = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const v = p[y * size + x];
      if (y >= cy - 2 && y <= cy + 2 && x >= box.x0 + 6 && x < box.x1 - 6) {
        band += v;
        n++;
      } else if (x < box.x0 - 8 || x >= box.x1 + 8 || y < box.y0 - 8 || y >= box.y1 + 8) outside = Math.max(outside, v);
    }
  }
  return { band: band / n, outside };
}

describe('ONNX import: PaddleOCR text detector (MobileNetV3-Large x0.5 + FPN + DB head, opset 11)', () => {
  it('imports with the PaddleOCR conventions; dynamic H/W default to 640 or come from the options', () => {
    const { src, ms } = timedImport(DET);
    console.log(`det import: ${ms.toFixed(1)} ms`);
    expect(src.graph().inputs[0].shape).toEqual({ h: 640, w: 640, c: 3 });
    expect(src.preprocess).toEqual({ height: 640, width: 640, crop: 1, colorOrder: 'bgr', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    expect(src.task).toEqual({ kind: 'segmentation', format: 'db-probability' });
    const small = importOnnx(new Uint8Array(readFileSync(DET)), DET, { inputHeight: 224, inputWidth: 160 });
    const g = small.graph();
    expect(g.inputs[0].shape).toEqual({ h: 224, w: 160, c: 3 });
    const file = onnxOpCounts(DET);
    const ir = irOpCounts(g);
    expect(ir.binary).toBeUndefined();
    expect(g.nodes.filter((n) => n.op === 'act' && n.act === 'hswish').length).toBe(file.Clip);
    expect(ir.resize).toBe(file.Resize);
    expect(ir.conv_transpose).toBe(file.ConvTranspose);
    const fused = planSource(small).stats.dispatches;
    const unfused = planSource(small, { fuse: false }).stats.dispatches;
    console.log(`det dispatches (224x160): fused ${fused}, unfused ${unfused}`);
    expect(fused).toBeLessThan(unfused);
  });

  it('float64 reference matches onnxruntime at 160x160', async () => {
    const S = 160;
    const src = importOnnx(new Uint8Array(readFileSync(DET)), DET, { inputHeight: S, inputWidth: S });
    const img = canvas(S, S);
    drawText(img, 'OCR 2024', 16, 70, 2);
    const x = preprocessImage(img, src.preprocess!);
    const peer = [...(await runOrt(DET, x, S, S, 3)).values()][0];
    const g = src.graph();
    const d = maxAbsDiff(reference(g, x), peer);
    console.log(`det ${S}x${S} float64 reference vs onnxruntime: max |d| ${d.toExponential(2)}`);
    expect(d).toBeLessThan(1e-3);
  });

  it('CPU runtime matches onnxruntime at 224x224 and finds the rendered text line', async () => {
    const S = 224;
    const src = importOnnx(new Uint8Array(readFileSync(DET)), DET, { inputHeight: S, inputWidth: S });
    const img = canvas(S, S);
    const box = drawText(img, 'HELLO 2024', 16, 90, 3);
    const x = preprocessImage(img, src.preprocess!);
    const peer = [...(await runOrt(DET, x, S, S, 3)).values()][0];
    const model = await (await createRuntime({ backend: 'cpu' })).load(src);
    const y = await model.run(x);
    const d = maxAbsDiff(y, peer);
    const ours = textScores(y, S, box);
    const theirs = textScores(peer, S, box);
    console.log(`det ${S}x${S} CPU runtime vs onnxruntime: max |d| ${d.toExponential(2)}; text band ${ours.band.toFixed(3)} (ORT ${theirs.band.toFixed(3)}), max away from text ${ours.outside.toExponential(2)}`);
    expect(d).toBeLessThan(1e-3);
    expect(ours.band).toBeGreaterThan(0.5);
    expect(ours.outside).toBeLessThan(0.05);
  });
});
