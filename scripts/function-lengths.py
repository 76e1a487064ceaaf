#!/usr/bin/env python3
"""The house rule "no function in Sources/ over 80 lines", measured.

Usage: function-lengths.py [--max N] [--allow FILE:NAME ...] [--list K] PATH...

Reads every .swift file under the given paths and measures each function body: `func`, `init`, `deinit` and
`subscript` declarations, from the line of the keyword to the line of the closing brace, both included (nested
functions count inside their parent and again on their own). Comments and string literals are skipped, so braces
in them do not count. Prints one line per function longer than --max (default 80) that --allow does not name
(FILE:NAME, FILE a path suffix, NAME the function's base name) and exits 1 if there is any; --list K prints the K
longest instead and exits 0. Standard library only.
"""

import argparse
import os
import re
import sys

KEYWORDS = re.compile(r"\b(func|init|deinit|subscript)\b")
# Tokens that end a bodiless declaration (a protocol requirement) before any `{` is found.
DECLARATION = re.compile(
    r"\b(func|init|deinit|subscript|var|let|case|typealias|associatedtype|struct|class|enum|extension|protocol)\b"
)


def code_only(text):
    """`text` with comments and string contents blanked out (newlines kept), so that braces count as code."""
    out = []
    i = 0
    n = len(text)
    # Each frame is ("code", paren depth) inside an interpolation, or the string kind being read.
    stack = [["code", 0]]
    while i < n:
        kind = stack[-1][0]
        c = text[i]
        if kind == "code":
            if text.startswith("//", i):
                j = text.find("\n", i)
                i = n if j < 0 else j
                continue
            if text.startswith("/*", i):
                depth = 0
                while i < n:
                    if text.startswith("/*", i):
                        depth += 1
                        i += 2
                    elif text.startswith("*/", i):
                        depth -= 1
                        i += 2
                        if depth == 0:
                            break
                    else:
                        if text[i] == "\n":
                            out.append("\n")
                        i += 1
                continue
            match = re.match(r'(#*)("""|")', text[i:])
            if match:
                hashes, quote = match.group(1), match.group(2)
                stack.append(["string", hashes, quote])
                out.append('"')
                i += len(match.group(0))
                continue
            if c == "(" and len(stack) > 1:
                stack[-1][1] += 1
            elif c == ")" and len(stack) > 1:
                if stack[-1][1] == 0:
                    stack.pop()  # the end of an interpolation: back in the string
                    i += 1
                    continue
                stack[-1][1] -= 1
            out.append(c)
            i += 1
            continue
        # Inside a string literal.
        hashes, quote = stack[-1][1], stack[-1][2]
        if c == "\\" and text.startswith("\\" + hashes, i):
            after = i + 1 + len(hashes)
            if after < n and text[after] == "(":
                stack.append(["code", 0])
                i = after + 1
                continue
            i = after + 1  # an escaped character
            continue
        if text.startswith(quote + hashes, i):
            stack.pop()
            out.append('"')
            i += len(quote) + len(hashes)
            continue
        if c == "\n":
            out.append("\n")
        i += 1
    return "".join(out)


def functions(path):
    """(name, first line, last line) of every function body in the file."""
    with open(path, encoding="utf-8") as f:
        code = code_only(f.read())
    line_starts = [0]
    for k, ch in enumerate(code):
        if ch == "\n":
            line_starts.append(k + 1)

    def line_of(offset):
        lo, hi = 0, len(line_starts)
        while lo + 1 < hi:
            mid = (lo + hi) // 2
            if line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid
        return lo + 1

    found = []
    for match in KEYWORDS.finditer(code):
        start = match.start()
        if start > 0 and (code[start - 1].isalnum() or code[start - 1] in "_.`"):
            continue
        keyword = match.group(1)
        rest = code[match.end():]
        name_match = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*|[^\sA-Za-z0-9_(<{]+)", rest) if keyword == "func" else None
        name = name_match.group(1) if name_match else keyword
        # The body: the first `{` outside parentheses and brackets, unless the declaration ends first.
        depth = 0
        k = match.end()
        body = None
        while k < len(code):
            ch = code[k]
            if ch in "([":
                depth += 1
            elif ch in ")]":
                depth -= 1
            elif depth == 0 and ch == "{":
                body = k
                break
            elif depth == 0 and ch == "}":
                break
            elif depth == 0 and DECLARATION.match(code, k) and (code[k - 1].isspace() or code[k - 1] in ";"):
                break
            k += 1
        if body is None:
            continue
        level = 0
        for k in range(body, len(code)):
            if code[k] == "{":
                level += 1
            elif code[k] == "}":
                level -= 1
                if level == 0:
                    found.append((name, line_of(start), line_of(k)))
                    break
    return found


def swift_files(paths):
    for root in paths:
        if os.path.isfile(root):
            yield root
            continue
        for directory, _, names in sorted(os.walk(root)):
            for name in sorted(names):
                if name.endswith(".swift"):
                    yield os.path.join(directory, name)


def main():
    parser = argparse.ArgumentParser(description="functions longer than the house limit")
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--max", type=int, default=80)
    parser.add_argument("--allow", action="append", default=[], help="FILE:NAME allowed to be longer")
    parser.add_argument("--list", type=int, default=0, help="print the K longest functions and exit 0")
    args = parser.parse_args()
    measured = []
    for path in swift_files(args.paths):
        for name, first, last in functions(path):
            measured.append((last - first + 1, path, first, name))
    if args.list:
        for length, path, first, name in sorted(measured, reverse=True)[: args.list]:
            print(f"{length:4d}  {path}:{first}  {name}")
        return 0
    allowed = [entry.rsplit(":", 1) for entry in args.allow]
    long = [
        m
        for m in measured
        if m[0] > args.max and not any(m[1].endswith(file) and m[3] == name for file, name in allowed)
    ]
    for length, path, first, name in sorted(long, key=lambda m: (m[1], m[2])):
        print(f"{path}:{first}: {name} is {length} lines; the house limit is {args.max}")
    return 1 if long else 0


if __name__ == "__main__":
    sys.exit(main())
