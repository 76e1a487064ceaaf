"""Freezes what the ecosystem's libraries answer on the reference's ops into a fixture the Swift tests check.

    python freeze.py --tool .build/release/rambo-reference --suprank DIR --out Tests/ReferenceTests/Fixtures/ecosystem.json

Runs, in a virtual environment outside the repository (run.sh makes it): pytorch-metric-learning's
AccuracyCalculator (precision_at_1, mean_average_precision_at_r), scikit-learn's average_precision_score,
torchmetrics' RetrievalHitRate and RetrievalMAP, SupRank's BlackBoxAPLoss (run from its folder, never copied) and
torch.sqrt on float64. Each entry is a reference case (the inputs `rambo-reference eval` takes), what the library
answers, and the claim: `agrees` (the reference's answer is the library's within the entry's tolerance) or not,
with `explained_by`, a reference case whose answer is the library's (the difference, reproduced). Random entries
are untied (no two scores or cosines closer than 1e-9), so they test the definitions, not tie rules; the smallest
cases that show a difference are hand-picked. The numbers are the libraries', never the Swift package's.
`rambo-reference eval` is run only to print the summary table (docs/ecosystem.md).
"""
import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import types
import warnings

warnings.filterwarnings("ignore")

import numpy  # noqa: E402
import sklearn  # noqa: E402
import torch  # noqa: E402
import torchmetrics  # noqa: E402
import pytorch_metric_learning  # noqa: E402
from pytorch_metric_learning.distances import CosineSimilarity  # noqa: E402
from pytorch_metric_learning.utils.accuracy_calculator import AccuracyCalculator  # noqa: E402
from pytorch_metric_learning.utils.inference import CustomKNN  # noqa: E402
from sklearn.metrics import average_precision_score  # noqa: E402
from torchmetrics.retrieval import RetrievalHitRate, RetrievalMAP  # noqa: E402

F64 = torch.float64
TIGHT = {"rtol": 1e-12, "atol": 1e-12}
FLOAT32 = {"rtol": 1e-6, "atol": 1e-9}


# ── Draws ───────────────────────────────────────────────────────────────────────────────────────────────────

def unit(e):
    out = []
    for x in e:
        norm = math.sqrt(sum(v * v for v in x))
        out.append([v / norm for v in x])
    return out


def well_separated(e):
    u = unit(e)
    for q in range(len(u)):
        sims = sorted(sum(a * b for a, b in zip(u[q], u[j])) for j in range(len(u)) if j != q)
        if any(b - a < 1e-9 for a, b in zip(sims, sims[1:])):
            return False
    return True


def draw_embedding(rng):
    while True:
        n, d = rng.randint(4, 14), rng.randint(2, 5)
        e = [[rng.uniform(-1, 1) for _ in range(d)] for _ in range(n)]
        labels = [rng.randint(0, rng.randint(1, 4)) for _ in range(n)]
        if well_separated(e) and any(labels.count(x) > 1 for x in labels):
            return e, labels


def draw_list(rng, positive_scores=False):
    while True:
        n = rng.randint(2, 20)
        y = [rng.uniform(0.01, 1) if positive_scores else rng.uniform(-1, 1) for _ in range(n)]
        rel = [rng.randint(0, 1) for _ in range(n)]
        ys = sorted(y)
        if any(rel) and all(b - a > 1e-9 for a, b in zip(ys, ys[1:])):
            return y, rel


def cosine_lists(e, labels):
    """Per query: similarities to every other item (normalise first), relevance = same label."""
    u = unit(e)
    lists = []
    for q in range(len(u)):
        others = [j for j in range(len(u)) if j != q]
        lists.append(([sum(a * b for a, b in zip(u[q], u[j])) for j in others],
                      [1 if labels[j] == labels[q] else 0 for j in others]))
    return lists


# ── The libraries ───────────────────────────────────────────────────────────────────────────────────────────

def pml(e, labels):
    calculator = AccuracyCalculator(include=("precision_at_1", "mean_average_precision_at_r"),
                                    knn_func=CustomKNN(CosineSimilarity()), device=torch.device("cpu"))
    t = torch.tensor(e, dtype=F64)
    result = calculator.get_accuracy(t, torch.tensor(labels))
    return float(result["precision_at_1"]), float(result["mean_average_precision_at_r"])


def hit_rate(e, labels, k):
    preds, target, indexes = [], [], []
    for q, (sims, rel) in enumerate(cosine_lists(e, labels)):
        preds += sims
        target += rel
        indexes += [q] * len(sims)
    metric = RetrievalHitRate(top_k=k, empty_target_action="skip")
    return float(metric(torch.tensor(preds, dtype=F64), torch.tensor(target), indexes=torch.tensor(indexes)))


def retrieval_map(y, rel):
    metric = RetrievalMAP(empty_target_action="skip")
    return float(metric(torch.tensor(y, dtype=F64), torch.tensor(rel), indexes=torch.zeros(len(y), dtype=torch.long)))


def sklearn_ap(y, rel):
    return float(average_precision_score(rel, y))


def load_suprank(folder):
    """SupRank's blackbox_ap_loss.py from its folder, with `suprank.lib` given its create_label_matrix."""
    sys.path.insert(0, folder)
    import create_label_matrix as labels_module
    suprank = types.ModuleType("suprank")
    suprank.lib = types.ModuleType("suprank.lib")
    suprank.lib.create_label_matrix = labels_module.create_label_matrix
    sys.modules["suprank"], sys.modules["suprank.lib"] = suprank, suprank.lib
    import blackbox_ap_loss
    return blackbox_ap_loss


class NoNoise:
    """torch.randn_like → torch.ones_like while SupRank's loss runs: the margin noise off, |ξ| = 1."""

    def __enter__(self):
        self.saved = torch.randn_like
        torch.randn_like = lambda t, **kw: torch.ones_like(t, **{k: v for k, v in kw.items() if k != "generator"})

    def __exit__(self, *exc):
        torch.randn_like = self.saved


def suprank_raw(module, scores, relevance, lam, margin):
    loss = module.BlackBoxAPLoss(lambda_val=lam, margin=margin)
    s = torch.tensor(scores, dtype=F64, requires_grad=True)
    with NoNoise():
        value = loss.raw_map_computation(s, torch.tensor(relevance, dtype=F64))
    value.backward()
    return float(value), s.grad.tolist()


def suprank_forward(module, e, labels, lam, margin):
    loss = module.BlackBoxAPLoss(lambda_val=lam, margin=margin)
    with NoNoise():
        return float(loss(torch.tensor(e, dtype=F64), torch.tensor([[x] for x in labels])))  # [N, levels]


# ── The entries ─────────────────────────────────────────────────────────────────────────────────────────────

def entry(library, op, comment, case, answer, agrees, tolerance=TIGHT, explained_by=None):
    e = {"library": library, "op": op, "comment": comment, "case": dict(case, op=op), "library_answer": answer,
         "agrees": agrees, **tolerance}
    if explained_by is not None:
        e["explained_by"] = explained_by
    return e


def build(suprank_folder, count, seed):
    rng = random.Random(seed)
    entries = []
    # pytorch-metric-learning: precision_at_1 is Recall@1; mean_average_precision_at_r is MAP@R.
    for i in range(count):
        e, labels = draw_embedding(rng)
        p1, mapr = pml(e, labels)
        entries.append(entry("pytorch-metric-learning", "recall_at_k", f"random untied embedding {i}",
                             {"embeddings": e, "labels": labels, "k": [1]}, {"recall_at_k": {"1": p1}}, True))
        entries.append(entry("pytorch-metric-learning", "map_at_r", f"random untied embedding {i}",
                             {"embeddings": e, "labels": labels}, {"map_at_r": mapr}, True))
        k = rng.randint(1, 4)
        entries.append(entry("torchmetrics", "recall_at_k", f"RetrievalHitRate(top_k={k}), random untied {i}",
                             {"embeddings": e, "labels": labels, "k": [k]},
                             {"recall_at_k": {str(k): hit_rate(e, labels, k)}}, True, FLOAT32))
    tie = [[1, 1], [3, 3], [1, 2]]
    p1, mapr = pml(tie, [0, 1, 0])
    entries.append(entry("pytorch-metric-learning", "recall_at_k",
                         "cosines tied in real arithmetic (the vector recall_at_k/paper/007)",
                         {"embeddings": tie, "labels": [0, 1, 0], "k": [1]}, {"recall_at_k": {"1": p1}},
                         p1 == 0.0))
    # scikit-learn and torchmetrics on single ranked lists.
    for i in range(count):
        y, rel = draw_list(rng)
        entries.append(entry("scikit-learn", "average_precision", f"average_precision_score, random untied {i}",
                             {"scores": y, "relevance": rel}, {"ap": sklearn_ap(y, rel)}, True))
        y, rel = draw_list(rng, positive_scores=True)
        entries.append(entry("torchmetrics", "average_precision", f"RetrievalMAP, scores > 0, random untied {i}",
                             {"scores": y, "relevance": rel}, {"ap": retrieval_map(y, rel)}, True, FLOAT32))
    entries.append(entry("scikit-learn", "average_precision",
                         "tied scores are one threshold: the positive ranked first by index gets precision 1/2",
                         {"scores": [1.0, 1.0], "relevance": [1, 0]}, {"ap": sklearn_ap([1.0, 1.0], [1, 0])}, False))
    entries.append(entry("torchmetrics", "average_precision",
                         "RetrievalMAP (torchmetrics >= 1.9) drops every item scored <= 0: the positive scored -0.5 "
                         "is gone, and a query without a kept positive scores 0",
                         {"scores": [0.5, -0.5], "relevance": [0, 1]}, {"ap": retrieval_map([0.5, -0.5], [0, 1])},
                         False, FLOAT32))
    y, rel = [0.5, -0.25, 0.25], [0, 1, 1]
    entries.append(entry("torchmetrics", "average_precision",
                         "RetrievalMAP drops the positive scored -0.25: its AP is that of the items scored > 0",
                         {"scores": y, "relevance": rel}, {"ap": retrieval_map(y, rel)}, False, FLOAT32,
                         explained_by={"op": "average_precision", "scores": [0.5, 0.25], "relevance": [0, 1]}))
    # SupRank's BlackBoxAPLoss: the authors' AP loss (official convention), lists as rows.
    module = load_suprank(suprank_folder)
    for i in range(count):
        lists, width = rng.randint(1, 3), rng.randint(2, 8)
        scores, relevance = [], []
        while len(scores) < lists:
            y = [rng.uniform(-1, 1) for _ in range(width)]
            rel = [rng.randint(0, 1) for _ in range(width)]
            ys = sorted(y)
            if any(rel) and all(b - a > 1e-6 for a, b in zip(ys, ys[1:])):
                scores.append(y)
                relevance.append(rel)
        lam, margin = rng.choice([0.05, 0.25, 1.0]), rng.choice([0.0, 0.02, 0.125])
        loss, grad = suprank_raw(module, scores, relevance, lam, margin)
        entries.append(entry("SupRank", "ap_loss", f"raw_map_computation, |ξ| = 1, random untied {i}",
                             {"convention": "official", "scores": scores, "relevance": relevance, "lambda": lam,
                              "margin": margin}, {"loss": loss, "grad": grad}, True, FLOAT32))
    scores, relevance = [[0.5, 0.25, 0.0], [0.5, 0.25, 0.0]], [[0, 1, 0], [0, 0, 0]]
    loss, grad = suprank_raw(module, scores, relevance, 1.0, 0.0)
    entries.append(entry("SupRank", "ap_loss",
                         "a list without a positive counts as AP 0 (the +1e-5 keeps 0/0 away) where the authors' "
                         "loss leaves it out", {"convention": "official", "scores": scores, "relevance": relevance,
                                                "lambda": 1.0, "margin": 0.0}, {"loss": loss, "grad": grad}, False,
                         FLOAT32))
    e, labels = [[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], [0, 0, 1]
    loss = suprank_forward(module, e, labels, 1.0, 0.0)
    u = unit(e)
    full = [[sum(a * b for a, b in zip(u[q], u[j])) for j in range(3)] for q in range(3)]
    rel_full = [[1 if labels[j] == labels[q] else 0 for j in range(3)] for q in range(3)]
    off = [[full[q][j] for j in range(3) if j != q] for q in range(3)]
    rel_off = [[rel_full[q][j] for j in range(3) if j != q] for q in range(3)]
    entries.append(entry("SupRank", "ap_loss",
                         "forward(embeddings, labels) with the batch as its own reference ranks each query against "
                         "itself: every list holds a positive scored 1 (the query), so no list is without a "
                         "positive and the loss is lower than over the other items",
                         {"convention": "official", "scores": off, "relevance": rel_off, "lambda": 1.0},
                         {"loss": loss}, False, FLOAT32,
                         explained_by={"op": "ap_loss", "convention": "official", "scores": full,
                                       "relevance": rel_full, "lambda": 1.0}))
    return entries


def sqrt_rate(seed):
    """How often torch.sqrt on float64 differs from the correctly rounded square root (math.sqrt)."""
    rng = numpy.random.default_rng(seed)
    x = rng.uniform(0.0, 4.0, 200_000)
    ours = numpy.array([math.sqrt(v) for v in x])
    theirs = torch.sqrt(torch.tensor(x, dtype=F64)).numpy()
    off = numpy.nonzero(ours != theirs)[0]
    ulps = [abs(int(numpy.float64(a).view(numpy.int64)) - int(numpy.float64(b).view(numpy.int64)))
            for a, b in zip(ours[off], theirs[off])]
    example = None
    if len(off):
        i = int(min(off, key=lambda j: x[j]))
        example = {"input": float(x[i]), "torch": float(theirs[i]), "correctly_rounded": float(ours[i])}
    return {"inputs": len(x), "differ": int(len(off)), "max_ulps": max(ulps) if ulps else 0, "example": example,
            "comment": "torch.sqrt on a float64 CPU tensor against math.sqrt (IEEE, correctly rounded), uniform "
                       "inputs in [0, 4); whether and how often they differ depends on the CPU and torch's kernels"}


def summary(tool, entries):
    """Runs the reference on every entry (and explanation) and prints agree/differ per library and op."""
    cases = []
    for k, e in enumerate(entries):
        cases.append(dict(e["case"], id=f"e{k}"))
        if "explained_by" in e:
            cases.append(dict(e["explained_by"], id=f"x{k}"))
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"cases": cases}, f)
    try:
        out = subprocess.run([tool, "eval", f.name], capture_output=True, text=True)
    finally:
        os.unlink(f.name)
    answers = {r["id"]: r for r in json.loads(out.stdout)["results"]}

    def close(a, b, rtol, atol):
        if isinstance(a, dict):
            return all(close(a[k], b.get(k), rtol, atol) for k in a)
        if isinstance(a, list):
            return isinstance(b, list) and len(a) == len(b) and all(close(x, y, rtol, atol) for x, y in zip(a, b))
        if a is None or b is None:
            return a is None and b is None
        return abs(b - a) <= atol + rtol * abs(a)  # a: the library's number, as the tests compare

    table = {}
    for k, e in enumerate(entries):
        ref = answers[f"e{k}"]
        same = close(e["library_answer"], ref, e["rtol"], e["atol"])
        row = table.setdefault((e["library"], e["op"]), [0, 0, 0])
        row[0 if same else 1] += 1
        claim_holds = same == e["agrees"]
        if "explained_by" in e:
            claim_holds = claim_holds and close(e["library_answer"], answers[f"x{k}"], e["rtol"], e["atol"])
        if not claim_holds:
            row[2] += 1
            print(f"CLAIM FAILS: {e['library']} {e['op']} {e['comment']}: library {e['library_answer']}, "
                  f"reference {ref}", file=sys.stderr)
    for (library, op), (same, other, broken) in sorted(table.items()):
        print(f"{library:<26} {op:<18} agrees {same:>3}  differs {other:>3}  claims broken {broken}",
              file=sys.stderr)
    return sum(r[2] for r in table.values())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tool", required=True)
    parser.add_argument("--suprank", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2027)
    args = parser.parse_args()
    entries = build(args.suprank, args.count, args.seed)
    suprank_file = os.path.join(args.suprank, "blackbox_ap_loss.py")
    with open(suprank_file, "rb") as f:
        suprank_sha = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(args.suprank, "PROVENANCE.md")) as f:
        commit = next(iter(re.findall(r"\b[0-9a-f]{40}\b", f.read())), "see PROVENANCE.md")
    fixture = {
        "description": "What the ecosystem's libraries answer on the reference's ops (scripts/ecosystem/freeze.py, "
                       "`make ecosystem`). Each entry: a reference case, the library's answer, and the claim "
                       "`agrees` (within rtol/atol) or not, with `explained_by` a reference case that reproduces "
                       "the library's answer. The numbers are the libraries', never the Swift package's.",
        "provenance": {
            "date": datetime.date.today().isoformat(), "seed": args.seed, "python": platform.python_version(),
            "machine": platform.machine(), "torch": torch.__version__, "numpy": numpy.__version__,
            "pytorch-metric-learning": pytorch_metric_learning.__version__, "scikit-learn": sklearn.__version__,
            "torchmetrics": torchmetrics.__version__,
            "SupRank": {"commit": commit, "file": "suprank/losses/blackbox_ap_loss.py",
                        "sha256": suprank_sha, "run from": "../shared/peers/suprank (never copied)",
                        "noise": "torch.randn_like replaced by torch.ones_like while it runs (|ξ| = 1)"},
            "how": "float64 tensors; PML AccuracyCalculator(knn_func=CustomKNN(CosineSimilarity())); torchmetrics "
                   "RetrievalHitRate(top_k=k, empty_target_action='skip') on each query's cosine list without "
                   "itself, RetrievalMAP(empty_target_action='skip') on one list; sklearn "
                   "average_precision_score(relevance, scores)",
        },
        "sqrt": sqrt_rate(args.seed),
        "entries": entries,
    }
    broken = summary(args.tool, entries)
    if broken:
        sys.exit(f"freeze.py: {broken} claims do not hold; the fixture was not written")
    temporary = args.out + ".partial"
    with open(temporary, "w") as f:
        json.dump(fixture, f, indent=1, sort_keys=True, allow_nan=False)
        f.write("\n")
    os.replace(temporary, args.out)
    print(f"wrote {args.out}: {len(entries)} entries; torch.sqrt differs on {fixture['sqrt']['differ']} of "
          f"{fixture['sqrt']['inputs']} inputs", file=sys.stderr)


if __name__ == "__main__":
    main()
