#!/usr/bin/env python3
"""Times the authors' PyTorch AP loss (blackbox-backprop's MapLoss.raw_map_computation: argsort-based ranks,
TrueRanker's blackbox backward) forward + backward on one list of n scores with 10 % positives, one thread,
on the process CPU clock. Prints one JSON line: {"n", "repeats", "best_ms", "median_ms", "ns_per_item"}.

    python3 scripts/authors_ap_timing.py --n 1000000 --repeats 7 [--peers /work/shared/peers/blackbox-backprop]

For comparisons with `rambo-bench --op ap_loss` in the same session (scripts/compare_authors.sh). Needs torch;
no test uses it. The authors' code is loaded from --peers and run as it is, never copied.
"""
import argparse
import importlib.util
import json
import statistics
import sys
import time
import types

import torch


def load_authors(peers):
    package = types.ModuleType("blackbox_backprop")
    package.__path__ = [peers]
    sys.modules["blackbox_backprop"] = package
    for name in ("ranking", "mAP"):
        spec = importlib.util.spec_from_file_location(f"blackbox_backprop.{name}", f"{peers}/{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[f"blackbox_backprop.{name}"] = module
        spec.loader.exec_module(module)
    return sys.modules["blackbox_backprop.mAP"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=lambda text: int(float(text)), default=1_000_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--peers", default="/work/shared/peers/blackbox-backprop")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    m_ap = load_authors(args.peers)
    loss_module = m_ap.MapLoss(lambda_val=4.0, margin=0.0, interclass_coef=0.0, batch_memory=0)
    scores = torch.randn(args.n, 1, dtype=torch.float64)
    targets = (torch.rand(args.n, 1) < 0.1).double()
    times = []
    for repeat in range(args.repeats + 1):  # the first run warms up
        x = scores.clone().requires_grad_(True)
        start = time.process_time()
        loss = loss_module.raw_map_computation(x, targets)
        loss.backward()
        elapsed = time.process_time() - start
        if repeat > 0:
            times.append(elapsed * 1e3)
    print(json.dumps({"n": args.n, "repeats": args.repeats, "best_ms": round(min(times), 3),
                      "median_ms": round(statistics.median(times), 3),
                      "ns_per_item": round(statistics.median(times) * 1e6 / args.n, 2)}))


if __name__ == "__main__":
    main()
