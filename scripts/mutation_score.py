"""Mutation score per module from mutmut's results (`make mutate` prints it).

Reads mutants/**/*.py.meta (mutmut 3) and docs/mutation-equivalent.txt (one mutant name
per line, then "#" and why it is equivalent), and prints a Markdown table: per module,
mutants run (of all mutmut made), killed, survived, without a covering test, the
equivalent survivors,
and the score = killed (timeouts included) / (mutants checked - equivalent).
Unexplained survivors are listed below the table; the exit status is 1 when there are
any, so `make mutate` fails until each is killed or explained.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KILLED = {1, 3, 36, 24, -24, 152, 255, 37}  # failed tests, pytest error, timeouts, type check
SURVIVED = {0}
NO_TESTS = {5, 33}
TIMEOUTS = {36, 24, -24, 152, 255}


def equivalents(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    names = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            names.add(name)
    return names


def main() -> int:
    explained = equivalents(ROOT / "docs" / "mutation-equivalent.txt")
    rows = []
    unexplained: list[str] = []
    for meta in sorted((ROOT / "mutants").rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        checked = {name: code for name, code in codes.items() if code is not None}
        if not checked:
            continue
        module = meta.relative_to(ROOT / "mutants").as_posix().removesuffix(".meta")
        tally = Counter()
        for name, code in checked.items():
            if code in KILLED:
                tally["killed"] += 1
                tally["timeout"] += code in TIMEOUTS
            elif name in explained:
                tally["equivalent"] += 1
            elif code in SURVIVED or code in NO_TESTS:
                tally["survived" if code in SURVIVED else "no tests"] += 1
                unexplained.append(name)
            else:
                tally["other"] += 1
                unexplained.append(name)
        scored = len(checked) - tally["equivalent"]
        score = 100 * tally["killed"] / scored if scored else 100.0
        rows.append((module, len(codes), len(checked), tally, score))
    print("| module | mutants run (of) | killed | equivalent | survived | no test | score |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for module, total, run, tally, score in rows:
        print(
            f"| `{module}` | {run} ({total}) | {tally['killed']} | {tally['equivalent']} | "
            f"{tally['survived']} | {tally['no tests']} | {score:.1f}% |"
        )
    if unexplained:
        print(f"\n{len(unexplained)} unexplained survivor(s) (`mutmut show NAME`):")
        for name in unexplained:
            print(f"  {name}")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
