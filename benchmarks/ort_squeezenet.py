"""ONNX Runtime (PyPI, in its own virtual environment) timed as cxr-bench times the Swift forward pass.

Usage: <venv>/bin/python ort_squeezenet.py MODEL.onnx [REPEATS] [t1b1]. Prints `key value` lines (ms/image)
and the ONNX Runtime version (with `t1b1`: only the one-thread, one-image pass, for interleaved rounds); `ort.forward1000.t2` is 1000 single-image forward passes at 2 threads in seconds
(what LIME with 1000 samples needs; 62 batches of 16, as our LIME runs them).
"""
import sys
import time

import numpy as np
import onnxruntime as ort
from timing import median

path = sys.argv[1]
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 10


def session(threads):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


only_t1b1 = len(sys.argv) > 3 and sys.argv[3] == "t1b1"
print(f"ort.version {ort.__version__}")
rng = np.random.default_rng(1)
for threads in (1,) if only_t1b1 else (1, 2):
    s = session(threads)
    for batch in (1,) if only_t1b1 else (1, 32):
        x = rng.uniform(-2, 2, (batch, 3, 227, 227)).astype(np.float32)
        t = median(repeats * 3 if batch == 1 else repeats, lambda: s.run(None, {"input": x}))
        print(f"ort.forward.t{threads}.b{batch} {t * 1000 / batch:.3f}")
if only_t1b1:
    sys.exit(0)
s = session(2)
x = rng.uniform(-2, 2, (16, 3, 227, 227)).astype(np.float32)
s.run(None, {"input": x})
t0 = time.perf_counter()
for _ in range(1000 // 16):
    s.run(None, {"input": x})
print(f"ort.forward1000.t2 {time.perf_counter() - t0:.3f}")
