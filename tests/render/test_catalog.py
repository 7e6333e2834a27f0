"""The Indonesian catalog covers what the code asks for, and the translator translates
English sentences of the core (nested reasons) without ever failing on unknown text."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from isk_reconcile.billing.report_types import CATEGORIES
from isk_reconcile.reconcile.plan_types import ACTIONS
from isk_reconcile.render.i18n import PLACEHOLDER, Translator, short_money, translator
from isk_reconcile.render.status_data import SUMMARY_COLUMNS
from tests.helpers.messages import PACKAGE, code_msgids, help_msgids

# The scans read the source text, which `make mutate` rewrites.
pytestmark = pytest.mark.reads_source

PO = Path(__file__).resolve().parents[2] / "isk_reconcile/locale/id/LC_MESSAGES/isk.po"
# Words the code passes to the catalog as values (not literals the scan can see).
VALUES = {
    *ACTIONS,
    *CATEGORIES,
    *SUMMARY_COLUMNS,
    "unmanaged", "secret", "profile", "session", "pool",
    "enabled", "suspended", "absent",
    "payment", "credit", "refund", "writeoff",
    "paid", "unpaid", "partial",
    "standing", "ledger", "created", "deleted", "renamed", "changed",
    "suspend reason", "router", "username", "phone", "email", "address", "start", "end",
    "protect", "notes", "paid through", "balance", "status", "access",
    "suspended but online", "paid but offline", "no customer has this username",
}  # fmt: skip


def catalog() -> dict[str, str]:
    with PO.open("rb") as handle:
        return {str(m.id): str(m.string) for m in read_po(handle) if m.id}


def test_every_message_the_code_uses_has_an_indonesian_translation() -> None:
    translated = {msgid for msgid, text in catalog().items() if text.strip()}
    wanted = code_msgids() | VALUES
    assert len(code_msgids()) > 150  # the scan found the messages (a broken scan finds none)
    assert sorted(wanted - translated) == []


def test_every_help_text_has_an_indonesian_translation() -> None:
    """`--help` is translated when shown (cli/helptext.py): each command's and option's
    help, as click shows it, needs a translation; a new option without one fails here."""
    translated = {msgid for msgid, text in catalog().items() if text.strip()}
    found = help_msgids()
    assert len(found) > 100 and "Show this message and exit." in found  # click's --help too
    assert (
        sorted(f"{where}: {msgid!r}" for msgid, where in found.items() if msgid not in translated)
        == []
    )


def test_translations_keep_their_placeholders() -> None:
    for msgid, text in catalog().items():
        assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(text)), msgid


def test_nested_reasons_are_translated_part_by_part() -> None:
    tr = translator("id")
    english = (
        "adopted with --adopt: access suspended: unpaid invoice budi/2026-11-01 "
        "(Rp150.000) due 2026-11-01, grace ended 2026-11-04"
    )
    assert tr.text(english) == (
        "diambil alih dengan --adopt: akses diputus: tagihan budi/2026-11-01 (Rp150.000) "
        "belum dibayar, jatuh tempo 1\xa0Nov\xa02026, masa tenggang berakhir 4\xa0Nov\xa02026"
    )
    assert tr.text("package home-10m changed") == "paket home-10m berubah"
    assert tr.text("paid through 2026-12-04 (P-2026-11-0005)") == (
        "lunas sampai 4\xa0Des\xa02026 (P-2026-11-0005)"
    )


def test_unknown_text_passes_through_and_english_is_untouched() -> None:
    tr = translator("id")
    assert tr.text("a sentence no catalog has: 42") == "a sentence no catalog has: 42"
    assert tr.text("") == ""
    assert translator("en").text("package home-10m changed") == "package home-10m changed"
    assert translator("xx").message("Customers") == "Customers"  # unknown language: English


def test_a_broken_translation_falls_back_to_english() -> None:
    tr = Translator("id")
    tr.catalog = type("Broken", (), {"gettext": staticmethod(lambda _m: "%(nope)s rusak")})()
    assert tr.message("%(n)s online", n=3) == "3 online"


def test_located_messages_keep_the_location() -> None:
    tr = translator("id")
    line = "state/customers/x.yaml:3:5: unknown key 'nmae' (did you mean 'name'?)"
    assert tr.located(line) == (
        "state/customers/x.yaml:3:5: kunci tidak dikenal 'nmae' (maksudnya 'name'?)"
    )


def test_dates_in_running_text_and_cells() -> None:
    tr = translator("id")
    assert tr.day(date(2026, 8, 17)) == "17 Agustus 2026"
    assert tr.cell_day(date(2026, 8, 17)) == "17\xa0Agu\xa02026"  # never split in a table
    assert translator("en").day(date(2026, 8, 17)) == "2026-08-17"
    assert short_money(1_250_000, "id") == "Rp1,25\xa0jt"


# Errors of commands for developers (the simulator, the demo's self-checks) stay English;
# a few messages are composed from parts the catalog has whole (see the comments).
ENGLISH_ONLY = ("demo.py", "sim.py")
COMPOSED = {
    "no such %s: %s%s",  # "no such customer: x (did you mean 'y'?)": two catalog messages
    "%s: %s",  # a file and an edit problem, each translated
    "%s of %s router%s failed",  # "routers failed" / "router failed": two catalog messages
}


def _shape(node: ast.AST) -> str | None:
    """A message literal or f-string with each value as `%s`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "%s" for v in node.values)
    return None


def test_every_error_and_line_the_cli_says_has_a_translation() -> None:
    """`raise IskError(...)` and `say(...)` print finished English through the catalog's
    templates: each needs one."""
    known = {PLACEHOLDER.sub("%s", msgid).replace("%%", "%") for msgid in catalog()}
    untranslated = []
    for path in sorted((PACKAGE / "cli").glob("*.py")):
        if path.name in ENGLISH_ONLY:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("IskError", "say"):
                shape = _shape(node.args[0]) if node.args else None
                if shape is not None and shape not in known | COMPOSED:
                    untranslated.append(f"{path.name}:{node.lineno}: {shape}")
    assert untranslated == []
