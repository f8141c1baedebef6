#!/usr/bin/env bash
# The main job on the sample data (until `process` exists): stage the sample studies, read every image
# (inspect), classify its view, explain one, and turn the PNG/JPEG studies into DICOM (convert).
# Outputs go to out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product cxr-explain >/dev/null
bin=$(swift build -c release --show-bin-path)/cxr-explain
staged=sample-data/staged
out=out/demo
sample-data/stage.sh "$staged"
rm -rf "$out" && mkdir -p "$out/converted"

echo "== inspect: every staged image"
find "$staged" -type f | sort > "$out/inputs.txt"
xargs -d '\n' "$bin" inspect --json < "$out/inputs.txt" > "$out/inspect.json"
echo "wrote $out/inspect.json ($(wc -l < "$out/inputs.txt") images)"

echo "== convert: PNG and JPEG studies into DICOM Secondary Captures"
while IFS= read -r f; do
  case "$f" in
    *.dcm) continue ;;
  esac
  study=$(basename "$(dirname "$f")")
  name=$(basename "${f%.*}")
  mkdir -p "$out/converted/$study"
  "$bin" convert "$f" --out "$out/converted/$study/$name.dcm"
done < "$out/inputs.txt"

echo "== classify: every staged image with the shipped model (PA or lateral, header agreement)"
xargs -d '\n' "$bin" classify < "$out/inputs.txt" | tee "$out/classify.tsv"

echo "== explain: Grad-CAM and occlusion for the first staged DICOM"
"$bin" explain "$(grep '\.dcm$' "$out/inputs.txt" | head -1)" --method gradcam gradcam++ occlusion --metrics --out "$out/explain"

echo "== inspect: the converted DICOM files"
"$bin" inspect $(find "$out/converted" -name '*.dcm' | sort | head -3)
echo
echo "Done. Inspection: $out/inspect.json  Views: $out/classify.tsv  Overlays: $out/explain/  Converted DICOM: $out/converted/"
