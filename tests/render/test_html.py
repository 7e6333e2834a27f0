"""render.html: the static dashboard page, parsed: self-contained, figures, escaping."""

from __future__ import annotations

import json
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

from isk_reconcile.billing.engine import rupiah
from isk_reconcile.billing.report_types import RouterInfo
from isk_reconcile.errors import RouterError
from isk_reconcile.render.html import _nice_ceiling, render_html, short_money, write_site
from isk_reconcile.render.status_data import as_dict
from tests.helpers.dashboard import build, example_state, person


class Page(HTMLParser):
    """Collects what the tests look at: links, figures, rows, embedded JSON."""

    def __init__(self, text: str):
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.figures: dict[tuple[str, str], tuple[str, str]] = {}  # (scope, key) -> (value, text)
        self.rows: list[dict[str, str]] = []
        self.bars: list[tuple[str, str]] = []
        self.scripts: dict[str, str] = {}
        self._figure: tuple[str, str, str] | None = None
        self._text: list[str] = []
        self._script: str | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        for key in ("src", "href", "action", "srcset", "poster", "data"):
            if key in values:
                self.urls.append((tag, key, values[key]))
        if "figure" in values.get("class", "").split():
            self._figure = (values["data-scope"], values["data-figure"], values["data-value"])
            self._text = []
        if tag == "tr" and "data-standing" in values:
            self.rows.append(values)
        if tag == "rect" and "bar" in values.get("class", ""):
            self.bars.append((values["class"], values["data-value"]))
        if tag == "script":
            self._script = values.get("id", "")
            self.scripts[self._script] = ""

    def handle_data(self, data: str) -> None:
        if self._figure is not None:
            self._text.append(data)
        if self._script is not None:
            self.scripts[self._script] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self._figure is not None:
            scope, key, value = self._figure
            self.figures[(scope, key)] = (value, "".join(self._text).strip())
            self._figure = None
        if tag == "script":
            self._script = None


def live_board():
    info = {"r1": RouterInfo("R1", "7.18.2", "3d4h", 2), "r2": RouterError("r2", "timed out")}
    return build(routers_info=info, drift={"r1": 4}, commit="feedbeef" * 5)


def test_page_fetches_nothing_from_the_network(tmp_path: Path) -> None:
    page = write_site(live_board(), tmp_path / "site")
    assert page == tmp_path / "site" / "index.html"
    text = page.read_text(encoding="utf-8")
    parsed = Page(text)
    for tag, attribute, value in parsed.urls:
        assert value.startswith(("data:", "#")), (tag, attribute, value)
    assert "http://" not in text and "https://" not in text
    assert "<script src" not in text and 'rel="stylesheet"' not in text
    assert "@import" not in text and "url(" not in text


def test_cards_show_the_same_figures_as_the_status_document() -> None:
    board = live_board()
    document = as_dict(board)
    figures = Page(render_html(board)).figures
    scopes = [("total", document["total"])]
    scopes += [(f"router:{r['router']}", r) for r in document["routers"]]
    money = {"billed", "collected", "outstanding", "credits"}
    checked = 0
    for scope, expected in scopes:
        for key in ("billed", "collected", "outstanding", "expiring"):
            value, text = figures[(scope, key)]
            assert int(value) == expected[key], (scope, key)
            assert text == (rupiah(expected[key]) if key in money else str(expected[key]))
            checked += 1
        for key in ("total", "active", "suspended", "free", "terminated"):
            value, text = figures[(scope, f"customers.{key}")]
            assert int(value) == int(text) == expected["customers"][key], (scope, key)
            checked += 1
    assert figures[("total", "credits")][0] == str(document["total"]["credits"])
    for label, amount in document["total"]["aging"].items():
        assert figures[("total", f"aging.{label}")] == (str(amount), rupiah(amount))
    assert figures[("router:r1", "active_sessions")][0] == "2"
    assert figures[("router:r1", "drift")][0] == "4"
    assert figures[("total", "drift")][0] == "4"
    assert ("router:r2", "active_sessions") not in figures  # unreachable: no live figures
    assert checked == 27


def test_embedded_status_json_is_the_status_document() -> None:
    board = live_board()
    parsed = Page(render_html(board))
    assert json.loads(parsed.scripts["isk-status"]) == json.loads(json.dumps(as_dict(board)))


def test_header_shows_as_of_commit_and_unreachable_router() -> None:
    text = render_html(live_board())
    assert "2026-11-20" in text and "feedbeef" * 5 in text
    assert "unreachable: r2: timed out" in text
    assert "RouterOS 7.18.2" in text
    plain = render_html(build())
    assert "not a git repository" in plain and "routers not read" in plain


def test_customer_rows_carry_the_filter_attributes() -> None:
    board = build()
    rows = Page(render_html(board)).rows
    assert [row["data-standing"] for row in rows] == [row.category for row in board.customers]
    frank = next(row for row in rows if row["data-search"].startswith("frank "))
    assert frank["data-router"] == "r1" and frank["data-profile"] == "home"
    assert frank["data-expiring"] == "yes"
    assert sum(row["data-expiring"] == "yes" for row in rows) == board.total.expiring


def test_monthly_chart_has_a_bar_pair_per_month() -> None:
    board = build()
    bars = Page(render_html(board)).bars
    billed = [int(value) for kind, value in bars if "billed" in kind]
    collected = [int(value) for kind, value in bars if "collected" in kind]
    assert billed == [m.billed for m in board.monthly]
    assert collected == [m.collected for m in board.monthly]


def test_customer_text_is_escaped_not_injected() -> None:
    state = example_state()
    evil = person("mallory", "r1", "2026-11-01", name='<script>alert("x")</script> & </tr>')
    state = replace(state, customers={**state.customers, "mallory": evil})
    text = render_html(build(state))
    assert '<script>alert("x")' not in text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;/tr&gt;" in text
    # the embedded JSON cannot close its <script> element either
    assert Page(text).scripts["isk-status"].count("</") == 0


def test_axis_helpers() -> None:
    assert short_money(1_250_000) == "Rp1,25jt"
    assert short_money(1_500_000_000) == "Rp1,5M"
    assert short_money(350_000) == "Rp350rb"
    assert short_money(0) == "Rp0"
    assert [_nice_ceiling(v) for v in (0, 7, 120, 2_100_000, 4_999)] == [
        1,
        10,
        200,
        2_500_000,
        5_000,
    ]


def test_notes_are_shown() -> None:
    text = render_html(build(notes=["drift not counted: no age identity"]))
    assert "note: drift not counted: no age identity" in text
