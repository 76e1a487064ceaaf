#!/usr/bin/env bash
# make book-check: loads every page of the course book (OUT/index.html, OUT/chNN.html) in headless Chromium and
# fails on a broken image or a console message. Run after `make course` or `make quick`.
#
# How: a throw-away harness page (outside OUT) loads each book page in an iframe; once the page has loaded, it
# lists every <img> that did not decode (complete but naturalWidth 0) and every page that failed to load, and
# Chromium dumps the harness's DOM. Console messages of the book pages come out on stderr (--enable-logging) and
# any of them fails the check: the pages have no script, so a message means a load or parse problem. Every PNG
# must also end with its IEND chunk (a cut-short PNG still decodes in a browser).
# Chromium (Debian `chromium`) is installed here, only for this check, when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out}
[ -f "$out/index.html" ] || { echo "book-check: $out/index.html is missing; run make course or make quick first" >&2; exit 2; }

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "book-check: chromium is missing; install with: sudo apt-get install -y --no-install-recommends chromium" >&2
        exit 2
    fi
    echo "book-check: installing chromium (apt-get), for this check only"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

abs_out=$(cd "$out" && pwd)
pages=()
for f in "$abs_out"/index.html "$abs_out"/ch*.html; do [ -f "$f" ] && pages+=("$f"); done
tmp=$(mktemp -d)
trap '[ -n "${BOOK_CHECK_KEEP:-}" ] || rm -rf "$tmp"' EXIT
list=$(printf '"file://%s",' "${pages[@]}")
cat > "$tmp/harness.html" <<HTML
<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body><pre id="report"></pre>
<script>
const pages = [${list%,}];
const report = document.getElementById("report");
function line(text) { report.textContent += text + "\n"; }
async function check(url) {
  const frame = document.createElement("iframe");
  frame.style.width = "1200px"; frame.style.height = "900px";
  const loaded = new Promise(resolve => { frame.onload = resolve; });
  frame.src = url;
  document.body.appendChild(frame);
  await loaded;
  const doc = frame.contentDocument;
  if (!doc || !doc.body || doc.body.childElementCount === 0) { line("BROKEN" + "-PAGE " + url); return; }
  const images = Array.from(doc.images);
  for (const img of images) {
    if (!img.complete || img.naturalWidth === 0) line("BROKEN" + "-IMAGE " + url + " " + img.getAttribute("src"));
  }
  line("PAGE " + url + " images=" + images.length);
  frame.remove();
}
(async () => { for (const p of pages) await check(p); line("DO" + "NE"); })();
</script></body></html>
HTML

dom=$tmp/dom.txt; log=$tmp/stderr.txt
timeout 300 chromium --headless --no-sandbox --disable-gpu --allow-file-access-from-files \
    --enable-logging=stderr --v=0 --virtual-time-budget=120000 --run-all-compositor-stages-before-draw \
    --dump-dom "file://$tmp/harness.html" >"$dom" 2>"$log" || true

status=0
if ! grep -q "DONE" "$dom"; then
    echo "book-check: the harness did not finish; chromium said:" >&2
    tail -5 "$log" >&2
    exit 1
fi
checked=$(grep -o "PAGE file[^ ]* images=[0-9]*" "$dom" | wc -l)
images=$(grep -o "PAGE file[^ ]* images=[0-9]*" "$dom" | sed 's/.*images=//' | awk '{ n += $1 } END { print n + 0 }')
if grep -q "BROKEN-" "$dom"; then
    grep -o "BROKEN-[A-Z]* .*" "$dom" | sed 's/^/book-check: /' >&2
    status=1
fi
# Console messages from the book's pages (the harness itself logs none).
if grep "CONSOLE" "$log" | grep -v "harness.html" | grep -q .; then
    grep "CONSOLE" "$log" | grep -v "harness.html" | sed 's/^.*CONSOLE[^]]*\] /book-check: console: /' >&2
    status=1
fi
# A PNG the browser can draw may still be cut short (it renders progressively): every image must end with its
# IEND chunk.
for page in "${pages[@]}"; do
    for src in $(grep -o '<img src="[^"]*"' "$page" | sed 's/^<img src="//; s/"$//'); do
        file=$(dirname "$page")/$src
        if [ ! -f "$file" ]; then
            echo "book-check: $page: $src is missing" >&2; status=1
        elif [[ "$src" == *.png ]] && ! tail -c 12 "$file" | grep -q IEND; then
            echo "book-check: $page: $src is cut short (no IEND chunk)" >&2; status=1
        fi
    done
done
if [ "$checked" -ne "${#pages[@]}" ]; then
    echo "book-check: checked $checked of ${#pages[@]} pages" >&2
    status=1
fi
[ $status -eq 0 ] && echo "book-check: ${#pages[@]} pages, $images images, no broken image, no console message"
exit $status
