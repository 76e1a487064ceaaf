import Foundation

/// The book's glossary: every symbol and metric a chapter uses, defined once (from the paper, its ICLR parent and
/// the course's conventions), on `glossary.html`; each chapter page links a term's first use in that chapter.
///
/// A use is found in the rendered prose: in text, one of the term's `text` forms as a whole word (letters, digits,
/// `_`, `@`, `⁺`, `°` and `'` continue a word, so `λ` is not found inside `λ_code` and `AP` not inside `mAP`); in a
/// formula, one of its `tex` forms as a token of the TeX with spaces and braces removed (`\lambda_{\text{code}}` and
/// `\lambda_\text{code}` are the same). Longer forms are tried first. Text inside links, code and headings is
/// never linked.
public struct GlossaryEntry: Sendable {
    /// The anchor on the glossary page.
    public let id: String
    /// The term as the glossary shows it (Markdown with maths).
    public let term: String
    /// TeX spellings that count as a use inside a formula.
    public let tex: [String]
    /// Plain-text spellings that count as a use.
    public let text: [String]
    /// The definition (Markdown with maths).
    public let definition: String
}

public enum Glossary {
    public static let entries: [GlossaryEntry] = [
        .init(
            id: "rk", term: "$\\operatorname{rk}(y)$, the ranking", tex: ["\\operatorname{rk}", "\\mathrm{rk}"],
            text: ["rk(y)", "rk"],
            definition: """
                The ranks of a score vector $y \\in \\mathbb{R}^n$: 1-based and descending (rank 1 is the highest \
                score), ties to the earlier index: $\\operatorname{rk}(y)_i = 1 + \\#\\{j : y_j > y_i\\} + \
                \\#\\{j < i : y_j = y_i\\}$. It is piecewise constant in $y$ (chapter 01) and the argmin of \
                $\\langle y, \\pi\\rangle$ over permutations $\\pi$ (paper Prop. 1).
                """),
        .init(
            id: "rk-plus", term: "$\\operatorname{rk}^+$ (also rk°), the rank among positives",
            tex: ["\\operatorname{rk}^+", "\\operatorname{rk}^\\circ", "\\mathrm{rk}^+", "\\mathrm{rk}^\\circ"],
            text: ["rk⁺", "rk°", "rk(y⁺)"],
            definition: """
                The rank of a relevant item among the relevant items only. The AP and recall losses divide or \
                subtract it; it is held constant (no gradient flows through it, as in the authors' code).
                """),
        .init(
            id: "argsort", term: "argsort", tex: [], text: ["argsort", "argsortDescending"],
            definition: """
                The inverse permutation of the ranking: `argsortDescending(y)[k]` is the item at position $k$, \
                while `rank(y)[i]` is the position of item $i$.
                """),
        .init(
            id: "blackbox", term: "blackbox gradient (paper Eq. 10)", tex: [], text: ["blackbox gradient"],
            definition: """
                The backward pass of RaMBO: perturb the scores, $y_\\lambda = y + \\lambda\\, \
                \\partial L/\\partial \\operatorname{rk}$, rank again, and return $\\partial L/\\partial y = \
                -\\tfrac{1}{\\lambda}\\big(\\operatorname{rk}(y) - \\operatorname{rk}(y_\\lambda)\\big)$: the exact \
                gradient of the interpolation $f_\\lambda$ (one extra call to the sort).
                """),
        .init(
            id: "lambda", term: "$\\lambda$, the interpolation strength", tex: ["\\lambda"], text: ["λ"],
            definition: """
                How far the blackbox backward perturbs the scores, in paper units (integer ranks $1 \\dots n$): \
                small $\\lambda$ keeps $f_\\lambda$ close to the loss but gives a zero gradient almost everywhere; \
                large $\\lambda$ gives informative but coarse gradients. The course's rule is $\\lambda = n/2$.
                """),
        .init(
            id: "lambda-code", term: "$\\lambda_{\\text{code}}$, λ in the authors' units",
            tex: ["\\lambda_\\text{code}", "\\lambda_\\mathrm{code}", "\\lambda_code"], text: ["λ_code"],
            definition: """
                The authors' code ranks into $\\operatorname{rk}/n$, so its $\\lambda$ is $\\lambda_{\\text{code}} = \
                \\lambda/n$ for lists of $n$ items (their default 0.5 is the course's $\\lambda = n/2$). A value is \
                comparable only at a fixed list length.
                """),
        .init(
            id: "y-lambda", term: "$y_\\lambda$, the perturbed scores", tex: ["y_\\lambda"], text: ["y_λ"],
            definition: """
                $y_\\lambda = y + \\lambda\\, \\partial L/\\partial \\operatorname{rk}$: the scores the backward pass \
                ranks a second time (paper Eq. 10; ICLR Prop. 1).
                """),
        .init(
            id: "f-lambda", term: "$f_\\lambda$, the interpolation", tex: ["f_\\lambda"], text: ["f_λ"],
            definition: """
                The continuous, piecewise-affine function whose gradient the blackbox backward returns (ICLR \
                Theorem 1): $f(y_\\lambda) \\le f_\\lambda \\le f(y)$, and it equals the loss $f$ outside \
                $W_{\\text{dif}}^\\lambda$.
                """),
        .init(
            id: "w-dif", term: "$W_{\\text{dif}}^\\lambda$", tex: ["W_\\text{dif}", "W_\\mathrm{dif}", "W_dif"],
            text: ["W_dif"],
            definition: """
                The set of inputs where the interpolation differs from the loss, $\\{w : f_\\lambda(w) \\ne \
                f(y(w))\\}$: it grows with $\\lambda$ and vanishes as $\\lambda \\to 0^+$ (ICLR Theorem 1, A2).
                """),
        .init(
            id: "alpha", term: "$\\alpha$, the score margin", tex: ["\\alpha"], text: ["α", "score margin"],
            definition: """
                Before ranking in training, negatives move up by $\\alpha/2$ and positives down by $\\alpha/2$ \
                (paper Eq. 14): a loss of ranks then asks for a gap of $\\alpha$, which breaks its scale \
                invariance and stops the scores collapsing onto a tie (chapter 05).
                """),
        .init(
            id: "tau", term: "$\\tau$, the score memory", tex: ["\\tau"], text: ["τ", "score memory"],
            definition: """
                The scores of the last $\\tau$ batches are appended to each ranked list; gradients reach only the \
                current batch; $\\tau = 0$ is no memory (paper §4.3). It lengthens the lists and so reduces the \
                mini-batch bias of rank metrics (chapter 06).
                """),
        .init(
            id: "beta", term: "$\\beta$, the interclass weight", tex: ["\\beta"], text: ["β"],
            definition: """
                The detection loss is $(1 - \\beta)\\, L_{\\text{mAP}} + \\beta\\, L_{\\text{APC}}$; the paper's 2 : 1 \
                ratio is $\\beta = 1/3$ (paper §4.6).
                """),
        .init(
            id: "ap", term: "AP, average precision", tex: ["\\text{AP}", "\\mathrm{AP}"], text: ["AP"],
            definition: """
                Of one ranked list: the mean over its positives of the precision at each, $\\text{Prec}(i) = \
                \\operatorname{rk}^+(y)_i / \\operatorname{rk}(y)_i$ (paper Eqs. 3–5). A list without positives has \
                no AP.
                """),
        .init(
            id: "map", term: "mAP, mean average precision", tex: ["\\text{mAP}", "\\mathrm{mAP}"], text: ["mAP"],
            definition: """
                The mean of AP over the lists (classes) that have a positive (paper Eq. 6). It is not decomposable: \
                the mean mAP of mini-batches is not the dataset's mAP (paper Fig. 2, chapter 02).
                """),
        .init(
            id: "l-ap", term: "$L_{\\text{AP}}$, $L_{\\text{mAP}}$", tex: ["L_\\text{AP}", "L_\\text{mAP}"],
            text: ["L_AP", "L_mAP"],
            definition: """
                The AP loss $1 - \\text{AP}$ of one list, and its mean over the lists with a positive (paper Eqs. \
                21–22); only $\\operatorname{rk}(y)$ gets a gradient.
                """),
        .init(
            id: "l-apc", term: "$L_{\\text{APC}}$, the interclass AP loss", tex: ["L_\\text{APC}"], text: ["L_APC"],
            definition: """
                $1 - \\text{AP}$ of the whole batch × classes score matrix ranked as one list (paper Eq. 23): it \
                asks the scores of different classes to be comparable. No memory.
                """),
        .init(
            id: "recall-at-k", term: "Recall@K (R@K)", tex: ["\\text{R@}K", "R@K"], text: ["Recall@K", "R@K"],
            definition: """
                Retrieval: the fraction of queries with a same-class item among their $K$ nearest neighbours by \
                cosine similarity, the query itself excluded (R@1, R@2, R@4, R@8 in the tables).
                """),
        .init(
            id: "r-at-k", term: "r@K and the refined r̃@K", tex: ["r@K", "\\tilde{r}@K", "\\tilder@K"],
            text: ["r@K", "r̃@K"],
            definition: """
                Of one query: r@K is 1 if some positive is in the top $K$ (paper Eq. 7); the refined r̃@K is the \
                fraction of positives with fewer than $K$ negatives ahead of them (Eq. 16), so $\\tilde r@K \\le \
                r@K$ and every positive counts.
                """),
        .init(
            id: "r-i", term: "$r_i$, the negatives ahead", tex: ["r_i"], text: ["r_i"],
            definition: """
                For positive $i$, the number of negatives ranked above it: $r_i = \\operatorname{rk}(y)_i - \
                \\operatorname{rk}^+(y)_i$ (paper Eq. 17).
                """),
        .init(
            id: "l-rec", term: "$L_{\\text{rec}}$, the recall loss", tex: ["L_\\text{rec}"], text: ["L_rec"],
            definition: """
                The mean over positives of $\\ell(r_i)$ with $\\ell = \\log(1 + \\cdot)$ ("log") or \
                $\\ell \\circ \\ell$ ("loglog"): a weighted sum of $1 - \\tilde r@K$ over all $K$ (paper Eqs. 18–20).
                """),
        .init(
            id: "map-at-r", term: "MAP@R", tex: ["\\text{MAP@}R"], text: ["MAP@R"],
            definition: """
                Retrieval (Musgrave et al. 2020): for each query with $R$ same-class items, the mean over those \
                of the precision at each one found within the top $R$, divided by $R$; averaged over queries. \
                Stricter than Recall@K.
                """),
        .init(
            id: "paper-units", term: "paper units", tex: [], text: ["paper units"],
            definition: """
                λ on integer ranks $1 \\dots n$, the units of paper Eq. 10 and of every `--lambda` in the course; \
                see λ_code for the authors' units.
                """),
    ]

    /// The forms to look for, longest first: (entry index, characters, whether it is a TeX form).
    static let forms: [(entry: Int, form: [Character], tex: Bool)] = {
        var all = [(entry: Int, form: [Character], tex: Bool)]()
        for (e, entry) in entries.enumerated() {
            all += entry.text.map { (e, Array($0), false) }
            all += entry.tex.map { (e, Array(normalisedTeX($0)), true) }
        }
        return all.sorted { $0.form.count > $1.form.count }
    }()

    /// TeX without spaces and braces, so that spellings that mean the same compare equal.
    static func normalisedTeX(_ tex: String) -> String { String(tex.filter { $0 != " " && $0 != "{" && $0 != "}" }) }

    static func continuesWord(_ c: Character) -> Bool {
        c.isLetter || c.isNumber || c == "_" || c == "@" || c == "⁺" || c == "°" || c == "'"
    }

    /// The entry of the first form found in `chars` at or after `from` whose entry is not in `linked`, with its
    /// range.
    static func firstUse(in chars: [Character], from: Int = 0, tex: Bool, linked: Set<String>) -> (Int, Range<Int>)? {
        guard from < chars.count else { return nil }
        for start in from..<chars.count {
            let before: Character? = start > 0 ? chars[start - 1] : nil
            for f in forms where f.tex == tex && !linked.contains(entries[f.entry].id) {
                let end = start + f.form.count
                guard end <= chars.count, chars[start] == f.form[0], Array(chars[start..<end]) == f.form else {
                    continue
                }
                // A text form is a whole word; a TeX form not starting with a command does not continue a name
                // (r_i is not found in \mathbf{r}_i), and a command ends where its letters end (\lambda is not
                // \lambdaX).
                let after: Character? = end < chars.count ? chars[end] : nil
                let starts: Bool
                let ends: Bool
                if tex {
                    starts = f.form[0] == "\\" || !(before?.isLetter ?? false)
                    ends = !(f.form.last!.isLetter && (after?.isLetter ?? false))
                } else {
                    starts = !(before.map(continuesWord) ?? false)
                    ends = !(after.map(continuesWord) ?? false)
                }
                if starts && ends { return (f.entry, start..<end) }
            }
        }
        return nil
    }

    /// `html` (prose as cmark wrote it, formulas as `<span class="math">`) with the first use of every term not in
    /// `linked` wrapped in a link to `page#id`; the linked ids are added to `linked`.
    static func link(_ html: String, linked: inout Set<String>, page: String = "glossary.html") -> String {
        var out = ""
        var skipDepth = 0
        var rest = Substring(html)
        while !rest.isEmpty {
            guard let open = rest.firstIndex(of: "<") else {
                out += skipDepth > 0 ? String(rest) : linkText(String(rest), &linked, page)
                break
            }
            let text = String(rest[..<open])
            out += skipDepth > 0 ? text : linkText(text, &linked, page)
            rest = rest[open...]
            guard let close = rest.firstIndex(of: ">") else {
                out += rest
                break
            }
            let tag = rest[...close]
            rest = rest[rest.index(after: close)...]
            if tag.hasPrefix("<span class=\"math"), skipDepth == 0, let end = rest.range(of: "</span>") {
                let formula = String(tag) + rest[..<end.upperBound]
                let tex = Array(normalisedTeX(unescape(String(rest[..<end.lowerBound]))))
                rest = rest[end.upperBound...]
                if let (e, _) = firstUse(in: tex, tex: true, linked: linked) {
                    linked.insert(entries[e].id)
                    out += "<a class=\"term\" href=\"\(page)#\(entries[e].id)\">\(formula)</a>"
                } else {
                    out += formula
                }
                continue
            }
            let name = tag.dropFirst(tag.hasPrefix("</") ? 2 : 1).prefix { $0.isLetter || $0.isNumber }
            if ["a", "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6"].contains(String(name)) {
                skipDepth += tag.hasPrefix("</") ? -1 : 1
            }
            out += tag
        }
        return out
    }

    private static func linkText(_ text: String, _ linked: inout Set<String>, _ page: String) -> String {
        let chars = Array(text)
        var out = ""
        var done = 0
        while let (e, range) = firstUse(in: chars, from: done, tex: false, linked: linked) {
            linked.insert(entries[e].id)
            out += String(chars[done..<range.lowerBound])
            out += "<a class=\"term\" href=\"\(page)#\(entries[e].id)\">\(String(chars[range]))</a>"
            done = range.upperBound
        }
        return out + String(chars[done...])
    }

    /// HTML entities of `Book.escape` (and cmark's) back to characters.
    static func unescape(_ html: String) -> String {
        html.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
