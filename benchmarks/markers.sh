#!/usr/bin/env bash
# Cost of reading burned-in markers: `inspect` with and without --text over development AP films, and the
# tesseract command line (the same library, reading the file itself, sparse text) over the same files, as it
# comes and with OMP_THREAD_LIMIT=1 (its LSTM then runs on one thread, as ours does: only the peer's process gets it).
# Usage: benchmarks/markers.sh [N films, default 20]   (needs ../shared/data/cxr-views and a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20}
BIN=.build/release/cxr-explain
DATA=../shared/data/cxr-views
mapfile -t FILES < <(ls "$DATA"/AP/* | head -n "$N")
now() { date +%s.%N; }
t0=$(now); "$BIN" inspect "${FILES[@]}" > /dev/null; t1=$(now)
"$BIN" inspect --text "${FILES[@]}" > /dev/null; t2=$(now)
for f in "${FILES[@]}"; do tesseract "$f" stdout --psm 11 > /dev/null 2>&1; done; t3=$(now)
for f in "${FILES[@]}"; do OMP_THREAD_LIMIT=1 tesseract "$f" stdout --psm 11 > /dev/null 2>&1; done; t4=$(now)
echo "films: ${#FILES[@]}  (core: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores)"
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v e="$t4" -v n="${#FILES[@]}" 'BEGIN {
  printf "inspect (read, decode, statistics):   %6.3f s per film\n", (b - a) / n
  printf "inspect --text (the same + Tesseract): %6.3f s per film, OCR %.3f s\n", (c - b) / n, (c - b - (b - a)) / n
  printf "tesseract CLI --psm 11 (peer):        %6.3f s per film\n", (d - c) / n
  printf "the same, OMP_THREAD_LIMIT=1:          %6.3f s per film\n", (e - d) / n }'
