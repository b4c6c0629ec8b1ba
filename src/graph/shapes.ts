/**
 * Shape inference and validation of a Graph (src/graph/ir.ts holds the op definitions):
 * every tensor's shape, references, weight sizes, single assignment, clamp ranges. A bad
 * graph is a GraphError naming the node.
 */
import type { Graph, Node, SsdDecodeNode, TensorShape } from './ir.js';
import { GraphError, nodeInputs, unreachable } from './ir.js';

/** A clamp range must be two numbers (not NaN) with lo <= hi. */
function checkClamp(c: [number, number] | undefined, what: string, node: string): void {
  if (c === undefined) return;
  if (!Array.isArray(c) || c.length !== 2 || c.some((v) => typeof v !== 'number' || Number.isNaN(v)) || c[0] > c[1]) {
    throw new GraphError(`${what} ${JSON.stringify(c)} is not a range [lo, hi] with lo <= hi`, node);
  }
}

export const convOutSize = (inSize: number, k: number, stride: number, dilation: number, padA: number, padB: number): number =>
  Math.floor((inSize + padA + padB - dilation * (k - 1) - 1) / stride) + 1;

/** Window fields (kernel, stride, dilation, output channels) must be positive integers. */
function checkWindow(n: Node): void {
  if (n.op !== 'conv2d' && n.op !== 'pool2d' && n.op !== 'conv_transpose') return;
  const fields: [string, number][] = [['kh', n.kh], ['kw', n.kw], ['strideH', n.strideH], ['strideW', n.strideW]];
  if (n.op === 'conv2d') fields.push(['dilationH', n.dilationH], ['dilationW', n.dilationW], ['outC', n.outC], ['groups', n.groups]);
  if (n.op === 'conv_transpose') fields.push(['outC', n.outC]);
  for (const [k, v] of fields) if (!Number.isInteger(v) || v < 1) throw new GraphError(`${n.op} field '${k}' is ${v}; it must be a positive integer`, n.name);
  if (!Array.isArray(n.pad) || n.pad.length !== 4 || n.pad.some((p) => !Number.isInteger(p) || p < 0)) throw new GraphError(`${n.op} field 'pad' [${String(n.pad)}] must be four non-negative integers`, n.name);
}

/**
 * Infers every tensor's shape and checks the graph: references, shapes, weight sizes,
 * single assignment. Throws GraphError naming the node.
 */
export function inferShapes(g: Graph): Map<string, TensorShape> {
  const shapes = new Map<string, TensorShape>();
  for (const i of g.inputs) {
    if (shapes.has(i.name)) throw new GraphError(`duplicate graph input '${i.name}'`);
    shapes.set(i.name, i.shape);
  }
  const get = (n: Node, t: string): TensorShape => {
    const s = shapes.get(t);
    if (!s) throw new GraphError(`reads tensor '${t}' that is not produced before it`, n.name);
    return s;
  };
  const names = new Set<string>();
  for (const n of g.nodes) {
    if (names.has(n.name)) throw new GraphError('duplicate node name', n.name);
    names.add(n.name);
    const ins = nodeInputs(n).map((t) => get(n, t));
    let out: TensorShape;
    checkWindow(n);
    switch (n.op) {
      case 'conv2d': {
        const x = ins[0];
        if (n.groups !== 1 && !(n.groups === x.c && n.outC === x.c)) {
          throw new GraphError(`groups=${n.groups} unsupported for ${x.c}->${n.outC} channels (only dense or depthwise)`, n.name);
        }
        const inPerGroup = x.c / n.groups;
        const expect = n.outC * inPerGroup * n.kh * n.kw;
        if (n.weight.length !== expect) {
          throw new GraphError(`weight has ${n.weight.length} values, expected ${expect} ([${n.outC},${inPerGroup},${n.kh},${n.kw}])`, n.name);
        }
        if (n.bias && n.bias.length !== n.outC) throw new GraphError(`bias has ${n.bias.length} values, expected ${n.outC}`, n.name);
        const oh = convOutSize(x.h, n.kh, n.strideH, n.dilationH, n.pad[0], n.pad[2]);
        const ow = convOutSize(x.w, n.kw, n.strideW, n.dilationW, n.pad[1], n.pad[3]);
        if (oh < 1 || ow < 1) throw new GraphError(`input ${x.h}x${x.w} is too small for a ${n.kh}x${n.kw} conv`, n.name);
        out = { h: oh, w: ow, c: n.outC };
        if (n.prologue) {
          const s = ins[1];
          if (s.h !== 1 || s.w !== 1 || s.c !== x.c) throw new GraphError(`SE scale must be 1x1x${x.c}, got ${s.h}x${s.w}x${s.c}`, n.name);
          checkClamp(n.prologue.clamp, 'prologue clamp', n.name);
        }
        if (n.epilogue.residual) {
          const r = ins[ins.length - 1];
          if (r.h !== out.h || r.w !== out.w || r.c !== out.c) {
            throw new GraphError(`residual ${r.h}x${r.w}x${r.c} does not match output ${out.h}x${out.w}x${out.c}`, n.name);
          }
        }
        break;
      }
      case 'batch_norm': {
        const x = ins[0];
        for (const [k, v] of [['gamma', n.gamma], ['beta', n.beta], ['mean', n.mean], ['variance', n.variance]] as const) {
          if (v.length !== x.c) throw new GraphError(`${k} has ${v.length} values, expected ${x.c}`, n.name);
        }
        out = x;
        break;
      }
      case 'act':
        out = ins[0];
        break;
      case 'add': {
        const [a, b] = ins;
        if (a.h !== b.h || a.w !== b.w || a.c !== b.c) {
          throw new GraphError(`operands ${a.h}x${a.w}x${a.c} and ${b.h}x${b.w}x${b.c} differ`, n.name);
        }
        out = a;
        break;
      }
      case 'channel_scale': {
        const [x, s] = ins;
        if (s.h !== 1 || s.w !== 1 || s.c !== x.c) throw new GraphError(`scale must be 1x1x${x.c}, got ${s.h}x${s.w}x${s.c}`, n.name);
        out = x;
        break;
      }
      case 'global_avg_pool':
        out = { h: 1, w: 1, c: ins[0].c };
        break;
      case 'squeeze_excite': {
        const x = ins[0];
        if (n.fc1.weight.length !== n.squeeze * x.c || n.fc1.bias.length !== n.squeeze) throw new GraphError('fc1 weight/bias size mismatch', n.name);
        if (n.fc2.weight.length !== n.squeeze * x.c || n.fc2.bias.length !== x.c) throw new GraphError('fc2 weight/bias size mismatch', n.name);
        checkClamp(n.poolClamp, 'poolClamp', n.name);
        checkClamp(n.fc1.clamp, 'fc1 clamp', n.name);
        checkClamp(n.fc2.clamp, 'fc2 clamp', n.name);
        out = { h: 1, w: 1, c: x.c };
        break;
      }
      case 'reshape': {
        const x = ins[0];
        if (x.h * x.w * x.c !== n.shape.h * n.shape.w * n.shape.c) throw new GraphError(`cannot reshape ${x.h}x${x.w}x${x.c} to ${n.shape.h}x${n.shape.w}x${n.shape.c}`, n.name);
        // the data is shared, so the padded NHWC layout must not change
        if (n.shape.c !== x.c && !(x.h * x.w === 1 && n.shape.h * n.shape.w === 1)) {
          throw new GraphError(`reshape ${x.h}x${x.w}x${x.c} -> ${n.shape.h}x${n.shape.w}x${n.shape.c} changes the channel layout (unsupported)`, n.name);
        }
        out = n.shape;
        break;
      }
      case 'constant':
        if (n.data.length !== n.shape.h * n.shape.w * n.shape.c) throw new GraphError(`has ${n.data.length} values for shape ${n.shape.h}x${n.shape.w}x${n.shape.c}`, n.name);
        out = n.shape;
        break;
      case 'binary': {
        const [a, b] = ins;
        const same = a.h === b.h && a.w === b.w && a.c === b.c;
        const perChannel = b.h === 1 && b.w === 1 && (b.c === a.c || b.c === 1);
        if (!same && !perChannel) throw new GraphError(`cannot broadcast ${b.h}x${b.w}x${b.c} onto ${a.h}x${a.w}x${a.c} (second operand must be the same shape, 1x1xC or 1x1x1)`, n.name);
        out = a;
        break;
      }
      case 'resize':
        if (!(n.outH >= 1 && n.outW >= 1)) throw new GraphError(`bad output size ${n.outH}x${n.outW}`, n.name);
        out = { h: n.outH, w: n.outW, c: ins[0].c };
        break;
      case 'concat': {
        if (ins.length < 1) throw new GraphError('concat needs inputs', n.name);
        for (const x of ins) if (x.h !== ins[0].h || x.w !== ins[0].w) throw new GraphError(`inputs ${ins.map((i) => `${i.h}x${i.w}x${i.c}`).join(', ')} differ spatially`, n.name);
        out = { h: ins[0].h, w: ins[0].w, c: ins.reduce((a, x) => a + x.c, 0) };
        break;
      }
      case 'pad': {
        const x = ins[0];
        if (n.pad.some((p) => p < 0 || !Number.isInteger(p))) throw new GraphError(`negative or fractional padding [${n.pad.join(', ')}]`, n.name);
        out = { h: x.h + n.pad[0] + n.pad[2], w: x.w + n.pad[1] + n.pad[3], c: x.c };
        break;
      }
      case 'pool2d': {
        const x = ins[0];
        const oh = convOutSize(x.h, n.kh, n.strideH, 1, n.pad[0], n.pad[2]);
        const ow = convOutSize(x.w, n.kw, n.strideW, 1, n.pad[1], n.pad[3]);
        if (oh < 1 || ow < 1) throw new GraphError(`input ${x.h}x${x.w} is too small for a ${n.kh}x${n.kw} pool`, n.name);
        out = { h: oh, w: ow, c: x.c };
        break;
      }
      case 'softmax':
        out = ins[0];
        break;
      case 'argmax':
        out = { h: ins[0].h, w: ins[0].w, c: 1 };
        break;
      case 'conv_transpose': {
        const x = ins[0];
        if (n.weight.length !== x.c * n.outC * n.kh * n.kw) throw new GraphError(`weight has ${n.weight.length} values, expected ${x.c * n.outC * n.kh * n.kw} ([${x.c},${n.outC},${n.kh},${n.kw}])`, n.name);
        if (n.bias && n.bias.length !== n.outC) throw new GraphError(`bias has ${n.bias.length} values, expected ${n.outC}`, n.name);
        const oh = (x.h - 1) * n.strideH + n.kh - n.pad[0] - n.pad[2] + n.outputPadding[0];
        const ow = (x.w - 1) * n.strideW + n.kw - n.pad[1] - n.pad[3] + n.outputPadding[1];
        if (oh < 1 || ow < 1) throw new GraphError(`output ${oh}x${ow} is empty`, n.name);
        out = { h: oh, w: ow, c: n.outC };
        break;
      }
      case 'ssd_decode':
        out = ssdDecodeShape(n, ins);
        break;
      default:
        unreachable(n, 'op');
    }
    if (shapes.has(n.output)) throw new GraphError(`writes tensor '${n.output}' that already exists`, n.name);
    shapes.set(n.output, out);
  }
  for (const o of g.outputs) if (!shapes.has(o)) throw new GraphError(`graph output '${o}' is never produced`);
  return shapes;
}

function ssdDecodeShape(n: SsdDecodeNode, ins: TensorShape[]): TensorShape {
  const maps = n.anchorsPerLocation.length;
  if (maps < 1 || ins.length !== 2 * maps) throw new GraphError(`expects ${2 * maps} inputs (class and box maps of ${maps} feature maps), got ${ins.length}`, n.name);
  if (!Number.isInteger(n.numClasses) || n.numClasses < 1 || n.firstClass < 0 || n.firstClass >= n.numClasses) throw new GraphError(`bad classes ${n.numClasses} / first class ${n.firstClass}`, n.name);
  if (!Number.isInteger(n.maxCandidates) || n.maxCandidates < 1) throw new GraphError(`maxCandidates ${n.maxCandidates} must be a positive integer`, n.name);
  let anchors = 0;
  for (let i = 0; i < maps; i++) {
    const a = n.anchorsPerLocation[i];
    const [cls, box] = [ins[i], ins[maps + i]];
    if (cls.c !== a * n.numClasses || box.c !== a * 4 || cls.h !== box.h || cls.w !== box.w) {
      throw new GraphError(`map ${i}: class ${cls.h}x${cls.w}x${cls.c} / box ${box.h}x${box.w}x${box.c} do not fit ${a} anchors x ${n.numClasses} classes`, n.name);
    }
    anchors += cls.h * cls.w * a;
  }
  if (n.anchors.length !== 4 * anchors) throw new GraphError(`has ${n.anchors.length / 4} anchors, the maps have ${anchors}`, n.name);
  return { h: n.maxCandidates + 1, w: 1, c: 8 };
}

export const validate = (g: Graph): void => void inferShapes(g);
