/**
 * ONNX importer failure modes: every bad input is a ModelFormatError naming the file, the
 * node (name and op type) or tensor, and the reason; seeded corruptions of the two real files
 * either import or fail that way, never with any other exception.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/import/onnx.js';
import { ModelFormatError } from '../../src/import/errors.js';
import { attr, buildModel, node, tensor, values, type ModelSpec } from '../helpers/onnx_builder.js';
import { assetPath } from '../helpers/assets.js';

const DET = assetPath('ch_mobile_v1.1_det.onnx');
const CLS = assetPath('ch_ppocr_mobile_v2.0_cls_infer.onnx');

function formatError(fn: () => unknown, file: string, re: RegExp, tensor?: string): ModelFormatError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ModelFormatError);
  const e = err as ModelFormatError;
  expect(e.file).toBe(file);
  expect(e.message.startsWith(`${file}: `)).toBe(true);
  expect(e.message).toMatch(re);
  if (tensor !== undefined) expect(e.tensor).toBe(tensor);
  return e;
}

/** x [1,4,8,8] -> Conv(w) -> y, with overrides */
function tiny(over: Partial<ModelSpec> = {}): Uint8Array {
  return buildModel({
    opset: 13,
    inputs: [{ name: 'x', dims: [1, 4, 8, 8] }],
    outputs: [{ name: 'y' }],
    nodes: [node('Conv', ['x', 'w'], ['y'], {}, 'conv_1')],
    initializers: [tensor('w', [2, 4, 3, 3], values(72, 1))],
    ...over,
  });
}

describe('ONNX import errors', () => {
  it('truncated, corrupted and empty files', () => {
    const cls = new Uint8Array(readFileSync(CLS));
    formatError(() => importOnnx(cls.subarray(0, cls.length - 7), 'cls.onnx', {}), 'cls.onnx', /not a valid ONNX protobuf/);
    formatError(() => importOnnx(Uint8Array.from(values(4096, 5), (v) => (v + 1) * 127), 'junk.onnx'), 'junk.onnx', /not a valid ONNX protobuf|no graph|opset/);
    formatError(() => importOnnx(new Uint8Array(0), 'empty.onnx'), 'empty.onnx', /empty/);
    expect(() => importOnnx(tiny(), 'ok.onnx')).not.toThrow();
  });

  it('a tensor whose data is shorter than its dims say names the tensor', () => {
    const short = tensor('w', [2, 4, 3, 3], values(72, 1), 1, true);
    short.rawData = short.rawData!.subarray(0, 100);
    formatError(() => importOnnx(tiny({ initializers: [short] }), 'short.onnx'), 'short.onnx', /raw_data has 100 bytes but dims \[2, 4, 3, 3\] of FLOAT need 288/, 'w');
    const typed = tensor('w', [2, 4, 3, 3], values(70, 1));
    formatError(() => importOnnx(tiny({ initializers: [typed] }), 'typed.onnx'), 'typed.onnx', /float_data has 70 values but dims \[2, 4, 3, 3\] need 72/, 'w');
  });

  it('unsupported ops and data types are named', () => {
    const leaky = tiny({ nodes: [node('Conv', ['x', 'w'], ['c'], {}, 'conv_1'), node('LeakyRelu', ['c'], ['y'], {}, 'act_7')] });
    formatError(() => importOnnx(leaky, 'leaky.onnx'), 'leaky.onnx', /node 'act_7' \(LeakyRelu\): unsupported op type 'LeakyRelu'/);
    const complex = { name: 'w', dims: [2, 4, 3, 3], dataType: 14, floatData: Array.from(values(144, 1)) };
    formatError(() => importOnnx(tiny({ initializers: [complex] }), 'complex.onnx'), 'complex.onnx', /unsupported data type COMPLEX64/, 'w');
    formatError(() => importOnnx(tiny({ inputs: [{ name: 'x', dims: [1, 4, 8, 8], elemType: 2 }] }), 'u8.onnx'), 'u8.onnx', /data type UINT8; only FLOAT/, 'x');
    const grouped = tiny({ nodes: [node('Conv', ['x', 'w'], ['y'], { group: attr.i(2) }, 'conv_g')], initializers: [tensor('w', [4, 2, 3, 3], values(72, 1))] });
    formatError(() => importOnnx(grouped, 'g.onnx'), 'g.onnx', /node 'conv_g' \(Conv\): group=2 .* neither dense nor depthwise/);
    const custom = tiny({ nodes: [{ ...node('Conv', ['x', 'w'], ['y'], {}, 'conv_c'), domain: 'com.example' }] });
    formatError(() => importOnnx(custom, 'c.onnx'), 'c.onnx', /custom-domain op 'com.example.Conv'/);
    const ext = { ...tensor('w', [2, 4, 3, 3], []), floatData: [], dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }] };
    formatError(() => importOnnx(tiny({ initializers: [ext] }), 'ext.onnx'), 'ext.onnx', /external file/, 'w');
  });

  it('unresolvable shapes: dynamic H/W without options, batch > 1, conflicting sizes', () => {
    const dyn = tiny({ inputs: [{ name: 'x', dims: ['N', 4, 'H', 'W'] }] });
    formatError(() => importOnnx(dyn, 'dyn.onnx'), 'dyn.onnx', /dynamic height; pass inputHeight/, 'x');
    expect(importOnnx(dyn, 'dyn.onnx', { inputHeight: 8, inputWidth: 6 }).graph().inputs[0].shape).toEqual({ h: 8, w: 6, c: 4 });
    formatError(() => importOnnx(tiny({ inputs: [{ name: 'x', dims: [2, 4, 8, 8] }] }), 'b2.onnx'), 'b2.onnx', /batch size 2/, 'x');
    formatError(() => importOnnx(tiny(), 'fixed.onnx', { inputHeight: 16 }), 'fixed.onnx', /fixed height 8; inputHeight 16 conflicts/, 'x');
    // a per-pixel Flatten of a spatial map would need an NCHW<->NHWC transpose
    const flat = tiny({ nodes: [node('Conv', ['x', 'w'], ['c'], {}, 'conv_1'), node('Flatten', ['c'], ['y'], {}, 'flat_1')] });
    formatError(() => importOnnx(flat, 'flat.onnx'), 'flat.onnx', /node 'flat_1' \(Flatten\): .* NCHW<->NHWC transpose/);
    const missing = tiny({ nodes: [node('Conv', ['x', 'nope'], ['y'], {}, 'conv_m')] });
    formatError(() => importOnnx(missing, 'm.onnx'), 'm.onnx', /node 'conv_m' \(Conv\): input 'nope' is not produced/, 'nope');
  });
});

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('ONNX import fuzz', () => {
  // the detector costs ~10x the classifier per case (protobufjs decodes its 580k float_data values one by one)
  for (const [label, path, cases, opts] of [['classifier', CLS, 1250, {}], ['detector', DET, 250, { inputHeight: 64, inputWidth: 64 }]] as const) {
    it(`${cases} seeded truncations and byte flips of the ${label} import or throw ModelFormatError`, () => {
      const orig = new Uint8Array(readFileSync(path));
      const rnd = mulberry32(cases);
      let ok = 0;
      let failed = 0;
      for (let k = 0; k < cases; k++) {
        const b = orig.slice();
        let bytes = b;
        const kind = k % 4;
        if (kind === 0) bytes = b.subarray(0, Math.floor(rnd() * b.length));
        else {
          const flips = 1 + Math.floor(rnd() * (kind === 3 ? 24 : 3));
          for (let i = 0; i < flips; i++) {
            const p = Math.floor(rnd() * b.length);
            b[p] = kind === 1 ? b[p] ^ (1 << Math.floor(rnd() * 8)) : Math.floor(rnd() * 256);
          }
        }
        try {
          importOnnx(bytes, `fuzz-${k}.onnx`, opts);
          ok++;
        } catch (e) {
          if (!(e instanceof ModelFormatError)) throw new Error(`case ${k}: ${(e as Error)?.stack ?? String(e)}`);
          expect(e.file).toBe(`fuzz-${k}.onnx`);
          failed++;
        }
      }
      console.log(`fuzz ${label}: ${ok} imported, ${failed} ModelFormatError`);
      expect(ok).toBeGreaterThan(0);
      expect(failed).toBeGreaterThan(0);
    });
  }
});
