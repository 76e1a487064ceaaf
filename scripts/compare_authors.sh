#!/usr/bin/env bash
# The AP loss (forward + backward, one list, 10 % positives, one thread, CPU clock) against the authors' PyTorch
# code (scripts/authors_ap_timing.py), interleaved in rounds so both see the same machine load.
#
#     scripts/compare_authors.sh [N] [ROUNDS]        (defaults: 1e6, 5)
#
# Needs a release build of rambo-bench and a Python with torch (PYTHON, default /root/.venvs/rambo-oracle).
set -euo pipefail
n=${1:-1000000}
rounds=${2:-5}
python=${PYTHON:-/root/.venvs/rambo-oracle/bin/python}
bench=${BENCH:-.build/release/rambo-bench}
here=$(cd "$(dirname "$0")" && pwd)
uptime
for round in $(seq "$rounds"); do
  ours=$("$bench" --op ap_loss --n "$n" --clock cpu --repeats 5 --json)
  theirs=$("$python" "$here/authors_ap_timing.py" --n "$n" --repeats 3)
  ours_ms=$(echo "$ours" | sed 's/.*"min_ms": \([0-9.]*\).*/\1/')
  theirs_ms=$(echo "$theirs" | sed 's/.*"best_ms": \([0-9.]*\).*/\1/')
  awk -v r="$round" -v a="$ours_ms" -v b="$theirs_ms" \
    'BEGIN { printf "round %d: rambo %.2f ms, authors %.2f ms (best of round): %.1fx\n", r, a, b, b / a }'
done
uptime
