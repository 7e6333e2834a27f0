"""Plant each one-line bug of issue 18's table, one at a time, and list the tests that
fail. Every bug must fail at least one test; the script exits 1 when one survives.

    .venv/bin/python scripts/planted_bugs.py              # every bug (about 15 minutes)
    .venv/bin/python scripts/planted_bugs.py ownership    # those whose name contains a word

It edits the working tree and restores each file afterwards (also on Ctrl-C): run it on
a clean checkout, not while editing."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Bug:
    name: str
    path: str
    original: str
    planted: str
    tests: tuple[str, ...]


BUGS = (
    Bug(
        "ownership: a comment holding the prefix anywhere counts as managed",
        "isk_reconcile/reconcile/comments.py",
        'return item.attrs.get("comment", "").startswith(prefix)',
        'return prefix in item.attrs.get("comment", "")',
        ("tests/reconcile", "tests/render"),
    ),
    Bug(
        "stale plan: profiles left out of the live-state fingerprint",
        "isk_reconcile/routeros/types.py",
        '"profiles": canon(self.profiles),',
        '"profiles": [],',
        ("tests/routeros", "tests/reconcile"),
    ),
    Bug(
        "stale plan: the fingerprint covers names only",
        "isk_reconcile/routeros/types.py",
        "                sorted(item.attrs.items())\n"
        "                if volatile.isdisjoint(item.attrs)\n"
        "                else sorted([pair for pair in item.attrs.items() "
        "if pair[0] not in volatile])\n",
        '                [pair for pair in item.attrs.items() if pair[0] == "name"]\n',
        ("tests/routeros", "tests/reconcile"),
    ),
    Bug(
        "append-only ledger: the guard compares amounts only",
        "isk_reconcile/gitops/guards.py",
        "        if now != entry:\n",
        "        if now.amount != entry.amount:\n",
        ("tests/gitops",),
    ),
    Bug(
        "append-only ledger, base failing validation: deletions ignored",
        "isk_reconcile/gitops/guards.py",
        "        if now is None:\n"
        '            yield ConfigError(\n                Loc(written["_file"]),',
        "        if now is None:\n            continue\n            yield ConfigError(\n"
        '                Loc(written["_file"]),',
        ("tests/gitops",),
    ),
    Bug(
        "password masking: a deleted secret's plan carries its password",
        "isk_reconcile/reconcile/plan.py",
        'for key in ("profile", "comment", "rate-limit", "ranges") if key in attrs',
        'for key in ("profile", "comment", "rate-limit", "ranges", "password") if key in attrs',
        ("tests/render", "tests/reconcile"),
    ),
    Bug(
        "safety percentage: unmanaged secrets counted in the total",
        "isk_reconcile/reconcile/plan.py",
        "managed = sum(1 for item in live.secrets if is_managed(item, desired.prefix))",
        "managed = len(live.secrets)",
        ("tests/reconcile",),
    ),
    Bug(
        "pipelining: one command per round trip",
        "isk_reconcile/routeros/client.py",
        "self._window = max(1, window)",
        "self._window = 1",
        ("tests/routeros", "tests/sim"),
    ),
    Bug(
        "owing-customer deletion guard: owing Rp1 passes (> 0 -> > 1)",
        "isk_reconcile/gitops/debt_guard.py",
        "invoice.outstanding > 0]",
        "invoice.outstanding > 1]",
        ("tests/gitops",),
    ),
    Bug(
        "owing-customer deletion guard: a zero balance is refused (> 0 -> >= 0)",
        "isk_reconcile/gitops/debt_guard.py",
        "invoice.outstanding > 0]",
        "invoice.outstanding >= 0]",
        ("tests/gitops",),
    ),
    Bug(
        "non-payment suspends: never (if False)",
        "isk_reconcile/billing/engine.py",
        "        if as_of > grace_end:\n",
        "        if False:\n",
        ("tests/billing",),
    ),
)


def failing_tests(bug: Bug) -> list[str]:
    file = ROOT / bug.path
    text = file.read_text(encoding="utf-8")
    if text.count(bug.original) != 1:
        raise SystemExit(f"{bug.name}: the original line is not in {bug.path} exactly once")
    file.write_text(text.replace(bug.original, bug.planted), encoding="utf-8")
    try:
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *bug.tests],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        file.write_text(text, encoding="utf-8")
    return sorted(set(re.findall(r"^FAILED (\S+)", run.stdout, re.MULTILINE)))


def main(words: list[str]) -> int:
    survived = 0
    for bug in BUGS:
        if words and not any(word in bug.name for word in words):
            continue
        failed = failing_tests(bug)
        survived += not failed
        print(f"{'caught' if failed else 'SURVIVED'}: {bug.name} ({len(failed)} failing)")
        for test in failed:
            print(f"    {test}")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
