/** All kernel specs by name, plus their packing functions. */
import type { KernelName, KernelSpec } from './spec.js';
import { POINTWISE } from './pointwise.js';
import { DEPTHWISE } from './depthwise.js';
import { CONV2D } from './conv2d.js';
import { SQUEEZE_EXCITE } from './squeeze_excite.js';
import { GLOBAL_POOL } from './global_pool.js';
import { ELEMENTWISE } from './elementwise.js';

export * from './spec.js';
export { POINTWISE, packPointwise, packBias, type PackedLayer } from './pointwise.js';
export { DEPTHWISE, packDepthwise, KERNEL_SIZES } from './depthwise.js';
export { CONV2D, packConv2d } from './conv2d.js';
export {
  SQUEEZE_EXCITE,
  SE_MAX_C4,
  SE_MAX_SQ4,
  packSqueezeExcite,
  type PackedSqueezeExcite,
} from './squeeze_excite.js';
export { GLOBAL_POOL } from './global_pool.js';
export { ELEMENTWISE } from './elementwise.js';
export { WGSL_SOURCES } from './wgsl_sources.js';

/** Every WGSL file's compute entry point. */
export const KERNEL_ENTRY_POINT = 'main';

export const KERNELS: Readonly<Record<KernelName, KernelSpec>> = Object.freeze({
  pointwise: POINTWISE,
  depthwise: DEPTHWISE,
  conv2d: CONV2D,
  squeeze_excite: SQUEEZE_EXCITE,
  global_pool: GLOBAL_POOL,
  elementwise: ELEMENTWISE,
});
