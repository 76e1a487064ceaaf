#!/usr/bin/env bash
# Installs what the course and the tests need, once. Quiet when everything is already there.
#   gnuplot-nox            the figures (headless gnuplot; plain `gnuplot` pulls in Qt)
#   dataset-fashion-mnist  chapter 09 (read from /usr/share/datasets/fashion-mnist)
#   cmark-gfm              the course book: chapter texts from Markdown to HTML
#   libjs-katex            the course book: maths rendered offline (copied into the book's assets)
# (chromium, for make book-check only, is installed by scripts/book-check.sh when it runs.)
# The ORL faces are not fetched: no chapter uses them (scripts/fetch-orl.sh fetches them on request).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v gnuplot >/dev/null 2>&1 || need_apt+=(gnuplot-nox)
[ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] || need_apt+=(dataset-fashion-mnist)
command -v cmark-gfm >/dev/null 2>&1 || need_apt+=(cmark-gfm)
[ -f /usr/share/javascript/katex/katex.min.js ] || need_apt+=(libjs-katex)

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
