"""The timing rule every Python peer shares with cxr-bench: one warm-up call, then the median of `n` runs."""
import time


def median(n, fn):
    fn()
    ts = []
    for _ in range(n):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return sorted(ts)[len(ts) // 2]
