#!/usr/bin/env bash
# Regenerates docs/img/demo-*.png (the live demo per task, fake camera from real photos).
# Needs the assets of scripts/setup.sh and Debian chromium. Usage: scripts/screenshots.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
node scripts/build_wasm.mjs
npx tsx scripts/screenshots.ts "${1:-docs/img}"
