#!/usr/bin/env bash
# Renders a run's report.html in headless Chromium (Debian `chromium`) to a PNG, to look at what a person sees.
# Usage: scripts/screenshot-report.sh [out/demo/results/report.html] [report.png]
set -euo pipefail
report=${1:-out/demo/results/report.html}
png=${2:-${report%.html}.png}
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "error: chromium is not installed (apt-get install chromium)" >&2; exit 1; }
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,2400 \
  --screenshot="$png" "file://$(realpath "$report")" 2>/dev/null
echo "wrote $png"
