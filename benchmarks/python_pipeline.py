#!/usr/bin/python3
"""The work of `cxr-explain process` done with today's Python tools, for the benchmark (not a test).

pydicom reads and decodes, the VOI window and MONOCHROME1 inversion are applied with numpy, OpenCV resizes,
torchvision's SqueezeNet (our weights) classifies, pytorch-grad-cam and lime explain, pydicom writes the
tagged copy and highdicom the grayscale and RGB Secondary Captures per method. (No SR: highdicom's TID 1500
needs measurements this job does not have; the Swift side's SR is a few ms.)

Usage: python_pipeline.py model.safetensors input_dir out_dir methods(gradcam,lime) lime_samples
Prints `key value` lines: images, seconds, images_per_s, seconds per stage, peak RSS MiB.
"""
import json
import os
os.environ.setdefault("TQDM_DISABLE", "1")  # lime's progress bar
import resource
import struct
import sys
import time

import cv2
import highdicom as hd
import numpy as np
import pydicom
import scipy.stats
import torch
import torchvision
from lime import lime_image
from lime.wrappers.scikit_image import SegmentationAlgorithm
from pydicom.uid import generate_uid
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

model_path, in_dir, out_dir, methods, samples = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(","), int(sys.argv[5])
torch.set_num_threads(2)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    dtypes = {"F32": np.float32, "F16": np.float16}  # the shipped model stores its weights as F16
    tensors = {k: torch.from_numpy(np.frombuffer(data[v["data_offsets"][0]:v["data_offsets"][1]], dtype=dtypes[v["dtype"]])
                                   .astype(np.float32).reshape(v["shape"]).copy()) for k, v in header.items() if k != "__metadata__"}
    return tensors, header.get("__metadata__", {})


# The network's tensors only (a model file also carries the content check's and the feature probe's); classes from the last layer.
# An ensemble's file holds further networks as member<m>.*: the peer runs the first (one network each side).
tensors, metadata = read_safetensors(model_path)
tone = metadata.get("tone", "as-read")  # the gray levels the network was trained on (the shipped model: equalized)
weights = {k: v for k, v in tensors.items() if not k.startswith(("content_check.", "probe.", "member"))}
model = torchvision.models.squeezenet1_1(num_classes=weights["classifier.1.bias"].shape[0])
model.load_state_dict(weights)
model.eval()
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
cam = GradCAM(model=model, target_layers=[model.features[12]])
segmenter = SegmentationAlgorithm("slic", n_segments=50, compactness=10, sigma=1, start_label=0)
stages = {k: 0.0 for k in ["read", "preprocess", "classify", "gradcam", "lime", "write"]}


def display(ds):
    a = ds.pixel_array.astype(np.float32)
    a = a * float(getattr(ds, "RescaleSlope", 1)) + float(getattr(ds, "RescaleIntercept", 0))
    lo, hi = np.percentile(a, [0.5, 99.5])
    if "WindowCenter" in ds:
        c = float(np.atleast_1d(ds.WindowCenter)[0]); w = float(np.atleast_1d(ds.WindowWidth)[0])
        lo, hi = c - w / 2, c + w / 2
    a = np.clip((a - lo) / max(hi - lo, 1e-6), 0, 1)
    if a.ndim == 3:
        a = a @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return 1 - a if ds.PhotometricInterpretation == "MONOCHROME1" else a


def equalized(gray):
    """A model trained with --tone equalized: each nonzero level becomes its mid-rank among the nonzero levels / n."""
    out = np.zeros_like(gray)
    nonzero = gray > 0
    out[nonzero] = scipy.stats.rankdata(gray[nonzero]) / nonzero.sum()
    return out


def network_input(gray):
    h, w = gray.shape
    side = max(h, w)
    padded = np.zeros((side, side), np.float32)
    padded[(side - h) // 2:(side - h) // 2 + h, (side - w) // 2:(side - w) // 2 + w] = gray
    resized = cv2.resize(padded, (227, 227), interpolation=cv2.INTER_AREA)
    return equalized(resized) if tone == "equalized" else resized


def classifier_fn(images):
    batch = (torch.from_numpy(images.astype(np.float32)).permute(0, 3, 1, 2) - mean) / std
    with torch.no_grad():
        return torch.softmax(model(batch), dim=1).numpy()


def jet_blend(gray, heat):
    colour = cv2.applyColorMap((heat * 255).astype(np.uint8), cv2.COLORMAP_JET)[:, :, ::-1].astype(np.float32)
    g = np.repeat((gray * 255)[:, :, None], 3, axis=2)
    return (0.5 * g + 0.5 * colour).astype(np.uint8)


files = sorted(os.path.join(d, f) for d, _, fs in os.walk(in_dir) for f in fs)
t_start = time.perf_counter()
done = 0
for path in files:
    t = time.perf_counter()
    ds = pydicom.dcmread(path)
    gray_full = display(ds)
    stages["read"] += time.perf_counter() - t; t = time.perf_counter()
    gray = network_input(gray_full)
    x = (torch.from_numpy(gray)[None, None].repeat(1, 3, 1, 1) - mean) / std
    stages["preprocess"] += time.perf_counter() - t; t = time.perf_counter()
    with torch.no_grad():
        p = torch.softmax(model(x), dim=1)[0].numpy()
    c = int(p.argmax())
    stages["classify"] += time.perf_counter() - t
    maps = {}
    if "gradcam" in methods:
        t = time.perf_counter()
        maps["gradcam"] = cam(input_tensor=x, targets=[ClassifierOutputTarget(c)])[0]
        stages["gradcam"] += time.perf_counter() - t
    if "lime" in methods:
        t = time.perf_counter()
        e = lime_image.LimeImageExplainer(kernel_width=0.25, random_state=0).explain_instance(
            np.repeat(gray[:, :, None], 3, axis=2).astype(np.float64), classifier_fn, labels=(c,), top_labels=None,
            hide_color=None, num_samples=samples, batch_size=16, segmentation_fn=segmenter, random_seed=0)
        weights = dict(e.local_exp[c])
        m = np.vectorize(lambda s: weights.get(s, 0.0))(e.segments).astype(np.float32)
        maps["lime"] = (m - m.min()) / (m.max() - m.min() + 1e-7)
        stages["lime"] += time.perf_counter() - t
    t = time.perf_counter()
    rel = os.path.relpath(path, in_dir)
    stem = os.path.splitext(os.path.join(out_dir, rel))[0]
    os.makedirs(os.path.dirname(stem), exist_ok=True)
    ds.ViewPosition = "PA" if c == 0 else "LL"
    ds.save_as(stem + ".dcm")
    h, w = gray_full.shape
    scale = min(1.0, 1024 / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = cv2.resize(gray_full, size, interpolation=cv2.INTER_AREA)
    side = max(h, w)
    for name, heat in maps.items():
        up = cv2.resize(heat, (side, side), interpolation=cv2.INTER_LINEAR)[(side - h) // 2:(side - h) // 2 + h, (side - w) // 2:(side - w) // 2 + w]
        up = cv2.resize(up, size, interpolation=cv2.INTER_AREA)
        series = generate_uid()
        for kind, pixels, photometric in [("gray", (small * 255).astype(np.uint8), "MONOCHROME2"), ("rgb", jet_blend(small, up), "RGB")]:
            sc = hd.sc.SCImage.from_ref_dataset(ds, pixels, photometric, 8, "PATIENT", series, 9001, generate_uid(), 1,
                                                "python-pipeline", patient_orientation=("L", "F"))
            sc.save_as(f"{stem}.{name}.{kind}.dcm")
    stages["write"] += time.perf_counter() - t
    done += 1
total = time.perf_counter() - t_start
print(f"images {done}")
print(f"seconds {total:.3f}")
print(f"images_per_s {done / total:.4f}")
for k, v in stages.items():
    print(f"stage.{k} {v:.3f}")
print(f"peak_rss_mib {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")
