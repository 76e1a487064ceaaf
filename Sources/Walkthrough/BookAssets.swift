// The book's own stylesheet and scripts, written into `assets/` by `Book.write`.

extension Book {
    /// The stylesheet of every page: a sidebar and a column of at most 62rem, the width figures are checked at
    /// (Gnuplot's `FigureRules.bookColumn`), with prose kept to 48rem lines while code, output and figures use the
    /// whole column; the highlighter's colours (GitHub's light palette, readable on the code background).
    static let bookCSS = """
        :root{--fg:#1a1a1a;--muted:#5a5a5a;--rule:#e2e2e2;--code:#f6f8fa;--out:#fbfaf3;--accent:#0b5cad}
        *{box-sizing:border-box}
        body{margin:0;font:16px/1.55 system-ui,-apple-system,"DejaVu Sans",sans-serif;color:var(--fg);background:#fff}
        .layout{display:grid;grid-template-columns:13rem minmax(0,62rem);gap:1.5rem;max-width:78.5rem;margin:0 auto;
        padding:0 1rem}
        .prose p,.prose ul,.prose ol,.prose blockquote,.prose dl{max-width:48rem}
        a{color:var(--accent)}
        nav.sidebar{position:sticky;top:0;align-self:start;max-height:100vh;overflow-y:auto;padding:1rem .5rem 2rem 0;
        font-size:.85rem;line-height:1.4;border-right:1px solid var(--rule)}
        nav.sidebar .book-title{font-weight:bold;font-size:1rem;margin:.2rem 0 .6rem}
        nav.sidebar .book-title a{color:var(--fg);text-decoration:none}
        nav.sidebar ol{list-style:none;margin:0;padding:0}
        nav.sidebar ol.cells{padding:.2rem 0 .4rem 1rem}
        nav.sidebar ol.cells li{margin:.15rem 0}
        nav.sidebar summary{margin:.25rem 0}
        nav.sidebar li.current>details>summary a{font-weight:bold;color:var(--fg)}
        nav.sidebar a{text-decoration:none}
        nav.sidebar a:hover{text-decoration:underline}
        form.search input,form.search-page input{width:100%;padding:.35rem .5rem;font:inherit;border:1px solid #bbb;
        border-radius:4px}
        form.search{margin-bottom:.8rem}
        main{padding:1rem 0 4rem;min-width:0}
        nav.pager{display:flex;justify-content:space-between;gap:1rem;font-size:.9rem;margin:.5rem 0 1rem}
        h1{font-size:1.8rem;line-height:1.2;margin:.6rem 0}
        p.run{font-size:.9rem;color:var(--muted)}
        section.cell{margin:2.2rem 0 0}
        section.cell h2,section.takeaways h2,section.try-this h2,section.appendix-part h2,section.this-run h2,
        section.claims h2{font-size:1.3rem;border-top:1px solid var(--rule);padding-top:1rem;margin:0 0 .5rem}
        h2 a.anchor{color:var(--fg);text-decoration:none}
        h2 .seconds{font-size:.75rem;font-weight:normal;color:var(--muted);margin-left:.4rem}
        section.cell.appendix h2{color:#444}
        pre{overflow-x:auto;padding:.6rem .8rem;border-radius:4px;font-size:.8rem;line-height:1.45;margin:.8rem 0}
        code{font-family:"DejaVu Sans Mono",ui-monospace,monospace;font-size:.92em}
        pre code{font-size:1em}
        pre.code{background:var(--code);border-left:3px solid #8aa4c8}
        pre.code .line::before{counter-increment:line;content:counter(line);display:inline-block;width:2.6em;
        margin-right:.9em;text-align:right;color:#9a9a9a;user-select:none}
        pre.output{background:var(--out);border-left:3px solid #c9b87f}
        pre.command{background:var(--code)}
        .hl-k{color:#cf222e}.hl-s{color:#0a3069}.hl-c{color:#6e7781;font-style:italic}.hl-n{color:#0550ae}
        .hl-t{color:#8250df}.hl-a{color:#953800}
        figure{margin:1rem 0 1.4rem}figure img{display:block;max-width:100%;height:auto;border:1px solid #eee}
        figcaption{font-size:.88rem;color:#333;margin-top:.3rem}
        table{border-collapse:collapse;margin:.8rem 0;font-size:.9rem}
        th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
        td{font-variant-numeric:tabular-nums}table.metrics td{text-align:right}caption{font-weight:bold;text-align:left}
        table.claims tr.agrees td:last-child{color:#116329}table.claims tr.differs td:last-child{color:#b03000}
        .pass{color:#116329}.fail{color:#b03000;font-weight:bold}
        details{margin:.6rem 0}summary{cursor:pointer}
        section.try-this summary{font-weight:bold}
        section.try-this li{margin-bottom:1rem}
        .katex-display{overflow-x:auto;overflow-y:hidden;padding:.2rem 0}
        .math-error{color:#b03000;font-family:"DejaVu Sans Mono",monospace}
        .prose pre{background:var(--code)}
        a.term{color:inherit;text-decoration:underline dotted #7a7a7a}
        dl.glossary dt{font-weight:bold;margin-top:1.2rem}dl.glossary dd{margin-left:1.2rem}
        p.used{font-size:.85rem;color:var(--muted)}
        ol#results li{margin:.6rem 0}ol#results p{margin:.1rem 0;font-size:.88rem;color:#333}
        @media (max-width:78rem){.layout{display:block}nav.sidebar{position:static;max-height:none;border-right:0;
        border-bottom:1px solid var(--rule);padding-bottom:.5rem}}

        """

    /// Renders every `<span class="math">` with KaTeX. A formula KaTeX cannot read (a parse error, an unknown
    /// command) keeps its TeX, gets the class `math-error` and the error as its title: the reader sees the TeX,
    /// book-check reports it, and nothing is logged.
    static let bookJS = """
        (function () {
          "use strict";
          if (typeof katex === "undefined") { return; }
          var spans = document.querySelectorAll("span.math");
          for (var i = 0; i < spans.length; i++) {
            var span = spans[i], tex = span.textContent;
            try {
              katex.render(tex, span, { displayMode: span.classList.contains("display"), throwOnError: true });
            } catch (error) {
              span.textContent = tex;
              span.classList.add("math-error");
              span.title = String(error && error.message);
            }
          }
        })();

        """

    /// The search page: every entry of `BOOK_INDEX` that holds all the words typed (title hits first), with a
    /// snippet around the first word.
    static let searchJS = """
        (function () {
          "use strict";
          var input = document.getElementById("q");
          var list = document.getElementById("results");
          var status = document.getElementById("status");
          var index = window.BOOK_INDEX || [];
          function snippet(text, word) {
            var at = text.toLowerCase().indexOf(word);
            var start = Math.max(0, at - 60);
            return (start > 0 ? "… " : "") + text.slice(start, start + 180).replace(/\\s+/g, " ") + " …";
          }
          function run() {
            var words = input.value.toLowerCase().split(/\\s+/).filter(function (w) { return w.length > 0; });
            list.textContent = "";
            if (words.length === 0) { status.textContent = index.length + " cells and entries to search."; return; }
            var hits = [];
            index.forEach(function (entry) {
              var title = entry.t.toLowerCase(), text = entry.x.toLowerCase(), score = 0;
              for (var i = 0; i < words.length; i++) {
                var inTitle = title.indexOf(words[i]) >= 0;
                if (!inTitle && text.indexOf(words[i]) < 0) { return; }
                score += inTitle ? 3 : 1;
              }
              hits.push({ score: score, entry: entry });
            });
            hits.sort(function (a, b) { return b.score - a.score; });
            status.textContent = hits.length === 0 ? "Nothing found." : hits.length + " found.";
            hits.slice(0, 100).forEach(function (hit) {
              var item = document.createElement("li");
              var link = document.createElement("a");
              link.href = hit.entry.u;
              link.textContent = hit.entry.c + " · " + hit.entry.t;
              var text = document.createElement("p");
              text.textContent = snippet(hit.entry.x, words[0]);
              item.appendChild(link);
              item.appendChild(text);
              list.appendChild(item);
            });
          }
          var query = new URLSearchParams(window.location.search).get("q");
          if (query) { input.value = query; }
          input.addEventListener("input", run);
          run();
        })();

        """
}
