#!/usr/bin/env bash
# Learning.matmul (rambo-bench --op matmul) against numpy's OpenBLAS sgemm, one thread each, on the same shapes,
# interleaved in rounds so both see the same machine load.
#
#     scripts/compare_blas.sh [--rounds R] [--kernel K] [--clock cpu|wall] [--transpose-a] [--transpose-b] [SHAPE ...]
#
# SHAPE is MxKxN (default: the four shapes of the training chapters' products: 160x784x128 4096x144x32
# 512x512x512 10000x64x1000). Each round times every shape once with each side (best of 3 repeats inside, each
# repeat about 2e8 flops into a preallocated output); the table gives the best GFLOP/s of each side over all
# rounds and their ratio (ours / OpenBLAS), with the load average before and after. Both sides time one thread
# on the process CPU clock by default (steadier than the wall clock on a shared machine); --clock wall for the
# monotonic clock.
# Needs a release build of rambo-bench (swift build -c release --product rambo-bench) and a venv with numpy
# outside the repository: RAMBO_BLAS_VENV (default ~/.cache/rambo-blas/venv), made here on first use
# (python3 -m venv; pip install numpy threadpoolctl). Nothing in the tests needs it.
set -euo pipefail
rounds=5
kernel=""
clock=cpu
flags=()
shapes=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=${2:?--rounds needs a value}; shift 2 ;;
    --kernel) kernel=${2:?--kernel needs a value}; shift 2 ;;
    --clock) clock=${2:?--clock needs a value}; shift 2 ;;
    --transpose-a|--transpose-b) flags+=("$1"); shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    -*) echo "compare_blas.sh: unknown flag '$1' (try --help)" >&2; exit 2 ;;
    *) shapes+=("$1"); shift ;;
  esac
done
[ ${#shapes[@]} -gt 0 ] || shapes=(160x784x128 4096x144x32 512x512x512 10000x64x1000)
case "$clock" in cpu|wall) ;; *) echo "compare_blas.sh: --clock must be cpu or wall" >&2; exit 2 ;; esac
case "$rounds" in ''|*[!0-9]*|0) echo "compare_blas.sh: --rounds must be a positive integer" >&2; exit 2 ;; esac
for shape in "${shapes[@]}"; do
  [[ "$shape" =~ ^[0-9]+x[0-9]+x[0-9]+$ ]] || { echo "compare_blas.sh: shape '$shape' is not MxKxN" >&2; exit 2; }
done
here=$(cd "$(dirname "$0")" && pwd)
bench=${BENCH:-.build/release/rambo-bench}
venv=${RAMBO_BLAS_VENV:-$HOME/.cache/rambo-blas/venv}
[ -x "$bench" ] || { echo "compare_blas.sh: no rambo-bench at $bench (swift build -c release --product rambo-bench)" >&2; exit 2; }
if [ ! -x "$venv/bin/python" ]; then
  echo "compare_blas.sh: making the venv $venv (numpy, threadpoolctl from PyPI)" >&2
  python3 -m venv "$venv" && "$venv/bin/pip" install -q numpy threadpoolctl >&2 \
    || { echo "compare_blas.sh: could not make the venv $venv" >&2; exit 2; }
fi
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
kernelFlag=()
[ -z "$kernel" ] || kernelFlag=(--kernel "$kernel")
echo "load before: $(uptime)"
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for round in $(seq "$rounds"); do
  for shape in "${shapes[@]}"; do
    ours=$("$bench" --op matmul --shape "$shape" --threads 1 --repeats 3 --clock "$clock" "${kernelFlag[@]}" \
      "${flags[@]}" --json)
    theirs=$("$venv/bin/python" "$here/blas_timing.py" --shape "$shape" --repeats 3 --clock "$clock" "${flags[@]}")
    ours_gflops=$(echo "$ours" | sed 's/.*"gflops": \([0-9.]*\).*/\1/')
    used=$(echo "$ours" | sed 's/.*"kernel": "\([a-z0-9]*\)".*/\1/')
    theirs_gflops=$(echo "$theirs" | sed 's/.*"gflops": \([0-9.]*\).*/\1/')
    arch=$(echo "$theirs" | sed 's/.*"architecture": "\{0,1\}\([A-Za-z0-9_]*\).*/\1/')
    echo "$shape $ours_gflops $theirs_gflops $used $arch" >> "$results"
  done
done
echo "load after:  $(uptime)"
echo "one thread, $clock clock, best of $rounds interleaved rounds × 3 repeats; GFLOP/s = 2·M·K·N / time${flags[*]:+; ${flags[*]}}"
awk '
  { if (!($1 in ours) || $2 > ours[$1]) ours[$1] = $2
    if (!($1 in blas) || $3 > blas[$1]) blas[$1] = $3
    kernel[$1] = $4; arch[$1] = $5; if (!($1 in seen)) { seen[$1] = 1; order[++count] = $1 } }
  END {
    printf "%-16s %10s %12s %8s  %s\n", "shape MxKxN", "ours", "OpenBLAS", "ratio", "kernels (ours / OpenBLAS)"
    for (i = 1; i <= count; i++) {
      s = order[i]
      printf "%-16s %10.1f %12.1f %8.2f  %s / %s\n", s, ours[s], blas[s], ours[s] / blas[s], kernel[s], arch[s]
    }
  }' "$results"
