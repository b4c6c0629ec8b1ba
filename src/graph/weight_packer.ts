/** The Plan's weights blob: every kernel's packed weights appended at vec4-aligned offsets. */
export class WeightPacker {
  private chunks: Float32Array[] = [];
  private length = 0; // floats
  /** appends (vec4-aligned) and returns the vec4 offset */
  add(a: Float32Array): number {
    const off = this.length / 4;
    const padded = a.length % 4 === 0 ? a : (() => {
      const p = new Float32Array(Math.ceil(a.length / 4) * 4);
      p.set(a);
      return p;
    })();
    this.chunks.push(padded);
    this.length += padded.length;
    return off;
  }
  finish(): Float32Array {
    const out = new Float32Array(Math.max(4, this.length));
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}
