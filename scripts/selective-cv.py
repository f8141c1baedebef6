#!/usr/bin/env python3
# Risk and coverage of out-of-fold predictions from `cxr-explain train --cross-validate K --cv-predictions F.tsv`:
# per run, as is and with test-time variants averaged; a soup's members (variants member1 …) alone and with
# their predictions averaged; with several runs (same --fold-seed), their ensemble.
# Calibration (temperature) and per-class thresholds (lowest >= 0.8 with <= 3 % wrong among films tagged) are
# chosen in-sample, as the model card does, and "nested" (fitted on the other folds, applied to each fold).
# Usage: /usr/bin/python3 scripts/selective-cv.py cv-seed42.tsv [cv-seed43.tsv ...]
import sys, csv, math, itertools
import numpy as np
from collections import defaultdict
CLS=[]  # the views, from the TSV's logit_<view> columns
def load(path):
    rows=defaultdict(dict); meta={}
    reader=csv.DictReader(open(path), delimiter='\t')
    CLS[:]=[c[len('logit_'):] for c in reader.fieldnames if c.startswith('logit_')]
    for r in reader:
        key=r['path']; rows[key][r['variant']]=np.array([float(r['logit_'+c]) for c in CLS])
        meta[key]=(r['label'], int(r['fold']), r['patient'])
    return rows, meta
def softmax(z,T=1):
    z=z/T; z=z-z.max(1,keepdims=True); e=np.exp(z); return e/e.sum(1,keepdims=True)
def fitT(z,y):
    best=None
    for T in np.exp(np.linspace(np.log(0.3),np.log(5),400)):
        p=softmax(z,T); nll=-np.mean(np.log(p[np.arange(len(y)),y]+1e-12))
        if best is None or nll<best[0]: best=(nll,T)
    return best[1]
def thresholds(p,y,risk=0.03,floor=0.8):
    pred=p.argmax(1); conf=p.max(1); th=[]
    for c in range(len(CLS)):
        m=pred==c; cands=sorted(set(np.round(conf[m],3)))+[1.0]
        chosen=1.0
        # lowest t>=floor with risk among conf>=t <= risk, and stays (for all higher t)
        grid=[round(floor+0.01*i,2) for i in range(int((1-floor)/0.01)+1)]
        ok=[]
        for t in grid:
            sel=m&(conf>=t); n=sel.sum(); w=(sel&(y!=c)).sum()
            ok.append(n==0 or w/n<=risk)
        for i,t in enumerate(grid):
            if all(ok[i:]): chosen=t; break
        th.append(chosen)
    return th
def operate(p,y,th):
    pred=p.argmax(1); conf=p.max(1)
    tag=conf>=np.array(th)[pred]
    wrong=tag&(pred!=y)
    per={c:(int((tag&(y==i)).sum()), int((y==i).sum()), int((wrong&(y==i)).sum())) for i,c in enumerate(CLS)}
    return int(tag.sum()), int(wrong.sum()), per
def evaluate(name,z,y,folds):
    T=fitT(z,y); p=softmax(z,T)
    acc=(p.argmax(1)==y).mean()
    th=thresholds(p,y); t,w,per=operate(p,y,th)
    # nested: thresholds (and T) from the other folds
    nt=nw=0; nper=defaultdict(lambda:[0,0])
    for f in sorted(set(folds)):
        tr=folds!=f; te=folds==f
        Tf=fitT(z[tr],y[tr]); thf=thresholds(softmax(z[tr],Tf),y[tr])
        a,b,pp=operate(softmax(z[te],Tf),y[te],thf); nt+=a; nw+=b
        for c in CLS: nper[c][0]+=pp[c][0]; nper[c][1]+=pp[c][2]
    # fixed threshold curve
    fx=[]
    for thr in (0.8,0.9,0.95):
        tg=p.max(1)>=thr; fx.append(f"{thr}:{tg.sum()}/{(tg&(p.argmax(1)!=y)).sum()}w")
    classes=' '.join(f"{c} {per[c][0]}" for c in CLS); nested=' '.join(f"{c} {nper[c][0]}" for c in CLS)
    print(f"{name:28s} acc {acc:.3f} T {T:.2f} th {th} tagged {t} wrong {w} | {classes} | nested tagged {nt} wrong {nw} ({nested}) | {' '.join(fx)}")
def nested_report(name, z, y, folds, risk=0.01, floor=0.8):
    """One line: accuracy; in-sample films tagged and wrong at the shipped rule (thresholds >= floor, <= risk wrong);
    nested (temperature and thresholds fitted on the other folds) at floors 0.8, 0.88 and 0.9; AP films tagged."""
    T = fitT(z, y); p = softmax(z, T)
    t, w, per = operate(p, y, thresholds(p, y, risk=risk, floor=floor))
    parts = [f"in-sample {t} tagged {w} wrong (AP {per['AP'][0]})"]
    for nested_floor in (0.8, 0.88, 0.9):
        nt = nw = nap = 0
        for f in sorted(set(folds)):
            train, test = folds != f, folds == f
            Tf = fitT(z[train], y[train]); th = thresholds(softmax(z[train], Tf), y[train], risk=risk, floor=nested_floor)
            a, b, pp = operate(softmax(z[test], Tf), y[test], th); nt += a; nw += b; nap += pp['AP'][0]
        parts.append(f"nested >= {nested_floor}: {nt}/{nw} (AP {nap})")
    print(f"{name:22s} acc {(z.argmax(1) == y).mean():.3f} | " + ' | '.join(parts))

if __name__=='__main__':
    runs=[load(f) for f in sys.argv[1:]]
    keys=sorted(runs[0][0]); meta=runs[0][1]
    y=np.array([CLS.index(meta[k][0]) for k in keys]); folds=np.array([meta[k][1] for k in keys])
    variants=[v for v in runs[0][0][keys[0]].keys() if not v.startswith('member')]
    members=[v for v in runs[0][0][keys[0]].keys() if v.startswith('member')]
    def Z(run,vs): return np.array([np.mean([run[0][k][v] for v in vs],0) for k in keys])
    for i,r in enumerate(runs):
        evaluate(f"run{i} input",Z(r,['input']),y,folds)
        evaluate(f"run{i} tta-all",Z(r,variants[1:]),y,folds)
        evaluate(f"run{i} tta-crops",Z(r,['input','crop90','crop90-left','crop90-right','crop90-up','crop90-down']),y,folds)
        evaluate(f"run{i} input+full",Z(r,['input','full']),y,folds)
        for m in members: evaluate(f"run{i} {m}",Z(r,[m]),y,folds)
        if members: evaluate(f"run{i} members averaged",Z(r,members),y,folds)
    if len(runs)>1:
        evaluate("ens input",np.mean([Z(r,['input']) for r in runs],0),y,folds)
        evaluate("ens tta-all",np.mean([Z(r,variants[1:]) for r in runs],0),y,folds)
        evaluate("ens tta-crops",np.mean([Z(r,['input','crop90','crop90-left','crop90-right','crop90-up','crop90-down']) for r in runs],0),y,folds)
