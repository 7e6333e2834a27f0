"""The bad-input corpus in Indonesian: every validation message and hint it produces has
a translation (settings.language: id), and the location stays as written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from isk_reconcile.errors import ValidationFailed
from isk_reconcile.render.i18n import translator
from isk_reconcile.state.loader import load_state

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith("_"))


def problems(name: str, tmp_path: Path) -> list:
    """The errors `isk validate` reports for the case (its files over the valid base)."""
    repo = tmp_path / "repo"
    shutil.copytree(CORPUS / "_base", repo, ignore=shutil.ignore_patterns(".isk-cache"))
    case = CORPUS / name
    for path in case.rglob("*"):
        if path.is_file() and path.name != "expect.yaml":
            target = repo / path.relative_to(case)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    try:
        load_state(repo, cache=False)
    except ValidationFailed as failed:
        return list(failed.errors)
    return []


@pytest.mark.parametrize("name", CASES)
def test_every_message_of_the_corpus_is_translated(name: str, tmp_path: Path) -> None:
    tr = translator("id")
    untranslated = [
        part
        for error in problems(name, tmp_path)
        for part in (error.message, error.hint)
        if part and tr.text(part) == part
    ]
    assert untranslated == []
