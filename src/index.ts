/// <reference types="@webgpu/types" preserve="true" />
export { createRuntime, mobilenetV3, Runtime, Model, planSource } from './runtime.js';
export type { Backend, BackendChoice, RuntimeOptions, ModelSource, LoadOptions, Tensor, MobileNetV3SourceOptions } from './runtime.js';
export type { MobileNetV3Options, ResolvedVariant, ModelSize } from './graph/variants.js';
export { resolveVariant, buildGraph, makeDivisible, OptionError, LARGE_BLOCKS, SMALL_BLOCKS } from './graph/variants.js';
export type { Plan, PlanStep, PlanStats, PlanTensor } from './graph/plan.js';
export type { Graph, Node, TensorShape } from './graph/ir.js';
export { GraphError } from './graph/ir.js';
export { ModelFormatError } from './graph/import/errors.js';
export { readSafetensors, writeSafetensors } from './graph/import/safetensors.js';
export { countGraph } from './graph/stats.js';
export type { Preprocess, ImageLike } from './graph/preprocess.js';
export { preprocessImage, PREPROCESS_PRESETS } from './graph/preprocess.js';
export type { ModelTask } from './runtime.js';
