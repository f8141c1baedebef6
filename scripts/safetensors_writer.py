"""A minimal safetensors writer (the `safetensors` package is not in Debian 12)."""
import json
import struct

import torch


def save(path, tensors, f16_names=()):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        dtype = "F16" if name in f16_names else "F32"
        t = t.to(torch.float16 if dtype == "F16" else torch.float32)
        data = t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)
