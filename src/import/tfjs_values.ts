/**
 * What a TF tensor becomes during lowering. Activations are IR tensors (`dev`); small
 * tensors are evaluated at import time (`host`); a few values stay *lazy* so that they cost
 * no dispatch when their consumer can absorb them:
 * - `dev.scale`: the value is tensor * scale[channel] (a multiplier still to apply; a
 *   following convolution folds it into its weights, which is exact even with zero padding);
 * - `pad`: zero padding not yet applied (a following convolution takes it as padding);
 * - `s2b` / `dilated`: SpaceToBatchND -> VALID conv -> BatchToSpaceND, TF's spelling of a
 *   dilated convolution, rebuilt as one conv with dilation.
 * `dead` is TF control-flow deadness (the untaken side of a Switch).
 */
import type { TensorShape } from '../graph/ir.js';
import type { HostTensor } from './tfjs_host.js';

export type Pad4 = [number, number, number, number];

export interface DevValue {
  kind: 'dev';
  tensor: string;
  shape: TensorShape;
  /** pending per-channel multiplier (length shape.c) */
  scale?: Float32Array;
}

export interface PadValue {
  kind: 'pad';
  src: DevValue;
  /** [top, left, bottom, right] zeros */
  pad: Pad4;
}

export interface SpaceToBatchValue {
  kind: 's2b';
  src: DevValue | PadValue;
  block: [number, number];
  pad: Pad4;
}

export interface DilatedValue {
  kind: 'dilated';
  block: [number, number];
  /** emits the conv once BatchToSpaceND gives the crops */
  finish(crops: Pad4): DevValue;
}

export type Value =
  | { kind: 'host'; t: HostTensor }
  | DevValue
  | PadValue
  | SpaceToBatchValue
  | DilatedValue
  | { kind: 'dead' }
  | { kind: 'none' };

export const DEAD: Value = { kind: 'dead' };
export const NONE: Value = { kind: 'none' };

export const host = (t: HostTensor): Value => ({ kind: 'host', t });

/** The shape a TF Shape op would report: [1, h, w, c]. */
export function devShapeOf(v: DevValue | PadValue): TensorShape {
  if (v.kind === 'dev') return v.shape;
  const s = v.src.shape;
  return { h: s.h + v.pad[0] + v.pad[2], w: s.w + v.pad[1] + v.pad[3], c: s.c };
}

export const mulScales = (a: Float32Array | undefined, b: Float32Array | undefined): Float32Array | undefined =>
  !a ? b : !b ? a : a.map((v, i) => v * b[i]);
