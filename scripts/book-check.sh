#!/usr/bin/env bash
# make book-check: loads every page of the course book (OUT/index.html, chNN.html, glossary.html, search.html) in
# headless Chromium with the network cut off, and fails on:
#   - a console message (the book's scripts log nothing, so a message means a load, parse or KaTeX problem);
#   - a page, image, stylesheet or font that does not load (every asset must be in the book: nothing from the
#     network), or a PNG cut short (no IEND chunk: a browser still draws it);
#   - maths left unrendered: a <span class="math"> without KaTeX's output, a KaTeX error, or a "$" left in prose;
#   - a notebook page (<body class="notebook">) that breaks the book's contract: at least 4 cells; each
#     <section class="cell"> holds, in order, an optional <div class="prose">, one <pre class="code"> with a
#     <code class="language-swift"> (highlighted), an optional <pre class="output"> and <figure>s, each with an
#     image and a <figcaption>; no figure outside a cell;
#   - a search page that finds nothing for a word every chapter uses.
# Chapter pages not yet written as cells (<body class="chapter">) are listed, not failed.
#
# How: a throw-away harness page (outside OUT) loads each book page in an iframe, waits for its scripts and fonts,
# inspects it and writes what it finds; Chromium dumps the harness's DOM. Console messages of the book pages come
# out on stderr (--enable-logging).
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
for f in "$abs_out"/index.html "$abs_out"/ch*.html "$abs_out"/glossary.html "$abs_out"/search.html; do
    [ -f "$f" ] && pages+=("$f")
done
tmp=$(mktemp -d)
trap '[ -n "${BOOK_CHECK_KEEP:-}" ] || rm -rf "$tmp"' EXIT
list=$(printf '"file://%s",' "${pages[@]}")
cat > "$tmp/harness.html" <<HTML
<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body><pre id="report"></pre>
<script>
const pages = [${list%,}];
const report = document.getElementById("report");
function line(text) { report.textContent += text + "\n"; }
function bad(kind, url, what) { line("BROKEN" + "-" + kind + " " + url + " " + what); }
// The element children of a cell must read: prose? code output? figure*.
function cellShape(cell) {
  const names = Array.from(cell.children).map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : ""));
  let i = 0;
  if (names[i] === "div.prose") i++;
  if (names[i] !== "pre.code") return names.join(" ");
  i++;
  if (names[i] === "pre.output") i++;
  while (names[i] === "figure") i++;
  return i === names.length ? "" : names.join(" ");
}
function checkNotebook(url, doc) {
  const cells = Array.from(doc.querySelectorAll("section.cell"));
  const main = cells.filter(c => !c.classList.contains("appendix") && c.id !== "set-up");
  if (main.length < 4) bad("CONTRACT", url, main.length + " cells, at least 4");
  for (const cell of cells) {
    const shape = cellShape(cell);
    if (shape) bad("CONTRACT", url, "cell " + cell.id + " holds: " + shape);
    if (!cell.querySelector("pre.code > code.language-swift")) bad("CONTRACT", url, "cell " + cell.id + " has no swift code");
  }
  if (!doc.querySelector("pre.code span.hl-k")) bad("CONTRACT", url, "the code is not highlighted");
  for (const figure of doc.querySelectorAll("figure")) {
    if (!figure.closest("section.cell")) bad("CONTRACT", url, "figure " + figure.id + " outside a cell");
  }
  line("NOTEBOOK " + url + " cells=" + cells.length);
}
function checkMaths(url, doc, win) {
  const spans = Array.from(doc.querySelectorAll("span.math"));
  if (spans.length > 0 && typeof win.katex === "undefined") bad("MATH", url, "KaTeX did not load");
  const rendered = doc.querySelector(".katex");
  if (rendered && !win.getComputedStyle(rendered).fontFamily.includes("KaTeX")) {
    bad("ASSET", url, "KaTeX's stylesheet is not applied");
  }
  for (const span of spans) {
    if (!span.querySelector(".katex") && !span.classList.contains("math-error")) {
      bad("MATH", url, "not rendered: " + span.textContent.slice(0, 60));
    }
  }
  for (const error of doc.querySelectorAll(".math-error, .katex-error")) {
    bad("MATH", url, "KaTeX cannot read " + error.textContent.slice(0, 60) + ": " + error.title.slice(0, 120));
  }
  const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.nodeValue.includes("$") || node.parentElement.closest("code, pre, .katex, script")) continue;
    if (node.parentElement.closest(".prose, dd, dt, .question, .answer, table.claims")) {
      bad("MATH", url, "raw $ in prose: " + node.nodeValue.trim().slice(0, 80));
    }
  }
}
async function checkSearch(url, doc, win) {
  const input = doc.getElementById("q");
  input.value = "rank";
  input.dispatchEvent(new win.Event("input"));
  const found = doc.querySelectorAll("#results li").length;
  if (found === 0) bad("SEARCH", url, "nothing found for 'rank'");
  line("SEARCH " + url + " rank=" + found);
}
async function check(url) {
  const frame = document.createElement("iframe");
  frame.style.width = "1200px"; frame.style.height = "900px";
  const loaded = new Promise(resolve => { frame.onload = resolve; });
  frame.src = url;
  document.body.appendChild(frame);
  await loaded;
  const doc = frame.contentDocument, win = frame.contentWindow;
  if (!doc || !doc.body || doc.body.childElementCount === 0) { bad("PAGE", url, ""); return; }
  await doc.fonts.ready;
  const images = Array.from(doc.images);
  for (const img of images) {
    if (!img.complete || img.naturalWidth === 0) bad("IMAGE", url, img.getAttribute("src"));
  }
  for (const link of doc.querySelectorAll('link[rel="stylesheet"]')) {
    if (!link.sheet) bad("ASSET", url, link.getAttribute("href"));
  }
  for (const font of doc.fonts) { if (font.status === "error") bad("FONT", url, font.family); }
  checkMaths(url, doc, win);
  if (doc.body.classList.contains("notebook")) checkNotebook(url, doc);
  if (doc.body.classList.contains("chapter")) line("NOT-NOTEBOOK " + url);
  if (doc.body.classList.contains("search")) await checkSearch(url, doc, win);
  line("PAGE " + url + " images=" + images.length);
  frame.remove();
}
(async () => { for (const p of pages) await check(p); line("DO" + "NE"); })();
</script></body></html>
HTML

dom=$tmp/dom.txt; log=$tmp/stderr.txt
timeout 300 chromium --headless --no-sandbox --disable-gpu --allow-file-access-from-files \
    --host-resolver-rules="MAP * ~NOTFOUND" --disable-background-networking \
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
pending=$( (grep -o "NOT-NOTEBOOK file[^ ]*" "$dom" || true) | sed 's|.*/||; s|\.html||' | tr '\n' ' ')
notebooks=$(grep -c "^NOTEBOOK " "$dom" || true)
# Nothing may come from the network: every script, stylesheet and image is a file of the book.
if grep -lE '<(script|img)[^>]* src="(https?:)?//|<link[^>]* href="(https?:)?//' "${pages[@]}" >/dev/null 2>&1; then
    grep -lE '<(script|img)[^>]* src="(https?:)?//|<link[^>]* href="(https?:)?//' "${pages[@]}" |
        sed 's/^/book-check: loads from the network: /' >&2
    status=1
fi
# Console messages from the book's pages (the harness itself logs none).
if grep "CONSOLE" "$log" | grep -v "harness.html" | grep -q .; then
    grep "CONSOLE" "$log" | grep -v "harness.html" | sed 's/^.*CONSOLE[^]]*\] /book-check: console: /' >&2
    status=1
fi
# Every script and stylesheet a page names is a file of the book.
for page in "${pages[@]}"; do
    for src in $(grep -oE '<script src="[^"]*"|<link rel="stylesheet" href="[^"]*"' "$page" | sed 's/.*="//; s/"$//'); do
        [ -f "$(dirname "$page")/$src" ] || { echo "book-check: $page: $src is missing" >&2; status=1; }
    done
done
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
if [ $status -eq 0 ]; then
    echo "book-check: ${#pages[@]} pages ($notebooks notebooks), $images images; every asset offline, maths rendered, no console message"
    [ -z "$pending" ] || echo "book-check: not yet notebooks: $pending"
fi
exit $status
