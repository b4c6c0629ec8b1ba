/** CPU twin of shaders/concat.wgsl (writes only its dispatch's output channel groups). */
import type { OverrideValues, ParamValues } from '../spec.js';
import { view } from './act.js';

export function cpuConcat(views: Record<string, Float32Array>, params: ParamValues, _overrides: OverrideValues): void {
  const output = view(views, 'output', 'concat');
  const { pixels, out_c4: outC4, q_lo: qLo, q_count: qCount } = params;
  const ins = [0, 1, 2, 3].map((k) => ({ off: params[`in${k}_off`], c: params[`in${k}_c`], c4: params[`in${k}_c4`], k }));
  const data = ins.map((i) => (i.c > 0 ? view(views, `in${i.k}`, 'concat') : undefined));
  for (let p = 0; p < pixels; p++) {
    for (let q = qLo; q < qLo + qCount; q++) {
      for (let j = 0; j < 4; j++) {
        const ch = q * 4 + j;
        const k = ins.findIndex((i) => ch >= i.off && ch < i.off + i.c);
        output[(p * outC4 + q) * 4 + j] = k < 0 ? 0 : data[k]![p * ins[k].c4 * 4 + ch - ins[k].off];
      }
    }
  }
}
