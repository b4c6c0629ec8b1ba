/**
 * A generic IR -> ONNX ModelProto writer (onnx-proto), so ONNX Runtime runs the IDENTICAL
 * model as our runtime: input `input` [1,3,H,W] (NCHW), outputs `output0..` (a 1x1xC tensor
 * becomes [1,C], anything else NCHW). Opset 14 (HardSwish).
 *
 * It writes what torch.onnx.export gives for torchvision's MobileNetV3: BatchNorm folded into
 * Conv (fold.ts), Relu / HardSwish / HardSigmoid(1/6, 1/2) / Clip nodes, GlobalAveragePool,
 * Mul for the SE scale, Add for residuals, and Flatten + Gemm for a 1x1 conv on a 1x1 map
 * (the classifier and the SE FCs; a [1,C] result is Unsqueezed back to [1,C,1,1] only where
 * a 4-D consumer needs it).
 */
import onnxProto from 'onnx-proto';
import type { Graph, Epilogue, Act } from '../../src/graph/ir.js';
import { unreachable } from '../../src/graph/ir.js';
import { inferShapes } from '../../src/graph/shapes.js';
import { foldBatchNormForPeers } from './fold.js';

const { onnx } = onnxProto;
type INode = onnxProto.onnx.INodeProto;
type ITensor = onnxProto.onnx.ITensorProto;
const AT = onnx.AttributeProto.AttributeType;
const { TensorProto } = onnx;
const FLOAT = TensorProto.DataType.FLOAT;
const INT64 = TensorProto.DataType.INT64;

export const ONNX_OPSET = 14;

type Attr = number | number[] | string | { f: number };

function attr(name: string, v: Attr): onnxProto.onnx.IAttributeProto {
  if (typeof v === 'string') return { name, type: AT.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: AT.INTS, ints: v };
  if (typeof v === 'object') return { name, type: AT.FLOAT, f: v.f };
  return { name, type: AT.INT, i: v };
}

export function onnxFromIr(graph: Graph, producer = 'mobilenetv3-webgpu bench'): Uint8Array {
  const g = foldBatchNormForPeers(graph);
  const shapes = inferShapes(g);
  const nodes: INode[] = [];
  const inits: ITensor[] = [];
  /** tensors currently held as [1,C] instead of [1,C,1,1] */
  const flat = new Set<string>();
  let uid = 0;
  const fresh = (base: string): string => `${base}__${uid++}`;
  const node = (opType: string, inputs: string[], output: string, attrs: Record<string, Attr> = {}): string => {
    nodes.push({ opType, input: inputs, output: [output], name: fresh(opType), attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)) });
    return output;
  };
  const f32 = (base: string, data: Float32Array, dims: number[]): string => {
    const name = fresh(base);
    inits.push({ name, dataType: FLOAT, dims, rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) });
    return name;
  };
  const i64 = (base: string, data: number[]): string => {
    const name = fresh(base);
    inits.push({ name, dataType: INT64, dims: [data.length], rawData: new Uint8Array(BigInt64Array.from(data.map(BigInt)).buffer) });
    return name;
  };
  const scalar = (v: number): string => f32('c', Float32Array.of(v), []);
  /** the tensor as 4-D (unsqueezing a flat one) */
  const unsqueezed = new Map<string, string>();
  const as4d = (t: string): string => {
    if (!flat.has(t)) return t;
    let u = unsqueezed.get(t);
    if (!u) unsqueezed.set(t, (u = node('Unsqueeze', [t, i64('axes', [2, 3])], fresh(`${t}:4d`))));
    return u;
  };
  const act = (x: string, a: Act, out: string): string => {
    switch (a) {
      case 'none':
        return node('Identity', [x], out);
      case 'relu':
        return node('Relu', [x], out);
      case 'relu6':
        return node('Clip', [x, scalar(0), scalar(6)], out);
      case 'hswish':
        return node('HardSwish', [x], out);
      case 'hsigmoid':
        return node('HardSigmoid', [x], out, { alpha: { f: 1 / 6 }, beta: { f: 0.5 } });
      case 'sigmoid':
        return node('Sigmoid', [x], out);
      default:
        return unreachable(a, 'activation');
    }
  };
  /** applies the epilogue to raw result x, writing `out`; returns out */
  const epilogue = (x: string, ep: Epilogue, out: string, isFlat: boolean): string => {
    const steps: ((inp: string, o: string) => string)[] = [];
    if (ep.act !== 'none') steps.push((i, o) => act(i, ep.act, o));
    if (ep.clamp) steps.push((i, o) => node('Clip', [i, scalar(ep.clamp![0]), scalar(ep.clamp![1])], o));
    if (ep.residual) steps.push((i, o) => node('Add', [isFlat ? i : as4d(i), isFlat ? ep.residual! : as4d(ep.residual!)], o));
    if (ep.postClamp) steps.push((i, o) => node('Clip', [i, scalar(ep.postClamp![0]), scalar(ep.postClamp![1])], o));
    if (steps.length === 0) return node('Identity', [x], out);
    let cur = x;
    steps.forEach((s, k) => (cur = s(cur, k === steps.length - 1 ? out : fresh(out))));
    return cur;
  };

  for (const n of g.nodes) {
    const out = shapes.get(n.output)!;
    switch (n.op) {
      case 'conv2d': {
        const x = shapes.get(n.input)!;
        const gemm = n.kh === 1 && n.kw === 1 && x.h === 1 && x.w === 1 && n.groups === 1 && !n.prologue && !n.epilogue.residual;
        if (gemm) {
          const inp = flat.has(n.input) ? n.input : node('Flatten', [n.input], fresh(`${n.input}:flat`), { axis: 1 });
          const raw = node('Gemm', [inp, f32(`${n.name}.weight`, n.weight, [n.outC, x.c]), f32(`${n.name}.bias`, n.bias ?? new Float32Array(n.outC), [n.outC])], fresh(n.output), { transB: 1 });
          epilogue(raw, n.epilogue, n.output, true);
          flat.add(n.output);
          break;
        }
        let inp = as4d(n.input);
        if (n.prologue) inp = node('Mul', [inp, as4d(n.prologue.seScale)], fresh(`${n.name}:se`));
        const ins = [inp, f32(`${n.name}.weight`, n.weight, [n.outC, x.c / n.groups, n.kh, n.kw])];
        if (n.bias) ins.push(f32(`${n.name}.bias`, n.bias, [n.outC]));
        const raw = node('Conv', ins, fresh(n.output), {
          kernel_shape: [n.kh, n.kw], strides: [n.strideH, n.strideW], dilations: [n.dilationH, n.dilationW], group: n.groups, pads: [n.pad[0], n.pad[1], n.pad[2], n.pad[3]],
        });
        epilogue(raw, n.epilogue, n.output, false);
        break;
      }
      case 'batch_norm': {
        const c = out.c;
        node('BatchNormalization', [as4d(n.input), f32('gamma', n.gamma, [c]), f32('beta', n.beta, [c]), f32('mean', n.mean, [c]), f32('var', n.variance, [c])], n.output, { epsilon: { f: n.eps } });
        break;
      }
      case 'act': {
        const isFlat = flat.has(n.input);
        if (n.clamp) epilogue(n.input, { act: n.act, clamp: n.clamp }, n.output, isFlat);
        else act(n.input, n.act, n.output);
        if (isFlat) flat.add(n.output);
        break;
      }
      case 'add':
        epilogue(node('Add', [as4d(n.inputs[0]), as4d(n.inputs[1])], fresh(n.output)), n.epilogue, n.output, false);
        break;
      case 'channel_scale':
        node('Mul', [as4d(n.input), as4d(n.scale)], n.output);
        break;
      case 'global_avg_pool':
        node('GlobalAveragePool', [as4d(n.input)], n.output);
        break;
      case 'squeeze_excite': {
        const c = shapes.get(n.input)!.c;
        const p = node('Flatten', [node('GlobalAveragePool', [as4d(n.input)], fresh('pool'))], fresh('flat'), { axis: 1 });
        const s1 = act(node('Gemm', [p, f32('fc1', n.fc1.weight, [n.squeeze, c]), f32('fc1b', n.fc1.bias, [n.squeeze])], fresh('fc1'), { transB: 1 }), n.fc1.act, fresh('fc1a'));
        const s2 = act(node('Gemm', [s1, f32('fc2', n.fc2.weight, [c, n.squeeze]), f32('fc2b', n.fc2.bias, [c])], fresh('fc2'), { transB: 1 }), n.fc2.act, fresh('fc2a'));
        node('Identity', [s2], n.output);
        flat.add(n.output);
        break;
      }
      case 'reshape':
        node('Reshape', [as4d(n.input), i64('shape', [1, out.c, out.h, out.w])], n.output);
        break;
      case 'constant': {
        const d = new Float32Array(n.data.length);
        const { h, w, c } = n.shape;
        for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) d[k * h * w + p] = n.data[p * c + k];
        inits.push({ name: n.output, dataType: FLOAT, dims: [1, c, h, w], rawData: new Uint8Array(d.buffer) });
        break;
      }
      case 'binary': {
        const op = { add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div', max: 'Max', min: 'Min' }[n.kind];
        epilogue(node(op, [as4d(n.inputs[0]), as4d(n.inputs[1])], fresh(n.output)), n.epilogue, n.output, false);
        break;
      }
      case 'resize':
        node('Resize', [as4d(n.input), '', '', i64('sizes', [1, out.c, out.h, out.w])], n.output, {
          mode: n.mode === 'bilinear' ? 'linear' : 'nearest', coordinate_transformation_mode: n.coord, nearest_mode: 'floor',
        });
        break;
      case 'concat':
        node('Concat', n.inputs.map(as4d), n.output, { axis: 1 });
        break;
      case 'pad': {
        const p = i64('pads', [0, 0, n.pad[0], n.pad[1], 0, 0, n.pad[2], n.pad[3]]);
        node('Pad', [as4d(n.input), p, scalar(n.value)], n.output, { mode: 'constant' });
        break;
      }
      case 'pool2d':
        node(n.kind === 'max' ? 'MaxPool' : 'AveragePool', [as4d(n.input)], n.output, {
          kernel_shape: [n.kh, n.kw], strides: [n.strideH, n.strideW], pads: [n.pad[0], n.pad[1], n.pad[2], n.pad[3]],
          ...(n.kind === 'avg' ? { count_include_pad: n.countIncludePad ? 1 : 0 } : {}),
        });
        break;
      case 'softmax':
        node('Softmax', [as4d(n.input)], n.output, { axis: 1 });
        break;
      case 'argmax':
        node('Cast', [node('ArgMax', [as4d(n.input)], fresh('argmax'), { axis: 1, keepdims: 1 })], n.output, { to: FLOAT });
        break;
      case 'conv_transpose': {
        const x = shapes.get(n.input)!;
        const ins = [as4d(n.input), f32(`${n.name}.weight`, n.weight, [x.c, n.outC, n.kh, n.kw])];
        if (n.bias) ins.push(f32(`${n.name}.bias`, n.bias, [n.outC]));
        const raw = node('ConvTranspose', ins, fresh(n.output), {
          kernel_shape: [n.kh, n.kw], strides: [n.strideH, n.strideW], pads: [n.pad[0], n.pad[1], n.pad[2], n.pad[3]], output_padding: [n.outputPadding[0], n.outputPadding[1]],
        });
        epilogue(raw, n.epilogue, n.output, false);
        break;
      }
      default:
        // ops added to the IR later (e.g. ssd_decode) have no ONNX translation yet
        throw new Error(`onnx_from_ir: op '${(n as { op: string }).op}' (node '${(n as { name: string }).name}') is not supported`);
    }
  }

  const valueInfo = (name: string, dims: number[]): onnxProto.onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  });
  const outputs = g.outputs.map((o, i) => {
    const s = shapes.get(o)!;
    const name = `output${i}`;
    if (s.h === 1 && s.w === 1) {
      if (flat.has(o)) node('Identity', [o], name);
      else node('Flatten', [o], name, { axis: 1 });
      return valueInfo(name, [1, s.c]);
    }
    node('Identity', [o], name);
    return valueInfo(name, [1, s.c, s.h, s.w]);
  });
  const inp = g.inputs[0];
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: producer,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    graph: { name: g.name, node: nodes, initializer: inits, input: [valueInfo(inp.name, [1, inp.shape.c, inp.shape.h, inp.shape.w])], output: outputs },
  });
  return onnx.ModelProto.encode(model).finish();
}
