#!/usr/bin/env bash
# The main job on the sample data: stage the sample studies, read every image (inspect), and turn
# the PNG/JPEG studies into DICOM (convert) so they could enter a PACS. Outputs go to out/demo/.
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

echo "== inspect: the converted DICOM files"
"$bin" inspect $(find "$out/converted" -name '*.dcm' | sort | head -3)
echo
echo "Done. Inspection: $out/inspect.json   Converted DICOM: $out/converted/"
