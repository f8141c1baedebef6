#!/usr/bin/env python3
# A copy of cxr-views' MANIFEST.tsv whose patient_id is the film's source collection, so that `cxr-explain train
# --cross-validate 5` (patient-wise folds) holds out one source per fold: how the model does on a collection it has
# not seen. The COVID-19 Image Data Collection gathers films from many places; the file names tell five groups apart
# (Radiopaedia's case names and _jumbo copies, journal figures, the 8-hex-digit hospital exports, the NNNNN_N_N and
# 0000NN-N series). The class folders are linked, not copied.
# Usage: /usr/bin/python3 scripts/source-folds-manifest.py ../shared/data/cxr-views OUT_DIR
#        cxr-explain train OUT_DIR/MANIFEST.tsv --cross-validate 5 … --cv-only --cv-predictions F.tsv
import collections, csv, os, re, sys

def source(path):
    name = os.path.basename(path)
    if re.match(r'^[0-9a-f]{8}\.', name): return 'hex8'
    if re.match(r'^\d{5}_\d+_\d+', name): return 'nnnnn'
    if re.match(r'^0000\d\d-\d+', name): return '0000nn'
    if re.match(r'^(1-s2\.0|10\.1016|jkms|kjr|thnov|\d{5}_20\d\d|article_river|.*HTML|.*pdf)', name): return 'journal'
    return 'radiopaedia'

data, out = os.path.abspath(sys.argv[1]), sys.argv[2]
os.makedirs(out, exist_ok=True)
rows = list(csv.DictReader(open(os.path.join(data, 'MANIFEST.tsv')), delimiter='\t'))
for folder in sorted({r['file'].split('/')[0] for r in rows}):
    link = os.path.join(out, folder)
    if not os.path.islink(link): os.symlink(os.path.join(data, folder), link)
with open(os.path.join(out, 'MANIFEST.tsv'), 'w') as f:
    f.write('file\tlabel\tpatient_id\n')
    for r in rows: f.write(f"{r['file']}\t{r['label']}\tsource-{source(r['file'])}\n")
counts = collections.Counter((source(r['file']), r['label']) for r in rows)
for s in sorted({s for s, _ in counts}): print(s, ' '.join(f'{l} {n}' for (t, l), n in sorted(counts.items()) if t == s))
