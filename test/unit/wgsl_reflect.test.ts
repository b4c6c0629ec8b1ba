/**
 * Every KernelSpec against its WGSL, parsed with wgsl_reflect: bindings, Params layout,
 * overrides and workgroup size must agree. Also checks src/kernels/wgsl_sources.ts is current.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { KERNELS, KERNEL_ENTRY_POINT, packParams, paramsByteSize } from '../../src/kernels/index.js';
import type { KernelSpec } from '../../src/kernels/spec.js';
import { WGSL_SOURCES } from '../../src/kernels/wgsl_sources.js';
import { CPU_KERNELS } from '../../src/kernels/cpu/index.js';
import { BINARY_BCAST, BINARY_OPS, POOL_KINDS, RESIZE_MODES, paramOverrideField, pipelineOverrides } from '../../src/kernels/spec.js';

// wgsl_reflect 1.6.0's package.json says "type": "module" but its "main" is a CommonJS build,
// so `import ... from 'wgsl_reflect'` fails in Node; load its ES module build directly.
const WGSL_REFLECT_ESM: string = 'wgsl_reflect/wgsl_reflect.module.js';
const { WgslReflect } = (await import(WGSL_REFLECT_ESM)) as typeof import('wgsl_reflect');

interface GenShaders {
  generate(dir?: string): string;
  expandIncludes(text: string, file: string): string;
  OUT_FILE: string;
}
const GEN_SCRIPT: string = new URL('../../scripts/gen_shaders.mjs', import.meta.url).href;

const specs: KernelSpec[] = Object.values(KERNELS);

describe.each(specs.map((s) => [s.name, s] as const))('%s', (_name, spec) => {
  const source = WGSL_SOURCES[spec.file];
  const reflect = () => new WgslReflect(source);

  test('has an embedded WGSL source equal to shaders/' + spec.file + ' (includes expanded)', async () => {
    expect(source).toBeTypeOf('string');
    const onDisk = readFileSync(fileURLToPath(new URL(`../../shaders/${spec.file}`, import.meta.url)), 'utf8');
    const gen = (await import(GEN_SCRIPT)) as GenShaders;
    expect(source).toBe(gen.expandIncludes(onDisk.replace(/\r\n/g, '\n'), spec.file));
    expect(source).not.toMatch(/^\/\/! include/m);
  });

  test('bindings match the spec (group 0, number, name, kind, access), no extras', () => {
    const r = reflect();
    const resources = [...r.uniforms, ...r.storage, ...r.textures, ...r.samplers];
    expect(resources.map((v) => v.group)).toEqual(resources.map(() => 0));
    const got = resources
      .map((v) => {
        const isUniform = r.uniforms.includes(v);
        const kind = isUniform ? 'uniform' : v.access === 'read_write' ? 'storage' : v.access === 'read' ? 'read-only-storage' : `?${v.access}`;
        return { name: v.name, binding: v.binding, kind };
      })
      .sort((a, b) => a.binding - b.binding);
    const want = spec.bindings.map((b) => ({ name: b.name, binding: b.binding, kind: b.kind }));
    expect(got).toEqual(want);
    // every storage binding is array<vec4<f32>>
    for (const v of r.storage) expect(v.type.getTypeName()).toMatch(/^array<vec4(f|<f32>)/);
    // exactly one uniform named params of struct Params, last binding
    expect(r.uniforms.map((u) => [u.name, u.type.name])).toEqual([['params', 'Params']]);
    expect(spec.bindings[spec.bindings.length - 1].name).toBe('params');
  });

  test('Params struct members equal spec.params in order, all 4 bytes', () => {
    const r = reflect();
    const params = r.structs.find((s) => s.name === 'Params');
    expect(params).toBeDefined();
    expect(params!.members.map((m) => ({ name: m.name, type: m.type.name }))).toEqual(
      spec.params.map((p) => ({ name: p.name, type: p.type })),
    );
    params!.members.forEach((m, i) => expect(m.offset).toBe(i * 4));
    expect(paramsByteSize(spec)).toBeGreaterThanOrEqual(params!.members.length * 4);
    // packParams accepts a full set of values
    const values = Object.fromEntries(spec.params.map((p) => [p.name, 1]));
    expect(packParams(spec, values).byteLength).toBe(paramsByteSize(spec));
  });

  test('override names equal the spec overrides less its param overrides (Params fields), all u32', () => {
    const r = reflect();
    expect(r.overrides.map((o) => o.name).sort()).toEqual(pipelineOverrides(spec));
    for (const n of spec.paramOverrides ?? []) expect(spec.params.find((p) => p.name === paramOverrideField(n))?.type).toBe('u32');
    for (const o of r.overrides) expect(o.type?.name).toBe('u32');
  });

  test('single compute entry point with the spec workgroup size', () => {
    const r = reflect();
    expect(r.entry.compute.map((e) => e.name)).toEqual([KERNEL_ENTRY_POINT]);
    expect(r.entry.vertex).toHaveLength(0);
    expect(r.entry.fragment).toHaveLength(0);
    expect(r.entry.compute[0].workgroupSize).toEqual([...spec.workgroupSize]);
  });

  test('spec is frozen', () => {
    expect(Object.isFrozen(spec)).toBe(true);
    expect(Object.isFrozen(spec.bindings)).toBe(true);
    expect(Object.isFrozen(spec.params)).toBe(true);
    expect(Object.isFrozen(spec.overrides)).toBe(true);
  });
});

test('every kernel has a CPU twin, and the op-code tables are the override values', () => {
  expect(Object.keys(CPU_KERNELS).sort()).toEqual(Object.keys(KERNELS).sort());
  for (const spec of specs) expect(spec.name in KERNELS && KERNELS[spec.name]).toBe(spec);
  expect(KERNELS.binary.overrides.OP).toEqual(Object.values(BINARY_OPS));
  expect(KERNELS.binary.overrides.BCAST).toEqual(Object.values(BINARY_BCAST));
  expect(KERNELS.resize.overrides.MODE).toEqual(Object.values(RESIZE_MODES));
  expect(KERNELS.pool2d.overrides.KIND).toEqual(Object.values(POOL_KINDS));
});

test('every shader file has a spec', () => {
  expect(Object.keys(WGSL_SOURCES).sort()).toEqual(specs.map((s) => s.file).sort());
});

test('src/kernels/wgsl_sources.ts is what scripts/gen_shaders.mjs generates', async () => {
  const gen = (await import(GEN_SCRIPT)) as GenShaders;
  expect(readFileSync(gen.OUT_FILE, 'utf8')).toBe(gen.generate());
});
