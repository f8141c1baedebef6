#!/usr/bin/python3
"""pytorch-grad-cam and lime on the same weights and input as `cxr-bench --explain`.

Arguments: model.safetensors gray.npy (227x227 float32 in [0, 1]) target_class repeats lime_samples.
Prints `key value` lines: gradcam ms/image, lime s/image, and the installed versions.
"""
import json
import struct
import sys
import time

import numpy as np
import torch
import torchvision
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
from lime import lime_image
from lime.wrappers.scikit_image import SegmentationAlgorithm
import importlib.metadata as md
from timing import median

model_path, gray_path, target, repeats, samples = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        dtype = {"F32": np.float32, "F16": np.float16}[info["dtype"]]
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype=dtype).astype(np.float32).reshape(info["shape"]).copy())
    return out


# The network's tensors only (a model file also carries the content check's and the feature probe's); classes from the last layer.
# An ensemble's file holds further networks as member<m>.*: the peer runs the first (one network each side).
weights = {k: v for k, v in read_safetensors(model_path).items() if not k.startswith(("content_check.", "probe.", "member"))}
model = torchvision.models.squeezenet1_1(num_classes=weights["classifier.1.bias"].shape[0])
model.load_state_dict(weights)
model.eval()
gray = np.load(gray_path).astype(np.float32)
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
x = (torch.from_numpy(gray)[None, None].repeat(1, 3, 1, 1) - mean) / std


cam = GradCAM(model=model, target_layers=[model.features[12]])
t = median(repeats, lambda: cam(input_tensor=x, targets=[ClassifierOutputTarget(target)]))
print(f"python.gradcam.ms {t * 1000:.3f}")


def classifier_fn(images):  # lime: (N, H, W, 3) in [0, 1] → probabilities
    batch = (torch.from_numpy(images.astype(np.float32)).permute(0, 3, 1, 2) - mean) / std
    with torch.no_grad():
        return torch.softmax(model(batch), dim=1).numpy()


rgb = np.repeat(gray[:, :, None], 3, axis=2).astype(np.float64)
segmenter = SegmentationAlgorithm("slic", n_segments=50, compactness=10, sigma=1, start_label=0)
explainer = lime_image.LimeImageExplainer(kernel_width=0.25, random_state=0)
t0 = time.perf_counter()
explainer.explain_instance(rgb, classifier_fn, labels=(target,), top_labels=None, hide_color=None, num_samples=samples,
                           batch_size=16, segmentation_fn=segmenter, random_seed=0)
print(f"python.lime.s {time.perf_counter() - t0:.3f}")
print(f"versions torch={torch.__version__} grad-cam={md.version('grad-cam')} lime={md.version('lime')}")
