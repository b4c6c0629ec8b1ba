/**
 * Load-time repacking from the Plan's packed weights (the GPU layouts of src/kernels/*.ts)
 * into the layouts the WebAssembly kernels read (src/backends/wasm/*.c). Each function
 * writes into `dst` (a view of WASM memory) and has a matching `*Floats` size function.
 */

/** Floats of a GEMM-packed [K][N] weight: panels of 8 output channels, each [bias][K rows]. */
export const gemmPackedFloats = (k: number, n: number): number => Math.ceil(n / 8) * 8 * (k + 1);

/**
 * Pointwise / fully connected weights from the pointwise.wgsl layout (W[k][n] at vec4
 * (k4*outC4 + n4)*4 + (k&3), lane n&3; bias at bOff) into panels: panel p (8 channels, the
 * last one 4 wide when n % 8 == 4) at p*8*(k+1) holds [bias: nr][k=0: nr]...[k=K-1: nr].
 * `wOff` / `bOff` are float offsets into `src`; k and n are padded channel counts (x4).
 */
export function packGemmWasm(src: Float32Array, wOff: number, bOff: number, k: number, n: number, dst: Float32Array): void {
  const outC4 = n / 4;
  for (let n0 = 0; n0 < n; n0 += 8) {
    const nr = Math.min(8, n - n0);
    let d = (n0 / 8) * 8 * (k + 1);
    for (let j = 0; j < nr; j++) dst[d + j] = src[bOff + n0 + j];
    d += nr;
    for (let kk = 0; kk < k; kk++) {
      for (let j = 0; j < nr; j += 4) {
        const s = wOff + ((kk >> 2) * outC4 + ((n0 + j) >> 2)) * 16 + (kk & 3) * 4;
        dst[d + j] = src[s];
        dst[d + j + 1] = src[s + 1];
        dst[d + j + 2] = src[s + 2];
        dst[d + j + 3] = src[s + 3];
      }
      d += nr;
    }
  }
}

/** Floats of a depthwise-packed weight: channel blocks of 8, each [bias][taps]. */
export const depthwisePackedFloats = (c: number, taps: number): number => Math.ceil(c / 8) * 8 * (taps + 1);

/**
 * Depthwise weights from the depthwise.wgsl layout (tap t of channel c at t*C + c) into
 * channel blocks: block b (8 channels, the last one 4 wide when C % 8 == 4) at b*8*(taps+1)
 * holds [bias: nc][tap 0: nc]...[tap taps-1: nc].
 */
export function packDepthwiseWasm(src: Float32Array, wOff: number, bOff: number, c: number, taps: number, dst: Float32Array): void {
  for (let c0 = 0; c0 < c; c0 += 8) {
    const nc = Math.min(8, c - c0);
    let d = c0 * (taps + 1);
    for (let j = 0; j < nc; j++) dst[d + j] = src[bOff + c0 + j];
    d += nc;
    for (let t = 0; t < taps; t++) {
      for (let j = 0; j < nc; j++) dst[d + j] = src[wOff + t * c + c0 + j];
      d += nc;
    }
  }
}

/** Floats of a conv2d-packed weight: panels of 8 output channels, each [bias][taps*icUsed rows]. */
export const conv2dPackedFloats = (icUsed: number, oc: number, taps: number): number => gemmPackedFloats(taps * icUsed, oc);

/**
 * Dense conv weights from the conv2d.wgsl layout (W[t][ic][oc] at vec4
 * ((t*inC4 + ic4)*outC4 + oc4)*4 + (ic&3), lane oc&3) into GEMM panels with K = taps*icUsed,
 * k = t*icUsed + ic (tap-major, like the kernel's implicit K loop). Only the first `icUsed`
 * of the `ic` (padded) input channels are kept: the rest are zero padding (e.g. RGB -> 4).
 */
export function packConv2dWasm(src: Float32Array, wOff: number, bOff: number, ic: number, icUsed: number, oc: number, taps: number, dst: Float32Array): void {
  const outC4 = oc / 4;
  const K = taps * icUsed;
  for (let n0 = 0; n0 < oc; n0 += 8) {
    const nr = Math.min(8, oc - n0);
    let d = (n0 / 8) * 8 * (K + 1);
    for (let j = 0; j < nr; j++) dst[d + j] = src[bOff + n0 + j];
    d += nr;
    for (let t = 0; t < taps; t++) {
      for (let c = 0; c < icUsed; c++) {
        const kk = t * ic + c; // row of the pointwise-like source layout
        for (let j = 0; j < nr; j++) dst[d + j] = src[wOff + ((kk >> 2) * outC4 + ((n0 + j) >> 2)) * 16 + (kk & 3) * 4 + ((n0 + j) & 3)];
        d += nr;
      }
    }
  }
}
