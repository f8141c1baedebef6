#!/usr/bin/env python3
# A measured lever for issue 11, not shipped: a linear probe (multinomial logistic regression, balanced class
# weights, L2 chosen by inner cross-validation) on FROZEN ImageNet SqueezeNet 1.1 features taken at higher input
# sizes than the network's 227 (fire6 and fire9 outputs, mean- and max-pooled), fitted on the same patient-wise
# folds as a `cxr-explain train --cross-validate K --cv-predictions F.tsv` run and averaged with that run's
# held-out logits (log-probabilities, each temperature-scaled). Thresholds follow the shipped rule (per predicted
# class, lowest t >= floor with <= 1 % wrong among films tagged), in-sample and nested (fitted on the other folds).
# Each part's own temperature, which sets the mix, is fitted on all folds; the combined temperature and thresholds
# are nested.
# Needs Debian's python3-torch, python3-torchvision and `pip install safetensors "numpy<2"`.
# Usage: /usr/bin/python3 scripts/frozen-probe-cv.py F.tsv DATASET_DIR IMAGENET.safetensors [SCALES e.g. 454,680]
import sys, csv, importlib.util, os, numpy as np, torch, torchvision
from PIL import Image
from safetensors.torch import load_file

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('scv', os.path.join(here, 'selective-cv.py'))
scv = importlib.util.module_from_spec(spec); spec.loader.exec_module(scv)
tsv, dataset, weights = sys.argv[1:4]
scales = [int(s) for s in (sys.argv[4] if len(sys.argv) > 4 else '454,680').split(',')]

rows, meta = scv.load(tsv); CLS = scv.CLS
keys = sorted(rows)
y = np.array([CLS.index(meta[k][0]) for k in keys]); folds = np.array([meta[k][1] for k in keys])
z_cnn = np.array([rows[k]['input'] for k in keys])

net = torchvision.models.squeezenet1_1(); net.load_state_dict(load_file(weights)); net.eval()
torch.set_num_threads(1)
mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1); std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)

def network_input(path, side):
    """As the project's preprocessing: gray, padded to a centred black square, area-resized, ImageNet-normalised."""
    image = Image.open(path)
    if image.mode in ('RGBA', 'LA', 'P'): image = image.convert('RGBA').convert('RGB')
    image = image.convert('L'); w, h = image.size; n = max(w, h)
    square = Image.new('L', (n, n), 0); square.paste(image, ((n - w) // 2, (n - h) // 2))
    x = torch.from_numpy(np.asarray(square.resize((side, side), Image.BOX), dtype=np.float32) / 255.)
    return ((x.unsqueeze(0).repeat(3, 1, 1) - mean) / std).unsqueeze(0)

def features(path):
    out = []
    with torch.no_grad():
        for side in scales:
            f = network_input(path, side)
            for i, layer in enumerate(net.features):
                f = layer(f)
                if i in (9, 12): out.append(torch.cat([f.mean((2, 3)), f.amax((2, 3))], 1))  # fire6, fire9
    return torch.cat(out, 1).numpy()[0]

def film_path(key):
    return key if os.path.exists(key) else os.path.join(dataset, key.split('cxr-views/')[-1])
X = np.stack([features(film_path(k)) for k in keys])

def fit(Xtr, ytr, lam):
    mu = Xtr.mean(0); sd = Xtr.std(0) + 1e-6
    A = torch.tensor((Xtr - mu) / sd, dtype=torch.float64); t = torch.tensor(ytr)
    cw = torch.tensor(len(ytr) / (len(CLS) * np.bincount(ytr, minlength=len(CLS))), dtype=torch.float64)
    W = torch.zeros(A.shape[1], len(CLS), dtype=torch.float64, requires_grad=True)
    b = torch.zeros(len(CLS), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([W, b], max_iter=500, line_search_fn='strong_wolfe')
    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(A @ W + b, t, weight=cw) + lam * (W ** 2).sum()
        loss.backward(); return loss
    opt.step(closure)
    return lambda Xte: (torch.tensor((Xte - mu) / sd, dtype=torch.float64) @ W + b).detach().numpy()

def nll(z, yy):
    p = scv.softmax(z); return -np.mean(np.log(p[np.arange(len(yy)), yy] + 1e-12))

z_probe = np.zeros_like(z_cnn); lambdas = []
for f in sorted(set(folds)):
    train, test = folds != f, folds == f
    best = None
    for lam in (0.03, 0.1, 0.3, 1, 3):  # by inner cross-validation over the training folds
        loss = 0
        for g in sorted(set(folds[train])):
            inner_train, inner_test = train & (folds != g), train & (folds == g)
            loss += nll(fit(X[inner_train], y[inner_train], lam)(X[inner_test]), y[inner_test]) * inner_test.sum()
        if best is None or loss < best[0]: best = (loss, lam)
    lambdas.append(best[1]); z_probe[test] = fit(X[train], y[train], best[1])(X[test])
print(f"scales {scales}: L2 per fold {lambdas}")

def report(name, z): scv.nested_report(name, z, y, folds, floor=0.88)

def log_probabilities(z): return np.log(scv.softmax(z, scv.fitT(z, y)))
report('cnn (the TSV)', z_cnn)
report('probe', z_probe)
for w in (0.25, 0.5):
    report(f'cnn + probe, w {w}', (1 - w) * log_probabilities(z_cnn) + w * log_probabilities(z_probe))
