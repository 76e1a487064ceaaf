#!/usr/bin/env python3
"""A literal port of SPEC.md, in Python's standard library only.

    python3 port.py eval CASES.json > results.json      answer a cases file, as `rambo-reference eval` does
    python3 port.py fuzz --tool PATH [--count N] [--seed S] [--json]
                                                         draw N random cases (near-ties included, both
                                                         conventions), answer them here and with
                                                         `PATH eval`, and compare every number bit for bit

It is written from SPEC.md alone, step by step in the order the page gives, so that it answers bit for bit what
the reference answers: every op in both conventions (the official losses step by step in Float32 where SPEC.md says
so). Input checks follow SPEC.md's "Invalid inputs"; only
"error or not" is compared, never the message. Python floats are IEEE Float64 and every + - * / and math.sqrt is
correctly rounded, as the page requires; Float32 steps round through struct ('f').
"""

import argparse
import json
import math
import random
import struct
import subprocess
import sys
import tempfile
import os

LOCAL_OPS = ("rank", "rank_backward", "average_precision", "recall_at_k", "map_at_r",
             "ap_loss", "recall_loss", "map_loss")
METRICS = ("average_precision", "recall_at_k", "map_at_r")
LAMBDA_EPSILON = 1e-8
WHOLE_LIMIT = 2 ** 53


class CaseError(Exception):
    """What is wrong with one case (answered as {"id", "error"})."""


# ── Float32 ──────────────────────────────────────────────────────────────────────────────────────────────────

def fl32(x):
    """x rounded to the nearest Float32 (ties to even), as a Python float; ±inf beyond the Float32 range."""
    try:
        return struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


# ── Reading a case (SPEC: "Cases and answers", "Invalid inputs and limits") ─────────────────────────────────

def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def number(v, name):
    if not is_number(v):
        raise CaseError(f"{name} is not a number")
    d = float(v)
    if not math.isfinite(d):
        raise CaseError(f"{name} is not finite")
    return d


def vector(v, name):
    if not isinstance(v, list) or not v:
        raise CaseError(f"{name} is not a non-empty list")
    return [number(x, f"{name}[{i}]") for i, x in enumerate(v)]


def rows_of(v, name, each):
    """A non-empty list of rows, each read by `each` (vector or binary)."""
    if not isinstance(v, list) or not v:
        raise CaseError(f"{name} is not a non-empty list of lists")
    rows = []
    for i, row in enumerate(v):
        if not isinstance(row, list):
            raise CaseError(f"{name}[{i}] is not a list")
        rows.append(each(row, f"{name}[{i}]"))
    return rows


def matrix(v, name):
    return rows_of(v, name, vector)


def binary(v, name):
    """0/1: the booleans, or numbers whose Float64 value is exactly 0 or 1."""
    if not isinstance(v, list) or not v:
        raise CaseError(f"{name} is not a non-empty list of 0/1")
    out = []
    for i, x in enumerate(v):
        if isinstance(x, bool):
            out.append(x)
            continue
        d = number(x, f"{name}[{i}]")
        if d == 1:
            out.append(True)
        elif d == 0:
            out.append(False)
        else:
            raise CaseError(f"{name}[{i}] is not 0 or 1")
    return out


def binary_matrix(v, name):
    return rows_of(v, name, binary)


def whole(v, name, positive=False):
    """Labels and k: numbers whose Float64 value is whole with magnitude below 2^53 (k also >= 1)."""
    if not isinstance(v, list) or not v:
        raise CaseError(f"{name} is not a non-empty list")
    out = []
    for i, x in enumerate(v):
        d = number(x, f"{name}[{i}]")
        if d != math.floor(d) or abs(d) >= WHOLE_LIMIT:
            raise CaseError(f"{name}[{i}] is not a whole number below 2^53")
        if positive and d < 1:
            raise CaseError(f"{name}[{i}] is below 1")
        out.append(int(d))
    return out


def same_shape(scores, relevance, name):
    if len(relevance) != len(scores) or any(len(r) != len(s) for r, s in zip(relevance, scores)):
        raise CaseError(f"{name} does not have the shape of the scores")


def rectangular(rows, name, columns=None):
    width = len(rows[0]) if columns is None else columns
    if any(len(r) != width for r in rows):
        raise CaseError(f"{name} is not rectangular")


def memory(v, key):
    if not isinstance(v, list):
        raise CaseError("memory is not a list")
    batches = []
    for k, entry in enumerate(v):
        if not isinstance(entry, dict) or set(entry) != {"scores", key}:
            raise CaseError(f"memory[{k}] must hold exactly scores and {key}")
        s = matrix(entry["scores"], f"memory[{k}].scores")
        r = binary_matrix(entry[key], f"memory[{k}].{key}")
        same_shape(s, r, f"memory[{k}].{key}")
        batches.append((s, r))
    return batches


INPUTS = {
    "rank": (["scores"], {}),
    "rank_backward": (["scores", "upstream", "lambda"], {}),
    "recall_loss": (["scores", "relevance", "lambda"], {"margin": 0, "weighting": "log", "memory": []}),
    "ap_loss": (["scores", "relevance", "lambda"], {"margin": 0}),
    "map_loss": (["scores", "targets", "lambda"], {"margin": 0, "interclass": 0, "memory": []}),
    "recall_at_k": (["embeddings", "labels", "k"], {}),
    "map_at_r": (["embeddings", "labels"], {}),
    "average_precision": (["scores", "relevance"], {}),
}
META = {"id", "op", "convention", "comment", "flags", "result"}


def lam(fields):
    d = number(fields["lambda"], "lambda")
    if d <= 0:
        raise CaseError("lambda must be > 0")
    return d


def margin_of(fields):
    d = number(fields["margin"], "margin")
    if d < 0:
        raise CaseError("margin must be >= 0")
    return d


# ── Ranks (SPEC: "Common definitions") ──────────────────────────────────────────────────────────────────────

def order_paper(y):
    """Indices by score descending, the earlier index first among equal scores (-0.0 == 0.0)."""
    return sorted(range(len(y)), key=lambda i: (-y[i], i))


def ranks_from(order):
    r = [0] * len(order)
    for position, index in enumerate(order):
        r[index] = position + 1
    return r


def rank_paper(y):
    return ranks_from(order_paper(y))


def rank_official(y):
    """1-based ranks, the later index first among equal scores."""
    return ranks_from(sorted(range(len(y)), key=lambda i: (-y[i], -i)))


def normalised(rk, n):
    return fl32(fl32(rk) / fl32(n))


def backward_paper(y, u, lam_):
    """grad_i = -(rk_i - rk'_i)/λ: the integer difference as Float64, negated, divided by λ."""
    perturbed = [y[i] + lam_ * u[i] for i in range(len(y))]
    rk, rk2 = rank_paper(y), rank_paper(perturbed)
    return [-float(rk[i] - rk2[i]) / lam_ for i in range(len(y))]


def backward_official(y, u, lam_):
    n = len(y)
    step = fl32(lam_)
    perturbed = [y[i] + fl32(step * fl32(u[i])) for i in range(n)]
    rho = [normalised(r, n) for r in rank_official(y)]
    rho2 = [normalised(r, n) for r in rank_official(perturbed)]
    denominator = fl32(lam_ + LAMBDA_EPSILON)
    return [fl32(-fl32(rho[i] - rho2[i]) / denominator) for i in range(n)]


def shifted(y, rel, alpha):
    """The margin: y_i - α/2 for positives, y_i + α/2 for negatives (h = α/2 once, then one addition)."""
    h = alpha / 2
    return [y[i] + (-h if rel[i] else h) for i in range(len(y))]


# ── The metric ops (SPEC: "recall_at_k, map_at_r, average_precision") ─────────────────────────────────────

def average_precision(y, rel):
    k, s = 0, 0.0
    for position, index in enumerate(order_paper(y)):
        if rel[index]:
            k += 1
            s += k / (position + 1)
    return None if k == 0 else s / k


def unit_vectors(e):
    """Each embedding divided elementwise by its norm sqrt(sum of squares in index order)."""
    units = []
    for i, x in enumerate(e):
        ss = 0.0
        for v in x:
            ss += v * v
        if not math.isfinite(ss):
            raise CaseError(f"embeddings[{i}] squared norm overflows")
        norm = math.sqrt(ss)
        if norm == 0:
            raise CaseError(f"embeddings[{i}] has zero norm")
        units.append([v / norm for v in x])
    return units


# The procedure SPEC.md chooses ("normalise"), and two it rejects, kept to show that `fuzz` tells them apart:
# <a,b> / (sqrt(<a,a>)·sqrt(<b,b>)) ("quotient") and <a,b> / sqrt(<a,a>·<b,b>) ("quotient-sqrt-product").
COSINE = "normalise"


def cosine(u, e, q, j):
    if COSINE == "normalise":
        s = 0.0
        for k in range(len(u[q])):
            s += u[q][k] * u[j][k]
        return s
    dot, aa, bb = 0.0, 0.0, 0.0
    for k in range(len(e[q])):
        dot += e[q][k] * e[j][k]
        aa += e[q][k] * e[q][k]
        bb += e[j][k] * e[j][k]
    if COSINE == "quotient":
        return dot / (math.sqrt(aa) * math.sqrt(bb))
    return dot / math.sqrt(aa * bb)


def neighbours(e):
    """For every query, the gallery (every other item) by cosine descending, the smaller index first among ties."""
    u = unit_vectors(e)
    out = []
    for q in range(len(u)):
        sims = {j: cosine(u, e, q, j) for j in range(len(u)) if j != q}
        out.append(sorted(sims, key=lambda j: (-sims[j], j)))
    return out


def retrieval_inputs(fields):
    e = matrix(fields["embeddings"], "embeddings")
    rectangular(e, "embeddings")
    labels = whole(fields["labels"], "labels")
    if len(labels) != len(e):
        raise CaseError("labels and embeddings differ in length")
    return e, labels


def recall_at_k(e, labels, ks):
    order = neighbours(e)
    queries = [q for q in range(len(e)) if labels.count(labels[q]) > 1]
    if not queries:
        return None
    first = [next(p + 1 for p, j in enumerate(order[q]) if labels[j] == labels[q]) for q in queries]
    return {str(k): sum(1 for f in first if f <= k) / len(queries) for k in sorted(set(ks))}


def map_at_r(e, labels):
    order = neighbours(e)
    total, counted = 0.0, 0
    for q in range(len(e)):
        r = labels.count(labels[q]) - 1
        if r == 0:
            continue
        hits, s = 0, 0.0
        for i, j in enumerate(order[q][:r]):
            if labels[j] == labels[q]:
                hits += 1
                s += hits / (i + 1)
        total += s / r
        counted += 1
    return None if counted == 0 else total / counted


# ── The paper losses (SPEC: "recall_loss", "ap_loss", "map_loss", "Float64 order") ─────────────────────────

def ap_list(y, rel, weight, lam_):
    """One shifted list with a positive: (Σ rk⁺/rk)/P and the gradient of -weight·AP (paper)."""
    order = order_paper(y)
    positives = sum(1 for r in rel if r)
    u = [0.0] * len(y)
    k, s = 0, 0.0
    for position, index in enumerate(order):
        if rel[index]:
            k += 1
            rk = float(position + 1)
            s += k / rk
            if weight is not None:
                u[index] = weight * k / (rk * rk * positives)
    grad = backward_paper(y, u, lam_) if weight is not None else None
    return s / positives, grad


def ap_loss(scores, rel, lam_, alpha):
    lists = [i for i in range(len(scores)) if any(rel[i])]
    grad = [[0.0] * len(row) for row in scores]
    if not lists:
        return 0.0, grad
    weight = 1 / len(lists)
    total = 0.0
    for i in lists:
        ap, g = ap_list(shifted(scores[i], rel[i], alpha), rel[i], weight, lam_)
        total += ap
        grad[i] = g
    return 1 - total / len(lists), grad


def ell(weighting, r):
    if weighting == "log":
        return math.log1p(r), 1 / (1 + r)
    if weighting == "loglog":
        return math.log1p(math.log1p(r)), 1 / ((1 + math.log1p(r)) * (1 + r))
    return r, 1.0


def recall_loss(scores, rel, lam_, alpha, weighting, mem):
    rows = []
    for q in range(len(scores)):
        y, r = list(scores[q]), list(rel[q])
        for s, m in mem:
            y += s[q]
            r += m[q]
        rows.append((shifted(y, r, alpha), r))
    valid = sum(1 for _, r in rows if any(r))
    grad = [[0.0] * len(row) for row in scores]
    if valid == 0:
        return 0.0, grad
    factor = 1 / valid
    total = 0.0
    for q, (y, r) in enumerate(rows):
        if not any(r):
            continue
        positives = sum(1 for x in r if x)
        u = [0.0] * len(y)
        row_sum, seen = 0.0, 0
        for position, index in enumerate(order_paper(y)):
            if r[index]:
                seen += 1
                value, slope = ell(weighting, float(position + 1 - seen))
                row_sum += value
                u[index] = factor * slope / positives
        total += row_sum / positives
        grad[q] = backward_paper(y, u, lam_)[:len(scores[q])]
    return total / valid, grad


def map_loss(scores, targets, lam_, alpha, beta, mem, ap_list=ap_list):
    b, c = len(scores), len(scores[0])
    grad = [[0.0] * c for _ in range(b)]
    loss = 0.0
    if beta < 1:
        rows = scores + [row for s, _ in mem for row in s]
        trows = targets + [row for _, t in mem for row in t]
        classes = [j for j in range(c) if any(t[j] for t in trows)]
        term = 0.0
        if classes:
            weight = (1 - beta) / len(classes)
            s = 0.0
            for j in classes:
                rel = [t[j] for t in trows]
                ap, g = ap_list(shifted([row[j] for row in rows], rel, alpha), rel, weight, lam_)
                s += ap
                for i in range(b):
                    grad[i][j] += g[i]
            term = 1 - s / len(classes)
        loss += (1 - beta) * term
    if beta > 0:
        flat = [x for row in scores for x in row]
        rel = [x for row in targets for x in row]
        term = 0.0
        if any(rel):
            ap, g = ap_list(shifted(flat, rel, alpha), rel, beta, lam_)
            term = 1 - ap
            for i in range(len(flat)):
                grad[i // c][i % c] += g[i]
        loss += beta * term
    return loss, grad


# ── The official losses (SPEC: "official" in recall_loss, ap_loss, map_loss) ────────────────────────────────

def official_ranks_and_positives(y, rel):
    """Official ranks, and each positive's rank among the positives in that order (0 for a negative)."""
    rk = rank_official(y)
    order = [0] * len(y)
    for i, r in enumerate(rk):
        order[r - 1] = i
    within, count = [0] * len(y), 0
    for index in order:
        if rel[index]:
            count += 1
            within[index] = count
    return rk, within


def official_ap_list(y, rel, weight, lam_):
    """One shifted list with a positive (mAP.py): Σ fl32(ρ⁺/ρ) / (P + 1e-5), and the gradient of -weight·that."""
    n = len(y)
    rk, within = official_ranks_and_positives(y, rel)
    ratios, s = [0.0] * n, 0.0
    for i in range(n):
        if rel[i]:
            ratios[i] = fl32(normalised(within[i], n) / normalised(rk[i], n))
            s += ratios[i]
    denominator = max(within) + 1e-5
    d = fl32(-weight / denominator)
    u = [fl32(-d * fl32(ratios[i] / normalised(rk[i], n))) if rel[i] else 0.0 for i in range(n)]
    return s / denominator, backward_official(y, u, lam_)


def official_ap_loss(scores, rel, lam_, alpha):
    lists = [i for i in range(len(scores)) if any(rel[i])]
    grad = [[0.0] * len(row) for row in scores]
    if not lists:
        return None, grad
    weight = 1 / len(lists)
    total = 0.0
    for i in lists:
        ap, grad[i] = official_ap_list(shifted(scores[i], rel[i], alpha), rel[i], weight, lam_)
        total += ap
    return 1 - total / len(lists), grad


def official_recall_loss(scores, rel, lam_, alpha, weighting, mem):
    rows = [(s, r) for s, r in zip(scores, rel)] + [(s, r) for ms, mr in mem for s, r in zip(ms, mr)]
    count = len(rows)
    positives = sum(1 for _, r in rows for x in r if x)
    grad = [[0.0] * len(row) for row in scores]
    if positives == 0:
        # 0/0: the NaN upstream perturbs every score to NaN, which torch's sort ranks as one tie.
        for q in range(len(scores)):
            y = shifted(scores[q], rel[q], alpha)
            n = len(y)
            rho = [normalised(r, n) for r in rank_official(y)]
            denominator = fl32(lam_ + LAMBDA_EPSILON)
            grad[q] = [fl32(-fl32(rho[i] - normalised(n - i, n)) / denominator) for i in range(n)]
        return None, grad
    factor = count / positives
    total = 0.0
    for q, (y, r) in enumerate(rows):
        if not any(r):
            continue
        y = shifted(y, r, alpha)
        n = len(y)
        rk, within = official_ranks_and_positives(y, r)
        u, row_sum = [0.0] * n, 0.0
        for i in range(n):
            if r[i]:
                value, slope = ell(weighting, fl32(normalised(rk[i], n) - normalised(within[i], n)) * count)
                row_sum += value
                u[i] = factor * slope
        total += row_sum
        if q < len(scores):
            grad[q] = backward_official(y, u, lam_)
    return total / positives, grad


def official_map_loss(scores, targets, lam_, alpha, beta, mem):
    loss, grad = map_loss(scores, targets, lam_, alpha, beta, mem, ap_list=official_ap_list)
    return (loss if any(x for row in targets for x in row) else None), grad


# ── One case ────────────────────────────────────────────────────────────────────────────────────────────────

def outputs(op, convention, f):
    if op == "rank":
        y = vector(f["scores"], "scores")
        if convention == "paper":
            return {"ranks": rank_paper(y)}
        return {"ranks": [normalised(r, len(y)) for r in rank_official(y)]}
    if op == "rank_backward":
        y, u, l = vector(f["scores"], "scores"), vector(f["upstream"], "upstream"), lam(f)
        if len(u) != len(y):
            raise CaseError("upstream and scores differ in length")
        return {"grad": (backward_paper if convention == "paper" else backward_official)(y, u, l)}
    if op == "average_precision":
        y, r = vector(f["scores"], "scores"), binary(f["relevance"], "relevance")
        if len(r) != len(y):
            raise CaseError("relevance and scores differ in length")
        return {"ap": average_precision(y, r)}
    if op in ("recall_at_k", "map_at_r"):
        e, labels = retrieval_inputs(f)
        if op == "map_at_r":
            return {"map_at_r": map_at_r(e, labels)}
        return {"recall_at_k": recall_at_k(e, labels, whole(f["k"], "k", positive=True))}
    if op == "ap_loss":
        s, r = matrix(f["scores"], "scores"), binary_matrix(f["relevance"], "relevance")
        same_shape(s, r, "relevance")
        if convention == "official":
            rectangular(s, "scores")
        loss, grad = (ap_loss if convention == "paper" else official_ap_loss)(s, r, lam(f), margin_of(f))
        return {"loss": loss, "grad": grad}
    if op == "recall_loss":
        s, r = matrix(f["scores"], "scores"), binary_matrix(f["relevance"], "relevance")
        same_shape(s, r, "relevance")
        weighting = f["weighting"]
        if weighting not in ("log", "loglog", "identity"):
            raise CaseError("unknown weighting")
        mem = memory(f["memory"], "relevance")
        if convention == "paper":
            if any(len(ms) != len(s) for ms, _ in mem):
                raise CaseError("a memory batch must have one row per current row")
            loss, grad = recall_loss(s, r, lam(f), margin_of(f), weighting, mem)
        else:
            rectangular(s, "scores")
            for k, (ms, _) in enumerate(mem):
                rectangular(ms, f"memory[{k}].scores", len(s[0]))
            loss, grad = official_recall_loss(s, r, lam(f), margin_of(f), weighting, mem)
        return {"loss": loss, "grad": grad}
    if op == "map_loss":
        s, t = matrix(f["scores"], "scores"), binary_matrix(f["targets"], "targets")
        rectangular(s, "scores")
        same_shape(s, t, "targets")
        mem = memory(f["memory"], "targets")
        for k, (ms, _) in enumerate(mem):
            rectangular(ms, f"memory[{k}].scores", len(s[0]))
        beta = number(f["interclass"], "interclass")
        if not 0 <= beta <= 1:
            raise CaseError("interclass must be in [0, 1]")
        loss, grad = (map_loss if convention == "paper" else official_map_loss)(s, t, lam(f), margin_of(f), beta, mem)
        return {"loss": loss, "grad": grad}
    raise CaseError(f"unknown op {op}")


def finite(v):
    if isinstance(v, float):
        return math.isfinite(v)
    if isinstance(v, list):
        return all(finite(x) for x in v)
    if isinstance(v, dict):
        return all(finite(x) for x in v.values())
    return True


def answer(case):
    """{"id", outputs...} or {"id", "error"}; the id must be a string or a finite number."""
    cid = case.get("id") if isinstance(case, dict) else None
    try:
        if not isinstance(case, dict):
            raise CaseError("a case must be an object")
        if "id" not in case:
            raise CaseError('missing field "id"')
        if isinstance(cid, float) and not math.isfinite(cid):
            cid = None
            raise CaseError("the id is not finite")
        if not (isinstance(cid, str) or is_number(cid)):
            raise CaseError("the id must be a string or a number")
        op, convention = case.get("op"), case.get("convention", "paper")
        if op not in INPUTS:
            raise CaseError("unknown op")
        if convention not in ("paper", "official"):
            raise CaseError("unknown convention")
        required, optional = INPUTS[op]
        fields = dict(optional)
        for key, value in case.items():
            if key in META:
                continue
            if key not in required and key not in optional:
                raise CaseError(f"unknown field {key}")
            fields[key] = value
        for key in required:
            if key not in fields:
                raise CaseError(f"missing field {key}")
        result = outputs(op, convention, fields)
        if not finite(result):
            raise CaseError("an output is not finite")
        result["id"] = cid
        return result
    except CaseError as error:
        return {"id": cid, "error": str(error)}


def reject_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key")
    return dict(pairs)


# ── fuzz: random cases, near-ties included, against `rambo-reference eval` ──────────────────────────────────

def draw_scores(rng, n):
    style = rng.randrange(5)
    if style == 0:
        return [float(rng.randint(0, 3)) for _ in range(n)]                 # many exact ties
    if style == 1:
        return [rng.randint(-1024, 1024) / 256 for _ in range(n)]           # dyadic
    if style == 2:
        base = rng.uniform(-1, 1)
        return [base + rng.randint(-2, 2) * math.ulp(base) for _ in range(n)]  # one ulp apart
    if style == 3:
        return [rng.choice([0.0, -0.0, 1.0, -1.0]) for _ in range(n)]      # signed zeros
    return [rng.uniform(-4, 4) for _ in range(n)]


def draw_embeddings(rng, n, d):
    style = rng.randrange(4)
    if style == 0:                                                          # small integers: parallel, tied
        e = [[float(rng.randint(-3, 3)) for _ in range(d)] for _ in range(n)]
    elif style == 1:                                                        # integer multiples of a few bases
        bases = [[float(rng.randint(-3, 3)) for _ in range(d)] for _ in range(rng.randint(1, 3))]
        e = [[rng.randint(1, 7) * x for x in rng.choice(bases)] for _ in range(n)]
    elif style == 2:                                                        # scaled by powers of ten
        bases = [[rng.uniform(-1, 1) for _ in range(d)] for _ in range(2)]
        e = [[x * rng.choice([1, 3, 0.1, 10, 7]) for x in rng.choice(bases)] for _ in range(n)]
    else:
        e = [[rng.uniform(-1, 1) for _ in range(d)] for _ in range(n)]
    e = [x if any(x) else [1.0] + x[1:] for x in e]                         # zero norm only on purpose:
    if rng.randrange(50) == 0:
        e[rng.randrange(n)] = [0.0] * d                                     # zero norm: an error
    return e


def draw_case(rng, index):
    op = rng.choice(LOCAL_OPS + METRICS * 3)                              # the metrics four times as often
    convention = rng.choice(["paper", "official"])
    case = {"id": f"fuzz/{index}", "op": op, "convention": convention}
    n = rng.randint(1, 14)
    if op == "rank":
        case["scores"] = draw_scores(rng, n)
    elif op == "rank_backward":
        case["scores"] = draw_scores(rng, n)
        case["upstream"] = [rng.choice([0.0, 1.0, -1.0, rng.uniform(-2, 2), rng.randint(-32, 32) / 16])
                            for _ in range(n)]
        case["lambda"] = rng.choice([0.25, 1.0, 3.0, 1e-3, 2 ** -20, 2 ** 20, rng.uniform(0.01, 10)])
    elif op == "average_precision":
        case["scores"] = draw_scores(rng, n)
        case["relevance"] = [rng.randint(0, 1) for _ in range(n)]
    elif op in ("recall_at_k", "map_at_r"):
        n, d = rng.randint(2, 12), rng.randint(1, 4)
        case["embeddings"] = draw_embeddings(rng, n, d)
        case["labels"] = [rng.randint(0, rng.randint(1, 4)) for _ in range(n)]
        if op == "recall_at_k":
            case["k"] = [rng.randint(1, n + 1) for _ in range(rng.randint(1, 3))]
    else:
        rows, columns = rng.randint(1, 4), rng.randint(1, 8)
        key = "targets" if op == "map_loss" else "relevance"
        case["scores"] = [draw_scores(rng, columns) for _ in range(rows)]
        case[key] = [[rng.randint(0, 1) for _ in range(columns)] for _ in range(rows)]
        case["lambda"] = rng.choice([0.5, 1.0, 4.0, 1e-3, rng.uniform(0.01, 10)])
        case["margin"] = rng.choice([0, 0, 0.125, 0.5, rng.uniform(0, 1)])
        if op == "recall_loss":
            case["weighting"] = rng.choice(["log", "loglog", "identity"])
        if op == "map_loss":
            case["interclass"] = rng.choice([0, 1 / 3, 1, rng.random()])
        if op in ("recall_loss", "map_loss") and rng.randrange(2):
            batches = []
            for _ in range(rng.randint(1, 3)):
                extra = rng.randint(1, 4)
                if op == "recall_loss" and convention == "paper":
                    s = [draw_scores(rng, extra) for _ in range(rows)]
                    t = [[rng.randint(0, 1) for _ in range(extra)] for _ in range(rows)]
                else:
                    s = [draw_scores(rng, columns) for _ in range(extra)]
                    t = [[rng.randint(0, 1) for _ in range(columns)] for _ in range(extra)]
                batches.append({"scores": s, key: t})
            case["memory"] = batches
    return case


def same_bits(a, b):
    """Equal JSON values, floats compared by their bits (so -0.0 differs from 0.0); ints as exact integers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if is_number(a) and is_number(b):
        if isinstance(a, int) and isinstance(b, int):
            return a == b
        return struct.pack("<d", float(a)) == struct.pack("<d", float(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_bits(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_bits(a[k], b[k]) for k in a)
    return a == b


def fuzz(tool, count, seed):
    rng = random.Random(seed)
    cases = [draw_case(rng, i) for i in range(count)]
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "cases.json")
        with open(path, "w") as f:
            json.dump({"cases": cases}, f)
        run = subprocess.run([tool, "eval", path], capture_output=True, text=True)
    if run.returncode not in (0, 1):
        raise SystemExit(f"port.py: {tool} eval exited {run.returncode}: {run.stderr.strip()}")
    theirs = json.loads(run.stdout, object_pairs_hook=reject_duplicates)["results"]
    table, mismatches = {}, []
    for case, reference in zip(cases, theirs):
        mine = answer(case)
        row = table.setdefault((case["op"], case["convention"]), [0, 0, 0])
        if ("error" in mine) != ("error" in reference):
            agree = False
        elif "error" in mine:
            agree = True
            row[2] += 1
        else:
            agree = same_bits({k: v for k, v in mine.items() if k != "id"},
                              {k: v for k, v in reference.items() if k != "id"})
        row[0 if agree else 1] += 1
        if not agree:
            mismatches.append({"case": case, "port": mine, "reference": reference})
    return table, mismatches


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    e = sub.add_parser("eval", help="answer a cases file")
    e.add_argument("cases")
    z = sub.add_parser("fuzz", help="random cases against rambo-reference eval, bit for bit")
    z.add_argument("--tool", required=True, help="the rambo-reference binary")
    z.add_argument("--count", type=int, default=10_000)
    z.add_argument("--seed", type=int, default=None, help="default: a fresh one, printed")
    z.add_argument("--json", action="store_true", help="the table and mismatches as JSON")
    z.add_argument("--cosine", choices=["normalise", "quotient", "quotient-sqrt-product"], default="normalise",
                   help="the cosine procedure of this port (SPEC.md: normalise; the others to see them caught)")
    args = parser.parse_args(argv)
    global COSINE
    COSINE = getattr(args, "cosine", COSINE)
    if args.command == "eval":
        with open(args.cases, "rb") as f:
            cases = json.loads(f.read().decode("utf-8"), object_pairs_hook=reject_duplicates)["cases"]
        results = [answer(case) for case in cases]
        json.dump({"results": results}, sys.stdout)
        print()
        return 1 if any("error" in r for r in results) else 0
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2 ** 32)
    table, mismatches = fuzz(args.tool, args.count, seed)
    agreed = sum(r[0] for r in table.values())
    if args.json:
        json.dump({"seed": seed, "count": args.count, "agreed": agreed, "mismatches": mismatches[:20],
                   "table": [{"op": o, "convention": c, "agreed": r[0], "differed": r[1], "errors": r[2]}
                             for (o, c), r in sorted(table.items())]}, sys.stdout)
        print()
    else:
        print(f"seed {seed}: {args.count} random cases")
        print(f"{'op':<18} {'convention':<10} {'agreed':>7} {'differed':>8} {'(errors)':>8}")
        for (o, c), r in sorted(table.items()):
            print(f"{o:<18} {c:<10} {r[0]:>7} {r[1]:>8} {r[2]:>8}")
        for m in mismatches[:5]:
            print("DIFFER", json.dumps(m))
        print(f"{agreed} passed, {len(mismatches)} failed")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
