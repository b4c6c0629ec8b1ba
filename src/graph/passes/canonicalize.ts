/**
 * canonicalize: rewrites the general ops importers emit into the forms the fused kernels run,
 * before every other pass (optimize() runs it first). Pure Graph -> Graph; four small steps,
 * each also exported on its own:
 *
 * 1. binaryToCanonical: `binary` add/sub/mul/div with a constant 1x1x1 / 1x1xC operand becomes a
 *    1x1 depthwise conv2d (per-channel weight and bias) on the other operand: x+c, x-c, x*c, x/c
 *    (weight 1/c, rounded to f32), and with the constant first c+x, c*x, c-x = -1*x + c. A
 *    `binary` add of two same-shape tensors becomes `add`; a `binary` mul by a non-constant
 *    1x1xC operand (and nothing in its epilogue) becomes `channel_scale`. Only epilogues the
 *    target op's kernel runs are carried (act and clamp; `add` and the conv never get a residual).
 * 2. foldPad: a `pad` whose only reader is a conv2d (value 0) or a pool2d becomes that op's
 *    padding. pool2d: avg with countIncludePad (value 0); avg without it when the pool has no
 *    padding of its own (every window then lies inside the padded map, so it becomes
 *    countIncludePad); max when the value is -inf, or 0 on an input known to be >= 0 with every
 *    window still holding a real pixel.
 * 3. foldAffine: a 1x1 depthwise conv (no prologue, no residual) reading a conv2d output that
 *    nothing else reads, whose epilogue is empty (act none, no clamp, no residual), is folded
 *    into that conv: W'[o] = W[o]*k[o], b'[o] = b[o]*k[o] + beta[o]; the conv takes the 1x1's
 *    epilogue and output. (TFLite / TF.js graphs with a separate Mul/Add or BN-as-affine.)
 * 4. removeDeadConstants: constants (and reshapes) that nothing reads any more are dropped.
 *
 * Every rewrite is exact in float64 except the weight products and 1/c, which are rounded to f32
 * like every other weight.
 */
import { type Graph, type Node, type Conv2dNode, type ConstantNode, type Epilogue, type TensorShape, consumers, mergedOrigin, nodeInputs } from '../ir.js';
import { inferShapes } from '../shapes.js';

export function canonicalize(g: Graph): Graph {
  return removeDeadConstants(foldAffine(foldPad(binaryToCanonical(g))));
}

/** The constant node a tensor is (through reshape aliases), if any. */
function constantSources(g: Graph): Map<string, ConstantNode> {
  const m = new Map<string, ConstantNode>();
  for (const n of g.nodes) {
    if (n.op === 'constant') m.set(n.output, n);
    else if (n.op === 'reshape' && m.has(n.input)) m.set(n.output, m.get(n.input)!);
  }
  return m;
}

const isPerChannel = (s: TensorShape, c: number): boolean => s.h === 1 && s.w === 1 && (s.c === 1 || s.c === c);
const sameShape = (a: TensorShape, b: TensorShape): boolean => a.h === b.h && a.w === b.w && a.c === b.c;
/** act and clamp only: what the depthwise / elementwise-add kernels run */
const simpleEpilogue = (e: Epilogue): boolean => !e.residual && !e.postClamp;
const emptyEpilogue = (e: Epilogue): boolean => e.act === 'none' && !e.clamp && !e.residual && !e.postClamp;
const actClamp = (e: Epilogue): Epilogue => ({ act: e.act, ...(e.clamp ? { clamp: e.clamp } : {}) });

/** Step 1: binary -> 1x1 depthwise conv / add / channel_scale. */
export function binaryToCanonical(g: Graph): Graph {
  const shapes = inferShapes(g);
  const consts = constantSources(g);
  const nodes = g.nodes.map((n): Node => {
    if (n.op !== 'binary' || !simpleEpilogue(n.epilogue)) return n;
    const [a, b] = n.inputs;
    const sa = shapes.get(a)!;
    const sb = shapes.get(b)!;
    const arith = n.kind === 'add' || n.kind === 'sub' || n.kind === 'mul' || n.kind === 'div';
    if (arith) {
      // x (op) c, or c (op) x for add / mul / sub (then both have one shape)
      let x: string | undefined;
      let k: ConstantNode | undefined;
      let constFirst = false;
      const cb = consts.get(b);
      const ca = consts.get(a);
      if (cb && isPerChannel(sb, sa.c)) {
        x = a;
        k = cb;
      } else if (ca && n.kind !== 'div' && isPerChannel(sa, sb.c) && sameShape(sa, sb)) {
        x = b;
        k = ca;
        constFirst = true;
      }
      if (x !== undefined && k !== undefined) {
        const c = shapes.get(x)!.c;
        const value = (o: number): number => k!.data[k!.data.length === 1 ? 0 : o];
        if (!(n.kind === 'div' && Array.from({ length: c }, (_v, o) => value(o)).some((v) => v === 0))) {
          const weight = new Float32Array(c);
          const bias = new Float32Array(c);
          for (let o = 0; o < c; o++) {
            const v = value(o);
            switch (n.kind) {
              case 'add':
                weight[o] = 1;
                bias[o] = v;
                break;
              case 'sub':
                weight[o] = constFirst ? -1 : 1;
                bias[o] = constFirst ? v : -v;
                break;
              case 'mul':
                weight[o] = v;
                break;
              case 'div':
                weight[o] = 1 / v;
                break;
            }
          }
          const dw: Conv2dNode = {
            op: 'conv2d', name: n.name, origin: mergedOrigin(n, k), input: x, output: n.output, outC: c, kh: 1, kw: 1, strideH: 1, strideW: 1,
            dilationH: 1, dilationW: 1, pad: [0, 0, 0, 0], groups: c, weight, ...(bias.some((v) => v !== 0) ? { bias } : {}), epilogue: actClamp(n.epilogue),
          };
          return dw;
        }
      }
    }
    if (n.kind === 'add' && sameShape(sa, sb)) {
      return { op: 'add', name: n.name, ...(n.origin ? { origin: n.origin } : {}), inputs: [a, b], output: n.output, epilogue: actClamp(n.epilogue) };
    }
    if (n.kind === 'mul' && sb.h === 1 && sb.w === 1 && sb.c === sa.c && !consts.has(b) && emptyEpilogue(n.epilogue)) {
      return { op: 'channel_scale', name: n.name, ...(n.origin ? { origin: n.origin } : {}), input: a, scale: b, output: n.output };
    }
    return n;
  });
  return { ...g, nodes };
}

/** Whether every value of tensor t is known to be >= 0 (from its producer's activation / clamps). */
function nonNegative(t: string, producer: Map<string, Node>): boolean {
  const p = producer.get(t);
  if (!p) return false;
  const nonNegAct = (act: string): boolean => act === 'relu' || act === 'relu6' || act === 'hsigmoid' || act === 'sigmoid';
  const clampNonNeg = (c?: [number, number]): boolean => !!c && c[0] >= 0 && c[1] >= 0;
  const fromEpilogue = (e: Epilogue): boolean => {
    if (clampNonNeg(e.postClamp)) return true;
    if (e.residual) return false;
    return clampNonNeg(e.clamp) || (nonNegAct(e.act) && (!e.clamp || e.clamp[1] >= 0));
  };
  switch (p.op) {
    case 'act':
      return clampNonNeg(p.clamp) || (nonNegAct(p.act) && (!p.clamp || p.clamp[1] >= 0));
    case 'conv2d':
    case 'add':
    case 'binary':
    case 'conv_transpose':
      return fromEpilogue(p.epilogue);
    case 'softmax':
      return true;
    case 'reshape':
      return nonNegative(p.input, producer);
    default:
      return false;
  }
}

/** Step 2: pad -> the padding of the conv2d / pool2d that is its only reader. */
export function foldPad(g: Graph): Graph {
  const readers = consumers(g);
  const producer = new Map<string, Node>();
  for (const n of g.nodes) producer.set(n.output, n);
  const replaced = new Map<Node, Node>();
  const dropped = new Set<Node>();
  for (const n of g.nodes) {
    if (n.op !== 'pad' || g.outputs.includes(n.output)) continue;
    const rs = readers.get(n.output) ?? [];
    if (rs.length !== 1) continue;
    const r = replaced.get(rs[0]) ?? rs[0];
    if ((r.op !== 'conv2d' && r.op !== 'pool2d') || r.input !== n.output) continue;
    const pad = r.pad.map((p, i) => p + n.pad[i]) as [number, number, number, number];
    let next: Node | undefined;
    if (r.op === 'conv2d') {
      if (n.value === 0) next = { ...r, input: n.input, pad };
    } else if (r.kind === 'avg') {
      const ownPad = r.pad.some((p) => p !== 0);
      if (n.value === 0 && (r.countIncludePad || !ownPad)) next = { ...r, input: n.input, pad, countIncludePad: true };
    } else {
      const windowsHit = pad[0] < r.kh && pad[2] < r.kh && pad[1] < r.kw && pad[3] < r.kw;
      if (n.value === -Infinity || (n.value === 0 && windowsHit && nonNegative(n.input, producer))) next = { ...r, input: n.input, pad };
    }
    if (next) {
      next.origin = mergedOrigin(n, r);
      replaced.set(rs[0], next);
      dropped.add(n);
    }
  }
  if (!dropped.size) return g;
  return { ...g, nodes: g.nodes.filter((n) => !dropped.has(n)).map((n) => replaced.get(n) ?? n) };
}

/** A 1x1 depthwise conv that is a per-channel affine map w*x + b (any act/clamp after). */
function isAffine1x1(n: Node, shapes: Map<string, TensorShape>): n is Conv2dNode {
  return (
    n.op === 'conv2d' && n.kh === 1 && n.kw === 1 && n.strideH === 1 && n.strideW === 1 && n.dilationH === 1 && n.dilationW === 1 &&
    n.pad.every((p) => p === 0) && n.groups === shapes.get(n.input)!.c && n.outC === n.groups && !n.prologue && simpleEpilogue(n.epilogue)
  );
}

/** Step 3: conv2d -> 1x1 depthwise affine folded into the conv's weights and bias. */
export function foldAffine(g: Graph): Graph {
  const shapes = inferShapes(g);
  const readers = consumers(g);
  const producer = new Map<string, number>();
  const out: Node[] = [];
  for (const n of g.nodes) {
    if (isAffine1x1(n, shapes)) {
      const pi = producer.get(n.input);
      const p = pi === undefined ? undefined : out[pi];
      if (p?.op === 'conv2d' && emptyEpilogue(p.epilogue) && readers.get(n.input)?.length === 1 && !g.outputs.includes(n.input)) {
        const per = p.weight.length / p.outC;
        const weight = new Float32Array(p.weight.length);
        const bias = new Float32Array(p.outC);
        for (let o = 0; o < p.outC; o++) {
          const k = n.weight[o];
          for (let i = 0; i < per; i++) weight[o * per + i] = p.weight[o * per + i] * k;
          bias[o] = (p.bias ? p.bias[o] : 0) * k + (n.bias ? n.bias[o] : 0);
        }
        out[pi!] = { ...p, weight, bias, output: n.output, epilogue: { ...n.epilogue }, origin: mergedOrigin(p, n) };
        producer.set(n.output, pi!);
        continue;
      }
    }
    producer.set(n.output, out.length);
    out.push(n);
  }
  return out.length === g.nodes.length ? g : { ...g, nodes: out };
}

/** Step 4: drops constants (and reshapes) whose output nothing reads and is no graph output. */
export function removeDeadConstants(g: Graph): Graph {
  let nodes = g.nodes;
  for (;;) {
    const read = new Set<string>(g.outputs);
    for (const n of nodes) for (const t of nodeInputs(n)) read.add(t);
    const kept = nodes.filter((n) => !((n.op === 'constant' || n.op === 'reshape') && !read.has(n.output)));
    if (kept.length === nodes.length) break;
    nodes = kept;
  }
  return nodes === g.nodes ? g : { ...g, nodes };
}
