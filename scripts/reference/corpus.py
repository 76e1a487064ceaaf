#!/usr/bin/env python3
"""Holds Data/reference/check.py against `rambo-reference verify` on a corpus of good and bad results files.

    python3 scripts/reference/corpus.py --tool .build/release/rambo-reference [--vectors Data/reference] [--json]

Builds the corpus in a temporary folder from `rambo-reference eval`'s own answers to the vectors: the exact
answers; numbers moved just inside, onto and just past each tolerance; missing, extra, unnamed and repeated ids;
wrong shapes and types; NaN, Infinity, null and "NaN" where numbers or nulls are expected; errors where answers
are expected and answers where errors are; broken files (not JSON, duplicate keys, a lone surrogate, invalid
UTF-8, a byte-order mark, nesting deeper than 64 levels); selections (--op, --convention, the metric ops under
either convention, unknown names, an empty selection) and broken vector folders. Runs both checkers with --json on
every entry and compares the exit code, the passed and failed counts and the ids of the failed tests.
Prints one line per entry and "N passed, M failed" (an entry passes when both checkers agree); exit 1 on any
disagreement. Python's standard library only.
"""

import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CHECK = os.path.join(REPO, "Data", "reference", "check.py")


def run(command):
    done = subprocess.run(command, capture_output=True, text=True)
    verdict = {"exit": done.returncode}
    if done.returncode in (0, 1):
        try:
            report = json.loads(done.stdout)
            verdict.update(passed=report["passed"], failed=report["failed"],
                           failures=sorted(f["id"] for f in report["failures"]),
                           table=sorted((r["op"], r["convention"], r["passed"], r["failed"])
                                        for r in report["table"]))
        except (ValueError, KeyError) as error:
            verdict["unreadable"] = f"{error}: {done.stdout[:200]} {done.stderr[:200]}"
    return verdict


def first(results, predicate):
    return next(i for i, r in enumerate(results) if predicate(r))


def nudge(results, tests, test_id, path, fraction):
    """A copy of the results with the number at `path` of test `test_id` moved by fraction · its tolerance."""
    test = tests[test_id]
    out = copy.deepcopy(results)
    answer = out[first(out, lambda r: r.get("id") == test_id)]
    holder, key = answer, path[0]
    expected = test["expected"]
    for step in path[1:]:
        holder, key, expected = holder[key], step, expected[key]
    e = expected[key]
    allowed = test["atol"] + test["rtol"] * abs(e)
    holder[key] = e + fraction * allowed if allowed > 0 else e + fraction
    return out


def build(tool, vectors, folder):
    cases = subprocess.run([tool, "cases", "--vectors", vectors], capture_output=True, text=True, check=True)
    cases_path = os.path.join(folder, "cases.json")
    with open(cases_path, "w") as f:
        f.write(cases.stdout)
    answered = subprocess.run([tool, "eval", cases_path], capture_output=True, text=True)
    exact = json.loads(answered.stdout)["results"]
    tests = {}
    for name in sorted(os.listdir(vectors)):
        if name.endswith(".json"):
            with open(os.path.join(vectors, name)) as f:
                for group in json.load(f)["test_groups"]:
                    for t in group["tests"]:
                        tests[t["id"]] = t
    corpus = []  # (name, results text or value, extra arguments, vectors folder)

    def add(name, results, extra=(), folder_=vectors):
        corpus.append((name, results, list(extra), folder_))

    add("exact answers", exact)
    for selection in (["--op", "ap_loss"], ["--convention", "official"], ["--convention", "paper"],
                      ["--op", "recall_at_k", "--convention", "official"],
                      ["--op", "average_precision", "--convention", "paper"], ["--op", "rank", "--convention", "official"]):
        add("exact answers, " + " ".join(selection), exact, selection)
    # Tolerances: just inside, on, and just past, for one number of each kind.
    spots = [("ap_loss/paper/001", ["loss"]), ("ap_loss/paper/001", ["grad", 0, 0]),
             ("ap_loss/official/001", ["loss"]), ("recall_loss/official/003", ["grad", 0, 1]),
             ("rank/official/001", ["ranks", 0]), ("rank/paper/001", ["ranks", 1]),
             ("recall_at_k/paper/001", ["recall_at_k", "1"]), ("map_at_r/paper/001", ["map_at_r"]),
             ("average_precision/paper/001", ["ap"]), ("map_loss/paper/002", ["grad", 1, 0])]
    for test_id, path in spots:
        for fraction in (0.5, 0.999, 1.0, 1.001, 2.0, -1.001, -0.999):
            add(f"{test_id} {path} moved by {fraction} of its tolerance", nudge(exact, tests, test_id, path, fraction))
    # Ids.
    add("one answer missing", [r for r in exact if r["id"] != "map_at_r/paper/004"])
    add("every official answer missing", [r for r in exact if "/official/" not in r["id"]])
    add("an extra unknown id", exact + [{"id": "nobody/paper/999", "ap": 1.0}])
    add("an answer repeated", exact + [copy.deepcopy(exact[3])])
    add("an answer repeated, the copy wrong", exact + [dict(exact[3], ranks=[0])])
    add("integer and null ids", exact + [{"id": 7, "ap": 1.0}, {"id": None}, {"ranks": [1]}])
    add("ids as numbers instead of strings", [dict(r, id=i) for i, r in enumerate(exact)])
    # Shapes and types.
    i_grad = first(exact, lambda r: r["id"] == "ap_loss/paper/005")
    shapes = {
        "a grad row one entry short": lambda r: r.update(grad=[r["grad"][0][:-1]] + r["grad"][1:]),
        "a grad matrix flattened": lambda r: r.update(grad=[x for row in r["grad"] for x in row]),
        "a grad that is a number": lambda r: r.update(grad=0.5),
        "a loss that is a string": lambda r: r.update(loss="0.5"),
        "a loss that is true": lambda r: r.update(loss=True),
        "no loss": lambda r: r.pop("loss"),
        "an extra output field": lambda r: r.update(extra=[1, 2]),
        "the answer is a list": None,
    }
    for name, change in shapes.items():
        out = copy.deepcopy(exact)
        if change is None:
            out[i_grad] = [out[i_grad]]
        else:
            change(out[i_grad])
        add(name, out)
    i_rank = first(exact, lambda r: r["id"] == "rank/paper/002")
    add("ranks written as floats", [dict(r, ranks=[float(x) for x in r["ranks"]]) if j == i_rank else r
                                    for j, r in enumerate(exact)])
    add("ranks 1-based off by one (later index first)", [dict(r, ranks=[3, 1, 4, 2, 6]) if j == i_rank else r
                                                         for j, r in enumerate(exact)])
    i_recall = first(exact, lambda r: r["id"] == "recall_at_k/paper/001")
    add("recall_at_k missing the key 8", [dict(r, recall_at_k={k: v for k, v in r["recall_at_k"].items() if k != "8"})
                                          if j == i_recall else r for j, r in enumerate(exact)])
    add("recall_at_k with an extra key", [dict(r, recall_at_k=dict(r["recall_at_k"], **{"3": 0.0}))
                                          if j == i_recall else r for j, r in enumerate(exact)])
    add("recall_at_k as a list", [dict(r, recall_at_k=list(r["recall_at_k"].values()))
                                  if j == i_recall else r for j, r in enumerate(exact)])
    add("negative zero for every zero", [json.loads(json.dumps(r).replace(" 0.0", " -0.0")) for r in exact])
    # NaN, Infinity, null.
    i_null = first(exact, lambda r: r.get("loss", 0) is None)
    i_loss = first(exact, lambda r: isinstance(r.get("loss"), float))
    for name, index, value in [("NaN where null is expected", i_null, float("nan")),
                               ('"NaN" where null is expected', i_null, "NaN"),
                               ("0 where null is expected", i_null, 0.0),
                               ("NaN where a number is expected", i_loss, float("nan")),
                               ("Infinity where a number is expected", i_loss, float("inf")),
                               ("null where a number is expected", i_loss, None),
                               ('"NaN" where a number is expected', i_loss, "NaN")]:
        out = copy.deepcopy(exact)
        out[index]["loss"] = value
        add(name, out)
    i_metric_null = first(exact, lambda r: r.get("map_at_r", 0) is None)
    add("a number where the metric is null", [dict(r, map_at_r=0.0) if j == i_metric_null else r
                                              for j, r in enumerate(exact)])
    # Errors.
    i_invalid = first(exact, lambda r: "error" in r)
    add("an answer where an error is expected", [({"id": r["id"], "ranks": [1, 2, 3]} if j == i_invalid else r)
                                                 for j, r in enumerate(exact)])
    add("an error where an answer is expected", [({"id": r["id"], "error": "no"} if j == i_loss else r)
                                                 for j, r in enumerate(exact)])
    add("an error that is not a string", [({"id": r["id"], "error": None} if j == i_invalid else r)
                                          for j, r in enumerate(exact)])
    add("every case answered with an error", [{"id": r["id"], "error": "x"} for r in exact])
    # Broken results files (text).
    good = json.dumps({"results": exact})
    for name, text in [("not JSON", "results: none"), ("an empty file", ""),
                       ("a top-level list", json.dumps(exact)), ("no results field", '{"answers": []}'),
                       ("results is an object", '{"results": {}}'),
                       ("a duplicate key", good[:-1] + ', "results": []}'),
                       ("a duplicate key inside an answer", '{"results": [{"id": "rank/paper/001", "id": "x"}]}'),
                       ("a lone surrogate", '{"results": [{"id": "\\ud800", "ap": 1}]}'),
                       ("a surrogate pair", '{"results": [{"id": "\\ud83d\\ude00", "ap": 1}]}'),
                       ("trailing text", good + " x"), ("a byte-order mark", "\ufeff" + good),
                       ("nesting of 64 levels", '{"results": [{"id": "z", "x": ' + "[" * 61 + "]" * 61 + "}]}"),
                       ("nesting of 65 levels", '{"results": [{"id": "z", "x": ' + "[" * 62 + "]" * 62 + "}]}"),
                       ("a leading zero", '{"results": [{"id": "z", "x": 01}]}'),
                       ("NaN and -Infinity as numbers", '{"results": [{"id": "z", "x": [NaN, -Infinity]}]}'),
                       ("1e400", '{"results": [{"id": "ap_loss/paper/001", "loss": 1e400}]}'),
                       ("a raw control character", '{"results": [{"id": "a\tb"}]}')]:
        add(name, text)
    add("invalid UTF-8", b'{"results": [{"id": "\xff"}]}')
    # Selections.
    add("an unknown op", exact, ["--op", "sort"])
    add("an unknown convention", exact, ["--convention", "torch"])
    add("metric op, official convention, one answer wrong",
        nudge(exact, tests, "map_at_r/paper/001", ["map_at_r"], 2.0), ["--op", "map_at_r", "--convention", "official"])
    only = os.path.join(folder, "rank-only")
    os.makedirs(only)
    shutil.copy(os.path.join(vectors, "rank.json"), only)
    add("an empty selection", exact, ["--op", "ap_loss"], only)
    add("a folder with one op", exact, [], only)
    # Broken vector folders.
    with open(os.path.join(vectors, "rank.json")) as f:
        rank = json.load(f)
    for name, change in [("a duplicate test id", lambda v: v["test_groups"][0]["tests"].append(
                              copy.deepcopy(v["test_groups"][0]["tests"][0]))),
                         ("schema_version 2", lambda v: v.update(schema_version=2)),
                         ("an expected NaN", lambda v: v["test_groups"][0]["tests"][0]["expected"].update(
                             ranks=[float("nan")])),
                         ("an expected answer without ranks", lambda v: v["test_groups"][0]["tests"][0].update(
                             expected={})),
                         ("a negative rtol", lambda v: v["test_groups"][0]["tests"][0].update(rtol=-1)),
                         ("an unknown op", lambda v: v["test_groups"][0].update(op="sort"))]:
        broken = os.path.join(folder, "vectors-" + name.replace(" ", "-"))
        os.makedirs(broken)
        v = copy.deepcopy(rank)
        change(v)
        with open(os.path.join(broken, "rank.json"), "w") as f:
            json.dump(v, f)
        add("vectors: " + name, exact, [], broken)
    add("vectors: a missing folder", exact, [], os.path.join(folder, "nowhere"))
    add("results: a missing file", None)
    return corpus


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tool", required=True)
    parser.add_argument("--vectors", default=os.path.join(REPO, "Data", "reference"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for k, (name, results, extra, vectors) in enumerate(build(args.tool, args.vectors, folder)):
            path = os.path.join(folder, f"results-{k}.json")
            if results is not None:
                data = (results if isinstance(results, bytes) else
                        (results if isinstance(results, str) else json.dumps({"results": results})).encode())
                with open(path, "wb") as f:
                    f.write(data)
            common = ["--vectors", vectors, "--results", path, "--json"] + extra
            swift = run([args.tool, "verify"] + common)
            python = run([sys.executable, CHECK] + common)
            rows.append({"entry": name, "verify": swift, "check": python, "agree": swift == python})
    agreed = sum(r["agree"] for r in rows)
    if args.json:
        json.dump({"entries": len(rows), "agreed": agreed, "rows": rows}, sys.stdout, indent=1)
        print()
    else:
        for r in rows:
            v, c = r["verify"], r["check"]
            summary = f"exit {v['exit']}" + (f", {v.get('failed')} failed" if v["exit"] in (0, 1) else "")
            print(f"{'agree' if r['agree'] else 'DIFFER'}  {r['entry']}: {summary}"
                  + ("" if r["agree"] else f"\n    verify {v}\n    check  {c}"))
        print(f"{agreed} passed, {len(rows) - agreed} failed")
    return 0 if agreed == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
