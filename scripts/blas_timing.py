"""One thread of numpy's BLAS sgemm on one shape, timed like `rambo-bench --op matmul`: best GFLOP/s of R repeats.

    python blas_timing.py --shape MxKxN [--transpose-a] [--transpose-b] [--repeats R] [--clock cpu|wall]

Prints one JSON object: {"shape", "gflops", "gflops_median", "min_ms", "blas", "blas_version", "architecture"}.
Each repeat times enough products (into a preallocated output, `np.matmul(a, b, out=c)`) for about 2e8
floating-point operations (at most 1e5 products), after one untimed warm-up product, as rambo-bench does, on the process CPU clock
(`time.process_time`, as `rambo-bench --clock cpu`) or the monotonic clock (`--clock wall`). Run it with
OPENBLAS_NUM_THREADS=1 (compare_blas.sh does); the standard library and numpy only.
"""

import argparse
import json
import statistics
import time

import numpy as np


def blas_info():
    """The BLAS numpy calls (name, version, the kernel family it chose for this CPU), if threadpoolctl says."""
    try:
        import threadpoolctl
    except ImportError:
        return {}
    for pool in threadpoolctl.threadpool_info():
        if pool.get("user_api") == "blas":
            return {k: pool.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
    return {}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shape", required=True)
    parser.add_argument("--transpose-a", action="store_true")
    parser.add_argument("--transpose-b", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--clock", choices=["cpu", "wall"], default="wall")
    args = parser.parse_args()
    m, k, n = (int(x) for x in args.shape.split("x"))
    rng = np.random.default_rng(1)
    a = rng.standard_normal((k, m) if args.transpose_a else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if args.transpose_b else (k, n), dtype=np.float32)
    a = a.T if args.transpose_a else a
    b = b.T if args.transpose_b else b
    c = np.empty((m, n), dtype=np.float32)
    flops = 2.0 * m * k * n
    products = max(1, min(100_000, int(2e8 / max(1.0, flops, 2.0 * m * n))))
    np.matmul(a, b, out=c)
    now = time.process_time if args.clock == "cpu" else time.perf_counter
    times = []
    for _ in range(args.repeats):
        start = now()
        for _ in range(products):
            np.matmul(a, b, out=c)
        times.append((now() - start) / products)
    info = blas_info()
    print(json.dumps({
        "shape": args.shape,
        "gflops": round(flops / min(times) / 1e9, 2),
        "gflops_median": round(flops / statistics.median(times) / 1e9, 2),
        "min_ms": round(min(times) * 1e3, 4),
        "blas": info.get("internal_api"),
        "blas_version": info.get("version"),
        "architecture": info.get("architecture"),
        "blas_threads": info.get("num_threads"),
    }))


if __name__ == "__main__":
    main()
