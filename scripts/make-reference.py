#!/usr/bin/python3
"""Writes the PyTorch reference fixtures the Swift tests compare against (run with Debian's python3-torch):

    /usr/bin/python3 scripts/make-reference.py

Tests/ClassifierTests/Fixtures/
  layers.safetensors       small conv (3x3/2, 3x3 pad 1, 1x1) and ceil-mode max-pool: inputs, outputs, gradients
  squeezenet.safetensors   seeded SqueezeNet 1.1 (2 classes) at 101x101, batch 2: weights (F16-exact), input,
                           logits, fire9 output, mean- and max-pooled fire6 and fire9, d logit / d fire9 and d conv1.weight, loss, gradients, AdamW step
Values that are inputs are rounded to float16 before use, so storing them as F16 loses nothing.
"""
import os
import torch
import torch.nn.functional as F
import torchvision
from safetensors_writer import save

torch.manual_seed(20261127)
torch.set_num_threads(1)
here = os.path.dirname(os.path.abspath(__file__))
out_dir = os.path.join(here, "..", "Tests", "ClassifierTests", "Fixtures")
os.makedirs(out_dir, exist_ok=True)


def f16(t):
    return t.to(torch.float16).to(torch.float32)


# ---- layers -----------------------------------------------------------------------------------
layers = {}
for name, (c, h, k, kernel, stride, pad) in {
    "conv3s2": (3, 9, 4, 3, 2, 0),
    "conv3p1": (2, 6, 3, 3, 1, 1),
    "conv1": (5, 4, 3, 1, 1, 0),
}.items():
    x = f16(torch.randn(2, c, h, h)).requires_grad_()
    w = f16(torch.randn(k, c, kernel, kernel) * 0.5).requires_grad_()
    b = f16(torch.randn(k)).requires_grad_()
    y = F.conv2d(x, w, b, stride=stride, padding=pad)
    dy = f16(torch.randn_like(y))
    y.backward(dy)
    layers.update({f"{name}.x": x, f"{name}.w": w, f"{name}.b": b, f"{name}.y": y, f"{name}.dy": dy,
                   f"{name}.dx": x.grad, f"{name}.dw": w.grad, f"{name}.db": b.grad})
for name, h in {"pool8": 8, "pool13": 13}.items():
    x = f16(torch.randn(2, 3, h, h)).requires_grad_()
    y = F.max_pool2d(x, 3, 2, ceil_mode=True)
    dy = f16(torch.randn_like(y))
    y.backward(dy)
    layers.update({f"{name}.x": x, f"{name}.y": y, f"{name}.dy": dy, f"{name}.dx": x.grad})
save(os.path.join(out_dir, "layers.safetensors"), {k: v.detach() for k, v in layers.items()})

# ---- SqueezeNet ---------------------------------------------------------------------------------
model = torchvision.models.squeezenet1_1(num_classes=2)
with torch.no_grad():
    for p in model.parameters():
        p.copy_(f16(p + 0.01 * torch.randn_like(p)))  # non-zero biases too
model.eval()  # dropout off: the Swift side tests dropout on its own

x = f16(torch.randn(2, 3, 101, 101))
acts = {}
model.features[12].register_forward_hook(lambda m, i, o: acts.__setitem__("fire9", o))
model.features[9].register_forward_hook(lambda m, i, o: acts.__setitem__("fire6", o))
logits = model(x)
fire9 = acts["fire9"]
fire9.retain_grad()
logits[:, 1].sum().backward(retain_graph=True)
d_fire9 = fire9.grad.clone()
d_conv1_logit = model.features[0].weight.grad.clone()

# Grad-CAM family at the fire9 output for image 0, target = logit of class 1, as pytorch-grad-cam computes
# them (ReLU, bilinear upsampling with half-pixel centres = OpenCV INTER_LINEAR, min-max to [0, 1]).
A, G = fire9[0].detach(), d_fire9[0]  # (512, h, w); image 1's logit does not depend on image 0


def finish(cam):
    cam = torch.clamp(cam, min=0)[None, None]
    up = F.interpolate(cam, size=(101, 101), mode="bilinear", align_corners=False)[0, 0]
    up = up - up.min()
    return up / (up.max() + 1e-7)


weights = G.mean(dim=(1, 2))
cams = {"cam.gradcam": finish((weights[:, None, None] * A).sum(0))}
g2, g3 = G ** 2, G ** 3
sum_a = A.sum(dim=(1, 2))
aij = g2 / (2 * g2 + sum_a[:, None, None] * g3 + 1e-7)
aij = torch.where(G != 0, aij, torch.zeros_like(aij))
pp = (torch.clamp(G, min=0) * aij).sum(dim=(1, 2))
cams["cam.gradcam++"] = finish((pp[:, None, None] * A).sum(0))
cams["cam.hirescam"] = finish((G * A).sum(0))
cams["cam.layercam"] = finish((torch.clamp(G, min=0) * A).sum(0))

model.zero_grad()
labels = torch.tensor([0, 1])
weights = torch.tensor([1.0, 3.0])
loss = F.cross_entropy(logits, labels, weight=weights)
loss.backward()
named = dict(model.named_parameters())
checked = ["features.0.weight", "features.0.bias", "features.3.squeeze.weight", "features.12.expand1x1.weight",
           "features.12.expand3x3.bias", "classifier.1.weight", "classifier.1.bias"]
grads = {f"grad.{n}": named[n].grad.clone() for n in checked}
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
before = {n: p.detach().clone() for n, p in named.items()}
opt.step()
after = {f"adamw.{n}": named[n].detach().clone() for n in checked}

tensors = {f"weights.{n}": before[n] for n in before}
tensors.update({"input": x, "logits": logits.detach(), "fire9": fire9.detach(), "d_logit1.fire9": d_fire9,
                "d_logit1.features.0.weight": d_conv1_logit, "loss": loss.detach().reshape(1),
                "loss_class_weights": weights})
# The frozen-feature probe's input: fire6 (features[9]) and fire9 (features[12]) outputs, each mean- then max-pooled.
pooled = torch.cat([torch.cat([a.mean((2, 3)), a.amax((2, 3))], 1) for a in (acts["fire6"], fire9)], 1)
tensors["pooled_fire6_fire9"] = pooled.detach()
tensors.update(grads)
tensors.update(cams)
tensors.update(after)
f16_names = {k for k in tensors if k.startswith("weights.") or k == "input"}
save(os.path.join(out_dir, "squeezenet.safetensors"), tensors, f16_names=f16_names)
print("wrote", out_dir)

# ---- LIME surrogate -----------------------------------------------------------------------------
# Fixed 0/1 samples (first all on), fixed model outputs: lime's kernel on the cosine distance and a
# weighted ridge (alpha 1, unpenalised intercept) solved in closed form with an intercept column.
import numpy as np

rng = np.random.default_rng(7)
n, p = 200, 12
Z = rng.integers(0, 2, size=(n, p)).astype(np.float64)
Z[0] = 1
y = rng.random(n)
norms = np.linalg.norm(Z, axis=1) * np.linalg.norm(Z[0])
cos = np.where(norms > 0, (Z @ Z[0]) / np.where(norms > 0, norms, 1), 0)
d = 1 - cos
w = np.sqrt(np.exp(-(d ** 2) / 0.25 ** 2))
X1 = np.hstack([Z, np.ones((n, 1))])
P = np.eye(p + 1)
P[p, p] = 0
theta = np.linalg.solve(X1.T @ (w[:, None] * X1) + P, X1.T @ (w * y))
lime_dir = os.path.join(here, "..", "Tests", "ExplainTests", "Fixtures")
os.makedirs(lime_dir, exist_ok=True)
save(os.path.join(lime_dir, "lime.safetensors"), {
    "z": torch.tensor(Z, dtype=torch.float32), "y": torch.tensor(y), "kernel": torch.tensor(w),
    "coefficients": torch.tensor(theta[:p]), "intercept": torch.tensor(theta[p:]),
})
print("wrote", lime_dir)

# ---- the frozen-feature probe's logistic regression -----------------------------------------------
# Balanced class weights, mean weighted cross-entropy + λ‖W‖² (bias unpenalised) on standardised features,
# minimised by torch's L-BFGS to a tight tolerance: the unique minimum the Swift fit must reach.
g = torch.Generator().manual_seed(20261202)
n, d, k, lam = 40, 12, 3, 0.1
X = f16(torch.randn(n, d, generator=g) * 2 + 1)
y = torch.tensor([0] * 20 + [1] * 14 + [2] * 6)
X[y == 1, :3] += 1.5
X[y == 2, 3:6] -= 2
X = f16(X)  # stored as float16: exact only if rounded before use
Xd = X.double()
mu, sd = Xd.mean(0), Xd.std(0, unbiased=False) + 1e-6
A = (Xd - mu) / sd
cw = n / (k * torch.bincount(y, minlength=k).double())
W = torch.zeros(d, k, dtype=torch.float64, requires_grad=True)
b = torch.zeros(k, dtype=torch.float64, requires_grad=True)
opt = torch.optim.LBFGS([W, b], max_iter=2000, tolerance_grad=1e-12, tolerance_change=1e-15, line_search_fn="strong_wolfe")
def closure():
    opt.zero_grad()
    loss = F.cross_entropy(A @ W + b, y, weight=cw) + lam * (W ** 2).sum()
    loss.backward()
    return loss
opt.step(closure)
save(os.path.join(out_dir, "probe.safetensors"), {
    "features": X, "labels": y.float(), "lambda": torch.tensor([lam]), "weight": W.detach().T.contiguous().float(),
    "bias": b.detach().float(), "probabilities": torch.softmax(A @ W + b, 1).detach().float(),
    "loss": closure().detach().reshape(1).float()}, f16_names={"features"})
print("wrote probe.safetensors")
