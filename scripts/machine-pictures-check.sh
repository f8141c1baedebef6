#!/usr/bin/env bash
# The content check against pictures that happen to be on this machine: every PNG/JPEG of at least 8 kB under
# /usr and /root (plots, diagrams, screenshots, icons, photographs), turned gray (alpha over white), then
# `cxr-explain classify`. None of them is a chest radiograph, so none may get a view. Scikit-image's sample
# pictures (and imageio's copies of them) are left out: they belong to the hidden evaluation set.
# Not a test (what is installed differs between machines); the README records a run.
# Usage: scripts/machine-pictures-check.sh [model.safetensors]   (needs python3-pil and a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d /tmp/machine-pictures.XXXXXX); mkdir "$out/pictures"
find /usr /root -xdev \( -iname '*.png' -o -iname '*.jpg' -o -iname '*.jpeg' \) -size +8k 2>/dev/null \
  | grep -v -i -e skimage -e scikit -e imageio | sort > "$out/sources.txt"
/usr/bin/python3 - "$out" <<'EOF'
import sys
from PIL import Image
out = sys.argv[1]
kept = 0
for i, path in enumerate(open(f'{out}/sources.txt').read().split('\n')):
    if not path: continue
    try:
        image = Image.open(path)
        if image.mode in ('RGBA', 'LA', 'P'):
            image = image.convert('RGBA'); white = Image.new('RGBA', image.size, (255, 255, 255, 255))
            white.alpha_composite(image); image = white
        gray = image.convert('L')
        if min(gray.size) < 64: continue
        gray.save(f'{out}/pictures/p{i:04d}.png'); kept += 1
    except Exception as error:
        print(f'{path}: skipped ({error})', file=sys.stderr)
print(f'{kept} gray pictures in {out}/pictures', file=sys.stderr)
EOF
model=()
[ $# -ge 1 ] && model=(--model "$1")
.build/release/cxr-explain classify "$out/pictures" "${model[@]}" 2>/dev/null | grep "^$out/pictures" > "$out/decisions.tsv" || true
echo "pictures: $(wc -l < "$out/decisions.tsv")"
echo "decisions:"; cut -f2 "$out/decisions.tsv" | sed 's/ (.*//' | sort | uniq -c
echo "smallest content distances:"; grep -o 'content distance [0-9.]*, limit [0-9.]*' "$out/decisions.tsv" | sort -t' ' -k3 -n | head -3
kept=$(cut -f2 "$out/decisions.tsv" | grep -c -v -e '^not a chest radiograph' -e '^skipped' || true)
echo "pictures not refused as a chest radiograph: $kept"
