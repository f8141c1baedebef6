#!/usr/bin/env bash
# A run at archive scale: N images (copies of one demo film converted to DICOM, each with its own patient,
# study, series and instance UIDs, four per study folder), then `plan`, 4 shards at once with Grad-CAM, `report`,
# and the report opened in headless Chromium. Prints peak RSS per shard, the report's time and the render time.
# Not a test. Usage: benchmarks/scale.sh [images=10000] [shards=4]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}; shards=${2:-4}
swift build -c release --product cxr-explain >/dev/null
bin=$(swift build -c release --show-bin-path)/cxr-explain
work=out/bench/scale-$n; inputs=$work/inputs; out=$work/out
if [ ! -d "$inputs" ]; then
  mkdir -p "$work"
  "$bin" convert sample-data/demo/study-web-pa/02b76460.jpg --out "$work/base.dcm" --patient-id BASE >/dev/null
  /usr/bin/python3 - "$work/base.dcm" "$inputs" "$n" <<'PY'
import os, sys, pydicom
from pydicom.uid import generate_uid
base, root, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
ds = pydicom.dcmread(base)
# A 512-pixel film (every k-th pixel of the conversion), so 10 000 copies fit on an ordinary disk.
k = max(1, max(ds.Rows, ds.Columns) // 512)
pixels = ds.pixel_array[::k, ::k].copy()
ds.Rows, ds.Columns = pixels.shape
ds.PixelData = pixels.tobytes()
for i in range(n):
    if i % 4 == 0:
        study, series = generate_uid(entropy_srcs=[f"study{i}"]), generate_uid(entropy_srcs=[f"series{i}"])
        folder = os.path.join(root, f"study-{i // 4:05d}"); os.makedirs(folder, exist_ok=True)
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=[f"instance{i}"])
    ds.PatientID, ds.InstanceNumber = f"SCALE{i // 4:05d}", i % 4 + 1
    ds.save_as(os.path.join(folder, f"{i % 4}.dcm"), write_like_original=True)
PY
fi
echo "inputs: $n images in $(ls "$inputs" | wc -l) study folders, $(du -sh "$inputs" | cut -f1)"
rm -rf "$out"
/usr/bin/time -f "plan: %e s, peak RSS %M KiB" "$bin" plan "$inputs" --out "$out"
start=$(date +%s)
for i in $(seq 0 $((shards - 1))); do
  /usr/bin/time -f "shard $i/$shards: %e s, peak RSS %M KiB" "$bin" process "$inputs" --out "$out" --methods gradcam --jobs 1 \
    --shard "$i/$shards" > "$work/shard-$i.log" 2> "$work/shard-$i.time" &
done
wait
echo "4 shards: $(( $(date +%s) - start )) s wall"
tail -qn1 "$work"/shard-*.time
/usr/bin/time -f "report: %e s, peak RSS %M KiB" "$bin" report "$out" | tail -2
browser=$(command -v chromium || true)
if [ -n "$browser" ]; then
  # Chromium's own start-up, measured on an empty page in the same way, is given beside the report's time.
  echo "<!DOCTYPE html><title>empty</title>" > "$work/empty.html"
  for page in "$work/empty.html" "$out/report.html"; do
    s=$(date +%s.%N)
    "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,2000 \
      --screenshot="$work/$(basename "$page" .html).png" "file://$(realpath "$page")" 2>/dev/null
    echo "chromium: $(basename "$page") ($(du -h "$page" | cut -f1)) rendered to a PNG in $(echo "$(date +%s.%N) - $s" | bc) s"
  done
fi
