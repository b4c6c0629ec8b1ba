/**
 * Hostile values through the public API: non-finite inputs and weights, zero-sized windows,
 * unsupported dtypes, odd image objects. Each is an error of the documented type that names
 * what is wrong, and the runtime stays usable afterwards. Plus the CLI `inspect --json`
 * fields the README promises.
 */
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, mobilenetV3, planSource, type Runtime } from '../../src/runtime.js';
import { ModelFormatError } from '../../src/import/errors.js';
import { GraphError, type Graph } from '../../src/graph/ir.js';
import { validate } from '../../src/graph/shapes.js';
import { expectedStateDict } from '../../src/import/torchvision_weights.js';
import { buildGraph } from '../../src/graph/mobilenetv3_graph.js';
import { resolveVariant } from '../../src/graph/variants.js';
import { writeSafetensors } from '../../src/import/safetensors.js';
import { importOnnx } from '../../src/import/onnx.js';
import { preprocessImage, PREPROCESS_PRESETS } from '../../src/model/preprocess.js';
import { Rng } from '../../src/graph/rng.js';
import { buildModel, node, tensor, values } from '../helpers/onnx_builder.js';
import { seededInput } from '../helpers/compare.js';
import { rejected, thrown } from '../helpers/errors.js';

const SMALL = { size: 'small', resolution: 96 } as const;
const N = 96 * 96 * 3;

/** a tiny conv graph: 4x4x3 -> conv kxk -> 4x4x2 */
function convGraph(over: Record<string, unknown> = {}): Graph {
  const rng = new Rng(3);
  return {
    name: 'tiny',
    inputs: [{ name: 'x', shape: { h: 4, w: 4, c: 3 } }],
    outputs: ['y'],
    nodes: [
      {
        op: 'conv2d', name: 'conv', input: 'x', output: 'y', outC: 2, kh: 3, kw: 3, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1,
        pad: [1, 1, 1, 1], groups: 1, weight: rng.fill(2 * 3 * 9, -1, 1), bias: rng.fill(2, -1, 1), epilogue: { act: 'none' }, ...over,
      } as Graph['nodes'][number],
    ],
  };
}

describe.each(['cpu', 'wasm'] as const)('non-finite input on %s', (backend) => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await createRuntime({ backend });
  });

  it('is a RangeError naming the first bad index, pixel and channel; the model keeps working', async () => {
    const m = await rt.load(mobilenetV3(SMALL));
    const good = seededInput(5, 96, 96);
    const ref = await m.run(good);
    for (const [bad, idx] of [[NaN, 1000], [Infinity, 7], [-Infinity, N - 1]] as const) {
      const x = good.slice();
      x[idx] = bad;
      if (idx + 1 < x.length) x[idx + 1] = NaN; // a later bad value must not be the one named
      const e = await rejected(m.run(x));
      expect(e).toBeInstanceOf(RangeError);
      const px = Math.floor(idx / 3);
      expect(e.message).toContain(`input value ${bad} at index ${idx} (row ${Math.floor(px / 96)}, column ${px % 96}, channel ${idx % 3})`);
      expect(e.message).toMatch(/checkInput: false/);
    }
    const again = await m.run(good);
    expect(Array.from(again)).toEqual(Array.from(ref));
    expect(ref.every(Number.isFinite)).toBe(true);
    m.dispose();
  });

  it('checkInput: false skips the scan (the output is then unspecified)', async () => {
    const m = await rt.load(mobilenetV3(SMALL), { checkInput: false });
    const x = seededInput(5, 96, 96);
    x[10] = NaN;
    const out = await m.run(x);
    expect(out.length).toBe(1000);
    m.dispose();
  });
});

describe('non-finite weights', () => {
  it('safetensors holding NaN / Inf: ModelFormatError naming the file and the tensor', async () => {
    const g = buildGraph(resolveVariant(SMALL));
    const rng = new Rng(9);
    const entries = [...expectedStateDict(g)].map(([name, slot]) => ({ name, shape: [...slot.shape], data: rng.fill(slot.shape.reduce((a, b) => a * b, 1), 0.5, 1) }));
    const victim = entries.find((t) => t.name.endsWith('block.1.fc1.weight'))!;
    expect(victim, 'an SE fc1 weight').toBeDefined();
    victim.data[3] = NaN;
    const file = writeSafetensors(entries);
    const e = thrown(() => mobilenetV3({ ...SMALL, weights: file, weightsName: 'nan.safetensors' }).graph());
    expect(e).toBeInstanceOf(ModelFormatError);
    expect((e as ModelFormatError).tensor).toBe(victim.name);
    expect(e.message).toMatch(/^nan\.safetensors: tensor '.*fc1\.weight': value NaN at index 3 .* not finite/);

    victim.data[3] = 0.5;
    const bn = entries.find((t) => t.name.endsWith('running_var'))!;
    bn.data[0] = Infinity;
    const e2 = thrown(() => mobilenetV3({ ...SMALL, weights: writeSafetensors(entries), weightsName: 'inf.safetensors' }).graph());
    expect((e2 as ModelFormatError).tensor).toBe(bn.name);
    bn.data[0] = 1;
    // the repaired file loads and runs
    const rt = await createRuntime({ backend: 'cpu' });
    const m = await rt.load(mobilenetV3({ ...SMALL, weights: writeSafetensors(entries) }));
    expect((await m.run(seededInput(1, 96, 96))).every(Number.isFinite)).toBe(true);
  });

  it('any source: planSource names the node and field of a non-finite weight (constants may hold -Inf)', () => {
    const g = convGraph();
    (g.nodes[0] as { bias: Float32Array }).bias[1] = -Infinity;
    const e = thrown(() => planSource({ name: 'tiny.tflite', graph: () => g }));
    expect(e).toBeInstanceOf(ModelFormatError);
    expect(e.message).toBe("tiny.tflite: tensor 'conv': bias value -Infinity at index 1 is not finite; weights must be finite numbers");
    const ok = convGraph();
    expect(() => planSource({ name: 'tiny', graph: () => ok })).not.toThrow();
  });
});

describe('window fields and dtypes', () => {
  it('IR: kernel, stride, dilation, groups, outC and pad must be positive / non-negative integers', () => {
    for (const [field, v] of [['kh', 0], ['kw', -1], ['strideH', 0], ['dilationW', 1.5], ['outC', 0], ['groups', 0]] as const) {
      const e = thrown(() => validate(convGraph({ [field]: v })));
      expect(e, field).toBeInstanceOf(GraphError);
      expect(e.message).toBe(`node 'conv': conv2d field '${field}' is ${v}; it must be a positive integer`);
    }
    expect(thrown(() => validate(convGraph({ pad: [1, -1, 1, 1] }))).message).toMatch(/field 'pad' \[1,-1,1,1\] must be four non-negative integers/);
  });

  it('ONNX: a Conv weight with a zero kernel dimension names the node and the weight', () => {
    const bytes = buildModel({
      opset: 13,
      inputs: [{ name: 'x', dims: [1, 4, 8, 8] }],
      outputs: [{ name: 'y' }],
      nodes: [node('Conv', ['x', 'w'], ['y'], {}, 'conv_0')],
      initializers: [tensor('w', [2, 4, 0, 3], values(0, 1))],
    });
    const e = thrown(() => importOnnx(bytes, 'k0.onnx').graph());
    expect(e).toBeInstanceOf(ModelFormatError);
    expect(e.message).toMatch(/^k0\.onnx: .*conv_0.*kernel_shape 0x3 .* must be at least 1/);
  });

  it('images with negative, zero or fractional sizes are RangeErrors naming the field', () => {
    const p = { ...PREPROCESS_PRESETS.paper(), height: 8, width: 8 };
    const data = new Uint8ClampedArray(4 * 4 * 4);
    expect(thrown(() => preprocessImage({ width: -4, height: -4, data }, p)).message).toBe('image: width -4 must be a positive integer');
    expect(thrown(() => preprocessImage({ width: 4, height: 0, data }, p)).message).toBe('image: height 0 must be a positive integer');
    expect(thrown(() => preprocessImage({ width: 2.5, height: 4, data }, p))).toBeInstanceOf(RangeError);
    expect(preprocessImage({ width: 4, height: 4, data }, p).length).toBe(8 * 8 * 3);
  });
});

describe('CLI inspect --json', () => {
  const inspect = (...extra: string[]): { anchors?: number; params: number } =>
    JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'inspect', 'large', '--head', 'ssdlite', '--resolution', '320', ...extra, '--json'], { encoding: 'utf8' }));

  it('reports the SSDLite anchor count for both head forms (spec 8.4)', () => {
    // torchvision: 6 anchors on every map 20, 10, 5, 3, 2, 1 -> 3,234
    expect(inspect().anchors).toBe(6 * (400 + 100 + 25 + 9 + 4 + 1));
    // TF / paper: 3 on the first (C4) map
    expect(inspect('--form', 'paper').anchors).toBe(3 * 400 + 6 * (100 + 25 + 9 + 4 + 1));
  }, 120_000);
});
