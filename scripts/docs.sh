#!/usr/bin/env bash
# make docs: DocC documentation of the Rambo library with the toolchain's docc, no plugin.
#   1. `swift build` of the Rambo module in a build folder of its own (the release build's flags stay untouched),
#      then its symbol graph with `swift symbolgraph-extract` (public symbols);
#   2. `docc convert` of Sources/Rambo/Rambo.docc with that graph, into OUT (default out/docs).
# Fails (exit 1) on any docc warning, parameter and return documentation checks included: a doc comment that
# documents one parameter documents them all.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-out/docs}
scratch=.build/docs
graphs=$scratch/symbol-graphs
docc=$(command -v docc || echo "$(dirname "$(readlink -f "$(command -v swift)")")/docc")
[ -x "$docc" ] || { echo "docs: docc not found beside swift" >&2; exit 2; }
swift build -c release --scratch-path "$scratch" --target Rambo >/dev/null
rm -rf "$graphs" && mkdir -p "$graphs"
swift symbolgraph-extract -module-name Rambo -I "$scratch/release/Modules" -minimum-access-level public \
    -target "$(uname -m)-unknown-linux-gnu" -output-dir "$graphs" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$docc" convert Sources/Rambo/Rambo.docc --additional-symbol-graph-dir "$graphs" \
    --fallback-display-name Rambo --fallback-bundle-identifier org.rambo-swift.Rambo \
    --output-path "$tmp/Rambo.doccarchive" --transform-for-static-hosting --warnings-as-errors \
    >"$tmp/log.txt" 2>&1 || { cat "$tmp/log.txt" >&2; echo "docs: docc failed" >&2; exit 1; }
if grep -q "warning:" "$tmp/log.txt"; then cat "$tmp/log.txt" >&2; echo "docs: docc warned" >&2; exit 1; fi
rm -rf "$dest.partial" && mkdir -p "$(dirname "$dest")"
cp -R "$tmp/Rambo.doccarchive" "$dest.partial"
rm -rf "$dest" && mv "$dest.partial" "$dest"
echo "docs: $dest/documentation/rambo/index.html (serve $dest over HTTP, e.g. python3 -m http.server -d $dest)"
