#!/usr/bin/env python3
# What burned-in markers add to the cross-validated decisions: the shipped model's mix of networks and probe
# (`cxr-explain train ... --probe-share 0.25 --cross-validate 5 --cv-predictions F.tsv`), thresholds by the shipped
# rule (per predicted class, lowest t >= 0.8 with <= 1 % wrong among the views of that class; one frontal
# threshold, the lowest from which the overall risk stays <= 1 %), in-sample and nested (temperatures and
# thresholds fitted on the other folds), then the marker rule as `ViewDecision.applying(_:to:)` does it: a
# "frontal, AP/PA uncertain" film with an AP marker becomes AP (PRONE excepted), a PA with one is withheld; with a
# PA marker (PA ERECT, PA SITTING, a lone PA read with confidence) it becomes PA.
# Markers: `cxr-explain inspect --text --json FILES > M.json`, one file per marker reading to compare.
# Usage: /usr/bin/python3 scripts/marker-cv.py F.tsv M1.json [M2.json ...]
import sys, os, json, importlib.util, numpy as np
here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('scv', os.path.join(here, 'selective-cv.py'))
scv = importlib.util.module_from_spec(spec); spec.loader.exec_module(scv)
rows, meta = scv.load(sys.argv[1]); CLS = scv.CLS
keys = sorted(rows)
y = np.array([CLS.index(meta[k][0]) for k in keys]); folds = np.array([meta[k][1] for k in keys])
z_net = np.array([rows[k]['input'] for k in keys]); z_probe = np.array([rows[k]['probe'] for k in keys])
SHARE, RISK, FLOOR = 0.25, 0.01, 0.8
GRID = [round(0.5 + 0.01 * i, 2) for i in range(50)] + [0.995, 0.999]
PA, AP = CLS.index('PA'), CLS.index('AP')

def mix(tr):
    lp = lambda z: np.log(scv.softmax(z, scv.fitT(z[tr], y[tr])))
    return (1 - SHARE) * lp(z_net) + SHARE * lp(z_probe)

def fit(z, tr):
    T = scv.fitT(z[tr], y[tr]); p = scv.softmax(z[tr], T); yt = y[tr]
    th = scv.thresholds(p, yt, risk=RISK, floor=FLOOR)
    pred, conf = p.argmax(1), p.max(1)
    risk = [((conf >= t) & (pred != yt)).sum() / max(1, (conf >= t).sum()) for t in GRID]
    frontal = GRID[-1]
    for t, r in reversed(list(zip(GRID, risk))):
        if r > RISK: break
        frontal = t
    return T, np.array(th), frontal

def is_pa(marker):
    return marker == 'PA' or bool(marker) and marker.startswith('PA ')  # ProjectionMarker.view(settledBy:) == .pa

def decide(p, th, frontal, marker):
    pred = p.argmax(); conf = p.max()
    if conf >= th[pred]: out = CLS[pred]
    elif pred in (PA, AP) and p[PA] + p[AP] >= frontal: out = 'frontal'
    else: out = None
    if is_pa(marker):
        if out == 'frontal': out = 'PA'
    elif marker and (out == 'frontal' or out == 'PA'):
        if out == 'PA': out = 'frontal' if p[PA] + p[AP] >= frontal else None
        elif marker != 'PRONE': out = 'AP'
    return out

def count(outs, label):
    tagged = sum(o in CLS for o in outs); wrong = sum(o in CLS and o != CLS[l] for o, l in zip(outs, label))
    ap = sum(o == 'AP' and CLS[l] == 'AP' for o, l in zip(outs, label)); pa = sum(o == 'PA' and CLS[l] == 'PA' for o, l in zip(outs, label))
    return f'{tagged} tagged ({100 * tagged / len(outs):.1f} %), {wrong} wrong; AP {ap}/{(y == AP).sum()}, PA {pa}/{(y == PA).sum()}'

def markers(path):
    # `marker` (0.4.15 on), `apMarker` in the output of earlier versions.
    found = {os.path.basename(r['file']): r.get('marker', r.get('apMarker')) for r in json.load(open(path))}
    return [found.get(os.path.basename(k)) for k in keys]

readings = [('no markers', [None] * len(keys))] + [(p, markers(p)) for p in sys.argv[2:]]
everything = np.ones(len(keys), bool)
for name, m in readings:
    ap = [v if v and not is_pa(v) else None for v in m]; pa = [v if is_pa(v) else None for v in m]
    for kind, found in (('AP', ap), ('PA', pa)):
        print(f'{name}: {kind} markers on AP {sum(1 for v, l in zip(found, y) if v and l == AP)}, PA {sum(1 for v, l in zip(found, y) if v and l == PA)}, '
              f'other {sum(1 for v, l in zip(found, y) if v and l not in (PA, AP))}')
    z = mix(everything); T, th, frontal = fit(z, everything); p = scv.softmax(z, T)
    print(f'  in-sample (T {T:.3f}, thresholds {list(th)}, frontal {frontal}):', count([decide(p[i], th, frontal, m[i]) for i in range(len(keys))], y))
    outs = [None] * len(keys)
    for f in sorted(set(folds)):
        tr = folds != f; z = mix(tr); T, th, frontal = fit(z, tr); p = scv.softmax(z, T)
        for i in np.where(~tr)[0]: outs[i] = decide(p[i], th, frontal, m[i])
    print('  nested:', count(outs, y))
