#!/usr/bin/env bash
# The ecosystem's libraries on the reference's ops, frozen into a fixture (scripts/ecosystem/README.md).
#
#   scripts/ecosystem/run.sh          runs the libraries, writes Tests/ReferenceTests/Fixtures/ecosystem.json
#
# The virtual environment lives outside the repository: $RAMBO_ECOSYSTEM_VENV (default
# ~/.cache/rambo-ecosystem/venv), created when missing with torch, pytorch-metric-learning, scikit-learn,
# torchmetrics and numpy from PyPI (torch is large: it is installed once). SupRank's loss is run from
# $RAMBO_SUPRANK (default ../shared/peers/suprank beside the clone), never copied.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${RAMBO_ECOSYSTEM_VENV:-$HOME/.cache/rambo-ecosystem/venv}"
suprank="${RAMBO_SUPRANK:-$repo/../shared/peers/suprank}"
[ -d "$suprank" ] || suprank=/work/shared/peers/suprank
fixture="${RAMBO_ECOSYSTEM_FIXTURE:-$repo/Tests/ReferenceTests/Fixtures/ecosystem.json}"

case "$venv" in "$repo"/*) echo "ecosystem: the venv must live outside the repository ($venv)" >&2; exit 2 ;; esac
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import torch, torchmetrics, sklearn, pytorch_metric_learning' 2>/dev/null; then
    echo "ecosystem: creating $venv (torch, pytorch-metric-learning, scikit-learn, torchmetrics from PyPI)" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q torch
    "$venv/bin/pip" install -q pytorch-metric-learning scikit-learn torchmetrics numpy
fi
tool="${RAMBO_REFERENCE:-$repo/.build/release/rambo-reference}"
[ -x "$tool" ] || (cd "$repo" && swift build -c release --product rambo-reference >&2)
"$venv/bin/python" "$here/freeze.py" --tool "$tool" --suprank "$suprank" --out "$fixture" "$@"
