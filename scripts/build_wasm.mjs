#!/usr/bin/env node
// Builds the WebAssembly SIMD kernels (src/backends/wasm/*.c) with clang + wasm-ld, in four
// variants, each one module embedded as base64 in its own generated file (so that Node and the
// browser (Vite) load it without file paths, and a bundle fetches only the variant it uses):
//   simd            kernels_wasm.generated.ts                 baseline SIMD, own memory
//   threads         kernels_wasm_threads.generated.ts         + atomics, imported shared memory
//   relaxed         kernels_wasm_relaxed.generated.ts         + relaxed SIMD (f32x4.relaxed_madd)
//   threads-relaxed kernels_wasm_threads_relaxed.generated.ts both
// The relaxed variants need clang >= 16 (Debian clang 14 emits the draft relaxed-madd opcode
// 0xfd 0xaf 0x01, which engines reject): `clang-16` on PATH or env CLANG_RELAXED. Without it
// they are not built and the loader reports that (the other two still work).
// The .wasm files also go to .cache/wasm/ for inspection; nothing here is committed. Skips a
// variant whose generated file already matches the sources and flags (the hash is stored in
// it). `--force` rebuilds. Env CLANG overrides the compiler. Logs go to stderr.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'src/backends/wasm');

/** pages of the threads variants' shared memory: initial (data + stack fit in 16) and maximum (1 GiB) */
const SHARED_INITIAL_PAGES = 16;
const SHARED_MAX_PAGES = 16384;

const BASE = [
  '--target=wasm32',
  '-O3',
  '-msimd128',
  '-mbulk-memory',
  '-nostdlib',
  '-ffreestanding',
  '-fno-exceptions',
  '-Wall',
  '-Wextra',
  '-Werror',
  '-Wno-unused-parameter',
  // link: a library module (no main), exported kernels + memory, growable (no maximum)
  '-Wl,--no-entry',
  '-Wl,--export-dynamic',
  '-Wl,--export=__heap_base',
  '-Wl,-z,stack-size=262144',
  '-Wl,--strip-all',
];
// one memory shared by the executor and its workers; each instance gets its own stack by
// setting the exported __stack_pointer (a mutable global) before its first call
const THREADS = [
  '-matomics',
  '-mmutable-globals',
  '-Wl,--import-memory',
  '-Wl,--shared-memory',
  `-Wl,--initial-memory=${SHARED_INITIAL_PAGES * 65536}`,
  `-Wl,--max-memory=${SHARED_MAX_PAGES * 65536}`,
  '-Wl,--export=__stack_pointer',
];
const RELAXED = ['-mrelaxed-simd', '-DWASM_RELAXED=1'];

const VARIANTS = [
  { id: 'simd', file: 'kernels_wasm.generated.ts', flags: BASE, relaxed: false, threads: false },
  { id: 'threads', file: 'kernels_wasm_threads.generated.ts', flags: [...BASE, ...THREADS], relaxed: false, threads: true },
  { id: 'relaxed', file: 'kernels_wasm_relaxed.generated.ts', flags: [...BASE, ...RELAXED], relaxed: true, threads: false },
  { id: 'threads-relaxed', file: 'kernels_wasm_threads_relaxed.generated.ts', flags: [...BASE, ...THREADS, ...RELAXED], relaxed: true, threads: true },
];

function probe(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0];
  } catch {
    return null;
  }
}
const majorOf = (v) => Number(/version (\d+)/.exec(v ?? '')?.[1] ?? 0);

const clang = process.env.CLANG ?? 'clang';
const clangVersion = probe(clang, ['--version']);
const lldVersion = probe('wasm-ld', ['--version']);
if (!clangVersion || !lldVersion) {
  console.error(
    `build:wasm: ${!clangVersion ? `'${clang}' (clang)` : ''}${!clangVersion && !lldVersion ? ' and ' : ''}${!lldVersion ? "'wasm-ld' (lld)" : ''} not found on PATH.\n` +
      '  The WebAssembly kernels need clang with the wasm32 target and wasm-ld: on Debian/Ubuntu\n' +
      '  `apt-get install clang lld` (scripts/setup.sh does this), or set CLANG=/path/to/clang.',
  );
  process.exit(1);
}
// relaxed SIMD: the default clang if it is >= 16, else clang-16 (with its own wasm-ld, found by -fuse-ld)
let relaxedClang = process.env.CLANG_RELAXED ?? (majorOf(clangVersion) >= 16 ? clang : 'clang-16');
let relaxedVersion = probe(relaxedClang, ['--version']);
if (relaxedVersion && majorOf(relaxedVersion) < 16) relaxedVersion = null;
const relaxedLd = relaxedClang === clang ? [] : existsSync('/usr/lib/llvm-16/bin/wasm-ld') ? ['-fuse-ld=/usr/lib/llvm-16/bin/wasm-ld'] : [];

const sources = readdirSync(srcDir).filter((f) => f.endsWith('.c') || f.endsWith('.h')).sort();
const cFiles = sources.filter((f) => f.endsWith('.c')).map((f) => join(srcDir, f));
const force = process.argv.includes('--force');
mkdirSync(join(root, '.cache/wasm'), { recursive: true });

let failed = false;
for (const v of VARIANTS) {
  const outTs = join(srcDir, v.file);
  const cc = v.relaxed ? relaxedClang : clang;
  const ccVersion = v.relaxed ? relaxedVersion : clangVersion;
  if (v.relaxed && !ccVersion) {
    // leave a stub so the loader can say why (and imports resolve)
    const stub = `// GENERATED by scripts/build_wasm.mjs -- do not edit, not committed.\n/* eslint-disable */\nexport const WASM_KERNELS_SOURCE_HASH = 'none';\nexport const WASM_KERNELS_BYTES = 0;\nexport const WASM_KERNELS_BASE64 = '';\nexport const WASM_KERNELS_UNAVAILABLE = 'the relaxed-SIMD kernels were not built: they need clang >= 16 (apt-get install clang-16 lld-16; scripts/setup.sh does this) or env CLANG_RELAXED';\n`;
    if (!existsSync(outTs) || readFileSync(outTs, 'utf8') !== stub) writeFileSync(outTs, stub);
    console.error(`build:wasm: ${v.id}: skipped, no clang >= 16 ('${relaxedClang}' not found or older)`);
    continue;
  }
  const flags = [...v.flags, ...(v.relaxed ? relaxedLd : [])];
  const hash = createHash('sha256');
  hash.update(ccVersion).update(flags.join(' '));
  for (const f of sources) hash.update(f).update(readFileSync(join(srcDir, f)));
  const digest = hash.digest('hex').slice(0, 16);
  if (!force && existsSync(outTs) && readFileSync(outTs, 'utf8').includes(`WASM_KERNELS_SOURCE_HASH = '${digest}'`)) {
    console.error(`build:wasm: ${v.id}: ${outTs.slice(root.length + 1)} is up to date (${digest})`);
    continue;
  }
  const outWasm = join(root, `.cache/wasm/kernels-${v.id}.wasm`);
  try {
    execFileSync(cc, [...flags, '-o', outWasm, ...cFiles], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    console.error(`build:wasm: ${v.id}: ${cc} failed (see above)`);
    failed = true;
    continue;
  }
  const bytes = readFileSync(outWasm);
  const lines = bytes.toString('base64').match(/.{1,120}/g) ?? [];
  writeFileSync(
    outTs,
    `// GENERATED by scripts/build_wasm.mjs from src/backends/wasm/*.c (${ccVersion}; variant ${v.id}) -- do not edit, not committed.\n` +
      `/* eslint-disable */\n` +
      `export const WASM_KERNELS_SOURCE_HASH = '${digest}';\n` +
      `export const WASM_KERNELS_BYTES = ${bytes.length};\n` +
      (v.threads ? `export const WASM_SHARED_PAGES = { initial: ${SHARED_INITIAL_PAGES}, maximum: ${SHARED_MAX_PAGES} };\n` : '') +
      `export const WASM_KERNELS_UNAVAILABLE = '';\n` +
      `export const WASM_KERNELS_BASE64 =\n${lines.map((l) => `  '${l}'`).join(' +\n')};\n`,
  );
  console.error(`build:wasm: ${v.id}: ${bytes.length} bytes -> ${outTs.slice(root.length + 1)} (${digest})`);
}
if (failed) process.exit(1);
