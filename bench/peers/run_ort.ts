/**
 * ONNX Runtime as a bench configuration: onnxruntime-web 1.30 (EP webgpu or wasm) in the
 * page, onnxruntime-node (CPU EP) in Node. IR models come as ONNX from onnx_from_ir; real
 * ONNX files (PaddleOCR) are run as they are. A run: new ort.Tensor(NCHW input) ->
 * session.run -> every output read back to CPU memory (the webgpu EP's default output
 * location is 'cpu').
 */
import type { RunnerFactory } from '../lib/runner.js';

export const createOrtRunner: RunnerFactory = async (job, host, inputs) => {
  const { config, model } = job;
  if (!inputs.onnx) throw new Error(`ONNX Runtime cannot run model kind '${model.kind}'`);
  const ort = await host.loadOrt(config.backend);
  const session = await ort.InferenceSession.create(inputs.onnx, {
    executionProviders: [config.backend],
    graphOptimizationLevel: 'all',
  });
  const inputName = model.inputName ?? session.inputNames[0];
  const dims = [1, model.input.c, model.input.h, model.input.w];
  const w = ort.env.wasm as { numThreads?: number; simd?: boolean; proxy?: boolean };
  const info: Record<string, string | number | boolean> = { ep: config.backend, ort: String(ort.env.versions?.web ?? ort.env.versions?.node ?? ort.env.versions?.common ?? '') };
  if (host.where === 'browser') {
    info.numThreads = w.numThreads ?? 0;
    info.crossOriginIsolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated ?? false;
  }
  const compareName = session.outputNames[model.compareOutput];
  return {
    layout: model.referenceLayout === 'nhwc' && model.referenceShape.length === 4 ? 'nchw' : model.referenceLayout,
    info,
    async run() {
      const feeds = { [inputName]: new ort.Tensor('float32', inputs.nchw, dims) };
      const out = await session.run(feeds);
      let y: Float32Array | undefined;
      for (const name of session.outputNames) {
        const t = out[name];
        const data = (t.location === 'cpu' || t.location === undefined ? t.data : await t.getData(true)) as Float32Array;
        if (name === compareName) y = data;
        else t.dispose?.();
      }
      return y!;
    },
    dispose() {
      void session.release();
    },
  };
};
