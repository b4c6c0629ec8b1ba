/**
 * KernelSpec: the contract between a WGSL file in `shaders/`, the scheduler (which fills
 * Params and picks overrides) and the executors (which build explicit bind-group layouts,
 * pipelines, and run the CPU twin). Specs never touch a GPUDevice.
 *
 * Conventions shared by every kernel:
 * - Every storage binding is `array<vec4<f32>>`: activations are NHWC with channels padded
 *   to a multiple of 4 (`c4` = channels / 4), so element (pixel p, channel group q) of a
 *   tensor with c4 groups lives at index `p * c4 + q`.
 * - The weights binding is always the *whole* weights buffer; a step finds its packed
 *   weights and bias through `w_offset` / `b_offset` Params fields, in vec4 units.
 * - Params is one uniform struct whose fields are all 4 bytes (u32, i32 or f32) in the
 *   order listed in the spec; its size is rounded up to 16 bytes.
 */

export type BindingKind = 'read-only-storage' | 'storage' | 'uniform';

export interface BindingSpec {
  readonly name: string;
  readonly binding: number;
  readonly kind: BindingKind;
}

export type ParamType = 'u32' | 'i32' | 'f32';

export interface ParamField {
  readonly name: string;
  readonly type: ParamType;
}

export type KernelName =
  | 'pointwise'
  | 'pointwise_tiled'
  | 'pointwise_chain'
  | 'depthwise'
  | 'conv2d'
  | 'im2col'
  | 'squeeze_excite'
  | 'squeeze_excite_sg'
  | 'global_pool'
  | 'global_pool_sg'
  | 'elementwise'
  | 'resize'
  | 'concat'
  | 'pad'
  | 'pool2d'
  | 'softmax'
  | 'softmax_sg'
  | 'argmax'
  | 'argmax_sg'
  | 'conv_transpose'
  | 'binary'
  | 'constant'
  | 'ssd_decode';

export type ParamValues = Readonly<Record<string, number>>;
export type OverrideValues = Readonly<Record<string, number>>;

export interface KernelSpec {
  readonly name: KernelName;
  /** file name inside `shaders/` */
  readonly file: string;
  /** group 0 bindings, in binding order; exactly one is the `params` uniform */
  readonly bindings: readonly BindingSpec[];
  readonly params: readonly ParamField[];
  /** override constant -> the values the scheduler may choose */
  readonly overrides: Readonly<Record<string, readonly number[]>>;
  /**
   * Overrides the WGSL reads from Params instead of as pipeline constants (a u32 field named
   * like the override in lower case, e.g. ACT -> `act`): every value of them shares one
   * pipeline. Used where the value only picks an epilogue branch (uniform control flow, no
   * run-time cost worth a pipeline: each pipeline costs 150-300 ms to compile on SwiftShader).
   * The plan still carries them as overrides (the CPU and wasm twins read them there).
   */
  readonly paramOverrides?: readonly string[];
  readonly workgroupSize: readonly [number, number, number];
  /** number of workgroups for the given Params / overrides; pure */
  dispatchSize(params: ParamValues, overrides: OverrideValues): [number, number, number];
}

/** Activation codes used by the ACT override and by runtime act Params fields. */
export const ACT_CODES = {
  none: 0,
  relu: 1,
  relu6: 2,
  hswish: 3,
  hsigmoid: 4,
  sigmoid: 5,
} as const;
export type Act = keyof typeof ACT_CODES;
export const ACT_NAMES: readonly Act[] = ['none', 'relu', 'relu6', 'hswish', 'hsigmoid', 'sigmoid'];

/** Elementwise OP override codes. */
export const ELEMENTWISE_OPS = { act: 0, add: 1, channel_scale: 2 } as const;

/** binary OP override codes (the IR's BinaryOp names). */
export const BINARY_OPS = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5 } as const;

/** binary BCAST override codes: how b is indexed. */
export const BINARY_BCAST = { same: 0, channel: 1, scalar: 2 } as const;

/** resize MODE override codes. */
export const RESIZE_MODES = { bilinear: 0, nearest: 1 } as const;

/** pool2d KIND override codes. */
export const POOL_KINDS = { avg: 0, max: 1 } as const;

/** Largest finite f32, used as "no clamp". */
export const NO_CLAMP = 3.4028234663852886e38;

export function paramsByteSize(spec: KernelSpec): number {
  return Math.max(16, Math.ceil((spec.params.length * 4) / 16) * 16);
}

/** Packs Params values in spec order. Missing or non-finite values are an error naming the field. */
export function packParams(spec: KernelSpec, values: ParamValues): ArrayBuffer {
  const buf = new ArrayBuffer(paramsByteSize(spec));
  const view = new DataView(buf);
  spec.params.forEach((field, i) => {
    const v = values[field.name];
    if (v === undefined || Number.isNaN(v)) {
      throw new Error(`kernel ${spec.name}: Params field '${field.name}' is missing`);
    }
    switch (field.type) {
      case 'u32':
        if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
          throw new Error(`kernel ${spec.name}: Params field '${field.name}' = ${v} is not a u32`);
        }
        view.setUint32(i * 4, v, true);
        break;
      case 'i32':
        if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
          throw new Error(`kernel ${spec.name}: Params field '${field.name}' = ${v} is not an i32`);
        }
        view.setInt32(i * 4, v, true);
        break;
      case 'f32':
        view.setFloat32(i * 4, v, true);
        break;
      default: {
        const never: never = field.type;
        throw new Error(`unknown param type ${String(never)}`);
      }
    }
  });
  return buf;
}

/** The Params field that carries a param override (ACT -> act). */
export const paramOverrideField = (name: string): string => name.toLowerCase();

/** Overrides that are pipeline constants (all but spec.paramOverrides). */
export function pipelineOverrides(spec: KernelSpec): string[] {
  return Object.keys(spec.overrides)
    .filter((n) => !spec.paramOverrides?.includes(n))
    .sort();
}

/** A step's Params values with its param overrides filled in (what the GPU executors pack). */
export function gpuParams(spec: KernelSpec, params: ParamValues, overrides: OverrideValues): ParamValues {
  if (!spec.paramOverrides?.length) return params;
  const out: Record<string, number> = { ...params };
  for (const n of spec.paramOverrides) {
    const v = overrides[n];
    if (v === undefined) throw new Error(`kernel ${spec.name}: override '${n}' is missing`);
    out[paramOverrideField(n)] = v;
  }
  return out;
}

/**
 * Checks that every override is given and allowed; returns a stable cache key of the
 * pipeline: the param overrides are checked but not part of it (they share a pipeline).
 */
export function overrideKey(spec: KernelSpec, overrides: OverrideValues): string {
  const names = Object.keys(spec.overrides).sort();
  for (const k of Object.keys(overrides)) {
    if (!(k in spec.overrides)) throw new Error(`kernel ${spec.name}: unknown override '${k}'`);
  }
  for (const n of names) {
    const v = overrides[n];
    if (v === undefined) throw new Error(`kernel ${spec.name}: override '${n}' is missing`);
    if (!spec.overrides[n].includes(v)) {
      throw new Error(`kernel ${spec.name}: override ${n}=${v} not in [${spec.overrides[n].join(', ')}]`);
    }
  }
  return `${spec.name}[${pipelineOverrides(spec)
    .map((n) => `${n}=${overrides[n]}`)
    .join(',')}]`;
}

export const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);

/** WebGPU's guaranteed maxComputeWorkgroupsPerDimension. */
export const MAX_WORKGROUPS_PER_DIM = 65535;

/**
 * Dispatch size for a kernel whose threads are numbered linearly
 * (`t = (workgroup_id.y * num_workgroups.x + workgroup_id.x) * wgSize + local_invocation_index`):
 * ceil(threads / wgSize) workgroups, folded into a 2D grid when that exceeds 65535.
 * The shader guards `t >= threads`, so the fold may overshoot.
 */
export function linearDispatch(threads: number, wgSize: number): [number, number, number] {
  if (!Number.isInteger(threads) || threads < 0) throw new Error(`linearDispatch: bad thread count ${threads}`);
  const groups = ceilDiv(threads, wgSize);
  if (groups <= MAX_WORKGROUPS_PER_DIM) return [groups, 1, 1];
  const y = ceilDiv(groups, MAX_WORKGROUPS_PER_DIM);
  if (y > MAX_WORKGROUPS_PER_DIM) throw new Error(`linearDispatch: ${threads} threads is too many`);
  return [ceilDiv(groups, y), y, 1];
}

/** Deep-freezes a kernel spec (bindings, params, overrides and their value lists). */
export function defineKernel(spec: KernelSpec): KernelSpec {
  spec.bindings.forEach((b) => Object.freeze(b));
  Object.freeze(spec.bindings);
  spec.params.forEach((p) => Object.freeze(p));
  Object.freeze(spec.params);
  Object.values(spec.overrides).forEach((v) => Object.freeze(v));
  Object.freeze(spec.overrides);
  for (const n of spec.paramOverrides ?? []) {
    if (!(n in spec.overrides)) throw new Error(`kernel ${spec.name}: param override '${n}' is not an override`);
    if (!spec.params.some((p) => p.name === paramOverrideField(n) && p.type === 'u32')) throw new Error(`kernel ${spec.name}: param override '${n}' needs a u32 Params field '${paramOverrideField(n)}'`);
  }
  if (spec.paramOverrides) Object.freeze(spec.paramOverrides);
  Object.freeze(spec.workgroupSize);
  return Object.freeze(spec);
}
