#!/usr/bin/env bash
# The authors' code as the oracle of the `official` convention (scripts/oracle/README.md).
#
#   scripts/oracle/run.sh freeze                 answers every official vector + random cases, writes the fixture
#   scripts/oracle/run.sh answer CASES.json      the authors' code answering a cases file (results on stdout)
#   scripts/oracle/run.sh verify                 for its five ops: cases --op OP --convention official | authors' code | verify
#
# The virtual environment lives outside the repository: $RAMBO_ORACLE_VENV (default ~/.cache/rambo-oracle/venv),
# created with torch (CPU) and numpy from PyPI when missing. The authors' folder: $RAMBO_AUTHORS_CODE (default
# ../shared/peers/blackbox-backprop beside the clone).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${RAMBO_ORACLE_VENV:-$HOME/.cache/rambo-oracle/venv}"
export RAMBO_AUTHORS_CODE="${RAMBO_AUTHORS_CODE:-$repo/../shared/peers/blackbox-backprop}"
[ -d "$RAMBO_AUTHORS_CODE" ] || RAMBO_AUTHORS_CODE=/work/shared/peers/blackbox-backprop
fixture="${RAMBO_ORACLE_FIXTURE:-$repo/Tests/ReferenceTests/Fixtures/authors-official.json}"

case "$venv" in "$repo"/*) echo "oracle: the venv must live outside the repository ($venv)" >&2; exit 2 ;; esac
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import torch, numpy' 2>/dev/null; then
    echo "oracle: creating $venv (torch CPU + numpy from PyPI)" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --index-url https://download.pytorch.org/whl/cpu torch \
        || "$venv/bin/pip" install -q torch
    "$venv/bin/pip" install -q numpy
fi
py="$venv/bin/python"

command="${1:-freeze}"
shift || true
case "$command" in
freeze)
    "$py" "$here/freeze.py" --vectors "$repo/Data/reference" --out "$fixture" "$@" ;;
answer)
    "$py" "$here/answer.py" "$@" ;;
verify)
    tool="${RAMBO_REFERENCE:-$repo/.build/release/rambo-reference}"
    [ -x "$tool" ] || (cd "$repo" && swift build -c release --product rambo-reference >&2)
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    # The authors' code has no metrics (which `--convention official` also selects): its five ops, one by one.
    status=0
    for op in rank rank_backward recall_loss ap_loss map_loss; do
        "$tool" cases --vectors "$repo/Data/reference" --op "$op" --convention official > "$work/cases.json"
        "$py" "$here/answer.py" "$work/cases.json" > "$work/results.json"
        "$tool" verify --vectors "$repo/Data/reference" --op "$op" --convention official \
            --results "$work/results.json" || status=1
    done
    exit "$status" ;;
*)
    echo "usage: scripts/oracle/run.sh freeze | answer CASES.json | verify" >&2; exit 2 ;;
esac
