#!/usr/bin/env bash
# Idempotent environment setup: system packages for WebGPU-on-SwiftShader
# (chromium ships vk_swiftshader_icd.json, libvulkan1 the Vulkan loader) and
# npm dependencies. Fast no-op when everything is already present.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '[setup] %s\n' "$*"; }

ICD=/usr/lib/chromium/vk_swiftshader_icd.json

have_libvulkan() {
  local ldc out
  ldc="$(command -v ldconfig || true)"
  [ -z "$ldc" ] && [ -x /sbin/ldconfig ] && ldc=/sbin/ldconfig
  [ -z "$ldc" ] && return 1
  # Capture first: `ldconfig -p | grep -q` can die of SIGPIPE under pipefail.
  out="$("$ldc" -p 2>/dev/null || true)"
  [[ "$out" == *libvulkan.so.1* ]]
}

need_apt=0
[ -f "$ICD" ] || { log "missing $ICD"; need_apt=1; }
have_libvulkan || { log "missing libvulkan.so.1"; need_apt=1; }
[ -x /usr/bin/chromium ] || { log "missing /usr/bin/chromium"; need_apt=1; }
{ command -v clang >/dev/null && command -v wasm-ld >/dev/null; } || { log "missing clang/wasm-ld (WebAssembly kernels)"; need_apt=1; }
# clang 16 for the relaxed-SIMD kernels (Debian's clang 14 emits a draft relaxed-madd opcode)
{ command -v clang-16 >/dev/null && [ -x /usr/lib/llvm-16/bin/wasm-ld ]; } || { log "missing clang-16/lld-16 (relaxed-SIMD WebAssembly kernels)"; need_apt=1; }

if [ "$need_apt" = 1 ]; then
  SUDO=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      SUDO=(sudo)
    else
      log "not root and sudo unavailable; cannot install chromium libvulkan1 clang lld clang-16 lld-16" >&2
      exit 1
    fi
  fi
  log "installing chromium libvulkan1 clang lld clang-16 lld-16 via apt-get"
  "${SUDO[@]}" apt-get update
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium libvulkan1 clang lld clang-16 lld-16
else
  log "system packages present (chromium, libvulkan1, clang, lld, clang-16, lld-16)"
fi

if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "running npm ci"
  npm ci --ignore-scripts --no-audit --no-fund
else
  log "node_modules up to date"
fi

log "fetching test assets (real models, photos) into .cache/assets"
bash scripts/fetch_assets.sh >/dev/null

log "done"
