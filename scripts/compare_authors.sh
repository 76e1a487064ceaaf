#!/usr/bin/env bash
# The AP loss (forward + backward, one list, 10 % positives, one thread, CPU clock) against the authors' PyTorch
# code (scripts/authors_ap_timing.py), interleaved in rounds so both see the same machine load.
#
#     scripts/compare_authors.sh [N] [ROUNDS]        (defaults: 1e6, 5)
#
# Each round times rambo-bench (best and median of 5 repeats) and the authors' code (best and median of 3) and
# prints their ratio; the last line gives the ratio of the best times and of the medians over all rounds.
# Needs a release build of rambo-bench and a Python with torch: PYTHON, or the venv RAMBO_ORACLE_VENV (default
# /root/.venvs/rambo-oracle).
set -euo pipefail
n=${1:-1000000}
rounds=${2:-5}
venv=${RAMBO_ORACLE_VENV:-/root/.venvs/rambo-oracle}
python=${PYTHON:-$venv/bin/python}
bench=${BENCH:-.build/release/rambo-bench}
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$bench" ] || { echo "compare_authors.sh: no rambo-bench at $bench (swift build -c release)" >&2; exit 2; }
[ -x "$python" ] || { echo "compare_authors.sh: no python at $python (set PYTHON or RAMBO_ORACLE_VENV)" >&2; exit 2; }
uptime
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for round in $(seq "$rounds"); do
  ours=$("$bench" --op ap_loss --n "$n" --clock cpu --repeats 5 --json)
  theirs=$("$python" "$here/authors_ap_timing.py" --n "$n" --repeats 3)
  ours_best=$(echo "$ours" | sed 's/.*"min_ms": \([0-9.]*\).*/\1/')
  ours_median=$(echo "$ours" | sed 's/.*"median_ms": \([0-9.]*\).*/\1/')
  theirs_best=$(echo "$theirs" | sed 's/.*"best_ms": \([0-9.]*\).*/\1/')
  theirs_median=$(echo "$theirs" | sed 's/.*"median_ms": \([0-9.]*\).*/\1/')
  echo "$ours_best $ours_median $theirs_best $theirs_median" >> "$results"
  awk -v r="$round" -v a="$ours_best" -v b="$theirs_best" -v c="$ours_median" -v d="$theirs_median" \
    'BEGIN { printf "round %d: rambo best %.2f ms, median %.2f ms; authors best %.2f ms, median %.2f ms: %.1fx (best), %.1fx (median)\n", r, a, c, b, d, b / a, d / c }'
done
sort -n "$results" | awk '
  { ob[NR] = $1; om[NR] = $2; tb[NR] = $3; tm[NR] = $4 }
  END {
    n = asorted(om, NR); m = asorted(tm, NR)
    best_ours = ob[1]; best_theirs = tb[1]
    for (i = 1; i <= NR; i++) if (tb[i] < best_theirs) best_theirs = tb[i]
    printf "over %d rounds: rambo best %.2f ms, median %.2f ms; authors best %.2f ms, median %.2f ms: %.1fx (best), %.1fx (median)\n", NR, best_ours, n, best_theirs, m, best_theirs / best_ours, m / n
  }
  function asorted(a, k,   i, j, t, b) {  # the median of a[1..k]
    for (i = 1; i <= k; i++) b[i] = a[i]
    for (i = 2; i <= k; i++) { t = b[i]; for (j = i - 1; j >= 1 && b[j] > t; j--) b[j + 1] = b[j]; b[j + 1] = t }
    return k % 2 ? b[(k + 1) / 2] : (b[k / 2] + b[k / 2 + 1]) / 2
  }'
uptime
