#!/usr/bin/python3
"""Exports torchvision's squeezenet1_1 (2 classes, seed 1, as cxr-bench builds it) to ONNX with Debian's torch.

Usage: export_onnx.py OUT.onnx. The batch axis is dynamic so one file serves batch 1 and batch 32.
"""
import sys

import torch
import torchvision

torch.manual_seed(1)
model = torchvision.models.squeezenet1_1(num_classes=2).eval()
torch.onnx.export(model, torch.randn(1, 3, 227, 227), sys.argv[1], opset_version=13,
                  input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
