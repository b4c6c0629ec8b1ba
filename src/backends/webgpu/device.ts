/**
 * Finding a WebGPU adapter and device, in the browser (navigator.gpu) or in Node (the npm
 * package `webgpu`, Dawn). Node on this project's CI uses SwiftShader's Vulkan ICD, which
 * comes with Debian's chromium; we point VK_ICD_FILENAMES at it when the user has not.
 */

export interface GpuContext {
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
  /** e.g. "google swiftshader" */
  readonly adapterName: string;
  readonly isSoftware: boolean;
}

/** Debian chromium's SwiftShader Vulkan driver manifest */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

let nodeGpu: GPU | null | undefined;
/** why Node has no WebGPU provider (set when getGpu returned null in Node) */
let nodeGpuError = '';

/** The Node WebGPU provider: an optional peer dependency, never needed in the browser. */
export const NODE_WEBGPU_PACKAGE = 'webgpu@0.6.2';

function isNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node;
}

/** Returns the GPU entry point of this environment, or null with no WebGPU at all. */
export async function getGpu(): Promise<GPU | null> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (!isNode()) return null;
  if (nodeGpu !== undefined) return nodeGpu;
  try {
    const fsName = 'node:fs';
    const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs');
    if (!process.env.VK_ICD_FILENAMES && fs.existsSync(SWIFTSHADER_ICD)) {
      process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    }
    const webgpuName = 'webgpu';
    const mod = (await import(/* @vite-ignore */ webgpuName)) as unknown as {
      create: (flags: string[]) => GPU;
      globals: Record<string, unknown>;
    };
    Object.assign(globalThis, mod.globals);
    nodeGpu = mod.create([]);
  } catch (e) {
    nodeGpu = null;
    const code = (e as { code?: string }).code;
    nodeGpuError =
      code === 'ERR_MODULE_NOT_FOUND' || /Cannot find (package|module) 'webgpu'/.test(String((e as Error)?.message))
        ? `Node has no WebGPU provider: install the optional peer dependency with \`npm install ${NODE_WEBGPU_PACKAGE}\` (Dawn, native, about 130 MB), or use backend 'wasm'`
        : `the \`webgpu\` package (Node WebGPU provider) failed to load: ${(e as Error)?.message ?? String(e)}`;
  }
  return nodeGpu;
}

/** Describes why no adapter is available, or returns the context. */
export async function requestGpu(): Promise<GpuContext> {
  const gpu = await getGpu();
  if (!gpu) {
    throw new Error(isNode() ? `WebGPU is not available: ${nodeGpuError || 'no navigator.gpu'}` : 'WebGPU is not available in this browser (no navigator.gpu; try a recent Chrome, Edge or Safari, or use the wasm backend)');
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new Error(
      'WebGPU: no adapter found' +
        (isNode() ? ` (in Node, install libvulkan1 and a Vulkan driver; SwiftShader's ICD is ${SWIFTSHADER_ICD} from Debian chromium)` : ''),
    );
  }
  const limits = adapter.limits;
  const requiredFeatures: GPUFeatureName[] = [];
  if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
  // subgroup reductions (kernel variants: global_pool_sg)
  if (adapter.features.has('subgroups' as GPUFeatureName)) requiredFeatures.push('subgroups' as GPUFeatureName);
  const device = await adapter.requestDevice({
    label: 'mobilenetv3-webgpu',
    requiredFeatures,
    requiredLimits: {
      maxStorageBuffersPerShaderStage: Math.min(8, limits.maxStorageBuffersPerShaderStage),
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: Math.min(256, limits.maxComputeInvocationsPerWorkgroup),
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
    },
  });
  const info = adapter.info ?? ({} as GPUAdapterInfo);
  const adapterName = [info.vendor, info.architecture, info.device, info.description].filter((s) => !!s).join(' ') || 'unknown adapter';
  const isSoftware =
    (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter === true ||
    /swiftshader|llvmpipe|software/i.test(adapterName);
  return { adapter, device, adapterName, isSoftware };
}
