/**
 * Pipeline prewarming (RuntimeOptions.prewarm): right after a WebGPU runtime is created, the
 * pipelines every MobileNetV3 plan uses start compiling in its PipelineCache, so the browser's
 * GPU process compiles while the page fetches and imports the model file; the load then finds
 * them compiled or in flight. Pipeline creation is most of a WebGPU cold start (SwiftShader:
 * ~0.1-0.2 s per pipeline). The list is per plan kind (steps and the im2col stem on a software
 * adapter, blocks and the conv2d stem on a hardware one; test/gpu/prewarm.test.ts checks it against the plans of the Small / Large
 * variants and the official TFLite file, so it covers them and compiles nothing they skip).
 */
import type { KernelName, OverrideValues } from '../../kernels/spec.js';
import { KERNELS } from '../../kernels/index.js';
import { variantKernel, type KernelVariants } from './executor.js';
import type { PipelineCache } from './pipelines.js';

type Key = [KernelName, OverrideValues];

const COMMON: Key[] = [
  ['depthwise', { ACT: 1, KH: 3, KW: 3 }],
  ['depthwise', { ACT: 3, KH: 5, KW: 5 }],
  ['global_pool', {}],
  // classifier files that end in a softmax (the official TFLite MobileNetV3s)
  ['softmax', { WIDE: 1 }],
];
const STEPS: Key[] = [
  // the stem as im2col + pointwise (LoadOptions.im2col, the software-adapter default)
  ['im2col', {}],
  ['pointwise', { ACT: 0, HAS_SCALE: 0, HAS_RES: 0 }],
  ['squeeze_excite', {}],
];
const BLOCKS: Key[] = [
  ['conv2d', { ACT: 3, KH: 3, KW: 3 }],
  ['pointwise_chain', { ACT: 0, ACT2: 0, SCALE: 0, HAS_RES: 0, HAS_NEXT: 1 }],
  ['pointwise_chain', { ACT: 0, ACT2: 0, SCALE: 2, HAS_RES: 0, HAS_NEXT: 1 }],
];

/** The (kernel, overrides) a default MobileNetV3 load compiles, for the plan kind and variants. */
export function prewarmKeys(blocks: boolean, variants: KernelVariants): Key[] {
  return [...COMMON, ...(blocks ? BLOCKS : STEPS)].map(([k, o]) => [variantKernel(k, undefined, variants), o]);
}

/** Starts compiling them (not awaited by anyone; a failure here resurfaces, if real, at load). */
export function prewarmPipelines(cache: PipelineCache, blocks: boolean, variants: KernelVariants): Promise<void> {
  return Promise.all(prewarmKeys(blocks, variants).map(([k, o]) => cache.get(KERNELS[k], o, `prewarm:${k}`).catch(() => undefined))).then(() => undefined);
}
