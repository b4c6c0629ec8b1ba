/**
 * torchvision state_dict import (safetensors): a file written with torchvision's key names is
 * loaded through the public API and the model's output is compared with the float64
 * reference on a graph whose weights the test assigned itself, key by key. Malformed files
 * are ModelFormatErrors naming the file and the tensor, and do not poison the Runtime.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveVariant } from '../../src/graph/variants.js';
import { buildGraph } from '../../src/graph/mobilenetv3_graph.js';
import { expectedStateDict } from '../../src/import/torchvision_weights.js';
import { writeSafetensors } from '../../src/import/safetensors.js';
import { ModelFormatError } from '../../src/import/errors.js';
import { createRuntime, mobilenetV3, type MobileNetV3SourceOptions, type Runtime } from '../../src/runtime.js';
import { runReference } from '../../src/graph/reference.js';
import { Rng } from '../../src/graph/rng.js';
import type { Graph } from '../../src/graph/ir.js';
import { compare, seededInput } from '../helpers/compare.js';

type StateDict = Map<string, { shape: number[]; data: Float32Array }>;

/** Plausible random torchvision tensors for every key the graph expects. */
function randomStateDict(g: Graph, seed: number): StateDict {
  const rng = new Rng(seed);
  const sd: StateDict = new Map();
  for (const [key, slot] of expectedStateDict(g)) {
    const n = slot.shape.reduce((a, b) => a * b, 1);
    let data: Float32Array;
    if (key.endsWith('.running_var')) data = rng.fill(n, 0.5, 2);
    else if (key.endsWith('.running_mean')) data = rng.fill(n, -0.2, 0.2);
    else if (key.endsWith('.bias')) data = rng.fill(n, -0.1, 0.1);
    else if (slot.shape.length === 1) data = rng.fill(n, 0.6, 1.4); // BN gamma
    else {
      const fanIn = slot.shape.slice(1).reduce((a, b) => a * b, 1);
      const a = Math.sqrt(6 / fanIn);
      data = rng.fill(n, -a, a);
    }
    sd.set(key, { shape: [...slot.shape], data });
  }
  return sd;
}

const toFile = (sd: StateDict, extra: { name: string; shape: number[]; data: Float32Array }[] = []): Uint8Array =>
  writeSafetensors([...[...sd].map(([name, t]) => ({ name, shape: t.shape, data: t.data })), ...extra]);

/**
 * The independent path: assigns the tensors to a freshly built graph by torchvision naming
 * rules written out here (conv/linear: `<module>.weight` / `.bias`; BatchNorm2d: `.weight` =
 * gamma, `.bias` = beta, `.running_mean`, `.running_var`). Returns the keys it used.
 */
function assignByHand(g: Graph, sd: StateDict): Set<string> {
  const used = new Set<string>();
  const take = (key: string, want: number): Float32Array => {
    const t = sd.get(key);
    if (!t) throw new Error(`test: no tensor ${key}`);
    expect(t.data.length, key).toBe(want);
    used.add(key);
    return t.data;
  };
  for (const n of g.nodes) {
    if (n.op === 'conv2d') {
      n.weight.set(take(`${n.name}.weight`, n.weight.length));
      if (n.bias) n.bias.set(take(`${n.name}.bias`, n.bias.length));
    } else if (n.op === 'batch_norm') {
      n.gamma.set(take(`${n.name}.weight`, n.gamma.length));
      n.beta.set(take(`${n.name}.bias`, n.beta.length));
      n.mean.set(take(`${n.name}.running_mean`, n.mean.length));
      n.variance.set(take(`${n.name}.running_var`, n.variance.length));
    }
  }
  return used;
}

interface Case {
  label: string;
  opts: MobileNetV3SourceOptions & { resolution: number };
  keys: number;
  /** [key, shape] pairs as torchvision names and shapes them */
  known: [string, number[]][];
}

const cases: Case[] = [
  {
    label: 'Small 1.0',
    opts: { size: 'small', resolution: 96 },
    // 34 conv+BN pairs x 5 + 9 SE x 4 + 2 linears x 2
    keys: 34 * 5 + 9 * 4 + 4,
    known: [
      ['features.0.0.weight', [16, 3, 3, 3]],
      ['features.0.1.running_var', [16]],
      ['features.1.block.0.0.weight', [16, 1, 3, 3]],
      ['features.1.block.1.fc1.weight', [8, 16, 1, 1]],
      ['features.1.block.1.fc1.bias', [8]],
      ['features.1.block.1.fc2.weight', [16, 8, 1, 1]],
      ['features.1.block.2.0.weight', [16, 16, 1, 1]],
      ['features.2.block.0.0.weight', [72, 16, 1, 1]],
      ['features.4.block.1.0.weight', [96, 1, 5, 5]],
      ['features.11.block.3.1.weight', [96]],
      ['features.12.0.weight', [576, 96, 1, 1]],
      ['classifier.0.weight', [1024, 576]],
      ['classifier.3.weight', [1000, 1024]],
      ['classifier.3.bias', [1000]],
    ],
  },
  {
    label: 'Large 0.75 (torchvision semantics)',
    opts: { size: 'large', width: 0.75, widthSemantics: 'torchvision', resolution: 128 },
    // 46 conv+BN pairs (stem, block 1: 2, blocks 2-15: 3 each, last conv) x 5 + 8 SE x 4 + 4
    keys: 46 * 5 + 8 * 4 + 4,
    known: [
      ['features.0.0.weight', [16, 3, 3, 3]],
      ['features.2.block.0.0.weight', [48, 16, 1, 1]],
      ['features.4.block.2.fc1.weight', [16, 56, 1, 1]],
      ['features.4.block.3.0.weight', [32, 56, 1, 1]],
      ['features.13.block.1.0.weight', [504, 1, 5, 5]],
      ['features.16.0.weight', [720, 120, 1, 1]],
      ['classifier.0.weight', [960, 720]],
      ['classifier.3.weight', [1000, 960]],
    ],
  },
];

async function loadError(rt: Runtime, opts: MobileNetV3SourceOptions): Promise<ModelFormatError> {
  let err: unknown;
  try {
    await rt.load(mobilenetV3(opts));
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ModelFormatError);
  return err as ModelFormatError;
}

for (const c of cases) {
  describe(`torchvision safetensors: ${c.label}`, () => {
    let rt: Runtime;
    let sd: StateDict;
    let bytes: Uint8Array;
    let x: Float32Array;
    let expected: Float64Array;
    let good: Float32Array;
    const file = `mobilenet_${c.opts.size}.safetensors`;

    beforeAll(async () => {
      rt = await createRuntime({ backend: 'cpu' });
      sd = randomStateDict(buildGraph(resolveVariant(c.opts)), 7);
      // torchvision's BatchNorm2d also saves num_batches_tracked (an I64 scalar there)
      const nbt = [...sd.keys()].filter((k) => k.endsWith('.running_var')).map((k) => ({ name: k.replace(/running_var$/, 'num_batches_tracked'), shape: [], data: new Float32Array([1000]) }));
      bytes = toFile(sd, nbt);
      x = seededInput(5, c.opts.resolution, c.opts.resolution);
      const g = buildGraph(resolveVariant(c.opts));
      const used = assignByHand(g, sd);
      expect([...used].sort()).toEqual([...sd.keys()].sort()); // the hand path consumed every tensor
      expected = runReference(g, { input: x }).get(g.outputs[0])!.data;
      good = await (await rt.load(mobilenetV3({ ...c.opts, weights: bytes, weightsName: file }))).run(x);
    });

    it('expects torchvision key names and shapes', () => {
      expect(sd.size).toBe(c.keys);
      for (const [key, shape] of c.known) expect(sd.get(key)?.shape, key).toEqual(shape);
    });

    it('the loaded model equals the reference on hand-assigned weights', async () => {
      const cmp = compare(good, expected, 1e-4, 1e-3);
      expect(cmp.refMaxAbs).toBeGreaterThan(0.05);
      expect(cmp.refMaxAbs).toBeLessThan(1e4);
      expect(cmp.violations, `worst ${JSON.stringify(cmp.worst)}`).toBe(0);
      expect(cmp.relL2).toBeLessThan(1e-5);
      // and it is not what the seeded random weights give
      const seeded = await (await rt.load(mobilenetV3(c.opts))).run(x);
      expect(compare(seeded, expected, 1e-4, 1e-3).violations).toBeGreaterThan(100);
    });

    const bad: [string, () => Uint8Array, string | undefined, RegExp][] = [
      ['a missing tensor', () => {
        const m = new Map(sd);
        m.delete('features.3.block.1.1.running_var');
        return toFile(m);
      }, 'features.3.block.1.1.running_var', /missing/],
      ['an extra tensor', () => toFile(sd, [{ name: 'features.99.0.weight', shape: [4], data: new Float32Array(4) }]), 'features.99.0.weight', /unexpected/],
      ['a mis-shaped conv weight', () => {
        const m = new Map(sd);
        m.set('features.0.0.weight', { shape: [16, 3, 5, 5], data: new Float32Array(16 * 3 * 25) });
        return toFile(m);
      }, 'features.0.0.weight', /\[16, 3, 5, 5\].*\[16, 3, 3, 3\]/],
      ['a truncated header', () => bytes.slice(0, 8 + 40), undefined, /header/],
      ['a Linear weight given as 4D', () => {
        const m = new Map(sd);
        const t = sd.get('classifier.0.weight')!;
        m.set('classifier.0.weight', { shape: [...t.shape, 1, 1], data: t.data });
        return toFile(m);
      }, 'classifier.0.weight', /shape \[\d+, \d+, 1, 1\] does not match the expected \[\d+, \d+\]/],
      ['a BN vector with the wrong length', () => {
        const m = new Map(sd);
        m.set('features.1.block.0.1.weight', { shape: [17], data: new Float32Array(17) });
        return toFile(m);
      }, 'features.1.block.0.1.weight', /\[17\]/],
    ];
    for (const [label, make, tensor, reason] of bad) {
      it(`${label} is a ModelFormatError naming the file${tensor ? ' and the tensor' : ''}; the Runtime still works after it`, async () => {
        const name = `broken_${label.replace(/\W+/g, '_')}.safetensors`;
        const err = await loadError(rt, { ...c.opts, weights: make(), weightsName: name });
        expect(err.file).toBe(name);
        expect(err.message.startsWith(`${name}: `)).toBe(true);
        if (tensor) {
          expect(err.tensor).toBe(tensor);
          expect(err.message).toContain(`'${tensor}'`);
        }
        expect(err.message).toMatch(reason);
        // the same Runtime loads and runs a valid model afterwards, with the same result
        const model = await rt.load(mobilenetV3({ ...c.opts, weights: bytes, weightsName: file }));
        expect(await model.run(x)).toEqual(good);
      });
    }
  });
}
