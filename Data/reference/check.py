#!/usr/bin/env python3
"""Checks a port's results against the vectors beside this file, without Swift (Python's standard library only).

    python3 check.py --vectors DIR --results FILE [--op OP] [--convention paper|official] [--json]

The same verdicts as `rambo-reference verify` (SPEC.md, "Tolerances and flags", "NaN and null", "Invalid inputs
and limits"): every test of the selection must have exactly one answer with its (string) id; a valid test passes
when every expected number e is matched by a finite number a with |a - e| <= atol + rtol*|e|, shapes agree,
expected null is answered by null, NaN or "NaN", and no "error" is given; an invalid test passes when the answer
has an "error". The metric ops (recall_at_k, map_at_r, average_precision) have one definition: either
--convention selects them. Files must be strict JSON (NaN and Infinity allowed; duplicate keys, invalid UTF-8,
lone surrogates and nesting deeper than 64 levels are refused).

Prints one line per failing test, notes, a table per op and convention, then "N passed, M failed" (--json: one
object {"passed", "failed", "table", "failures", "notes"}). Exit: 0 all passed; 1 some failed; 2 a bad folder or
file, or an empty selection.
"""

import argparse
import json
import math
import os
import sys

OPS = ["rank", "rank_backward", "recall_loss", "ap_loss", "map_loss", "recall_at_k", "map_at_r",
       "average_precision"]
CONVENTIONS = ["paper", "official"]
ONE_DEFINITION = {"recall_at_k", "map_at_r", "average_precision"}
OUTPUTS = {"rank": ["ranks"], "rank_backward": ["grad"], "recall_loss": ["loss", "grad"],
           "ap_loss": ["loss", "grad"], "map_loss": ["loss", "grad"], "recall_at_k": ["recall_at_k"],
           "map_at_r": ["map_at_r"], "average_precision": ["ap"]}
SCHEMA_VERSION = 1
MAXIMUM_DEPTH = 64
MAXIMUM_VALUES = 10_000_000 + 100_000
MAXIMUM_BYTES = 64 * MAXIMUM_VALUES


class FileProblem(Exception):
    """A folder or file that cannot be used at all (exit 2)."""


def fail(message):
    print(f"check.py: {message}", file=sys.stderr)
    sys.exit(2)


# ── Strict JSON ─────────────────────────────────────────────────────────────────────────────────────────────

def _no_duplicates(pairs):
    seen = set()
    for key, _ in pairs:
        if key in seen:
            raise ValueError(f'duplicate key "{key}"')
        seen.add(key)
    return dict(pairs)


def _audit(value):
    """Depth, value count and lone surrogates, without recursion."""
    values = 0
    stack = [(value, 0)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, (list, dict)):
            if depth + 1 > MAXIMUM_DEPTH:
                raise ValueError(f"nesting deeper than {MAXIMUM_DEPTH} levels")
            items = v.values() if isinstance(v, dict) else v
            if isinstance(v, dict):
                for key in v:
                    _check_string(key)
            stack.extend((x, depth + 1) for x in items)
        else:
            values += 1
            if values > MAXIMUM_VALUES:
                raise ValueError("more values than the limit allows; split the file")
            if isinstance(v, str):
                _check_string(v)


def _check_string(s):
    if any("\ud800" <= ch <= "\udfff" for ch in s):
        raise ValueError("a lone surrogate inside a string; JSON strings must be valid Unicode")


def read_json(path, what):
    if not os.path.exists(path):
        raise FileProblem(f"{what} '{path}' does not exist")
    if os.path.isdir(path):
        raise FileProblem(f"{what} '{path}' is a folder, expected a JSON file")
    if os.path.getsize(path) > MAXIMUM_BYTES:
        raise FileProblem(f"{what} '{path}' has more than {MAXIMUM_BYTES} bytes (split it)")
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
        value = json.loads(text, object_pairs_hook=_no_duplicates)
        _audit(value)
        return value
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise FileProblem(f"{what} '{path}' is not valid JSON: {error}")
    except OSError as error:
        raise FileProblem(f"cannot read {what} '{path}': {error}")


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def kind(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if is_number(v):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "a list"
    return "an object"


def compact(v):
    return json.dumps(v, ensure_ascii=False, allow_nan=True)


# ── The vectors ─────────────────────────────────────────────────────────────────────────────────────────────

def all_finite(v):
    if is_number(v):
        return math.isfinite(float(v))
    if isinstance(v, list):
        return all(all_finite(x) for x in v)
    if isinstance(v, dict):
        return all(all_finite(x) for x in v.values())
    return True


def tests_in(file, name):
    def problem(message):
        return FileProblem(f"{name}: {message}")
    if not isinstance(file, dict):
        raise problem('not a vector file (expected an object with "test_groups")')
    version = file.get("schema_version")
    if not is_number(version):
        raise problem('no "schema_version"')
    if float(version) != SCHEMA_VERSION:
        raise problem(f"schema_version {version} is not supported (this tool reads {SCHEMA_VERSION})")
    groups = file.get("test_groups")
    if not isinstance(groups, list):
        raise problem('no "test_groups" list')
    tests = []
    for g, group in enumerate(groups):
        group = group if isinstance(group, dict) else {}
        op, convention = group.get("op"), group.get("convention")
        if op not in OPS:
            raise problem(f'test_groups[{g}] has no known "op"')
        if convention not in CONVENTIONS:
            raise problem(f'test_groups[{g}] has no known "convention"')
        if not isinstance(group.get("tests"), list):
            raise problem(f'test_groups[{g}] has no "tests" list')
        for t, test in enumerate(group["tests"]):
            test = test if isinstance(test, dict) else {}
            tid = test.get("id")
            if not isinstance(tid, str):
                raise problem(f'test_groups[{g}].tests[{t}] has no string "id"')
            inputs, expected = test.get("inputs"), test.get("expected")
            if not isinstance(inputs, dict) or not isinstance(expected, dict):
                raise problem(f'test {tid} needs "inputs" and "expected" objects')
            rtol, atol = test.get("rtol"), test.get("atol")
            if not (is_number(rtol) and is_number(atol) and math.isfinite(rtol) and math.isfinite(atol)
                    and rtol >= 0 and atol >= 0):
                raise problem(f'test {tid} needs finite "rtol" and "atol" >= 0')
            valid = test.get("result") != "invalid"
            if valid:
                for key in OUTPUTS[op]:
                    if key not in expected:
                        raise problem(f'test {tid} expects no "{key}"')
                if not all_finite(expected):
                    raise problem(f"test {tid} expects NaN or infinity, which any answer would match")
                if all(v is None for v in expected.values()) and op not in ONE_DEFINITION:
                    raise problem(f"test {tid} expects only null; nothing would be checked")
            tests.append({"id": tid, "op": op, "convention": convention, "valid": valid, "expected": expected,
                          "rtol": float(rtol), "atol": float(atol)})
    return tests


def load_vectors(folder):
    if not os.path.isdir(folder):
        raise FileProblem(f"the vectors folder '{folder}' does not exist")
    names = sorted(n for n in os.listdir(folder) if n.endswith(".json"))
    if not names:
        raise FileProblem(f"the vectors folder '{folder}' holds no .json files")
    tests, seen = [], set()
    for name in names:
        for test in tests_in(read_json(os.path.join(folder, name), "vector file"), name):
            if test["id"] in seen:
                raise FileProblem(f"{name}: duplicate test id {test['id']}")
            seen.add(test["id"])
            tests.append(test)
    return tests


# ── Comparing one answer ────────────────────────────────────────────────────────────────────────────────────

class Comparison:
    def __init__(self, rtol, atol):
        self.rtol, self.atol = rtol, atol
        self.max_abs = self.max_rel = 0.0
        self.within = True
        self.worst = None
        self.worst_excess = 0.0
        self.mismatch = None

    def compare(self, expected, actual, path):
        if self.mismatch is not None:
            return
        if expected is None:
            undefined = actual is None or actual == "NaN" or (is_number(actual) and math.isnan(actual))
            if not undefined:
                self.mismatch = f"{path} should be null (undefined: null, NaN or \"NaN\"), got {compact(actual)}"
        elif isinstance(expected, bool) or isinstance(expected, str):
            if type(actual) is not type(expected) or actual != expected:
                self.mismatch = f"{path} should be {compact(expected)}, got {compact(actual)}"
        elif is_number(expected):
            e = float(expected)
            if not is_number(actual):
                self.mismatch = f"{path} should be a number, got {kind(actual)}"
                return
            a = float(actual)
            if not math.isfinite(a):
                self.mismatch = f"{path} is {a}, expected {e}"
                return
            difference = abs(a - e)
            relative = (0.0 if difference == 0 else math.inf) if e == 0 else difference / abs(e)
            self.max_abs, self.max_rel = max(self.max_abs, difference), max(self.max_rel, relative)
            allowed = self.atol + self.rtol * abs(e)
            if difference > allowed:
                self.within = False
                if difference - allowed > self.worst_excess or self.worst is None:
                    self.worst_excess = difference - allowed
                    self.worst = f"{path} (expected {compact(expected)}, got {compact(actual)})"
        elif isinstance(expected, list):
            if not isinstance(actual, list):
                self.mismatch = f"{path} should be a list of {len(expected)}, got {kind(actual)}"
            elif len(actual) != len(expected):
                self.mismatch = f"{path} has {len(actual)} entries, expected {len(expected)}"
            else:
                for i, (e, a) in enumerate(zip(expected, actual)):
                    self.compare(e, a, f"{path}[{i}]")
        else:
            if not isinstance(actual, dict):
                self.mismatch = f"{path} should be an object, got {kind(actual)}"
                return
            for key in sorted(expected):
                if key not in actual:
                    self.mismatch = f'{path} has no "{key}"'
                    return
                self.compare(expected[key], actual[key], f"{path}.{key}")


def judge(test, answers):
    """(passed, reason) for one test and the answers that carry its id."""
    if len(answers) > 1:
        return False, f"answered {len(answers)} times"
    if not answers:
        return False, "no answer with this id in the results"
    answer = answers[0]
    if not isinstance(answer, dict):
        return False, f"the answer is {kind(answer)}, not an object"
    if not test["valid"]:
        if "error" in answer:
            return True, ""
        return False, 'these inputs are invalid and must be answered with an "error"'
    if "error" in answer:
        return False, f"the port answered an error: {compact(answer['error'])}"
    state = Comparison(test["rtol"], test["atol"])
    for key in sorted(test["expected"]):
        if key not in answer:
            return False, f'the answer has no "{key}"'
        state.compare(test["expected"][key], answer[key], key)
        if state.mismatch is not None:
            return False, state.mismatch
    if state.within:
        return True, ""
    return False, (f"max abs error {state.max_abs!r}, max rel error {state.max_rel!r}, outside tolerance "
                   f"rtol {test['rtol']!r}, atol {test['atol']!r} at {state.worst}")


# ── verify ──────────────────────────────────────────────────────────────────────────────────────────────────

def verify(tests, results, known):
    if not isinstance(results, dict) or not isinstance(results.get("results"), list):
        raise FileProblem('the results file holds no {"results": [...]} object')
    by_id, unnamed = {}, 0
    for answer in results["results"]:
        rid = answer.get("id") if isinstance(answer, dict) else None
        if isinstance(rid, str):
            by_id.setdefault(rid, []).append(answer)
        else:
            unnamed += 1
    outcomes = [(test, *judge(test, by_id.get(test["id"], []))) for test in tests]
    selected = {t["id"] for t in tests}
    notes = []
    unknown = sum(1 for i in by_id if i not in known)
    outside = sum(1 for i in by_id if i in known and i not in selected)
    if unknown:
        notes.append(f"{unknown} results have ids that are not in the vectors (ignored)")
    if outside:
        notes.append(f"{outside} results are for tests outside the selection (not judged)")
    if unnamed:
        notes.append(f"{unnamed} results have no string id (ignored)")
    return outcomes, notes


def table(outcomes):
    rows = []
    for op in OPS:
        for convention in (["any"] if op in ONE_DEFINITION else CONVENTIONS):
            mine = [p for t, p, _ in outcomes
                    if t["op"] == op and (op in ONE_DEFINITION or t["convention"] == convention)]
            if mine:
                rows.append({"op": op, "convention": convention, "passed": sum(mine),
                             "failed": len(mine) - sum(mine)})
    return rows


def main(argv):
    parser = argparse.ArgumentParser(description="Check a port's results against the reference vectors.")
    parser.add_argument("--vectors", required=True)
    parser.add_argument("--results", required=True)
    parser.add_argument("--op")
    parser.add_argument("--convention")
    parser.add_argument("--json", action="store_true")
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return 2 if stop.code else 0
    if args.op is not None and args.op not in OPS:
        fail(f"unknown op '{args.op}'; expected one of {', '.join(OPS)}")
    if args.convention is not None and args.convention not in CONVENTIONS:
        fail(f"unknown convention '{args.convention}'; expected paper or official")
    try:
        everything = load_vectors(args.vectors)
        tests = [t for t in everything
                 if (args.op is None or t["op"] == args.op)
                 and (args.convention is None or t["convention"] == args.convention or t["op"] in ONE_DEFINITION)]
        if not tests:
            raise FileProblem(f"no test of the vectors in '{args.vectors}' matches the selection, "
                              "so nothing would be checked")
        results = read_json(args.results, "results file")
        outcomes, notes = verify(tests, results, {t["id"] for t in everything})
    except FileProblem as problem:
        fail(str(problem))
    passed = sum(1 for _, p, _ in outcomes if p)
    failed = len(outcomes) - passed
    rows = table(outcomes)
    if args.json:
        failures = [{"id": t["id"], "op": t["op"], "convention": t["convention"], "reason": r}
                    for t, p, r in outcomes if not p]
        json.dump({"passed": passed, "failed": failed, "table": rows, "failures": failures, "notes": notes},
                  sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        for t, p, reason in outcomes:
            if not p:
                print(f"FAIL {t['op']} {t['id']} ({t['convention']}): {reason}")
        for note in notes:
            print(f"note: {note}")
        print(f"{'op':<18}{'convention':<12}{'passed':>7}{'failed':>8}")
        for row in rows:
            print(f"{row['op']:<18}{row['convention']:<12}{row['passed']:>7}{row['failed']:>8}")
        print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
