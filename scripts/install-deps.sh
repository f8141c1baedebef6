#!/usr/bin/env bash
# Installs the Debian packages and the PyPI package the project needs (Debian 12; run as root or with sudo).
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
PACKAGES=(libdcmtk-dev dcmtk dicom3tools libpng-dev libjpeg-dev libopenjp2-7-dev libssl-dev
          libopenblas-dev libdnnl-dev libtesseract-dev tesseract-ocr-eng python3-pip python3-numpy orthanc orthanc-dicomweb curl)
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# pydicom reads back what we write in the tests (Debian's python3, not another interpreter on PATH).
/usr/bin/python3 -c "import pydicom" 2>/dev/null || \
  $SUDO /usr/bin/python3 -m pip install --quiet --break-system-packages pydicom
# highdicom reads back the TID 1500 SRs in the tests; numpy stays below 2 (Debian's torch needs 1.x).
/usr/bin/python3 -c "import highdicom" 2>/dev/null || \
  $SUDO /usr/bin/python3 -m pip install --quiet --break-system-packages highdicom "numpy<2"
echo "dependencies installed"
