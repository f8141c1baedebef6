#!/bin/sh
# The Python peers of the benchmarks (not needed for the build or the tests): Debian's torch and
# torchvision, Debian's numeric stack (numpy 1.24: Debian's torch 1.13 does not load under numpy 2), and
# pytorch-grad-cam and lime from PyPI installed without their dependencies so pip does not pull numpy 2.
set -eu
apt-get install -y python3-torch python3-torchvision python3-numpy python3-scipy python3-skimage \
    python3-sklearn python3-opencv python3-matplotlib python3-tqdm python3-pil python3-pip
/usr/bin/python3 -m pip install --break-system-packages --no-deps grad-cam==1.5.7 ttach==0.0.3 lime==0.2.0.1
/usr/bin/python3 -c "import torch, pytorch_grad_cam, lime.lime_image; print('python peers ok')"
# ONNX Runtime needs numpy 2: its own virtual environment (CXR_ORT_VENV, default /opt/cxr-ort), never the
# system Python. cxr-bench uses it when present.
apt-get install -y python3-venv
venv="${CXR_ORT_VENV:-/opt/cxr-ort}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet onnxruntime numpy
"$venv/bin/python" -c "import onnxruntime; print('onnxruntime', onnxruntime.__version__)"
