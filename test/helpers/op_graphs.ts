/**
 * Small single-input graphs that use every op the importers emit (constant, binary, resize,
 * concat, pad, pool2d, softmax, conv_transpose, argmax, reshape), in shapes that exercise the
 * channel padding (3, 5, 20 channels), several dispatches per concat, constants read by several
 * steps, and slot reuse. Used by the CPU-plan test (vs the float64 reference) and the GPU-plan
 * test (vs the CPU executor).
 */
import type { BinaryOp, Conv2dNode, Epilogue, Graph, Node, ResizeCoord, TensorShape } from '../../src/graph/ir.js';
import { Rng } from '../../src/graph/rng.js';

export interface OpGraph {
  name: string;
  graph: Graph;
  /** the ops the plan of the UNOPTIMIZED graph must run (kernel names) */
  kernels: string[];
}

function builder(seed: number) {
  const rng = new Rng(seed);
  const nodes: Node[] = [];
  const conv = (name: string, input: string, inC: number, outC: number, o: Partial<Conv2dNode> = {}): string => {
    const kh = o.kh ?? 1;
    const kw = o.kw ?? 1;
    const p = (kh - 1) >> 1;
    nodes.push({
      op: 'conv2d', name, input, output: name, outC, kh, kw, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, pad: [p, p, p, p], groups: 1,
      weight: rng.fill(outC * inC * kh * kw, -0.5, 0.5), bias: rng.fill(outC, -0.5, 0.5), epilogue: { act: 'none' }, ...o,
    });
    return name;
  };
  const constant = (name: string, shape: TensorShape, lo = -1, hi = 1): string => {
    nodes.push({ op: 'constant', name, output: name, shape, data: rng.fill(shape.h * shape.w * shape.c, lo, hi) });
    return name;
  };
  const binary = (name: string, kind: BinaryOp, a: string, b: string, epilogue: Epilogue = { act: 'none' }): string => {
    nodes.push({ op: 'binary', name, kind, inputs: [a, b], output: name, epilogue });
    return name;
  };
  return { rng, nodes, conv, constant, binary };
}

const input = (shape: TensorShape): Graph['inputs'] => [{ name: 'x', shape }];

export function opGraphs(): OpGraph[] {
  const out: OpGraph[] = [];

  // resize: every mode x coordinate mode, up and down, odd sizes, 5 channels
  {
    const b = builder(1);
    const outs: string[] = [];
    const coords: ResizeCoord[] = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'];
    for (const coord of coords) {
      for (const mode of ['bilinear', 'nearest'] as const) {
        for (const [oh, ow] of [
          [9, 4],
          [14, 17],
          [1, 1],
        ]) {
          const name = `r_${mode}_${coord}_${oh}x${ow}`;
          b.nodes.push({ op: 'resize', name, input: 'x', output: name, outH: oh, outW: ow, mode, coord });
          outs.push(name);
        }
      }
    }
    for (const nearestMode of ['round_prefer_floor', 'round_prefer_ceil', 'ceil'] as const) {
      const name = `r_nearest_align_corners_${nearestMode}`;
      b.nodes.push({ op: 'resize', name, input: 'x', output: name, outH: 9, outW: 13, mode: 'nearest', coord: 'align_corners', nearestMode });
      outs.push(name);
    }
    out.push({ name: 'resize', graph: { name: 'resize', inputs: input({ h: 5, w: 7, c: 5 }), outputs: outs, nodes: b.nodes }, kernels: ['resize'] });
  }

  // concat of 7 inputs with odd channel counts (several dispatches), consumed by a conv; a
  // constant inside the concat; a concat of a tensor with itself
  {
    const b = builder(2);
    const parts = [b.conv('c1', 'x', 3, 1), 'x', b.conv('c5', 'x', 3, 5, { kh: 3, kw: 3 }), b.conv('c2', 'x', 3, 2), b.constant('k', { h: 6, w: 5, c: 3 }), b.conv('c8', 'x', 3, 8), b.conv('c7', 'x', 3, 7)];
    b.nodes.push({ op: 'concat', name: 'cat', inputs: parts, output: 'cat' });
    b.conv('head', 'cat', 29, 6, { kh: 3, kw: 3, epilogue: { act: 'hswish' } });
    b.nodes.push({ op: 'concat', name: 'twice', inputs: ['c5', 'c5'], output: 'twice' });
    out.push({ name: 'concat', graph: { name: 'concat', inputs: input({ h: 6, w: 5, c: 3 }), outputs: ['head', 'cat', 'twice'], nodes: b.nodes }, kernels: ['concat', 'constant'] });
  }

  // pad (zero and non-zero) then conv / pools of every kind, incl. a large LR-ASPP-like window
  {
    const b = builder(3);
    b.nodes.push({ op: 'pad', name: 'p0', input: 'x', output: 'p0', pad: [0, 0, 1, 1], value: 0 });
    b.conv('cs2', 'p0', 5, 8, { kh: 3, kw: 3, strideH: 2, strideW: 2, pad: [0, 0, 0, 0], epilogue: { act: 'relu' } });
    b.nodes.push({ op: 'pad', name: 'p1', input: 'cs2', output: 'p1', pad: [1, 2, 0, 1], value: -0.75 });
    b.nodes.push({ op: 'pool2d', name: 'mx', kind: 'max', input: 'p1', output: 'mx', kh: 3, kw: 3, strideH: 2, strideW: 2, pad: [1, 1, 1, 1], countIncludePad: false });
    b.nodes.push({ op: 'pool2d', name: 'av', kind: 'avg', input: 'x', output: 'av', kh: 3, kw: 2, strideH: 1, strideW: 2, pad: [1, 0, 1, 1], countIncludePad: false });
    b.nodes.push({ op: 'pool2d', name: 'avp', kind: 'avg', input: 'x', output: 'avp', kh: 2, kw: 2, strideH: 2, strideW: 2, pad: [1, 1, 0, 0], countIncludePad: true });
    b.nodes.push({ op: 'pool2d', name: 'big', kind: 'avg', input: 'x', output: 'big', kh: 15, kw: 15, strideH: 4, strideW: 5, pad: [0, 0, 0, 0], countIncludePad: false });
    out.push({ name: 'pad_pool', graph: { name: 'pad_pool', inputs: input({ h: 19, w: 23, c: 5 }), outputs: ['mx', 'av', 'avp', 'big'], nodes: b.nodes }, kernels: ['pad', 'pool2d'] });
  }

  // classifier tail: softmax over 1001 (wide), per-pixel softmax (narrow) and argmax
  {
    const b = builder(4);
    b.nodes.push({ op: 'global_avg_pool', name: 'gp', input: 'x', output: 'gp' });
    b.conv('fc', 'gp', 20, 1001);
    b.nodes.push({ op: 'reshape', name: 'flat', input: 'fc', output: 'flat', shape: { h: 1, w: 1, c: 1001 } });
    b.nodes.push({ op: 'softmax', name: 'prob', input: 'flat', output: 'prob' });
    b.nodes.push({ op: 'argmax', name: 'top', input: 'fc', output: 'top' });
    b.conv('seg', 'x', 20, 21, { epilogue: { act: 'none' } });
    b.nodes.push({ op: 'softmax', name: 'segp', input: 'seg', output: 'segp' });
    b.nodes.push({ op: 'argmax', name: 'mask', input: 'seg', output: 'mask' });
    out.push({ name: 'softmax_argmax', graph: { name: 'softmax_argmax', inputs: input({ h: 7, w: 9, c: 20 }), outputs: ['prob', 'top', 'segp', 'mask'], nodes: b.nodes }, kernels: ['softmax', 'argmax'] });
  }

  // decoder: conv_transpose (with residual and clamps), resize and a skip add
  {
    const b = builder(5);
    b.conv('enc', 'x', 3, 8, { kh: 3, kw: 3, strideH: 2, strideW: 2, pad: [1, 1, 1, 1], epilogue: { act: 'relu6' } });
    const oh = (4 - 1) * 2 + 4 - 2 + 1;
    const ow = (5 - 1) * 2 + 4 - 2 + 0;
    b.nodes.push({ op: 'resize', name: 'skip', input: 'x', output: 'skip', outH: oh, outW: ow, mode: 'bilinear', coord: 'half_pixel' });
    b.conv('skip5', 'skip', 3, 5);
    b.nodes.push({
      op: 'conv_transpose', name: 'up', input: 'enc', output: 'up', outC: 5, kh: 4, kw: 4, strideH: 2, strideW: 2, pad: [1, 1, 1, 1], outputPadding: [1, 0],
      weight: b.rng.fill(8 * 5 * 16, -0.3, 0.3), bias: b.rng.fill(5, -0.2, 0.2), epilogue: { act: 'hswish', clamp: [-0.2, 3], residual: 'skip5', postClamp: [-1, 2.5] },
    });
    b.nodes.push({
      op: 'conv_transpose', name: 'up2', input: 'up', output: 'up2', outC: 3, kh: 3, kw: 3, strideH: 3, strideW: 2, pad: [0, 1, 2, 0], outputPadding: [0, 1],
      weight: b.rng.fill(5 * 3 * 9, -0.3, 0.3), epilogue: { act: 'none' },
    });
    out.push({ name: 'conv_transpose', graph: { name: 'conv_transpose', inputs: input({ h: 8, w: 9, c: 3 }), outputs: ['up', 'up2'], nodes: b.nodes }, kernels: ['conv_transpose', 'resize'] });
  }

  // binary: every kind, every broadcast, constants as either operand, epilogues with residual
  {
    const b = builder(6);
    const outs: string[] = [];
    b.constant('s', { h: 1, w: 1, c: 1 }, 0.5, 1.5);
    b.constant('v', { h: 1, w: 1, c: 5 }, 0.5, 1.5);
    b.conv('y', 'x', 5, 5, { epilogue: { act: 'relu' } });
    b.conv('yp', 'x', 5, 5, { epilogue: { act: 'sigmoid' } }); // > 0: a safe divisor
    for (const kind of ['add', 'sub', 'mul', 'div', 'max', 'min'] as BinaryOp[]) {
      outs.push(b.binary(`${kind}_same`, kind, 'x', 'yp', kind === 'div' ? { act: 'none', clamp: [-20, 20] } : { act: 'none' }));
      outs.push(b.binary(`${kind}_chan`, kind, 'y', 'v', { act: 'hswish' }));
      outs.push(b.binary(`${kind}_scalar`, kind, 'x', 's', { act: 'relu6', clamp: [0.25, 5] }));
    }
    b.nodes.push({ op: 'global_avg_pool', name: 'gp', input: 'x', output: 'gp' });
    outs.push(b.binary('const_first', 'sub', 'v', 'gp'));
    outs.push(b.binary('gate', 'mul', 'x', 'gp'));
    outs.push(b.binary('res', 'add', 'x', 'y', { act: 'sigmoid', residual: 'x', postClamp: [-0.5, 1.25] }));
    out.push({ name: 'binary', graph: { name: 'binary', inputs: input({ h: 4, w: 6, c: 5 }), outputs: outs, nodes: b.nodes }, kernels: ['binary', 'constant'] });
  }

  // constants as graph outputs and through reshape aliases; a constant read by several steps
  {
    const b = builder(7);
    b.constant('k', { h: 1, w: 1, c: 6 });
    b.nodes.push({ op: 'reshape', name: 'kr', input: 'k', output: 'kr', shape: { h: 1, w: 1, c: 6 } });
    b.conv('a', 'x', 2, 6);
    b.binary('a1', 'max', 'a', 'kr');
    b.binary('a2', 'min', 'a1', 'k');
    b.constant('unused', { h: 3, w: 3, c: 3 });
    b.constant('shown', { h: 2, w: 1, c: 3 });
    out.push({ name: 'constants', graph: { name: 'constants', inputs: input({ h: 3, w: 4, c: 2 }), outputs: ['a2', 'shown', 'kr'], nodes: b.nodes }, kernels: ['constant', 'binary'] });
  }

  return out;
}
