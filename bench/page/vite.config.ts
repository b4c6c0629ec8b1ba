/**
 * The bench page's own Vite build (not the demo): bench/page -> bench/results/tmp/page-dist.
 * Peers are dynamically imported so each configuration's page loads only its own library;
 * their wasm files are NOT bundled but served from node_modules by bench/lib/server.ts
 * (tfjs setWasmPaths('/wasm/tfjs/'), ort.env.wasm.wasmPaths = '/wasm/ort/').
 */
import { defineConfig, defaultClientConditions } from 'vite';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  logLevel: 'warn',
  // onnxruntime-web: the builds that load their .mjs/.wasm from ort.env.wasm.wasmPaths
  // instead of bundling 40 MB of wasm into the page
  resolve: { conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions] },
  build: {
    outDir: fileURLToPath(new URL('../results/tmp/page-dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // tfjs-backend-wasm starts its pthread workers from the *source text* of its emscripten
    // factory (Function.prototype.toString); minified identifiers from the surrounding
    // bundle then dangle in the worker ("ReferenceError: e is not defined")
    minify: false,
    chunkSizeWarningLimit: 100_000,
    assetsInlineLimit: 0,
  },
});
