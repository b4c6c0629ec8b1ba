/**
 * CPU twins of the WGSL kernels: same Params, overrides and packed data, same semantics.
 * `views` maps each storage binding name to exactly the data that binding would see (for
 * `weights`, the whole weights array; Params offsets are in vec4 units, float index = 4x).
 */
import type { KernelName, OverrideValues, ParamValues } from '../spec.js';
import { cpuPointwise } from './pointwise.js';
import { cpuPointwiseChain } from './pointwise_chain.js';
import { cpuDepthwise } from './depthwise.js';
import { cpuConv2d } from './conv2d.js';
import { cpuIm2col } from './im2col.js';
import { cpuSqueezeExcite } from './squeeze_excite.js';
import { cpuGlobalPool } from './global_pool.js';
import { cpuElementwise } from './elementwise.js';
import { cpuResize } from './resize.js';
import { cpuConcat } from './concat.js';
import { cpuPad } from './pad.js';
import { cpuPool2d } from './pool2d.js';
import { cpuSoftmax } from './softmax.js';
import { cpuArgmax } from './argmax.js';
import { cpuConvTranspose } from './conv_transpose.js';
import { cpuBinary } from './binary.js';
import { cpuConstant } from './constant.js';
import { cpuSsdDecode } from './ssd_decode.js';

export type CpuKernel = (views: Record<string, Float32Array>, params: ParamValues, overrides: OverrideValues) => void;

export { cpuAct, cpuClamp } from './act.js';
export { cpuPointwise, cpuPointwiseChain, cpuDepthwise, cpuConv2d, cpuSqueezeExcite, cpuGlobalPool, cpuElementwise };
export { cpuIm2col };
export { cpuResize, cpuConcat, cpuPad, cpuPool2d, cpuSoftmax, cpuArgmax, cpuConvTranspose, cpuBinary, cpuConstant };

export const CPU_KERNELS: Readonly<Record<KernelName, CpuKernel>> = Object.freeze({
  pointwise: cpuPointwise,
  pointwise_tiled: cpuPointwise,
  pointwise_chain: cpuPointwiseChain,
  depthwise: cpuDepthwise,
  conv2d: cpuConv2d,
  im2col: cpuIm2col,
  squeeze_excite: cpuSqueezeExcite,
  squeeze_excite_sg: cpuSqueezeExcite,
  global_pool: cpuGlobalPool,
  global_pool_sg: cpuGlobalPool,
  elementwise: cpuElementwise,
  resize: cpuResize,
  concat: cpuConcat,
  pad: cpuPad,
  pool2d: cpuPool2d,
  softmax: cpuSoftmax,
  softmax_sg: cpuSoftmax,
  argmax: cpuArgmax,
  argmax_sg: cpuArgmax,
  conv_transpose: cpuConvTranspose,
  binary: cpuBinary,
  constant: cpuConstant,
  ssd_decode: cpuSsdDecode,
});
