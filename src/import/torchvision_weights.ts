/**
 * Loads a torchvision MobileNetV3 state_dict (saved as safetensors) into a graph built by
 * `buildGraph`, whose node names are torchvision's module paths. Every tensor is checked:
 * a missing, extra or mis-shaped tensor is a ModelFormatError naming it and both shapes.
 */
import type { Graph } from '../graph/ir.js';
import { inferShapes } from '../graph/shapes.js';
import { ModelFormatError } from './errors.js';
import { firstNonFinite } from '../graph/finite.js';
import { readSafetensors, type SafeTensor } from './safetensors.js';

interface Slot {
  shape: number[];
  assign(data: Float32Array): void;
}

/** The state_dict keys a graph expects, with their shapes and where the data goes. */
export function expectedStateDict(g: Graph): Map<string, Slot> {
  const shapes = inferShapes(g);
  const m = new Map<string, Slot>();
  for (const n of g.nodes) {
    if (n.op === 'conv2d') {
      const inC = shapes.get(n.input)!.c / n.groups;
      // torchvision's classification head is nn.Linear (2-D weights); LR-ASPP's
      // `classifier.cbr.0` etc. and the SSDLite heads are Conv2d (4-D)
      const linear = /^classifier\.\d+$/.test(n.name);
      m.set(`${n.name}.weight`, { shape: linear ? [n.outC, inC] : [n.outC, inC, n.kh, n.kw], assign: (d) => n.weight.set(d) });
      if (n.bias) m.set(`${n.name}.bias`, { shape: [n.outC], assign: (d) => n.bias!.set(d) });
    } else if (n.op === 'batch_norm') {
      const c = n.gamma.length;
      m.set(`${n.name}.weight`, { shape: [c], assign: (d) => n.gamma.set(d) });
      m.set(`${n.name}.bias`, { shape: [c], assign: (d) => n.beta.set(d) });
      m.set(`${n.name}.running_mean`, { shape: [c], assign: (d) => n.mean.set(d) });
      m.set(`${n.name}.running_var`, { shape: [c], assign: (d) => n.variance.set(d) });
    }
  }
  return m;
}

/** Copies the state_dict into the graph's weight arrays (in place). */
export function applyStateDict(g: Graph, tensors: Map<string, SafeTensor>, file: string): void {
  const expected = expectedStateDict(g);
  const missing = [...expected.keys()].filter((k) => !tensors.has(k));
  if (missing.length) {
    const k = missing[0];
    throw new ModelFormatError(file, `missing from the file (expected shape [${expected.get(k)!.shape.join(', ')}] for ${g.name})${missing.length > 1 ? `; ${missing.length - 1} more missing` : ''}`, k);
  }
  const extra = [...tensors.keys()].filter((k) => !expected.has(k) && !k.endsWith('.num_batches_tracked'));
  if (extra.length) {
    throw new ModelFormatError(file, `unexpected tensor (not part of ${g.name})${extra.length > 1 ? `; ${extra.length - 1} more: ${extra.slice(1, 4).join(', ')}` : ''}`, extra[0]);
  }
  for (const [k, slot] of expected) {
    const t = tensors.get(k)!;
    if (t.shape.length !== slot.shape.length || t.shape.some((d, i) => d !== slot.shape[i])) {
      throw new ModelFormatError(file, `shape [${t.shape.join(', ')}] does not match the expected [${slot.shape.join(', ')}]`, k);
    }
    if (!['F32', 'F16', 'BF16', 'F64'].includes(t.dtype)) throw new ModelFormatError(file, `dtype ${t.dtype} is not a float type`, k);
    const bad = firstNonFinite(t.data);
    if (bad >= 0) throw new ModelFormatError(file, `value ${t.data[bad]} at index ${bad} (of ${t.data.length}) is not finite; weights must be finite numbers`, k);
  }
  for (const [k, slot] of expected) slot.assign(tensors.get(k)!.data);
}

export function loadTorchvisionSafetensors(g: Graph, bytes: Uint8Array, file = 'weights.safetensors'): void {
  applyStateDict(g, readSafetensors(bytes, file), file);
}
