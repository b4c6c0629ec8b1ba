/**
 * Moves an IR graph (with its Float32Array weights) between Node and the bench page: JSON for
 * the structure, one little-endian f32 blob for every typed array, so the page loads exactly
 * the weights that Node built (and used for the reference output) without recalibrating.
 */
import type { Graph } from '../../src/graph/ir.js';

interface BlobRef {
  $f32: [offset: number, length: number];
}

const isBlobRef = (v: unknown): v is BlobRef => typeof v === 'object' && v !== null && Array.isArray((v as BlobRef).$f32);

/** -> { json, bin }: json refers to ranges (in floats) of bin. */
export function serializeGraph(g: Graph): { json: string; bin: Float32Array } {
  const parts: Float32Array[] = [];
  let offset = 0;
  const json = JSON.stringify(g, (_key, value: unknown) => {
    if (value instanceof Float32Array) {
      const ref: BlobRef = { $f32: [offset, value.length] };
      parts.push(value);
      offset += value.length;
      return ref;
    }
    return value;
  });
  const bin = new Float32Array(offset);
  let o = 0;
  for (const p of parts) {
    bin.set(p, o);
    o += p.length;
  }
  return { json, bin };
}

export function deserializeGraph(json: string, bin: Float32Array): Graph {
  return JSON.parse(json, (_key, value: unknown) => {
    if (isBlobRef(value)) {
      const [off, len] = value.$f32;
      return bin.slice(off, off + len);
    }
    return value;
  }) as Graph;
}
