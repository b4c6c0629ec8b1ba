/**
 * Plan-level block fusion (scheduler fuseBlocks -> pointwise_chain steps): dispatch counts
 * against issue 15's bounds, the per-step switches, the memory plan of the merged steps, and
 * outputs of the block-fused plan against the one-step-per-node plan on the CPU executor (the
 * GPU kernel is checked against its CPU twin in test/gpu/kernels.test.ts, whole models in
 * test/gpu/models.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { createRuntime, mobilenetV3, planSource, type Model } from '../../src/runtime.js';
import { lraspp } from '../../src/heads/segmentation.js';
import { ssdlite } from '../../src/heads/detection.js';
import type { ModelSource } from '../../src/model/source.js';
import type { Plan } from '../../src/graph/plan.js';
import { seededInput } from '../helpers/compare.js';

const count = (p: Plan, kernel: string): number => p.steps.filter((s) => s.kernel === kernel).length;

describe('block fusion: plans', () => {
  it('MobileNetV3 1.0 at 224: Large <= 40 and Small <= 32 dispatches (57 / 46 without)', () => {
    for (const [size, before, bound] of [['large', 57, 40], ['small', 46, 32]] as const) {
      const src = mobilenetV3({ size });
      const plain = planSource(src);
      const blocks = planSource(src, { blockFusion: true });
      expect(plain.stats.dispatches).toBe(before);
      expect(plain.blockFusion).toBeUndefined();
      expect(blocks.blockFusion).toEqual({ se: true, pairs: true });
      expect(blocks.stats.dispatches).toBeLessThanOrEqual(bound);
      // the same work: MACs and weights unchanged
      expect(blocks.stats.macs).toBe(plain.stats.macs);
      expect(blocks.weights.length).toBe(plain.weights.length);
      // every SE folded into its project conv
      expect(count(blocks, 'squeeze_excite')).toBe(0);
      const chains = blocks.steps.filter((s) => s.kernel === 'pointwise_chain');
      expect(chains.filter((s) => s.overrides.SCALE === 2)).toHaveLength(count(plain, 'squeeze_excite'));
      // every merged source node is listed once
      expect(blocks.steps.flatMap((s) => s.fused).sort()).toEqual(plain.steps.flatMap((s) => s.fused).sort());
    }
  });

  it('the switches: se only removes the squeeze_excite steps, pairs only the second 1x1 of each pair', () => {
    const src = mobilenetV3({ size: 'small' });
    const plain = planSource(src);
    const se = planSource(src, { blockFusion: { pairs: false } });
    const pairs = planSource(src, { blockFusion: { se: false } });
    const both = planSource(src, { blockFusion: true });
    expect(se.stats.dispatches).toBe(plain.stats.dispatches - count(plain, 'squeeze_excite'));
    expect(se.steps.every((s) => s.kernel !== 'pointwise_chain' || s.overrides.HAS_NEXT === 0)).toBe(true);
    expect(count(pairs, 'squeeze_excite')).toBe(count(plain, 'squeeze_excite'));
    expect(pairs.steps.filter((s) => s.kernel === 'pointwise_chain').every((s) => s.overrides.SCALE !== 2)).toBe(true);
    expect(both.stats.dispatches).toBe(plain.stats.dispatches - (plain.stats.dispatches - se.stats.dispatches) - (plain.stats.dispatches - pairs.stats.dispatches));
    expect(planSource(src, { blockFusion: false }).stats.dispatches).toBe(plain.stats.dispatches);
    // fuse: false wins over blockFusion
    expect(planSource(src, { fuse: false, blockFusion: true }).blockFusion).toBeUndefined();
  });

  it('an SE beyond the in-kernel limits keeps its squeeze_excite step (the chain reads the gate buffer)', () => {
    // Large 1.25: the last blocks' SE has 1200 channels (c4 300 > 256)
    const blocks = planSource(mobilenetV3({ size: 'large', width: 1.25 }), { blockFusion: true });
    expect(count(blocks, 'squeeze_excite')).toBeGreaterThan(0);
    const readers = blocks.steps.filter((s) => s.kernel === 'pointwise_chain' && s.overrides.SCALE === 1);
    expect(readers.length).toBe(count(blocks, 'squeeze_excite'));
  });

  it('the memory plan keeps the tensors a merged step reads apart from the ones it writes', () => {
    for (const src of [mobilenetV3({ size: 'large' }), mobilenetV3({ size: 'small', minimalistic: true }), lraspp({ resolution: 96 }), ssdlite({ resolution: 96 })]) {
      const plan = planSource(src, { blockFusion: true });
      for (const s of plan.steps.filter((x) => x.kernel === 'pointwise_chain')) {
        const slot = (k: string): number | undefined => (s.bindings[k]?.buffer === 'arena' ? (s.bindings[k] as { slot: number }).slot : undefined);
        const reads = ['input', 'scale', 'residual'].map(slot).filter((x) => x !== undefined);
        const writes = ['mid', 'output'].map(slot).filter((x) => x !== undefined);
        for (const w of writes) expect(reads, s.label).not.toContain(w);
        if (s.overrides.HAS_NEXT === 1) expect(slot('mid'), s.label).not.toBe(slot('output'));
        else expect(s.bindings.output.buffer, s.label).toBe('dummy');
      }
    }
  });
});

describe('block fusion: CPU executor, block-fused plan vs one step per node', () => {
  const sources: [string, ModelSource][] = [
    ['small 1.0', mobilenetV3({ size: 'small', resolution: 96, seed: 4 })],
    ['large 1.0', mobilenetV3({ size: 'large', resolution: 96, seed: 5 })],
    ['large 1.25 (SE beyond the in-kernel limits)', mobilenetV3({ size: 'large', width: 1.25, resolution: 96, seed: 6 })],
    ['small 0.75 minimalistic', mobilenetV3({ size: 'small', width: 0.75, minimalistic: true, resolution: 96, seed: 7 })],
    ['LR-ASPP', lraspp({ resolution: 96 })],
    ['SSDLite', ssdlite({ resolution: 96 })],
  ];
  for (const [label, src] of sources) {
    it(label, async () => {
      const rt = await createRuntime({ backend: 'cpu' });
      const plain: Model = await rt.load(src);
      expect(plain.blockFusion).toBeNull(); // not the cpu backend's default
      const blocks = await rt.load(src, { blockFusion: true });
      expect(blocks.stats.dispatches).toBeLessThan(plain.stats.dispatches);
      const { h, w } = plain.inputShape;
      const x = seededInput(31, h, w);
      const a = await plain.runAll(x);
      const b = await blocks.runAll(x);
      expect(b.length).toBe(a.length);
      // the chain's CPU twin composes the same per-element arithmetic: equal to the bit
      a.forEach((y, i) => expect(b[i]).toEqual(y));
    });
  }
});
