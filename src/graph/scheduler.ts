/**
 * Scheduler: optimized Graph -> Plan. Chooses a kernel and its overrides per node, packs
 * the weights into one blob in the layout each kernel reads, and plans the activation arena.
 *
 * Memory plan: see memory_plan.ts (activation slots reused by liveness).
 *
 * Constants: a `constant` node's data (channel-padded) goes into the weights blob, and one
 * `constant` step copies it into its slot right before the first step that reads it (every run,
 * since slots are reused); a constant nobody reads gets no step. canonicalize() folds the
 * common cases (a scalar / per-channel operand of add, sub, mul, div) into convs beforehand.
 * Concat: one or more `concat` steps write disjoint channel-group ranges of the same output
 * (planConcat), so an output may be written by several consecutive steps.
 */
import { type Graph, type Node, type Epilogue, type TensorShape, unreachable, GraphError } from './ir.js';
import { inferShapes } from './shapes.js';
import { type Plan, type PlanStep, type PlanTensor, type BindingRef } from './plan.js';
import { ACT_CODES, BINARY_BCAST, BINARY_OPS, ELEMENTWISE_OPS, NO_CLAMP, POOL_KINDS, RESIZE_MODES, type KernelName } from '../kernels/spec.js';
import { KERNELS } from '../kernels/index.js';
import { packPointwise } from '../kernels/pointwise.js';
import { CHAIN_SE_MAX_C4, CHAIN_SE_MAX_SQ4, CHAIN_SE_WORKGROUPS, CHAIN_TILE_QUADS } from '../kernels/pointwise_chain.js';
import { packDepthwise } from '../kernels/depthwise.js';
import { packConv2d } from '../kernels/conv2d.js';
import { im2colWeights } from '../kernels/im2col.js';
import { packResize } from '../kernels/resize.js';
import { planConcat, CONCAT_MAX_INPUTS } from '../kernels/concat.js';
import { SOFTMAX_WIDE_MIN_C4 } from '../kernels/softmax.js';
import { packConvTranspose } from '../kernels/conv_transpose.js';
import { packConstant } from '../kernels/constant.js';
import { nearestIndex, resizeSource } from './reference_ops.js';
import { isPointwise } from './passes/fuse_residual.js';
import { countGraph } from './stats.js';
import { ssdDecodeSteps } from './ssd_decode.js';
import { assignSlots } from './memory_plan.js';
import { WeightPacker } from './weight_packer.js';


const c4 = (c: number): number => Math.ceil(c / 4);
const clampOf = (r: [number, number] | undefined): { lo: number; hi: number } => (r ? { lo: r[0], hi: r[1] } : { lo: -NO_CLAMP, hi: NO_CLAMP });

function overrideLabel(kernel: KernelName, o: Record<string, number>, node: string): string {
  const parts = Object.keys(o).sort().map((k) => `${k}=${o[k]}`);
  return `${kernel}[${parts.join(',')}]#${node}`;
}

/** Plan-level fusions beyond the graph passes (the WebGPU backend's default; see fuseBlocks). */
export interface BlockFusion {
  /** the squeeze_excite step folded into the project conv after it (the gate computed in that kernel) */
  se: boolean;
  /** a 1x1 conv and the 1x1 conv reading its output (project + next expand, the classifier's two FCs) in one step */
  pairs: boolean;
}

export interface ScheduleOptions {
  /** default: none (one step per fused graph node) */
  blockFusion?: BlockFusion;
  /**
   * A dense (groups = 1) conv over at most 4 input channels (the stem) as two steps: an im2col
   * gather into K = kh*kw*in_c channels, then a pointwise GEMM over them (the WebGPU default on a
   * software adapter: one pipeline fewer to compile and a faster stem). Default: off (conv2d).
   */
  im2col?: boolean;
}

/** A step before the memory plan: tensors by binding name ('weights' / 'dummy' for the shared buffers). */
type Pending = Omit<PlanStep, 'bindings' | 'label' | 'dispatch' | 'fused'> & {
  tensors: Record<string, string | 'weights' | 'dummy'>;
  /** label suffix when one node runs as several steps */
  part?: string;
  /** nodes whose steps were merged into this one (fuseBlocks), after `node` */
  merged?: string[];
};

export function schedule(g: Graph, originalParams?: number, opts: ScheduleOptions = {}): Plan {
  const shapes = inferShapes(g);
  const packer = new WeightPacker();
  // alias resolution for reshape
  const root = new Map<string, string>();
  const rootOf = (t: string): string => root.get(t) ?? t;
  for (const n of g.nodes) if (n.op === 'reshape') root.set(n.output, rootOf(n.input));

  const pending: Pending[] = [];
  // constants are materialized lazily, right before their first reader
  const constants = new Map<string, Extract<Node, { op: 'constant' }>>();
  const materialized = new Set<string>();
  const materialize = (t: string): void => {
    const r = rootOf(t);
    const cn = constants.get(r);
    if (!cn || materialized.has(r)) return;
    materialized.add(r);
    const s = cn.shape;
    pending.push({
      node: cn.name, kernel: 'constant', overrides: {}, macs: 0,
      params: { count: s.h * s.w * c4(s.c), w_offset: packer.add(packConstant(cn.data, s.h * s.w, s.c)) },
      tensors: { weights: 'weights', output: cn.output },
    });
  };
  const push = (p: Pending): void => {
    for (const [k, t] of Object.entries(p.tensors)) if (k !== 'output' && t !== 'weights' && t !== 'dummy') materialize(t);
    pending.push(p);
  };

  const epi = (n: Node, e: Epilogue, allowResidual: boolean): { act: number; clamp: { lo: number; hi: number }; post: { lo: number; hi: number } } => {
    if (!allowResidual && e.residual) throw new GraphError('internal: residual epilogue on a kernel without one', n.name);
    if (!allowResidual && e.postClamp) {
      // no residual in between: clamp then postClamp is one clamp to the intersection
      // (disjoint ranges collapse to the postClamp bound nearest the first range)
      const c = clampOf(e.clamp);
      const [plo, phi] = e.postClamp;
      const lo = Math.min(Math.max(c.lo, plo), phi);
      const hi = Math.max(Math.min(c.hi, phi), lo);
      return { act: ACT_CODES[e.act], clamp: { lo, hi }, post: clampOf(undefined) };
    }
    return { act: ACT_CODES[e.act], clamp: clampOf(e.clamp), post: clampOf(e.postClamp) };
  };

  /**
   * A pointwise step for conv node `n` over `input` (inC channels; weight [outC][inC]): its SE
   * prologue, bias, activation, clamps and (allowResidual) residual from the node.
   */
  const pushPointwise = (n: Extract<Node, { op: 'conv2d' }>, input: string, inC: number, weight: Float32Array, macs: number, allowResidual: boolean): void => {
    const out = shapes.get(n.output)!;
    const packed = packPointwise(weight, n.outC, inC, n.bias);
    const e = epi(n, n.epilogue, allowResidual);
    const o = { ACT: e.act, HAS_SCALE: n.prologue ? 1 : 0, HAS_RES: n.epilogue.residual ? 1 : 0 };
    const sc = clampOf(n.prologue?.clamp);
    push({
      node: n.name, kernel: 'pointwise', overrides: o, macs,
      params: {
        pixels: out.h * out.w, in_c4: c4(inC), out_c4: c4(out.c), w_offset: packer.add(packed.weights), b_offset: packer.add(packed.bias), clamp_lo: e.clamp.lo, clamp_hi: e.clamp.hi,
        post_lo: e.post.lo, post_hi: e.post.hi, scale_lo: sc.lo, scale_hi: sc.hi,
      },
      tensors: { input, weights: 'weights', scale: n.prologue?.seScale ?? 'dummy', residual: n.epilogue.residual ?? 'dummy', output: n.output },
    });
  };

  for (const n of g.nodes) {
    const out = shapes.get(n.output)!;
    switch (n.op) {
      case 'conv2d': {
        const x = shapes.get(n.input)!;
        const macs = out.h * out.w * out.c * (x.c / n.groups) * n.kh * n.kw;
        if (isPointwise(n)) {
          pushPointwise(n, n.input, x.c, n.weight, macs, true);
        } else if (n.prologue) {
          throw new GraphError('internal: SE prologue on a non-pointwise conv', n.name);
        } else if (n.groups > 1 || (n.groups === 1 && x.c === 1 && n.outC === 1)) {
          if (n.kh > 7 || n.kw > 7) throw new GraphError(`depthwise kernel ${n.kh}x${n.kw} is larger than the supported 7x7`, n.name);
          const packed = packDepthwise(n.weight, x.c, n.kh, n.kw, n.bias);
          const e = epi(n, n.epilogue, false);
          push({
            node: n.name, kernel: 'depthwise', overrides: { ACT: e.act, KH: n.kh, KW: n.kw }, macs,
            params: {
              in_h: x.h, in_w: x.w, out_h: out.h, out_w: out.w, c4: c4(x.c), stride_h: n.strideH, stride_w: n.strideW, dil_h: n.dilationH, dil_w: n.dilationW,
              pad_t: n.pad[0], pad_l: n.pad[1], w_offset: packer.add(packed.weights), b_offset: packer.add(packed.bias), clamp_lo: e.clamp.lo, clamp_hi: e.clamp.hi,
            },
            tensors: { input: n.input, weights: 'weights', output: n.output },
          });
        } else if (opts.im2col && x.c <= 4) {
          const K = n.kh * n.kw * x.c;
          const cols = `${n.output}#im2col`;
          shapes.set(cols, { h: out.h, w: out.w, c: K });
          push({
            node: n.name, kernel: 'im2col', overrides: {}, macs: 0, part: '#im2col',
            params: {
              in_h: x.h, in_w: x.w, in_c: x.c, in_c4: c4(x.c), out_h: out.h, out_w: out.w, k: K, k4: c4(K), kh: n.kh, kw: n.kw,
              stride_h: n.strideH, stride_w: n.strideW, dil_h: n.dilationH, dil_w: n.dilationW, pad_t: n.pad[0], pad_l: n.pad[1],
            },
            tensors: { input: n.input, output: cols },
          });
          // no prologue here (checked above) and no residual (the stem conv's epilogue has none)
          pushPointwise(n, cols, K, im2colWeights(n.weight, n.outC, x.c, n.kh, n.kw), macs, false);
        } else {
          if (n.kh > 7 || n.kw > 7) throw new GraphError(`conv kernel ${n.kh}x${n.kw} is larger than the supported 7x7`, n.name);
          const packed = packConv2d(n.weight, n.outC, x.c, n.kh, n.kw, n.bias);
          const e = epi(n, n.epilogue, false);
          push({
            node: n.name, kernel: 'conv2d', overrides: { ACT: e.act, KH: n.kh, KW: n.kw }, macs,
            params: {
              in_h: x.h, in_w: x.w, in_c4: c4(x.c), out_h: out.h, out_w: out.w, out_c4: c4(out.c), stride_h: n.strideH, stride_w: n.strideW, dil_h: n.dilationH, dil_w: n.dilationW,
              pad_t: n.pad[0], pad_l: n.pad[1], w_offset: packer.add(packed.weights), b_offset: packer.add(packed.bias), clamp_lo: e.clamp.lo, clamp_hi: e.clamp.hi,
            },
            tensors: { input: n.input, weights: 'weights', output: n.output },
          });
        }
        break;
      }
      case 'squeeze_excite': {
        const x = shapes.get(n.input)!;
        const f1 = packPointwise(n.fc1.weight, n.squeeze, x.c, n.fc1.bias);
        const f2 = packPointwise(n.fc2.weight, x.c, n.squeeze, n.fc2.bias);
        const [pc, c1, c2] = [clampOf(n.poolClamp), clampOf(n.fc1.clamp), clampOf(n.fc2.clamp)];
        push({
          node: n.name, kernel: 'squeeze_excite', overrides: {}, macs: 2 * n.squeeze * x.c,
          params: {
            pixels: x.h * x.w, c4: c4(x.c), sq4: c4(n.squeeze), w1_offset: packer.add(f1.weights), b1_offset: packer.add(f1.bias),
            w2_offset: packer.add(f2.weights), b2_offset: packer.add(f2.bias), act1: ACT_CODES[n.fc1.act], act2: ACT_CODES[n.fc2.act],
            pool_lo: pc.lo, pool_hi: pc.hi, fc1_lo: c1.lo, fc1_hi: c1.hi, fc2_lo: c2.lo, fc2_hi: c2.hi,
          },
          tensors: { input: n.input, weights: 'weights', output: n.output, scratch: 'dummy' },
        });
        break;
      }
      case 'global_avg_pool': {
        const x = shapes.get(n.input)!;
        push({ node: n.name, kernel: 'global_pool', overrides: {}, macs: 0, params: { pixels: x.h * x.w, c4: c4(x.c) }, tensors: { input: n.input, output: n.output } });
        break;
      }
      case 'act':
      case 'add':
      case 'channel_scale': {
        const e = n.op === 'act' ? { act: ACT_CODES[n.act], clamp: clampOf(n.clamp) } : n.op === 'add' ? epi(n, n.epilogue, false) : { act: 0, clamp: clampOf(undefined) };
        const b = n.op === 'act' ? 'dummy' : n.op === 'add' ? n.inputs[1] : n.scale;
        const a = n.op === 'add' ? n.inputs[0] : n.input;
        push({
          node: n.name, kernel: 'elementwise', overrides: { OP: ELEMENTWISE_OPS[n.op], ACT: e.act }, macs: 0,
          params: { count: out.h * out.w * c4(out.c), c4: c4(out.c), clamp_lo: e.clamp.lo, clamp_hi: e.clamp.hi },
          tensors: { a, b, output: n.output },
        });
        break;
      }
      case 'batch_norm':
        throw new GraphError('internal: batch_norm reached the scheduler (run optimize() first)', n.name);
      case 'reshape':
        break;
      case 'constant':
        constants.set(n.output, n);
        break;
      case 'binary': {
        const a = shapes.get(n.inputs[0])!;
        const b = shapes.get(n.inputs[1])!;
        const aLen = a.h * a.w * a.c;
        const bLen = b.h * b.w * b.c;
        // the reference's indexing: same length -> i, one value -> 0, else per channel
        const bcast = bLen === aLen ? BINARY_BCAST.same : bLen === 1 ? BINARY_BCAST.scalar : BINARY_BCAST.channel;
        const e = epi(n, n.epilogue, true);
        push({
          node: n.name, kernel: 'binary', overrides: { OP: BINARY_OPS[n.kind], BCAST: bcast, ACT: e.act, HAS_RES: n.epilogue.residual ? 1 : 0 }, macs: 0,
          params: { count: out.h * out.w * c4(out.c), c4: c4(out.c), c: out.c, clamp_lo: e.clamp.lo, clamp_hi: e.clamp.hi, post_lo: e.post.lo, post_hi: e.post.hi },
          tensors: { a: n.inputs[0], b: n.inputs[1], residual: n.epilogue.residual ?? 'dummy', output: n.output },
        });
        break;
      }
      case 'resize': {
        const x = shapes.get(n.input)!;
        const table = packResize(x.h, x.w, out.h, out.w, n.mode, (d, inSize, outSize) => resizeSource(d, inSize, outSize, n.coord), (s) => nearestIndex(s, n.nearestMode));
        push({
          node: n.name, kernel: 'resize', overrides: { MODE: RESIZE_MODES[n.mode] }, macs: 0,
          params: { in_h: x.h, in_w: x.w, out_h: out.h, out_w: out.w, c4: c4(out.c), w_offset: packer.add(table) },
          tensors: { input: n.input, weights: 'weights', output: n.output },
        });
        break;
      }
      case 'concat': {
        if (out.c < 1) throw new GraphError('concat of zero channels', n.name);
        const parts = planConcat(out.h * out.w, n.inputs.map((t) => shapes.get(t)!.c));
        parts.forEach((d, k) => {
          const tensors: Record<string, string> = { output: n.output };
          for (let i = 0; i < CONCAT_MAX_INPUTS; i++) tensors[`in${i}`] = d.inputs[i] === undefined ? 'dummy' : n.inputs[d.inputs[i]];
          push({ node: n.name, kernel: 'concat', overrides: {}, macs: 0, params: d.params, tensors, part: parts.length > 1 ? `:${k + 1}/${parts.length}` : undefined });
        });
        break;
      }
      case 'pad': {
        const x = shapes.get(n.input)!;
        push({
          node: n.name, kernel: 'pad', overrides: {}, macs: 0,
          params: { in_h: x.h, in_w: x.w, out_h: out.h, out_w: out.w, c4: c4(out.c), c: out.c, pad_t: n.pad[0], pad_l: n.pad[1], value: n.value },
          tensors: { input: n.input, output: n.output },
        });
        break;
      }
      case 'pool2d': {
        const x = shapes.get(n.input)!;
        push({
          node: n.name, kernel: 'pool2d', overrides: { KIND: POOL_KINDS[n.kind] }, macs: 0,
          params: {
            in_h: x.h, in_w: x.w, out_h: out.h, out_w: out.w, c4: c4(out.c), kh: n.kh, kw: n.kw, stride_h: n.strideH, stride_w: n.strideW,
            pad_t: n.pad[0], pad_l: n.pad[1], count_include_pad: n.countIncludePad ? 1 : 0,
          },
          tensors: { input: n.input, output: n.output },
        });
        break;
      }
      case 'softmax':
      case 'argmax': {
        const x = shapes.get(n.input)!;
        const overrides: Record<string, number> = { WIDE: c4(x.c) > SOFTMAX_WIDE_MIN_C4 ? 1 : 0 };
        push({ node: n.name, kernel: n.op, overrides, macs: 0, params: { pixels: x.h * x.w, c4: c4(x.c), c: x.c }, tensors: { input: n.input, output: n.output } });
        break;
      }
      case 'conv_transpose': {
        const x = shapes.get(n.input)!;
        const packed = packConvTranspose(n.weight, x.c, n.outC, n.kh, n.kw, n.bias);
        const e = epi(n, n.epilogue, true);
        push({
          node: n.name, kernel: 'conv_transpose', overrides: { ACT: e.act, HAS_RES: n.epilogue.residual ? 1 : 0 }, macs: x.h * x.w * x.c * n.outC * n.kh * n.kw,
          params: {
            in_h: x.h, in_w: x.w, in_c4: c4(x.c), out_h: out.h, out_w: out.w, out_c4: c4(out.c), kh: n.kh, kw: n.kw, stride_h: n.strideH, stride_w: n.strideW,
            pad_t: n.pad[0], pad_l: n.pad[1], w_offset: packer.add(packed.weights), b_offset: packer.add(packed.bias),
            clamp_lo: e.clamp.lo, clamp_hi: e.clamp.hi, post_lo: e.post.lo, post_hi: e.post.hi,
          },
          tensors: { input: n.input, weights: 'weights', residual: n.epilogue.residual ?? 'dummy', output: n.output },
        });
        break;
      }
      case 'ssd_decode': {
        // one single-workgroup dispatch per feature map, all appending to the node's output
        const steps = ssdDecodeSteps(n, shapes, (a) => packer.add(a));
        steps.forEach((s, k) => push({ ...s, part: `:${k + 1}/${steps.length}` }));
        break;
      }
      default:
        unreachable(n, 'op');
    }
  }
  // a graph output that is a constant (or an alias of one) still needs its step
  for (const o of g.outputs) materialize(o);
  if (opts.blockFusion) fuseBlocks(pending, opts.blockFusion, rootOf);

  // ---- liveness and arena plan ----
  const tensorShape = (t: string): TensorShape => shapes.get(t)!;
  const life = new Map<string, [number, number]>();
  const touch = (t: string, i: number): void => {
    const r = rootOf(t);
    const l = life.get(r);
    if (!l) life.set(r, [i, i]);
    else l[1] = Math.max(l[1], i);
  };
  for (const inp of g.inputs) touch(inp.name, -1);
  pending.forEach((s, i) => {
    for (const [k, t] of Object.entries(s.tensors)) if (t !== 'weights' && t !== 'dummy' && k !== 'output') touch(t, i);
    if (s.tensors.output !== 'dummy') touch(s.tensors.output, i);
  });
  for (const o of g.outputs) touch(o, pending.length);
  const alloc = new Map<string, PlanTensor>();
  const { slotOf, slots } = assignSlots(life, (t) => {
    const sh = tensorShape(t);
    return Math.max(16, sh.h * sh.w * c4(sh.c) * 16);
  });
  for (const [name, slot] of slotOf) {
    const sh = tensorShape(name);
    alloc.set(name, { name, h: sh.h, w: sh.w, c: sh.c, c4: c4(sh.c), slot: slot.slot, bytes: slot.bytes });
  }
  const tensorOf = (t: string): PlanTensor => {
    const r = alloc.get(rootOf(t));
    if (!r) throw new GraphError(`internal: tensor '${t}' has no arena slot`);
    const s = tensorShape(t);
    return { ...r, name: t, h: s.h, w: s.w, c: s.c, c4: c4(s.c) };
  };

  const origins = new Map(g.nodes.map((n) => [n.name, n.origin ?? [n.name]]));
  const steps: PlanStep[] = pending.map((s) => {
    const bindings: Record<string, BindingRef> = {};
    for (const [k, t] of Object.entries(s.tensors)) {
      if (t === 'weights') bindings[k] = { buffer: 'weights' };
      else if (t === 'dummy') bindings[k] = { buffer: 'dummy' };
      else {
        const pt = tensorOf(t);
        bindings[k] = { buffer: 'arena', slot: pt.slot, size: pt.bytes, tensor: t };
      }
    }
    const spec = KERNELS[s.kernel];
    const fused = [s.node, ...(s.merged ?? [])].flatMap((n) => origins.get(n) ?? [n]);
    return { node: s.node, fused, kernel: s.kernel, overrides: s.overrides, params: s.params, bindings, dispatch: spec.dispatchSize(s.params, s.overrides), label: overrideLabel(s.kernel, s.overrides, s.node) + (s.part ?? ''), macs: s.macs };
  });
  const weights = packer.finish();
  const counted = countGraph(g);
  return {
    name: g.name,
    input: tensorOf(g.inputs[0].name),
    outputs: g.outputs.map(tensorOf),
    tensors: [...alloc.values()],
    steps,
    slots,
    weights,
    ...(opts.blockFusion ? { blockFusion: { ...opts.blockFusion } } : {}),
    ...(pending.some((p) => p.kernel === 'im2col') ? { im2col: true } : {}),
    stats: {
      dispatches: steps.length,
      arenaBytes: slots.reduce((a, b) => a + b, 0),
      weightBytes: weights.byteLength,
      macs: steps.reduce((a, s) => a + s.macs, 0),
      params: originalParams ?? counted.params,
    },
  };
}

/**
 * Pixel quads per workgroup: enough (quad, channel pair) items of the first layer for the 64
 * threads (a thin project conv, e.g. 16 channels, would leave most of them idle), at least
 * CHAIN_TILE_QUADS, at most 16 and never more than the tensor has.
 */
function chainTile(pixels: number, midC4: number): number {
  const want = Math.max(CHAIN_TILE_QUADS, Math.min(16, Math.ceil(64 / Math.ceil(midC4 / 2))));
  return Math.max(1, Math.min(want, Math.ceil(pixels / 4)));
}

/** pointwise step -> the equivalent pointwise_chain step with HAS_NEXT = 0 (same arithmetic) */
function chainOf(p: Pending): Pending {
  const q = p.params;
  const none = clampOf(undefined);
  return {
    ...p,
    kernel: 'pointwise_chain',
    overrides: { ACT: p.overrides.ACT, ACT2: 0, SCALE: p.overrides.HAS_SCALE, HAS_RES: p.overrides.HAS_RES, HAS_NEXT: 0 },
    params: {
      pixels: q.pixels, in_c4: q.in_c4, mid_c4: q.out_c4, out_c4: q.out_c4, tile_quads: chainTile(q.pixels, q.out_c4),
      w_offset: q.w_offset, b_offset: q.b_offset, w2_offset: 0, b2_offset: 0,
      sq4: 0, se_w1: 0, se_b1: 0, se_w2: 0, se_b2: 0, se_act1: 0, se_act2: 0,
      clamp_lo: q.clamp_lo, clamp_hi: q.clamp_hi, post_lo: q.post_lo, post_hi: q.post_hi, scale_lo: q.scale_lo, scale_hi: q.scale_hi,
      c2_lo: none.lo, c2_hi: none.hi, post2_lo: none.lo, post2_hi: none.hi,
      pool_lo: none.lo, pool_hi: none.hi, fc1_lo: none.lo, fc1_hi: none.hi, fc2_lo: none.lo, fc2_hi: none.hi,
    },
    // HAS_NEXT = 0 writes only `mid`; `output` gets the writable dummy (a second writable binding of one buffer is invalid)
    tensors: { input: p.tensors.input, weights: 'weights', scale: p.tensors.scale, residual: p.tensors.residual, mid: p.tensors.output, output: 'dummy' },
  };
}

/**
 * Merges steps in place (before the memory plan, so liveness sees the merged steps):
 * - se: a squeeze_excite step whose gate only the next project conv reads, on the same input,
 *   becomes that conv's in-kernel SE (pointwise_chain SCALE=2; within the kernel's limits);
 * - pairs: a 1x1 conv (or a chain step from above) followed by the 1x1 conv that reads its output
 *   and has no prologue or residual of its own becomes one pointwise_chain step with HAS_NEXT=1
 *   (the first conv's output is still written: later steps, e.g. a residual, may read it).
 * Each merge removes one dispatch; the arithmetic per element is unchanged.
 */
function fuseBlocks(steps: Pending[], opts: BlockFusion, rootOf: (t: string) => string): void {
  const writes = (s: Pending): string[] => [s.tensors.output, s.tensors.mid].filter((t) => t !== undefined && t !== 'dummy').map(rootOf);
  const readers = (t: string, except: Pending): number =>
    steps.filter((s) => s !== except && Object.entries(s.tensors).some(([k, v]) => k !== 'output' && k !== 'mid' && v !== 'weights' && v !== 'dummy' && rootOf(v) === rootOf(t))).length;
  if (opts.se) {
    for (let i = 0; i < steps.length; i++) {
      const se = steps[i];
      if (se.kernel !== 'squeeze_excite') continue;
      const j = steps.findIndex((s, k) => k > i && s.kernel === 'pointwise' && s.overrides.HAS_SCALE === 1 && rootOf(s.tensors.scale) === rootOf(se.tensors.output));
      if (j < 0) continue;
      const pw = steps[j];
      if (rootOf(pw.tensors.input) !== rootOf(se.tensors.input) || readers(se.tensors.output, pw) > 0) continue;
      if (se.params.c4 > CHAIN_SE_MAX_C4 || se.params.sq4 > CHAIN_SE_MAX_SQ4 || se.params.c4 !== pw.params.in_c4) continue;
      const c = chainOf(pw);
      const sp = se.params;
      c.overrides = { ...c.overrides, SCALE: 2 };
      c.params = {
        ...c.params, tile_quads: Math.max(c.params.tile_quads, Math.ceil(c.params.pixels / 4 / CHAIN_SE_WORKGROUPS)), sq4: sp.sq4, se_w1: sp.w1_offset, se_b1: sp.b1_offset, se_w2: sp.w2_offset, se_b2: sp.b2_offset, se_act1: sp.act1, se_act2: sp.act2,
        pool_lo: sp.pool_lo, pool_hi: sp.pool_hi, fc1_lo: sp.fc1_lo, fc1_hi: sp.fc1_hi, fc2_lo: sp.fc2_lo, fc2_hi: sp.fc2_hi,
      };
      c.tensors = { ...c.tensors, scale: 'dummy' };
      c.macs += se.macs;
      c.merged = [se.node, ...(c.merged ?? [])];
      c.part = `${c.part ?? ''}+se`;
      steps[j] = c;
      steps.splice(i, 1);
      i--;
    }
  }
  if (opts.pairs) {
    for (let i = 0; i < steps.length; i++) {
      const a = steps[i];
      if (a.kernel !== 'pointwise' && !(a.kernel === 'pointwise_chain' && a.overrides.HAS_NEXT === 0)) continue;
      const out = a.kernel === 'pointwise' ? a.tensors.output : a.tensors.mid;
      const j = steps.findIndex((s, k) => k > i && s.kernel === 'pointwise' && rootOf(s.tensors.input) === rootOf(out));
      if (j < 0) continue;
      const b = steps[j];
      if (b.overrides.HAS_SCALE !== 0 || b.overrides.HAS_RES !== 0) continue;
      // nothing between them may write the second conv's output (it moves up to the first one's place)
      if (steps.slice(i + 1, j).some((s) => writes(s).includes(rootOf(b.tensors.output)))) continue;
      const c = a.kernel === 'pointwise' ? chainOf(a) : { ...a };
      const bp = b.params;
      c.overrides = { ...c.overrides, ACT2: b.overrides.ACT, HAS_NEXT: 1 };
      c.params = {
        ...c.params, out_c4: bp.out_c4, w2_offset: bp.w_offset, b2_offset: bp.b_offset,
        c2_lo: bp.clamp_lo, c2_hi: bp.clamp_hi, post2_lo: bp.post_lo, post2_hi: bp.post_hi,
      };
      c.tensors = { ...c.tensors, output: b.tensors.output };
      c.macs += b.macs;
      c.merged = [...(c.merged ?? []), b.node];
      c.part = `${c.part ?? ''}+${b.node}`;
      steps[i] = c;
      steps.splice(j, 1);
    }
  }
}
