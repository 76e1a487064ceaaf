"""The authors' ranking losses answering reference cases: the oracle of the `official` convention.

The three files of martius-lab/blackbox-backprop (ranking.py, recall.py, mAP.py) are run as shipped. This module
only gives them an import path and drives them the way a training loop would:

- the folder is made importable as the package `blackbox_backprop` (a symlink in a temporary folder, no copy);
- MapLoss's margin noise is switched off, |xi| = 1, by replacing `torch.randn_like` with `torch.ones_like` while
  MapLoss runs (a monkeypatch at run time; the file is not edited);
- MapLoss needs batch_memory >= 1: memory 0 is a fresh MapLoss(batch_memory=1); memory of k batches is
  batch_memory = k, filled by calling the module on the stored batches, oldest first;
- BatchMemoryRecallLoss(batch_memory = k) is filled the same way (k = 0 is the plain RecallLoss);
- inputs are float64 tensors (relevance and targets as float64 0/1), answers are read back as Python floats;
  NaN (what the authors' code gives without any positive) is written as null.

answer(case) returns {"id", outputs...} or {"id", "error"} for any exception, like a port's driver.
"""
import contextlib
import math
import os
import sys
import tempfile

import torch

AUTHORS_COMMIT = "0152a6df8c819580d800b052ef17f39bdb82eb98"
DEFAULT_AUTHORS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "peers", "blackbox-backprop")

_modules = None


def authors_folder():
    """The folder holding ranking.py, recall.py and mAP.py (RAMBO_AUTHORS_CODE, else ../shared/peers/...)."""
    folder = os.environ.get("RAMBO_AUTHORS_CODE")
    if not folder:
        folder = DEFAULT_AUTHORS
        if not os.path.isdir(folder):
            folder = "/work/shared/peers/blackbox-backprop"
    folder = os.path.abspath(folder)
    for name in ("ranking.py", "recall.py", "mAP.py"):
        if not os.path.isfile(os.path.join(folder, name)):
            sys.exit(f"oracle: {folder} has no {name}; set RAMBO_AUTHORS_CODE to the authors' folder")
    return folder


def load():
    """Imports blackbox_backprop.ranking, .recall and .mAP from the authors' folder (once)."""
    global _modules
    if _modules is None:
        folder = authors_folder()
        root = tempfile.mkdtemp(prefix="rambo-oracle-")
        os.symlink(folder, os.path.join(root, "blackbox_backprop"))
        sys.path.insert(0, root)
        import importlib
        _modules = {name: importlib.import_module("blackbox_backprop." + name) for name in ("ranking", "recall", "mAP")}
        _modules["folder"] = folder
    return _modules


@contextlib.contextmanager
def noise_off():
    """|xi| = 1: MapLoss's torch.randn_like becomes torch.ones_like while the block runs."""
    original = torch.randn_like
    torch.randn_like = torch.ones_like
    try:
        yield
    finally:
        torch.randn_like = original


def f64(values, grad=False):
    return torch.tensor(values, dtype=torch.float64, requires_grad=grad)


def number(x):
    x = float(x.detach()) if isinstance(x, torch.Tensor) else float(x)
    return None if math.isnan(x) else x


def numbers(t):
    def walk(v):
        return [walk(e) for e in v] if isinstance(v, list) else number(v)
    return walk(t.tolist())


WEIGHTINGS = {
    "log": torch.log1p,
    "loglog": lambda x: torch.log1p(torch.log1p(x)),
    "identity": lambda x: x,
}


def outputs(case):
    m = load()
    op = case["op"]
    if case.get("convention", "paper") != "official":
        raise ValueError("the authors' code answers only the official convention")
    if op == "rank":
        return {"ranks": numbers(m["ranking"].rank_normalised(f64([case["scores"]]))[0])}
    if op == "rank_backward":
        y = f64([case["scores"]], grad=True)
        ranks = m["ranking"].TrueRanker.apply(y, case["lambda"])
        ranks.backward(f64([case["upstream"]]).to(ranks.dtype))
        return {"grad": numbers(y.grad[0])}
    if op == "recall_loss":
        weighting = case.get("weighting", "log")
        if weighting not in WEIGHTINGS:
            raise ValueError(f"unknown weighting {weighting}")
        memory = case.get("memory", [])
        loss = m["recall"].BatchMemoryRecallLoss(
            batch_memory=len(memory), lambda_val=case["lambda"], margin=case.get("margin", 0),
            weight_fn=WEIGHTINGS[weighting])
        for batch in memory:
            loss(f64(batch["scores"]), f64(batch["relevance"]))
        y = f64(case["scores"], grad=True)
        value = loss(y, f64(case["relevance"]))
        value.backward()
        return {"loss": number(value), "grad": numbers(y.grad)}
    if op == "ap_loss":
        # Lists are the classes of MapLoss: scores [L][n] enter transposed as a batch of n images x L classes.
        loss = m["mAP"].MapLoss(lambda_val=case["lambda"], margin=case.get("margin", 0), interclass_coef=0,
                                batch_memory=1)
        y = f64(case["scores"], grad=True)
        with noise_off():
            value = loss(y.t(), f64(case["relevance"]).t())
        value.backward()
        return {"loss": number(value), "grad": numbers(y.grad)}
    if op == "map_loss":
        memory = case.get("memory", [])
        loss = m["mAP"].MapLoss(lambda_val=case["lambda"], margin=case.get("margin", 0),
                                interclass_coef=case.get("interclass", 0), batch_memory=max(1, len(memory)))
        y = f64(case["scores"], grad=True)
        with noise_off():
            for batch in memory:
                loss(f64(batch["scores"]), f64(batch["targets"]))
            value = loss(y, f64(case["targets"]))
        value.backward()
        return {"loss": number(value), "grad": numbers(y.grad)}
    raise ValueError(f"the authors' code has no op {op!r}")


def answer(case):
    """{"id", outputs} or {"id", "error"}: every exception is one case's error, never the whole run's."""
    ident = case.get("id") if isinstance(case, dict) else None
    try:
        result = outputs(case)
    except Exception as error:  # noqa: BLE001 - any failure of one case is reported for that case
        return {"id": ident, "error": f"{type(error).__name__}: {error}"}
    return {"id": ident, **result}


def provenance():
    import hashlib
    import platform
    import numpy
    folder = load()["folder"]
    digests = {}
    for name in ("ranking.py", "recall.py", "mAP.py"):
        with open(os.path.join(folder, name), "rb") as f:
            digests[name] = hashlib.sha256(f.read()).hexdigest()
    return {
        "authors_code": "martius-lab/blackbox-backprop",
        "commit": AUTHORS_COMMIT,
        "files_sha256": digests,
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
    }
