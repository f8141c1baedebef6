#!/usr/bin/env bash
# `cxr-explain listen` throughput: N studies (one converted cxr-views film each) sent with dcmsend in one
# association, processed with Grad-CAM once stable (--stable-after S), results sent to a DCMTK storescp.
# Prints the studies/minute from the first instance sent to the last SR stored, and the time from a study's
# last instance to its results at the destination (median and maximum, from the node's log). Not a test.
# Usage: benchmarks/node.sh [studies=40] [stable-after=2]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-40}; stable=${2:-2}
swift build -c release --product cxr-explain >/dev/null
bin=$(swift build -c release --show-bin-path)/cxr-explain
shared=${CXR_SHARED:-../shared}
work=out/bench/node; rm -rf "$work"; mkdir -p "$work/inputs" "$work/dest"
i=0
while IFS=$'\t' read -r file rest; do
  [ "$file" = "file" ] && continue
  [ "$i" -ge "$n" ] && break
  "$bin" convert "$shared/data/cxr-views/$file" --out "$work/inputs/$(printf "%04d" "$i").dcm" --patient-id "NODE$i" >/dev/null
  i=$((i + 1))
done < "$shared/data/cxr-views/MANIFEST.tsv"
studies=$(for f in "$work"/inputs/*.dcm; do dcmdump +P 0020,000d "$f"; done | sort -u | wc -l)
port=$((30000 + $$ % 1000 * 2)); dport=$((port + 1))
storescp -aet DEST -uf -od "$work/dest" "$dport" >/dev/null 2>&1 & dest=$!
"$bin" listen --port "$port" --out "$work/node" --methods gradcam --stable-after "$stable" --send "DEST@127.0.0.1:$dport" 2> "$work/node.log" & node=$!
trap 'kill -9 $dest $node 2>/dev/null || true' EXIT
until echoscu -aec CXREXPLAIN 127.0.0.1 "$port" 2>/dev/null; do sleep 0.2; done
start=$(date +%s.%N)
dcmsend -aec CXREXPLAIN 127.0.0.1 "$port" "$work"/inputs/*.dcm
sent=$(date +%s.%N)
until [ "$(ls "$work/dest" | grep -c '^SR')" -ge "$studies" ]; do sleep 0.2; done
done_at=$(date +%s.%N)
kill -TERM $node; wait $node || true
/usr/bin/python3 - "$n" "$studies" "$start" "$sent" "$done_at" "$stable" "$work/node.log" <<'PY'
import re, statistics, sys
n, studies, start, sent, done, stable, log = int(sys.argv[1]), int(sys.argv[2]), *map(float, sys.argv[3:7]), sys.argv[7]
lat = [float(m) for m in re.findall(r"; ([0-9.]+) s after its last instance", open(log).read())]
print(f"{n} images in {studies} studies: received in {sent - start:.1f} s ({n / (sent - start):.1f} images/s); "
      f"all results stored {done - start:.1f} s after the first instance: {studies / (done - start) * 60:.1f} studies/min "
      f"(stable-after {stable:.0f} s)")
print(f"last instance → results at the destination: median {statistics.median(lat):.1f} s, max {max(lat):.1f} s over {len(lat)} studies")
PY
