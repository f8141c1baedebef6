#!/bin/sh
# cxr-bench (forward, training, torch and ONNX Runtime peers) under the default environment and, for that
# command only, with OpenBLAS forced to the Haswell and SkylakeX kernels, so that no configuration regresses.
# Our GEMMs are oneDNN's and do not read OPENBLAS_CORETYPE; OpenBLAS still serves LAPACK, LIME's ridge
# regression and torch. SkylakeX kernels need AVX-512 and are skipped on CPUs without it.
# Usage: benchmarks/coretypes.sh [--quick]   (from the package root, after `swift build -c release`)
set -eu
bench=.build/release/cxr-bench
echo "== default environment"; "$bench" "$@"
echo "== OPENBLAS_CORETYPE=Haswell"; OPENBLAS_CORETYPE=Haswell "$bench" "$@"
if grep -q avx512f /proc/cpuinfo; then
    echo "== OPENBLAS_CORETYPE=SkylakeX"; OPENBLAS_CORETYPE=SkylakeX "$bench" "$@"
else
    echo "== OPENBLAS_CORETYPE=SkylakeX: skipped (this CPU has no AVX-512)"
fi
