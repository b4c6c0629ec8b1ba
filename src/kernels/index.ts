/** All kernel specs by name, plus their packing functions. */
import type { KernelName, KernelSpec } from './spec.js';
import { POINTWISE, POINTWISE_TILED } from './pointwise.js';
import { POINTWISE_CHAIN } from './pointwise_chain.js';
import { DEPTHWISE } from './depthwise.js';
import { CONV2D } from './conv2d.js';
import { IM2COL } from './im2col.js';
import { SQUEEZE_EXCITE, SQUEEZE_EXCITE_SG } from './squeeze_excite.js';
import { GLOBAL_POOL, GLOBAL_POOL_SG } from './global_pool.js';
import { ELEMENTWISE } from './elementwise.js';
import { RESIZE } from './resize.js';
import { CONCAT } from './concat.js';
import { PAD } from './pad.js';
import { POOL2D } from './pool2d.js';
import { SOFTMAX, SOFTMAX_SG } from './softmax.js';
import { ARGMAX, ARGMAX_SG } from './argmax.js';
import { CONV_TRANSPOSE } from './conv_transpose.js';
import { BINARY } from './binary.js';
import { CONSTANT } from './constant.js';
import { SSD_DECODE } from './ssd_decode.js';

export * from './spec.js';
export { POINTWISE, POINTWISE_TILED, packPointwise, packBias, type PackedLayer } from './pointwise.js';
export { POINTWISE_CHAIN, CHAIN_SE_MAX_C4, CHAIN_SE_MAX_SQ4, CHAIN_TILE_QUADS } from './pointwise_chain.js';
export { DEPTHWISE, packDepthwise, KERNEL_SIZES } from './depthwise.js';
export { CONV2D, packConv2d } from './conv2d.js';
export { IM2COL, im2colWeights } from './im2col.js';
export {
  SQUEEZE_EXCITE,
  SQUEEZE_EXCITE_SG,
  SE_MAX_C4,
  SE_MAX_SQ4,
  packSqueezeExcite,
  type PackedSqueezeExcite,
} from './squeeze_excite.js';
export { GLOBAL_POOL, GLOBAL_POOL_SG } from './global_pool.js';
export { ELEMENTWISE } from './elementwise.js';
export { RESIZE, packResize, type ResizeSourceFn } from './resize.js';
export { CONCAT, CONCAT_MAX_INPUTS, planConcat, type ConcatDispatch } from './concat.js';
export { PAD } from './pad.js';
export { POOL2D, POOL_EMPTY_MAX } from './pool2d.js';
export { SOFTMAX, SOFTMAX_SG, SOFTMAX_WIDE_MIN_C4, perPixelDispatch } from './softmax.js';
export { ARGMAX, ARGMAX_SG } from './argmax.js';
export { CONV_TRANSPOSE, packConvTranspose } from './conv_transpose.js';
export { BINARY } from './binary.js';
export { CONSTANT, packConstant } from './constant.js';
export { SSD_DECODE, SSD_SCORES, SSD_CODE_ORDERS } from './ssd_decode.js';
export { WGSL_SOURCES } from './wgsl_sources.js';

/** Every WGSL file's compute entry point. */
export const KERNEL_ENTRY_POINT = 'main';

export const KERNELS: Readonly<Record<KernelName, KernelSpec>> = Object.freeze({
  pointwise: POINTWISE,
  pointwise_tiled: POINTWISE_TILED,
  pointwise_chain: POINTWISE_CHAIN,
  depthwise: DEPTHWISE,
  conv2d: CONV2D,
  im2col: IM2COL,
  squeeze_excite: SQUEEZE_EXCITE,
  squeeze_excite_sg: SQUEEZE_EXCITE_SG,
  global_pool: GLOBAL_POOL,
  global_pool_sg: GLOBAL_POOL_SG,
  elementwise: ELEMENTWISE,
  resize: RESIZE,
  concat: CONCAT,
  pad: PAD,
  pool2d: POOL2D,
  softmax: SOFTMAX,
  softmax_sg: SOFTMAX_SG,
  argmax: ARGMAX,
  argmax_sg: ARGMAX_SG,
  conv_transpose: CONV_TRANSPOSE,
  binary: BINARY,
  constant: CONSTANT,
  ssd_decode: SSD_DECODE,
});
