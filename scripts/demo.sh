#!/usr/bin/env bash
# The main job on the sample data: stage the sample studies (the shared chest DICOMs as they are, the
# cxr-views PNG/JPEG images turned into DICOM studies by `convert`, and one PadChest-style 16-bit PNG left
# as a PNG), then run `process` over them: view, Grad-CAM, LIME and the probe map, tagged copies, Secondary Captures,
# SR, report. Everything goes to out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product cxr-explain >/dev/null
bin=$(swift build -c release --show-bin-path)/cxr-explain
staged=sample-data/staged
out=out/demo
shared=${CXR_SHARED:-../shared}
if [ ! -f "$shared/data/dicom/MANIFEST.tsv" ] || [ ! -f "$shared/data/cxr-views/MANIFEST.tsv" ]; then
  # A plain clone: the committed demo films (sample-data/demo, permissive licences, see its NOTICE).
  echo "== no shared data at $shared: processing the committed demo films in sample-data/demo"
  rm -rf "$out" && mkdir -p "$out"
  # The film folders only: NOTICE and MANIFEST.tsv beside them would be listed as "not an image".
  "$bin" process sample-data/demo/study-* sample-data/demo/not-chest --out "$out/results" --methods gradcam lime probe
  echo
  echo "Open the report: $out/results/report.html  (results.json, results.csv beside it; DICOM outputs under $out/results/)"
  exit 0
fi
sample-data/stage.sh "$staged"
rm -rf "$out" && mkdir -p "$out/studies"

echo "== stage: DICOM studies as they are; PNG/JPEG view images converted to DICOM; the 16-bit PNG kept"
find "$staged" -type f | sort | while IFS= read -r f; do
  study=$(basename "$(dirname "$f")")
  mkdir -p "$out/studies/$study"
  case "$f" in
    *.dcm|*/study-padchest-style/*) cp "$f" "$out/studies/$study/" ;;
    *) name=$(basename "${f%.*}"); "$bin" convert "$f" --out "$out/studies/$study/$name.dcm" >/dev/null ;;
  esac
done
echo "$(find "$out/studies" -type f | wc -l) images in $(find "$out/studies" -mindepth 1 -maxdepth 1 -type d | wc -l) studies under $out/studies"

echo "== process: classify, explain (Grad-CAM, LIME, the feature probe's map), write DICOM results and the report"
"$bin" process "$out/studies" --out "$out/results" --methods gradcam lime probe
echo
echo "Open the report: $out/results/report.html  (results.json, results.csv beside it; DICOM outputs under $out/results/)"
