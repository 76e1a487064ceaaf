"""The authors' code as a port: answers a cases file (`rambo-reference cases --convention official`).

    python answer.py CASES.json > results.json
    rambo-reference verify --vectors Data/reference --convention official --results results.json
"""
import json
import sys

import authors


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: answer.py CASES.json")
    with open(argv[1]) as f:
        cases = json.load(f)["cases"]
    results = [authors.answer(case) for case in cases]
    json.dump({"results": results}, sys.stdout, allow_nan=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
