#!/usr/bin/python3
"""torchvision's squeezenet1_1 timed as cxr-bench times the Swift one; prints `key value` lines (ms/image)."""
import resource
import sys

import torch
import torchvision
from timing import median

repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 10
torch.manual_seed(1)
model = torchvision.models.squeezenet1_1(num_classes=2)


model.eval()
for threads in (1, 2):
    torch.set_num_threads(threads)
    for batch in (1, 32):
        x = torch.randn(batch, 3, 227, 227)
        with torch.no_grad():
            t = median(repeats * 3 if batch == 1 else repeats, lambda: model(x))
        print(f"torch.forward.t{threads}.b{batch} {t * 1000 / batch:.3f}")

torch.set_num_threads(2)
model.train()
opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
x = torch.randn(32, 3, 227, 227)
y = torch.arange(32) % 2
loss_fn = torch.nn.CrossEntropyLoss()


def step():
    opt.zero_grad()
    loss_fn(model(x), y).backward()
    opt.step()


t = median(max(2, repeats // 2), step)
print(f"torch.train.t2.b32 {t * 1000 / 32:.3f}")
print(f"torch.train.peakRSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")
