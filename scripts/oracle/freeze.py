"""Freezes the authors' answers into the fixture the Swift tests check the `official` convention against.

    python freeze.py --vectors Data/reference --out Tests/ReferenceTests/Fixtures/authors-official.json

The fixture holds, for every valid official vector and for --random seeded random official cases, the case
(inputs, no expected answer) and what the authors' code answers (authors.py). The numbers are the authors', never
the Swift package's. Random cases follow the vectors' rules: dyadic inputs (exact in binary and in JSON), exact
ties only in lists of at most 16 items (where torch's CPU sort is stable, so the authors' tie order is
determined: the later index ranks higher), and no case whose answer moves when lambda moves by 1e-6 relative
(a near-tie in the perturbed ranking, which float32 rounding could flip).
"""
import argparse
import datetime
import glob
import json
import os
import random
import sys

import authors

TIE_LIMIT = 16  # torch's CPU sort keeps ties in index order for rows of at most 16 items


def vector_cases(folder):
    cases = []
    for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
        with open(path) as f:
            data = json.load(f)
        for group in data["test_groups"]:
            if group["convention"] != "official":
                continue
            for test in group["tests"]:
                if test.get("result") == "invalid":
                    continue
                case = dict(test["inputs"])
                case.update(id=test["id"], op=group["op"], convention="official")
                cases.append(case)
    return cases


def shifted(scores, relevance, margin):
    return [s - margin * (r - 0.5) for s, r in zip(scores, relevance)]


def ranked_lists(case):
    """Every list the authors' code ranks in the forward pass (after the margin)."""
    op, margin = case["op"], case.get("margin", 0)
    if op in ("rank", "rank_backward"):
        return [case["scores"]]
    if op == "recall_loss":
        rows = [(case["scores"], case["relevance"])] + [(b["scores"], b["relevance"]) for b in case.get("memory", [])]
        return [shifted(s, r, margin) for scores, rel in rows for s, r in zip(scores, rel)]
    if op == "ap_loss":
        return [shifted(s, r, margin) for s, r in zip(case["scores"], case["relevance"])]
    if op == "map_loss":
        rows = case["scores"] + [row for b in case.get("memory", []) for row in b["scores"]]
        targets = case["targets"] + [row for b in case.get("memory", []) for row in b["targets"]]
        lists = [shifted([r[c] for r in rows], [t[c] for t in targets], margin) for c in range(len(rows[0]))]
        flat = [x for row in case["scores"] for x in row]
        flat_targets = [x for row in case["targets"] for x in row]
        return lists + [shifted(flat, flat_targets, margin)]
    raise ValueError(op)


def determined(case):
    """No exact tie in a ranked list longer than TIE_LIMIT."""
    return all(len(l) <= TIE_LIMIT or len(set(l)) == len(l) for l in ranked_lists(case))


def flatten(v):
    if isinstance(v, list):
        return [x for e in v for x in flatten(e)]
    return [v]


def robust(case, answer):
    """The gradient scales like 1/(lambda + 1e-8) when lambda moves by 1e-6 relative: no near-tie."""
    if "grad" not in answer:
        return True
    g = flatten(answer["grad"])
    size = max((abs(x) for x in g if x is not None), default=0)
    for factor in (1 + 1e-6, 1 - 1e-6):
        moved = dict(case, **{"lambda": case["lambda"] * factor})
        other = authors.answer(moved)
        if "error" in other:
            return False
        h = flatten(other["grad"])
        scale = (case["lambda"] * factor + 1e-8) / (case["lambda"] + 1e-8)
        for a, b in zip(g, h):
            if (a is None) != (b is None) or (a is not None and abs(a - b * scale) > 1e-4 * size):
                return False
    return True


class Draw:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def score(self):
        return self.r.randint(-1024, 1024) / 256

    def tied(self):
        return self.r.randint(0, 3) / 2

    def scores(self, n, ties=False):
        return [self.tied() if ties else self.score() for _ in range(n)]

    def bits(self, rows, cols, percent):
        return [[1 if self.r.randrange(100) < percent else 0 for _ in range(cols)] for _ in range(rows)]

    def pick(self, values):
        return self.r.choice(values)

    def lam(self):
        return self.pick([1 / 64, 1 / 16, 0.25, 1, 1 / 64, 1 / 16, 0.25, 1, 2 ** -20, 2 ** 12])


def random_case(op, seed):
    d = Draw(seed)
    base = {"id": f"random/{op}/{seed}", "op": op, "convention": "official"}
    if op == "rank":
        n = d.pick([1, 2, 3, 5, 8, 12, 16, 17, 24, 40])
        return dict(base, scores=d.scores(n, ties=n <= TIE_LIMIT and d.r.random() < 0.5))
    if op == "rank_backward":
        n = d.pick([1, 2, 4, 7, 11, 16, 20, 30])
        ties = n <= TIE_LIMIT and d.r.random() < 0.4
        return dict(base, scores=d.scores(n, ties), upstream=[d.r.randint(-32, 32) / 16 for _ in range(n)],
                    **{"lambda": d.lam()})
    if op == "recall_loss":
        rows, cols = d.r.randint(1, 6), d.pick([2, 3, 5, 8, 12, 16, 20, 24])
        ties = cols <= TIE_LIMIT and d.r.random() < 0.3
        percent = d.pick([0, 20, 35, 50]) if cols <= TIE_LIMIT else d.pick([20, 35, 50])
        memory = []
        for _ in range(d.pick([0, 0, 1, 3])):
            extra = d.r.randint(1, 4)
            memory.append({"scores": [d.scores(cols, ties) for _ in range(extra)],
                           "relevance": d.bits(extra, cols, percent)})
        case = dict(base, scores=[d.scores(cols, ties) for _ in range(rows)], relevance=d.bits(rows, cols, percent),
                    margin=d.pick([0, 0, 0.125, 0.25]), weighting=d.pick(["log", "loglog", "identity"]),
                    **{"lambda": d.lam()})
        if memory:
            case["memory"] = memory
        return case
    if op == "ap_loss":
        lists, n = d.r.randint(1, 4), d.pick([1, 2, 5, 9, 16, 17, 25, 30])
        ties = n <= TIE_LIMIT and d.r.random() < 0.3
        return dict(base, scores=[d.scores(n, ties) for _ in range(lists)],
                    relevance=d.bits(lists, n, d.pick([0, 10, 30, 50])), margin=d.pick([0, 0, 0.125, 0.5]),
                    **{"lambda": d.lam()})
    if op == "map_loss":
        batch, classes = d.r.randint(1, 6), d.r.randint(1, 5)
        tau = d.pick([0, 0, 1, 3])
        ties = d.r.random() < 0.3
        percent = d.pick([0, 15, 30, 50])
        memory = []
        for _ in range(tau):
            extra = d.r.randint(1, 4)
            memory.append({"scores": [d.scores(classes, ties) for _ in range(extra)],
                           "targets": d.bits(extra, classes, percent)})
        case = dict(base, scores=[d.scores(classes, ties) for _ in range(batch)], targets=d.bits(batch, classes, percent),
                    margin=d.pick([0, 0.125, 0.25]), interclass=d.pick([0, 1 / 3, 1]), **{"lambda": d.lam()})
        if memory:
            case["memory"] = memory
        return case
    raise ValueError(op)


def random_cases(count, seed):
    ops = ["rank", "rank_backward", "recall_loss", "ap_loss", "map_loss"]
    per_op = -(-count // len(ops))
    entries = []
    for k, op in enumerate(ops):
        added, s = 0, seed + 100_000 * k
        while added < per_op:
            s += 1
            case = random_case(op, s)
            if not determined(case):
                continue
            answer = authors.answer(case)
            if "error" in answer or not robust(case, answer):
                continue
            entries.append({"source": "random", "case": case, "answer": answer})
            added += 1
    return entries


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", required=True, help="folder of the shipped vectors (Data/reference)")
    parser.add_argument("--out", required=True, help="the fixture to write")
    parser.add_argument("--random", type=int, default=250, help="how many random official cases (>= 200)")
    parser.add_argument("--seed", type=int, default=20240601, help="seed of the random cases")
    args = parser.parse_args()

    entries = []
    for case in vector_cases(args.vectors):
        answer = authors.answer(case)
        entries.append({"source": "vector", "case": case, "answer": answer})
    vectors = len(entries)
    entries += random_cases(args.random, args.seed)
    fixture = {
        "description": "What the authors' code answers (martius-lab/blackbox-backprop ranking.py, recall.py, "
                       "mAP.py, unmodified) on every valid official vector and on seeded random official cases. "
                       "These are the authors' numbers: the Swift `official` convention is tested against them.",
        "provenance": dict(
            authors.provenance(),
            date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            generator="make oracle (scripts/oracle/run.sh freeze)",
            driver="scripts/oracle/authors.py: float64 inputs; MapLoss noise off (torch.randn_like -> "
                   "torch.ones_like, |xi| = 1); memory of k batches = batch_memory k filled by calling the module "
                   "on them oldest first; MapLoss memory 0 = a fresh batch_memory=1; ap_loss lists = MapLoss "
                   "classes (scores transposed), interclass 0",
            nan="NaN (the authors' 0/0 without any positive) is written as null",
            random_seed=args.seed,
            tie_limit=f"exact ties only in ranked lists of at most {TIE_LIMIT} items",
        ),
        "number_of_cases": len(entries),
        "number_from_vectors": vectors,
        "number_random": len(entries) - vectors,
        "entries": entries,
    }
    tmp = args.out + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(tmp, "w") as f:
        f.write("{\n")
        keys = [k for k in fixture if k != "entries"]
        for k in keys:
            f.write(f"  {json.dumps(k)}: {json.dumps(fixture[k], sort_keys=True, allow_nan=False, ensure_ascii=False)},\n")
        f.write('  "entries": [\n')
        f.write(",\n".join("    " + json.dumps(e, sort_keys=True, allow_nan=False) for e in entries))
        f.write("\n  ]\n}\n")
    os.replace(tmp, args.out)
    errors = sum(1 for e in entries if "error" in e["answer"])
    print(f"oracle: {len(entries)} cases ({vectors} from the vectors, {len(entries) - vectors} random), "
          f"{errors} answered with an error, written to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
