/**
 * The Plan: plain, serializable data that both executors run. Produced by the scheduler,
 * never touches a GPUDevice.
 */
import type { KernelName } from '../kernels/spec.js';

export interface PlanTensor {
  name: string;
  h: number;
  w: number;
  c: number;
  c4: number;
  /** which activation buffer ("slot") holds it; the tensor starts at byte 0 of the slot */
  slot: number;
  /** bytes = h * w * c4 * 16 */
  bytes: number;
}

/** What a storage binding of a step points at. */
export type BindingRef =
  | { buffer: 'arena'; slot: number; size: number; tensor: string }
  | { buffer: 'weights' }
  | { buffer: 'dummy' };

export interface PlanStep {
  /** the IR node this step runs */
  node: string;
  kernel: KernelName;
  /** the source IR nodes this dispatch runs (after fusion, several) */
  fused: string[];
  overrides: Record<string, number>;
  params: Record<string, number>;
  /** storage bindings by name (the params uniform is implied) */
  bindings: Record<string, BindingRef>;
  dispatch: [number, number, number];
  /** e.g. `depthwise[ACT=3,KH=5,KW=5]#features.13.block.1.0` */
  label: string;
  macs: number;
}

export interface PlanStats {
  dispatches: number;
  arenaBytes: number;
  weightBytes: number;
  macs: number;
  params: number;
}

export interface Plan {
  name: string;
  input: PlanTensor;
  outputs: PlanTensor[];
  tensors: PlanTensor[];
  steps: PlanStep[];
  /** byte size of each activation slot (one GPU buffer each) */
  slots: number[];
  /** packed weights of every step; steps address them with vec4 offsets in Params */
  weights: Float32Array;
  stats: PlanStats;
  /** the plan-level block fusion it was scheduled with (absent: none, one step per graph node) */
  blockFusion?: { se: boolean; pairs: boolean };
  /** the stem ran through im2col + pointwise (ScheduleOptions.im2col; absent: conv2d) */
  im2col?: boolean;
}

