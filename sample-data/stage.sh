#!/usr/bin/env bash
# Stages the sample studies listed in sample-data/MANIFEST.tsv from ../shared/data into a folder
# (default sample-data/staged/, which git ignores). Checks every file's SHA-256 first.
# Also makes one PadChest-style 16-bit PNG (no tags, raw range) from a shared chest DICOM with
# DCMTK's dcml2pnm, so the demo has a PNG study as PadChest users would.
# Nothing here is committed: the images stay in ../shared (or wherever CXR_SHARED points).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shared=${CXR_SHARED:-$here/../../shared}
out=${1:-$here/staged}

if [ ! -f "$shared/data/dicom/MANIFEST.tsv" ] || [ ! -f "$shared/data/cxr-views/MANIFEST.tsv" ]; then
  cat >&2 <<MSG
error: the shared data is not at $shared/data (set CXR_SHARED to its folder).
The sample studies come from public sources (see sample-data/MANIFEST.tsv, column 'source'):
  - NEMA WG04 compression set, GDCM and SIIM samples: github.com/robyoung/dicom-test-files,
    github.com/ivmartel/dwv (tests/data), github.com/mlmed/torchxrayvision (tests)
  - COVID-19 Image Data Collection (Cohen et al., arXiv:2003.11597): github.com/ieee8023/covid-chestxray-dataset
Download the listed files into \$CXR_SHARED/data/{dicom,cxr-views}/ with the same relative paths.
MSG
  exit 1
fi

rm -rf "$out"
mkdir -p "$out"
count=0
while IFS=$'\t' read -r file sha label licence source study; do
  [ "$file" = "file" ] && continue
  src="$shared/data/$file"
  actual=$(sha256sum "$src" | cut -d' ' -f1)
  if [ "$actual" != "$sha" ]; then
    echo "error: $src: SHA-256 $actual does not match the manifest ($sha)" >&2
    exit 1
  fi
  mkdir -p "$out/$study"
  cp "$src" "$out/$study/$(basename "$file")"
  count=$((count + 1))
done < "$here/MANIFEST.tsv"

# PadChest-style: 16-bit grayscale PNG, no tags, named by an image id; min-max window over the raw values.
mkdir -p "$out/study-padchest-style"
dcml2pnm --quiet --write-16-bit-png --min-max-window "$shared/data/dicom/chest_CR_PA_RG1_JLSN.dcm" \
  "$out/study-padchest-style/216840111366964012819207061112010306085429121_04-020-102.png"
count=$((count + 1))
echo "staged $count images in $(find "$out" -mindepth 1 -maxdepth 1 -type d | wc -l) studies under $out"
