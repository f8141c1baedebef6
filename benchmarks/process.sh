#!/usr/bin/env bash
# `cxr-explain process` against a Python pipeline doing the same work (benchmarks/python_pipeline.py), same
# inputs, same run. Not a test. Usage: benchmarks/process.sh [images=100] [methods=gradcam,lime] [lime samples=1000]
# Inputs: the first N cxr-views images converted to DICOM (uncompressed) under out/bench/inputs-N.
# Peak RSS from /usr/bin/time. Needs benchmarks/install-python-peers.sh and `pip install highdicom --no-deps`.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100}; methods=${2:-gradcam,lime}; samples=${3:-1000}
swift build -c release --product cxr-explain >/dev/null
bin=$(swift build -c release --show-bin-path)/cxr-explain
model=sample-data/models/cxr-views-squeezenet.safetensors
shared=${CXR_SHARED:-../shared}
inputs=out/bench/inputs-$n
if [ ! -d "$inputs" ]; then
  mkdir -p "$inputs"
  i=0
  # Repeat the set when more images are asked for than it holds (the memory test at 1000).
  while [ "$i" -lt "$n" ]; do
    while IFS=$'\t' read -r file rest; do
      [ "$file" = "file" ] && continue
      [ "$i" -ge "$n" ] && break
      study=$(printf "study-%04d" $((i / 4)))
      mkdir -p "$inputs/$study"
      "$bin" convert "$shared/data/cxr-views/$file" --out "$inputs/$study/$(printf "%04d" "$i").dcm" --patient-id "BENCH$i" >/dev/null
      i=$((i + 1))
    done < "$shared/data/cxr-views/MANIFEST.tsv"
  done
fi
echo "inputs: $n DICOM images ($(du -sh "$inputs" | cut -f1)), methods $methods, LIME samples $samples"
rm -rf out/bench/swift-out out/bench/python-out
/usr/bin/time -f "swift peak_rss_kib %M wall_s %e" "$bin" process "$inputs" --out out/bench/swift-out \
  --methods ${methods//,/ } --samples "$samples" > out/bench/swift.log 2> out/bench/swift.time || true
tail -1 out/bench/swift.time
/usr/bin/python3 - "$n" <<'PY'
import json, sys
r = json.load(open("out/bench/swift-out/results.json"))
stages = {}
for im in r["images"]:
    for k, v in im.get("seconds", {}).items():
        stages[k] = stages.get(k, 0) + v
print("swift stages " + " ".join(f"{k}={v:.2f}" for k, v in sorted(stages.items())))
PY
if [ "${SKIP_PYTHON:-0}" != 1 ]; then
  /usr/bin/time -f "python peak_rss_kib %M wall_s %e" /usr/bin/python3 benchmarks/python_pipeline.py "$model" "$inputs" \
    out/bench/python-out "$methods" "$samples" > out/bench/python.log 2> out/bench/python.time || true
  tail -1 out/bench/python.time
  cat out/bench/python.log
fi
