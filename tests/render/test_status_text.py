"""`isk status` for people (render.status_text)."""

from __future__ import annotations

from dataclasses import replace

from isk_reconcile.render.status_text import render_status
from tests.helpers.dashboard import build, example_state


def test_table_never_reads_customer_text_as_markup() -> None:
    state = example_state()
    dave = state.customers["dave"].model_copy(
        update={"suspend_reason": "[bold red]cable[/] cut [link]"}
    )
    board = build(replace(state, customers={**state.customers, "dave": dave}))
    text = render_status(board)
    assert "[bold red]cable[/] cut [link]" in text
