#!/usr/bin/env python3
"""docs/architecture.md's table of targets against Package.swift.

Usage: check-architecture.py [DOC]   (run from the repository root; DOC defaults to docs/architecture.md)

Reads the manifest with `swift package dump-package` and the table `| target | imports |` of DOC, and prints one
line per difference: a library or executable target missing from the table or listed but not in the package, or
a target whose imports differ. The chapters (targets under Chapters/) are one row, `chNN ...`, which every chapter
must match. Exits 1 on any difference. Standard library only.
"""

import json
import re
import subprocess
import sys


def manifest_targets():
    dump = subprocess.run(["swift", "package", "dump-package"], capture_output=True, text=True, check=True)
    package = json.loads(dump.stdout)
    targets = {}
    for target in package["targets"]:
        if target["type"] == "test":
            continue
        names = set()
        for dependency in target.get("dependencies", []):
            for kind in ("byName", "target", "product"):
                if kind in dependency:
                    names.add(dependency[kind][0])
        path = target.get("path") or ""
        targets[target["name"]] = (names, path.startswith("Chapters/"))
    return targets


def documented_targets(path):
    table = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            match = re.match(r"^\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|\s*$", line)
            if not match or match.group(1) in ("target", "---"):
                continue
            imports = match.group(2)
            table[match.group(1)] = set() if imports == "—" else {name.strip() for name in imports.split(",")}
    return table


def main():
    doc = sys.argv[1] if len(sys.argv) > 1 else "docs/architecture.md"
    targets = manifest_targets()
    table = documented_targets(doc)
    chapter_row = next((row for row in table if row.startswith("chNN")), None)
    problems = []
    for name, (imports, is_chapter) in sorted(targets.items()):
        row = chapter_row if is_chapter else name
        if row not in table:
            problems.append(f"{name}: in Package.swift but not in {doc}")
        elif table[row] != imports:
            missing = sorted(imports - table[row])
            extra = sorted(table[row] - imports)
            problems.append(f"{name}: {doc} lists {sorted(table[row])}; Package.swift has {sorted(imports)}"
                            f" (missing {missing}, extra {extra})")
    for row in sorted(table):
        if row != chapter_row and row not in targets:
            problems.append(f"{row}: in {doc} but not a target of Package.swift")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
