/**
 * Recognises the decomposed hard activations that exporters emit (Paddle2ONNX, older
 * PyTorch) before conversion, so an imported MobileNetV3 gets one `act` node per activation
 * like the native variant instead of four elementwise dispatches:
 *   x * Clip(x + 3, 0, 6) / 6        -> HardSwish(x)
 *   Clip(x + 3, 0, 6) / 6            -> HardSigmoid(x; 1/6, 1/2)
 *   x * HardSigmoid(x; 1/6, 1/2)     -> HardSwish(x)
 * (Div by 6 or Mul by 1/6 both count.) A pattern is rewritten only when every intermediate
 * value has exactly one reader and is not a graph output, so nothing else can observe it.
 */
import type { NodeInfo } from './onnx_ctx.js';
import { Attrs } from './onnx_tensor.js';

const near = (a: number | undefined, b: number): boolean => a !== undefined && Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));

export function rewriteHardActivations(nodes: NodeInfo[], uses: ReadonlyMap<string, number>, scalar: (name: string) => number | undefined): NodeInfo[] {
  const producer = new Map<string, NodeInfo>();
  for (const n of nodes) for (const o of n.outputs) producer.set(o, n);
  const removed = new Set<NodeInfo>();
  const replaced = new Map<NodeInfo, NodeInfo>();
  const single = (v: string): boolean => uses.get(v) === 1;
  /** the node producing v, when v has one reader and op matches */
  const from = (v: string, op: string): NodeInfo | undefined => {
    const p = producer.get(v);
    return p && p.opType === op && p.domain === '' && single(v) && !removed.has(p) ? p : undefined;
  };

  /** v = Clip(x + 3, 0, 6): returns x and the two nodes */
  const relu6Plus3 = (v: string): { x: string; parts: NodeInfo[] } | undefined => {
    const clip = from(v, 'Clip');
    if (!clip) return undefined;
    let lo: number | undefined;
    let hi: number | undefined;
    try {
      lo = clip.attrs.has('min') ? clip.attrs.float('min', 0) : clip.inputs[1] ? scalar(clip.inputs[1]) : undefined;
      hi = clip.attrs.has('max') ? clip.attrs.float('max', 0) : clip.inputs[2] ? scalar(clip.inputs[2]) : undefined;
    } catch {
      return undefined;
    }
    if (!near(lo, 0) || !near(hi, 6)) return undefined;
    const add = from(clip.inputs[0], 'Add');
    if (!add) return undefined;
    const k = [0, 1].find((i) => near(scalar(add.inputs[i]), 3));
    if (k === undefined) return undefined;
    return { x: add.inputs[1 - k], parts: [clip, add] };
  };

  /** n divides by 6 (Div) or multiplies by 1/6 (Mul): returns the other operand */
  const overSix = (n: NodeInfo): string | undefined => {
    if (n.opType === 'Div' && near(scalar(n.inputs[1]), 6)) return n.inputs[0];
    if (n.opType === 'Mul') {
      const k = [0, 1].find((i) => near(scalar(n.inputs[i]), 1 / 6));
      if (k !== undefined) return n.inputs[1 - k];
    }
    return undefined;
  };

  const originalOf = new Map<NodeInfo, NodeInfo>();
  const make = (n: NodeInfo, opType: string, x: string, attrs: Attrs = new Attrs([])): NodeInfo => {
    const r = { ...n, opType, inputs: [x], attrs };
    originalOf.set(r, n);
    return r;
  };

  for (const n of nodes) {
    if (n.domain !== '' || removed.has(n)) continue;
    const v = overSix(n);
    if (v !== undefined) {
      const mul = from(v, 'Mul');
      if (mul) {
        for (const k of [0, 1]) {
          const r = relu6Plus3(mul.inputs[k]);
          if (r && r.x === mul.inputs[1 - k]) {
            for (const p of [...r.parts, mul]) removed.add(p);
            const hs = make(n, 'HardSwish', r.x);
            replaced.set(n, hs);
            producer.set(n.outputs[0], hs);
            break;
          }
        }
        if (replaced.has(n)) continue;
      }
      const r = relu6Plus3(v);
      if (r) {
        for (const p of r.parts) removed.add(p);
        const hsig = make(n, 'HardSigmoid', r.x, new Attrs([{ name: 'alpha', type: 1, f: 1 / 6 }, { name: 'beta', type: 1, f: 0.5 }]));
        replaced.set(n, hsig);
        producer.set(n.outputs[0], hsig);
        continue;
      }
    }
    if (n.opType === 'Mul') {
      for (const k of [0, 1]) {
        const hs = from(n.inputs[k], 'HardSigmoid');
        if (!hs || hs.inputs[0] !== n.inputs[1 - k]) continue;
        let alpha: number;
        let beta: number;
        try {
          alpha = hs.attrs.float('alpha', 0.2);
          beta = hs.attrs.float('beta', 0.5);
        } catch {
          continue;
        }
        if (!near(alpha, 1 / 6) || !near(beta, 0.5)) continue;
        removed.add(originalOf.get(hs) ?? hs);
        const sw = make(n, 'HardSwish', hs.inputs[0]);
        replaced.set(n, sw);
        producer.set(n.outputs[0], sw);
        break;
      }
    }
  }
  return nodes.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n);
}
