import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    fileParallelism: false,
    // Node 20 validates relaxed SIMD only behind this flag: the wasm backend's relaxed builds
    // are tested here (test/unit/wasm_threads.test.ts); chromium validates them by default
    execArgv: ['--experimental-wasm-relaxed-simd'],
    reporters: ['default'],
  },
});
