#!/usr/bin/env python3
# Nested risk and coverage of the feature probe's mix from `cxr-explain train --cross-validate K --probe-share S
# --cv-predictions F.tsv` (variants "input": the networks, "probe": the probe, both held out): the networks alone,
# the probe alone, and their mix at each share given, as the model does it ((1 - s) log p_networks + s log p_probe,
# each at its own temperature fitted on all folds). Thresholds follow the shipped rule (per predicted class, lowest
# t >= floor with <= 1 % wrong among films tagged): in-sample, and nested (temperature and thresholds of the mix
# fitted on the other folds, applied to each fold).
# Usage: /usr/bin/python3 scripts/probe-mix-cv.py F.tsv [SHARES e.g. 0.25,0.5]
import sys, os, importlib.util, numpy as np
here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('scv', os.path.join(here, 'selective-cv.py'))
scv = importlib.util.module_from_spec(spec); spec.loader.exec_module(scv)
rows, meta = scv.load(sys.argv[1]); CLS = scv.CLS
shares = [float(s) for s in (sys.argv[2] if len(sys.argv) > 2 else '0.25,0.5').split(',')]
keys = sorted(rows)
y = np.array([CLS.index(meta[k][0]) for k in keys]); folds = np.array([meta[k][1] for k in keys])
z_net = np.array([rows[k]['input'] for k in keys]); z_probe = np.array([rows[k]['probe'] for k in keys])

def report(name, z): scv.nested_report(name, z, y, folds, floor=0.8)

def log_probabilities(z): return np.log(scv.softmax(z, scv.fitT(z, y)))
report('networks', z_net)
report('probe', z_probe)
for s in shares:
    report(f'mix, share {s}', (1 - s) * log_probabilities(z_net) + s * log_probabilities(z_probe))
