#!/usr/bin/env bash
# Decode time per NEMA WG04 RG2 file (2140x1760, 10-bit): `cxr-explain inspect` (decode, Modality LUT,
# VOI, statistics) next to DCMTK's own dcmj2pnm / dcml2pnm (decode, render, write PGM) in the same run.
# Whole-process wall time, median of N runs. Not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-7}
shared=${CXR_SHARED:-../shared}
swift build -c release --product cxr-explain >/dev/null
bin=$(swift build -c release --show-bin-path)/cxr-explain
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

median_ms() {  # command... → median wall ms
  local times=()
  for _ in $(seq "$N"); do
    local t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    local t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (N + 1) / 2 ))p"
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%F)"
printf '%-6s %-44s %10s %-10s %10s\n' file transfer_syntax cxr-ms dcmtk-tool dcmtk-ms
for enc in UNC JPLL JPLY JLSL RLE J2KR; do
  f="$shared/data/dicom/nonchest_CR_RG2_$enc.dcm"
  ts=$(dcmdump +P TransferSyntaxUID "$f" 2>/dev/null | sed -n 's/.*=\([^ ]*\).*/\1/p' | head -1)
  ours=$(median_ms "$bin" inspect "$f")
  case $enc in
    JLSL) tool=dcml2pnm ;;
    J2KR) tool="" ;;
    *) tool=dcmj2pnm ;;
  esac
  if [ -n "$tool" ]; then theirs=$(median_ms "$tool" "$f" "$tmp/out.pgm"); else tool="(none)"; theirs="n/a"; fi
  printf '%-6s %-44s %10s %-10s %10s\n' "$enc" "$ts" "$ours" "$tool" "$theirs"
done
