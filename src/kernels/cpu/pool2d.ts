/** CPU twin of shaders/pool2d.wgsl. */
import { POOL_KINDS, type OverrideValues, type ParamValues } from '../spec.js';
import { POOL_EMPTY_MAX } from '../pool2d.js';
import { view } from './act.js';

export function cpuPool2d(views: Record<string, Float32Array>, params: ParamValues, overrides: OverrideValues): void {
  const input = view(views, 'input', 'pool2d');
  const output = view(views, 'output', 'pool2d');
  const { in_h: inH, in_w: inW, out_h: outH, out_w: outW, c4, kh, kw } = params;
  const { stride_h: sh, stride_w: sw, pad_t: pt, pad_l: pl } = params;
  const isMax = overrides.KIND === POOL_KINDS.max;
  if (!isMax && overrides.KIND !== POOL_KINDS.avg) throw new Error(`cpu pool2d: unknown KIND ${overrides.KIND}`);
  const C = c4 * 4;
  const acc = new Float64Array(C);
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      const iy0 = oy * sh - pt;
      const ix0 = ox * sw - pl;
      const kyLo = Math.max(-iy0, 0);
      const kyHi = Math.min(Math.max(inH - iy0, 0), kh);
      const kxLo = Math.max(-ix0, 0);
      const kxHi = Math.min(Math.max(inW - ix0, 0), kw);
      acc.fill(isMax ? POOL_EMPTY_MAX : 0);
      for (let ky = kyLo; ky < kyHi; ky++) {
        for (let kx = kxLo; kx < kxHi; kx++) {
          const ib = ((iy0 + ky) * inW + ix0 + kx) * C;
          for (let k = 0; k < C; k++) acc[k] = isMax ? Math.max(acc[k], input[ib + k]) : acc[k] + input[ib + k];
        }
      }
      const count = params.count_include_pad === 1 ? kh * kw : Math.max(kyHi > kyLo && kxHi > kxLo ? (kyHi - kyLo) * (kxHi - kxLo) : 0, 1);
      const ob = (oy * outW + ox) * C;
      for (let k = 0; k < C; k++) output[ob + k] = isMax ? acc[k] : acc[k] / count;
    }
  }
}
