/**
 * Shared plumbing of the dense-prediction heads: a small IR builder with seeded weights (the
 * same initialisation rules as variants.ts), renaming of the backbone's torchvision module
 * paths, and BatchNorm calibration through a small twin of the graph.
 */
import type { Act } from '../kernels/spec.js';
import { type Graph, type Node, GraphError } from '../graph/ir.js';
import { Rng } from '../graph/rng.js';
import { CALIBRATION_SIZE } from '../graph/calibrate.js';
import { runReference } from '../graph/reference.js';
import { OptionError } from '../graph/variants.js';

export interface ConvOptions {
  k?: number;
  stride?: number;
  /** 'depthwise' or 1 */
  groups?: 'depthwise' | 1;
  bias?: boolean;
  /** center of the seeded bias values (default 0; they are drawn from +-0.1 around it) */
  biasInit?: number;
  dilation?: number;
}

/** Appends head nodes with seeded weights; every method returns the output tensor name. */
export class HeadBuilder {
  readonly nodes: Node[] = [];
  private readonly rng: Rng;

  constructor(seed: number) {
    this.rng = new Rng(seed * 7919 + 101);
  }

  conv(name: string, input: string, inC: number, outC: number, o: ConvOptions = {}): string {
    const k = o.k ?? 1;
    const stride = o.stride ?? 1;
    const dilation = o.dilation ?? 1;
    const dw = o.groups === 'depthwise';
    if (dw && inC !== outC) throw new GraphError(`internal: depthwise ${inC} -> ${outC}`, name);
    const groups = dw ? inC : 1;
    const fanIn = (inC / groups) * k * k;
    const a = Math.sqrt(3 / fanIn);
    const pad = Math.floor((k - 1) / 2) * dilation;
    this.nodes.push({
      op: 'conv2d', name, input, output: `${name}:out`, outC, kh: k, kw: k, strideH: stride, strideW: stride, dilationH: dilation, dilationW: dilation,
      pad: [pad, pad, pad, pad], groups, weight: this.rng.fill(outC * fanIn, -a, a), ...(o.bias ? { bias: this.rng.fill(outC, (o.biasInit ?? 0) - 0.1, (o.biasInit ?? 0) + 0.1) } : {}), epilogue: { act: 'none' },
    });
    return `${name}:out`;
  }

  batchNorm(name: string, input: string, c: number, eps: number): string {
    this.nodes.push({
      op: 'batch_norm', name, input, output: `${name}:out`, eps,
      gamma: this.rng.fill(c, 0.8, 1.2), beta: this.rng.fill(c, -0.1, 0.1), mean: new Float32Array(c), variance: new Float32Array(c).fill(1),
    });
    return `${name}:out`;
  }

  act(name: string, input: string, act: Act): string {
    this.nodes.push({ op: 'act', name, input, output: `${name}:out`, act });
    return `${name}:out`;
  }

  /** torchvision Conv2dNormActivation: `<prefix>.0` conv (no bias), `.1` BN, `.2` activation. */
  convBnAct(prefix: string, input: string, inC: number, outC: number, act: Act, eps: number, o: ConvOptions = {}): string {
    const c = this.conv(`${prefix}.0`, input, inC, outC, { ...o, bias: false });
    const b = this.batchNorm(`${prefix}.1`, c, outC, eps);
    return this.act(`${prefix}.2`, b, act);
  }

  push(n: Node): string {
    this.nodes.push(n);
    return n.output;
  }
}

/**
 * Renames a backbone graph's nodes and tensors (`<module path>` and `<module path>:out`) with
 * `fn` on the module path; the graph input keeps its name.
 */
export function renameGraph(g: Graph, fn: (modulePath: string) => string): Graph {
  const inputs = new Set(g.inputs.map((i) => i.name));
  const t = (name: string): string => {
    if (inputs.has(name)) return name;
    const i = name.lastIndexOf(':');
    return i < 0 ? fn(name) : `${fn(name.slice(0, i))}${name.slice(i)}`;
  };
  const nodes = g.nodes.map((n): Node => {
    switch (n.op) {
      case 'conv2d':
      case 'batch_norm':
      case 'act':
      case 'global_avg_pool':
      case 'reshape':
        return { ...n, name: fn(n.name), input: t(n.input), output: t(n.output) };
      case 'channel_scale':
        return { ...n, name: fn(n.name), input: t(n.input), scale: t(n.scale), output: t(n.output) };
      case 'add':
        return { ...n, name: fn(n.name), inputs: [t(n.inputs[0]), t(n.inputs[1])], output: t(n.output) };
      default:
        throw new GraphError(`internal: renameGraph does not handle op '${n.op}'`, n.name);
    }
  });
  return { ...g, nodes, outputs: g.outputs.map(t) };
}

/** `t` renamed like renameGraph renames tensors. */
export function renameTensor(name: string, fn: (modulePath: string) => string): string {
  const i = name.lastIndexOf(':');
  return i < 0 ? fn(name) : `${fn(name.slice(0, i))}${name.slice(i)}`;
}

/**
 * BatchNorm calibration of seeded weights like src/graph/calibrate.ts (batch statistics of a
 * seeded random image), except on maps of fewer than SMALL_MAP pixels (SSD's last extra
 * layers): there the per-channel variance over so few pixels is ~0 (on a 1x1 map the
 * normalized value IS beta, so the next layers see almost constant inputs and their
 * variances collapse too), which blows activations up at any other input. Such BatchNorms,
 * and the `conservative` ones (SSD's extra layers and predictors, whose maps at the
 * calibration size say little about 320), get a variance of at least 1: the seeded weights
 * preserve the second moment of their input, which is O(1) after a normalized ReLU6 layer.
 */
const SMALL_MAP = 16;

export function calibrateHeadBatchNorm(g: Graph, seed: number, conservative: (bn: string) => boolean = () => false): void {
  const inp = g.inputs[0];
  const rng = new Rng(seed * 31 + 5);
  const x = rng.fill(inp.shape.h * inp.shape.w * inp.shape.c, -1, 1);
  runReference(g, { [inp.name]: x }, {
    beforeNode(node, [t]) {
      if (node.op !== 'batch_norm') return;
      const c = t.shape.c;
      const n = t.data.length / c;
      const mean = new Float64Array(c);
      const sq = new Float64Array(c);
      for (let i = 0; i < t.data.length; i++) {
        mean[i % c] += t.data[i];
      }
      for (let k = 0; k < c; k++) mean[k] /= n;
      for (let i = 0; i < t.data.length; i++) {
        const d = t.data[i] - mean[i % c];
        sq[i % c] += d * d;
      }
      const floor = n < SMALL_MAP || conservative(node.name) ? 1 : 1e-4;
      for (let k = 0; k < c; k++) {
        node.mean[k] = mean[k];
        node.variance[k] = Math.max(sq[k] / n, floor);
      }
    },
  });
}

/**
 * Calibrates the BatchNorm statistics of `g` (seeded random weights) on `twin`: the same head
 * built at CALIBRATION_SIZE (same seed, hence the same weights) where the calibration pass
 * is cheap; statistics are copied by node name.
 */
export function calibrateFromTwin(g: Graph, twin: Graph, seed: number, conservative?: (bn: string) => boolean): void {
  if (twin.inputs[0].shape.h !== CALIBRATION_SIZE || twin.inputs[0].shape.w !== CALIBRATION_SIZE) throw new GraphError(`internal: calibration twin is not ${CALIBRATION_SIZE}x${CALIBRATION_SIZE}`);
  // nodes after the last batch_norm cannot change any statistics (final upsampling, argmax...)
  let last = twin.nodes.length - 1;
  while (last >= 0 && twin.nodes[last].op !== 'batch_norm') last--;
  calibrateHeadBatchNorm({ ...twin, nodes: twin.nodes.slice(0, last + 1), outputs: last < 0 ? [] : [twin.nodes[last].output] }, seed, conservative);
  const stats = new Map<string, { mean: Float32Array; variance: Float32Array }>();
  for (const n of twin.nodes) if (n.op === 'batch_norm') stats.set(n.name, n);
  for (const n of g.nodes) {
    if (n.op !== 'batch_norm') continue;
    const s = stats.get(n.name);
    if (!s || s.mean.length !== n.mean.length) throw new GraphError('internal: calibration twin lacks this batch_norm', n.name);
    n.mean.set(s.mean);
    n.variance.set(s.variance);
  }
}

export { CALIBRATION_SIZE };

/** Checks an integer option in [lo, hi]. */
export function intOption(name: string, v: unknown, lo: number, hi: number, dflt: number): number {
  const x = v === undefined ? dflt : v;
  if (typeof x !== 'number' || !Number.isInteger(x) || x < lo || x > hi) throw new OptionError(name, `${JSON.stringify(v)} (expected an integer in [${lo}, ${hi}])`);
  return x;
}

/** Checks a finite number option in [lo, hi]. */
export function numberOption(name: string, v: unknown, lo: number, hi: number, dflt: number): number {
  const x = v === undefined ? dflt : v;
  if (typeof x !== 'number' || !Number.isFinite(x) || x < lo || x > hi) throw new OptionError(name, `${JSON.stringify(v)} (expected a number in [${lo}, ${hi}])`);
  return x;
}

/** Checks a string option against its allowed values. */
export function enumOption<T extends string>(name: string, v: unknown, allowed: readonly T[], dflt: T): T {
  const x = v === undefined ? dflt : v;
  if (typeof x !== 'string' || !(allowed as readonly string[]).includes(x)) throw new OptionError(name, `${JSON.stringify(v)} (expected ${allowed.map((a) => `'${a}'`).join(' or ')})`);
  return x as T;
}
