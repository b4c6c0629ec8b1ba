/**
 * MobileNetV3 variants vs the numbers in ../shared/docs/MOBILENETV3_SPEC.md: parameter and MAC
 * counts (sections 11.1 and 5.4), per-bneck channels at alpha 0.75 (section 5.3), feature-map
 * shapes (sections 2.2, 3.2 and 11.3) and option validation. Every expected number below is
 * copied from the spec, not computed from the code under test.
 */
import { describe, expect, it } from 'vitest';
import { OptionError, resolveVariant, type MobileNetV3Options } from '../../src/graph/variants.js';
import { buildGraph } from '../../src/graph/mobilenetv3_graph.js';
import { countGraph } from '../../src/graph/stats.js';
import { type Graph, type Node, type Conv2dNode, type TensorShape } from '../../src/graph/ir.js';
import { inferShapes } from '../../src/graph/shapes.js';

const count = (o: MobileNetV3Options): { params: number; macs: number } => countGraph(buildGraph(resolveVariant(o)));
/** MACs in millions to the spec's printed precision (two decimals) */
const macsM = (macs: number): number => Math.round(macs / 1e4) / 100;

describe('parameter and MAC counts (spec 11.1)', () => {
  const rows: [string, MobileNetV3Options, number, number | null][] = [
    ['Large 1.0', { size: 'large' }, 5_483_032, 216_589_760],
    ['Small 1.0', { size: 'small' }, 2_542_856, 56_510_400],
    ['Large 0.75, paper/TF semantics', { size: 'large', width: 0.75 }, 3_993_528, 154_560_624],
    ['Small 0.75, paper/TF semantics', { size: 'small', width: 0.75 }, 2_041_872, 43_399_344],
    ['Large-minimalistic', { size: 'large', minimalistic: true }, 3_924_288, 209_136_704],
    ['Small-minimalistic', { size: 'small', minimalistic: true }, 2_044_736, 52_288_448],
    ['torchvision width_mult=0.75, Large', { size: 'large', width: 0.75, widthSemantics: 'torchvision' }, 3_377_576, null],
    ['torchvision width_mult=0.75, Small', { size: 'small', width: 0.75, widthSemantics: 'torchvision' }, 1_653_920, null],
    // spec 2.2: torchvision mobilenet_v3_large() totals
    ['torchvision Large 1.0', { size: 'large', widthSemantics: 'torchvision' }, 5_483_032, 216_589_760],
    ['torchvision Small 1.0', { size: 'small', widthSemantics: 'torchvision' }, 2_542_856, 56_510_400],
  ];
  for (const [label, opts, params, macs] of rows) {
    it(label, () => {
      const c = count(opts);
      expect(c.params).toBe(params);
      if (macs !== null) expect(c.macs).toBe(macs);
    });
  }

  it('Large 1.0 per-layer params and MACs equal spec table 2.2', () => {
    const g = buildGraph(resolveVariant({ size: 'large' }));
    const per = countGraph(g).perNode;
    const sum = (prefix: string): { params: number; macs: number } =>
      per.filter((p) => p.node.startsWith(prefix)).reduce((a, p) => ({ params: a.params + p.params, macs: a.macs + p.macs }), { params: 0, macs: 0 });
    // [features index, params, MACs] from spec 2.2
    const table: [number, number, number][] = [
      [0, 464, 5_419_008], [1, 464, 5_017_600], [2, 3_440, 19_468_288], [3, 4_440, 12_870_144], [4, 10_328, 9_091_584],
      [5, 20_992, 9_886_080], [6, 20_992, 9_886_080], [7, 32_080, 11_712_960], [8, 34_760, 6_624_800], [9, 31_992, 6_094_816],
      [10, 31_992, 6_094_816], [11, 214_424, 19_025_280], [12, 386_120, 30_914_688], [13, 429_224, 21_069_216],
      [14, 797_360, 16_689_600], [15, 797_360, 16_689_600], [16, 155_520, 7_526_400],
    ];
    for (const [i, params, macs] of table) expect(sum(`features.${i}.`), `features.${i}`).toEqual({ params, macs });
    expect(sum('classifier.0')).toEqual({ params: 1_230_080, macs: 1_228_800 });
    expect(sum('classifier.3')).toEqual({ params: 1_281_000, macs: 1_280_000 });
  });

  it('Small 1.0 per-layer params and MACs equal spec table 3.2', () => {
    const per = countGraph(buildGraph(resolveVariant({ size: 'small' }))).perNode;
    const sum = (prefix: string): { params: number; macs: number } =>
      per.filter((p) => p.node.startsWith(prefix)).reduce((a, p) => ({ params: a.params + p.params, macs: a.macs + p.macs }), { params: 0, macs: 0 });
    const table: [number, number, number][] = [
      [0, 464, 5_419_008], [1, 744, 1_254_656], [2, 3_864, 5_475_456], [3, 5_416, 3_932_544], [4, 13_736, 3_033_984],
      [5, 57_264, 4_969_920], [6, 57_264, 4_969_920], [7, 21_968, 2_665_440], [8, 29_800, 3_426_624], [9, 91_848, 4_458_528],
      [10, 294_096, 6_290_496], [11, 294_096, 6_290_496], [12, 56_448, 2_709_504],
    ];
    for (const [i, params, macs] of table) expect(sum(`features.${i}.`), `features.${i}`).toEqual({ params, macs });
    expect(sum('classifier.0')).toEqual({ params: 590_848, macs: 589_824 });
    expect(sum('classifier.3')).toEqual({ params: 1_025_000, macs: 1_024_000 });
  });

  it('parameter counts do not depend on the input resolution; MACs scale with it', () => {
    const a = count({ size: 'large', resolution: 224 });
    const b = count({ size: 'large', resolution: [160, 224] });
    expect(b.params).toBe(a.params);
    expect(b.macs).toBeLessThan(a.macs);
    expect(b.macs).toBeGreaterThan(a.macs * 0.6);
  });
});

describe('width multiplier table (spec 5.4)', () => {
  // [size, alpha, TF params, TF MACs (M), torchvision params, torchvision MACs (M)]
  const rows: ['large' | 'small', number, number, number, number, number][] = [
    ['large', 0.35, 2_131_832, 39.47, 997_064, 35.28],
    ['large', 0.5, 2_689_520, 69.25, 1_734_576, 64.96],
    ['large', 0.75, 3_993_528, 154.56, 3_377_576, 140.03],
    ['large', 1.0, 5_483_032, 216.59, 5_483_032, 216.59],
    ['large', 1.25, 7_551_976, 355.22, 8_164_744, 343.46],
    ['small', 0.35, 1_358_288, 12.82, 558_744, 11.24],
    ['small', 0.5, 1_592_704, 21.05, 917_264, 18.97],
    ['small', 0.75, 2_041_872, 43.4, 1_653_920, 39.12],
    ['small', 1.0, 2_542_856, 56.51, 2_542_856, 56.51],
    ['small', 1.25, 3_205_384, 90.8, 3_644_912, 88.16],
  ];
  for (const [size, width, tfParams, tfMacs, tvParams, tvMacs] of rows) {
    it(`${size} ${width}: TF semantics (head unscaled)`, () => {
      const c = count({ size, width });
      expect(c.params).toBe(tfParams);
      expect(macsM(c.macs)).toBe(tfMacs);
    });
    it(`${size} ${width}: torchvision semantics`, () => {
      const c = count({ size, width, widthSemantics: 'torchvision' });
      expect(c.params).toBe(tvParams);
      expect(macsM(c.macs)).toBe(tvMacs);
    });
  }
});

/** Per-bneck [exp, squeeze (0 = no SE), out] read off the built graph, plus stem/last conv/head widths. */
function channelsOf(g: Graph): { stem: number; blocks: [number, number, number][]; lastConv: number; head: number } {
  const convs = g.nodes.filter((n): n is Conv2dNode => n.op === 'conv2d');
  const byName = (name: string): Conv2dNode => {
    const n = convs.find((c) => c.name === name);
    if (!n) throw new Error(`no conv '${name}'`);
    return n;
  };
  const blocks: [number, number, number][] = [];
  for (let i = 1; ; i++) {
    const mine = convs.filter((c) => c.name.startsWith(`features.${i}.block.`));
    if (!mine.length) break;
    const dw = mine.filter((c) => c.groups > 1);
    expect(dw, `features.${i}: one depthwise conv`).toHaveLength(1);
    const fc1 = mine.find((c) => c.name.endsWith('.fc1'));
    const project = mine[mine.length - 1];
    expect(project.kh, `features.${i}: the last conv is the 1x1 projection`).toBe(1);
    expect(project.groups).toBe(1);
    blocks.push([dw[0].outC, fc1 ? fc1.outC : 0, project.outC]);
  }
  return {
    stem: byName('features.0.0').outC,
    blocks,
    lastConv: byName(`features.${blocks.length + 1}.0`).outC,
    head: byName('classifier.0').outC,
  };
}

/** Parses the spec's "exp/squeeze/out" cells ('–' = no SE). */
const cells = (s: string): [number, number, number][] =>
  s.trim().split(/\s+/).map((c) => c.split('/').map((v) => (v === '–' ? 0 : Number(v))) as [number, number, number]);

describe('channel configurations at alpha 0.75 (spec 5.3)', () => {
  const columns: [string, MobileNetV3Options, string, number, number, number][] = [
    ['Large torchvision', { size: 'large', width: 0.75, widthSemantics: 'torchvision' },
      '16/–/16 48/–/24 56/–/24 56/16/32 88/24/32 88/24/32 184/–/64 152/–/64 136/–/64 136/–/64 360/88/88 504/128/88 504/128/120 720/184/120 720/184/120',
      16, 720, 960],
    ['Large TF-slim = timm = Keras', { size: 'large', width: 0.75 },
      '16/–/16 64/–/24 72/–/24 72/24/32 96/24/32 96/24/32 192/–/64 160/–/64 144/–/64 144/–/64 384/96/88 528/136/88 528/136/120 720/184/120 720/184/120',
      16, 720, 1280],
    ['Small torchvision', { size: 'small', width: 0.75, widthSemantics: 'torchvision' },
      '16/8/16 56/–/24 64/–/24 72/24/32 184/48/32 184/48/32 88/24/40 112/32/40 216/56/72 432/112/72 432/112/72',
      16, 432, 768],
    ['Small TF-slim = timm = Keras', { size: 'small', width: 0.75 },
      '16/8/16 72/–/24 88/–/24 96/24/32 192/48/32 192/48/32 96/24/40 120/32/40 240/64/72 432/112/72 432/112/72',
      16, 432, 1024],
  ];
  for (const [label, opts, table, stem, lastConv, head] of columns) {
    it(label, () => {
      const ch = channelsOf(buildGraph(resolveVariant(opts)));
      expect(ch.blocks).toEqual(cells(table));
      expect({ stem: ch.stem, lastConv: ch.lastConv, head: ch.head }).toEqual({ stem, lastConv, head });
    });
  }

  it('at 1.0 the channels are the paper tables (spec 2.1 and 3.1)', () => {
    const large = channelsOf(buildGraph(resolveVariant({ size: 'large' })));
    expect(large.blocks.map((b) => [b[0], b[2]])).toEqual([
      [16, 16], [64, 24], [72, 24], [72, 40], [120, 40], [120, 40], [240, 80], [200, 80], [184, 80], [184, 80],
      [480, 112], [672, 112], [672, 160], [960, 160], [960, 160],
    ]);
    // SE squeeze column of spec 2.2
    expect(large.blocks.map((b) => b[1])).toEqual([0, 0, 0, 24, 32, 32, 0, 0, 0, 0, 120, 168, 168, 240, 240]);
    expect([large.stem, large.lastConv, large.head]).toEqual([16, 960, 1280]);
    const small = channelsOf(buildGraph(resolveVariant({ size: 'small' })));
    expect(small.blocks).toEqual(cells('16/8/16 72/–/24 88/–/24 96/24/40 240/64/40 240/64/40 120/32/48 144/40/48 288/72/96 576/144/96 576/144/96'));
    expect([small.stem, small.lastConv, small.head]).toEqual([16, 576, 1024]);
  });
});

/** Output tensor of torchvision `features.<i>` (the last node whose name is in that module). */
function featureOutput(g: Graph, i: number): string {
  const mine = g.nodes.filter((n) => n.name.startsWith(`features.${i}.`));
  if (!mine.length) throw new Error(`no features.${i}`);
  return mine[mine.length - 1].output;
}

const hwc = (s: TensorShape | undefined): string => (s ? `${s.h}x${s.w}x${s.c}` : 'missing');

describe('shapes (spec 2.2, 3.2, 11.3)', () => {
  it('Large at 224: stride-2 outputs 112/56/28/14/7 at the stem and bnecks 2, 4, 7 and 13', () => {
    const g = buildGraph(resolveVariant({ size: 'large' }));
    const shapes = inferShapes(g);
    // spec 2.2 "out HxW" and "out" columns, features 0..16
    const expected = [
      '112x112x16', '112x112x16', '56x56x24', '56x56x24', '28x28x40', '28x28x40', '28x28x40', '14x14x80', '14x14x80', '14x14x80',
      '14x14x80', '14x14x112', '14x14x112', '7x7x160', '7x7x160', '7x7x160', '7x7x960',
    ];
    expect(expected.map((_, i) => hwc(shapes.get(featureOutput(g, i))))).toEqual(expected);
    // every stride-2 conv sits where spec 11.3 says the resolution halves
    const strided = g.nodes.filter((n): n is Conv2dNode => n.op === 'conv2d' && n.strideH === 2).map((n) => n.name.split('.').slice(0, 2).join('.'));
    expect(strided).toEqual(['features.0', 'features.2', 'features.4', 'features.7', 'features.13']);
    // C1..C5 taps after features 2, 4, 7, 13, 16
    expect([2, 4, 7, 13, 16].map((i) => hwc(shapes.get(featureOutput(g, i))))).toEqual(['56x56x24', '28x28x40', '14x14x80', '7x7x160', '7x7x960']);
    expect(hwc(shapes.get('avgpool:out'))).toBe('1x1x960');
    expect(hwc(shapes.get('classifier.0.act:out'))).toBe('1x1x1280');
    expect(g.outputs).toHaveLength(1);
    expect(hwc(shapes.get(g.outputs[0]))).toBe('1x1x1000');
  });

  it('Small at 224 matches spec 3.2', () => {
    const g = buildGraph(resolveVariant({ size: 'small' }));
    const shapes = inferShapes(g);
    const expected = [
      '112x112x16', '56x56x16', '28x28x24', '28x28x24', '14x14x40', '14x14x40', '14x14x40', '14x14x48', '14x14x48', '7x7x96',
      '7x7x96', '7x7x96', '7x7x576',
    ];
    expect(expected.map((_, i) => hwc(shapes.get(featureOutput(g, i))))).toEqual(expected);
    expect(hwc(shapes.get('classifier.0.act:out'))).toBe('1x1x1024');
    expect(hwc(shapes.get(g.outputs[0]))).toBe('1x1x1000');
  });

  it('non-square [160, 224] builds; feature maps are 160/32 x 224/32; output 1x1xclasses', () => {
    const g = buildGraph(resolveVariant({ size: 'large', resolution: [160, 224] }));
    const shapes = inferShapes(g);
    expect(g.inputs[0].shape).toEqual({ h: 160, w: 224, c: 3 });
    expect(hwc(shapes.get(featureOutput(g, 0)))).toBe('80x112x16');
    expect(hwc(shapes.get(featureOutput(g, 16)))).toBe('5x7x960');
    expect(hwc(shapes.get(g.outputs[0]))).toBe('1x1x1000');
    const g2 = buildGraph(resolveVariant({ size: 'small', width: 0.75, widthSemantics: 'torchvision', resolution: [224, 160] }));
    expect(hwc(inferShapes(g2).get(g2.outputs[0]))).toBe('1x1x1000');
  });

  it('classes changes exactly the last layer', () => {
    const a = buildGraph(resolveVariant({ size: 'large' }));
    const b = buildGraph(resolveVariant({ size: 'large', classes: 10 }));
    expect(hwc(inferShapes(b).get(b.outputs[0]))).toBe('1x1x10');
    const last = (g: Graph): Node => g.nodes[g.nodes.length - 1];
    const la = last(a) as Conv2dNode;
    const lb = last(b) as Conv2dNode;
    expect([la.name, la.op, la.outC, la.weight.length]).toEqual(['classifier.3', 'conv2d', 1000, 1280 * 1000]);
    expect([lb.name, lb.op, lb.outC, lb.weight.length, lb.bias?.length]).toEqual(['classifier.3', 'conv2d', 10, 1280 * 10, 10]);
    // everything before it is identical in structure
    const shape = (g: Graph): string[] => g.nodes.slice(0, -1).map((n) => `${n.op}:${n.name}:${n.op === 'conv2d' ? n.outC : ''}`);
    expect(shape(b)).toEqual(shape(a));
    expect(countGraph(a).params - countGraph(b).params).toBe((1000 - 10) * (1280 + 1));
    // 1001 classes (TF-slim checkpoints) adds 1,281 params to Large (spec 5.4 note)
    expect(countGraph(buildGraph(resolveVariant({ size: 'large', classes: 1001 }))).params).toBe(5_483_032 + 1_281);
    expect(countGraph(buildGraph(resolveVariant({ size: 'small', classes: 1001 }))).params).toBe(2_542_856 + 1_025);
  });
});

describe('option errors', () => {
  const cases: [string, Record<string, unknown>, string, string][] = [
    ['width 0', { size: 'large', width: 0 }, 'width', '0'],
    ['width -1', { size: 'large', width: -1 }, 'width', '-1'],
    ['width NaN', { size: 'large', width: NaN }, 'width', 'NaN'],
    ['width as a string', { size: 'large', width: '0.75' }, 'width', '0.75'],
    ['resolution 100 (not a multiple of 8)', { size: 'large', resolution: 100 }, 'resolution', '100'],
    ['resolution 90 (below 96)', { size: 'small', resolution: 90 }, 'resolution', '90'],
    ['resolution [224, 100]', { size: 'small', resolution: [224, 100] }, 'resolution', '[224,100]'],
    ["size 'medium'", { size: 'medium' }, 'size', "'medium'"],
    ['classes 0', { size: 'large', classes: 0 }, 'classes', '0'],
    ['classes 2.5', { size: 'large', classes: 2.5 }, 'classes', '2.5'],
    ["widthSemantics 'keras'", { size: 'large', widthSemantics: 'keras' }, 'widthSemantics', "'keras'"],
  ];
  const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  for (const [label, opts, option, value] of cases) {
    it(label, () => {
      let err: unknown;
      try {
        resolveVariant(opts as unknown as MobileNetV3Options);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(OptionError);
      const e = err as OptionError;
      expect(e.option).toBe(option);
      // the message names the option, then the offending value right after it
      expect(e.message).toMatch(new RegExp(`'${option}'[^\\w\\[-]*${escape(value)}(?![\\w.])`));
    });
  }

  it('valid edge values are accepted', () => {
    expect(() => resolveVariant({ size: 'small', resolution: 96 })).not.toThrow();
    expect(() => resolveVariant({ size: 'small', resolution: [96, 4096] })).not.toThrow();
    expect(() => resolveVariant({ size: 'large', width: 0.35, classes: 1 })).not.toThrow();
  });
});
