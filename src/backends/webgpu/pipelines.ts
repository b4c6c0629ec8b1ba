/**
 * Explicit bind-group layouts and a cache of compute pipelines, one per (kernel, overrides).
 * Layouts are always built from the KernelSpec (never 'auto'), so one bind group works with
 * every override variant of a kernel.
 */
import { KERNEL_ENTRY_POINT } from '../../kernels/index.js';
import { overrideKey, pipelineOverrides, type BindingKind, type KernelSpec, type OverrideValues } from '../../kernels/spec.js';
import { WGSL_SOURCES } from '../../kernels/wgsl_sources.js';

// GPUShaderStage / GPUBufferUsage are globals only once a WebGPU implementation is loaded.
const STAGE_COMPUTE = 0x4;

function bufferType(kind: BindingKind): GPUBufferBindingType {
  switch (kind) {
    case 'read-only-storage':
      return 'read-only-storage';
    case 'storage':
      return 'storage';
    case 'uniform':
      return 'uniform';
    default: {
      const never: never = kind;
      throw new Error(`unknown binding kind ${String(never)}`);
    }
  }
}

/** The explicit group-0 layout of a kernel: one buffer entry per spec binding, COMPUTE only. */
export function createBindGroupLayout(device: GPUDevice, spec: KernelSpec): GPUBindGroupLayout {
  return device.createBindGroupLayout({
    label: `${spec.name}.layout`,
    entries: spec.bindings.map((b) => ({
      binding: b.binding,
      visibility: STAGE_COMPUTE,
      buffer: { type: bufferType(b.kind) },
    })),
  });
}

/** `pointwise[ACT=3,HAS_RES=1,HAS_SCALE=0]`; validates the overrides. */
export function pipelineLabel(spec: KernelSpec, overrides: OverrideValues): string {
  return overrideKey(spec, overrides);
}

export interface CachedPipeline {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

export class PipelineCache {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly layouts = new Map<string, { bindGroup: GPUBindGroupLayout; pipeline: GPUPipelineLayout }>();
  private readonly pipelines = new Map<string, Promise<CachedPipeline>>();

  constructor(readonly device: GPUDevice) {}

  /** Number of distinct pipelines requested so far. */
  get size(): number {
    return this.pipelines.size;
  }

  /** The spec's bind-group layout (one per kernel, shared by all its pipelines). */
  layout(spec: KernelSpec): GPUBindGroupLayout {
    return this.layoutsFor(spec).bindGroup;
  }

  private layoutsFor(spec: KernelSpec): { bindGroup: GPUBindGroupLayout; pipeline: GPUPipelineLayout } {
    let l = this.layouts.get(spec.name);
    if (!l) {
      const bindGroup = createBindGroupLayout(this.device, spec);
      const pipeline = this.device.createPipelineLayout({ label: `${spec.name}.pipelineLayout`, bindGroupLayouts: [bindGroup] });
      l = { bindGroup, pipeline };
      this.layouts.set(spec.name, l);
    }
    return l;
  }

  private module(spec: KernelSpec): GPUShaderModule {
    let m = this.modules.get(spec.file);
    if (!m) {
      const code = WGSL_SOURCES[spec.file];
      if (code === undefined) {
        throw new Error(`no WGSL source for ${spec.file} (run node scripts/gen_shaders.mjs)`);
      }
      m = this.device.createShaderModule({ label: spec.file, code });
      this.modules.set(spec.file, m);
    }
    return m;
  }

  /** The pipeline for `spec` with these override values (compiled once, then cached). */
  async get(spec: KernelSpec, overrides: OverrideValues, label?: string): Promise<CachedPipeline> {
    const key = overrideKey(spec, overrides);
    let p = this.pipelines.get(key);
    if (!p) {
      const layouts = this.layoutsFor(spec);
      const module = this.module(spec);
      const constants: Record<string, number> = {};
      for (const name of pipelineOverrides(spec)) constants[name] = overrides[name];
      p = this.device
        .createComputePipelineAsync({
          label: label ?? key,
          layout: layouts.pipeline,
          compute: { module, entryPoint: KERNEL_ENTRY_POINT, constants },
        })
        .then(
          (pipeline) => ({ pipeline, layout: layouts.bindGroup }),
          async (err: unknown) => {
            this.pipelines.delete(key);
            const info = await module.getCompilationInfo().catch(() => undefined);
            const msgs = info?.messages
              .filter((m) => m.type === 'error')
              .map((m) => `${spec.file}:${m.lineNum}:${m.linePos}: ${m.message}`)
              .join('\n');
            throw new Error(`creating pipeline ${key} failed: ${err instanceof Error ? err.message : String(err)}${msgs ? `\n${msgs}` : ''}`);
          },
        );
      this.pipelines.set(key, p);
    }
    return p;
  }
}
