/**
 * CPU twins of the WGSL kernels: same Params, overrides and packed data, same semantics.
 * `views` maps each storage binding name to exactly the data that binding would see (for
 * `weights`, the whole weights array; Params offsets are in vec4 units, float index = 4x).
 */
import type { KernelName, OverrideValues, ParamValues } from '../spec.js';
import { cpuPointwise } from './pointwise.js';
import { cpuDepthwise } from './depthwise.js';
import { cpuConv2d } from './conv2d.js';
import { cpuSqueezeExcite } from './squeeze_excite.js';
import { cpuGlobalPool } from './global_pool.js';
import { cpuElementwise } from './elementwise.js';

export type CpuKernel = (views: Record<string, Float32Array>, params: ParamValues, overrides: OverrideValues) => void;

export { cpuAct, cpuClamp } from './act.js';
export { cpuPointwise, cpuDepthwise, cpuConv2d, cpuSqueezeExcite, cpuGlobalPool, cpuElementwise };

export const CPU_KERNELS: Readonly<Record<KernelName, CpuKernel>> = Object.freeze({
  pointwise: cpuPointwise,
  depthwise: cpuDepthwise,
  conv2d: cpuConv2d,
  squeeze_excite: cpuSqueezeExcite,
  global_pool: cpuGlobalPool,
  elementwise: cpuElementwise,
});
