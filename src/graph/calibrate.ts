/**
 * BatchNorm calibration of seeded random weights: each BN's running mean and variance are
 * set to the batch statistics of its input on a seeded random image, so that activations
 * stay O(1) through the whole network (raw random statistics would explode or vanish).
 * Calibration runs at a fixed 128x128 so the weights for a seed do not depend on the
 * model's input resolution.
 */
import type { Graph } from './ir.js';
import { runReference } from './reference.js';
import { Rng } from './rng.js';

export const CALIBRATION_SIZE = 128;

export function calibrateBatchNorm(g: Graph, seed: number): void {
  const inp = g.inputs[0];
  const calib: Graph = { ...g, inputs: [{ name: inp.name, shape: { h: CALIBRATION_SIZE, w: CALIBRATION_SIZE, c: inp.shape.c } }] };
  const rng = new Rng(seed * 31 + 5);
  const x = rng.fill(CALIBRATION_SIZE * CALIBRATION_SIZE * inp.shape.c, -1, 1);
  runReference(calib, { [inp.name]: x }, {
    beforeNode(node, [t]) {
      if (node.op !== 'batch_norm') return;
      const c = t.shape.c;
      const n = t.data.length / c;
      const mean = new Float64Array(c);
      const sq = new Float64Array(c);
      for (let i = 0; i < t.data.length; i++) mean[i % c] += t.data[i];
      for (let k = 0; k < c; k++) mean[k] /= n;
      for (let i = 0; i < t.data.length; i++) {
        const d = t.data[i] - mean[i % c];
        sq[i % c] += d * d;
      }
      for (let k = 0; k < c; k++) {
        node.mean[k] = mean[k];
        node.variance[k] = Math.max(sq[k] / n, 1e-4);
      }
    },
  });
}
