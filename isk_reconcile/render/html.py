"""The static HTML dashboard (`isk report --html DIR`), rendered from a `report.Dashboard`.

One self-contained `index.html`: inline CSS, inline SVG charts, vanilla JavaScript for
the customer search and filters, and the `isk-status/1` document embedded as JSON. It
fetches nothing (no CDN, no fonts, no images), so it can be opened from a CI artifact
or a file share.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from isk_reconcile.billing.engine import rupiah
from isk_reconcile.billing.report_types import Dashboard
from isk_reconcile.reconcile.sessions import SessionRow
from isk_reconcile.render import i18n
from isk_reconcile.render.status_data import as_dict

CHART_WIDTH = 720
CHART_HEIGHT = 240
CHART_MARGIN_LEFT = 64
CHART_MARGIN_BOTTOM = 28
CHART_MARGIN_TOP = 12


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str  # tooltip


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class MonthlyChart:
    billed: tuple[Bar, ...]
    collected: tuple[Bar, ...]
    months: tuple[tuple[float, str], ...]  # x centre, "Nov 26"
    ticks: tuple[Tick, ...]
    width: int
    height: int
    baseline: float


@dataclass(frozen=True)
class AgingRow:
    label: str
    amount: int
    invoices: int
    width: float  # percent of the largest bucket


def short_money(amount: int) -> str:
    """Axis labels: Rp1,5M (miliar = billion), Rp1,2jt (juta = million), Rp350rb (ribu)."""
    if abs(amount) >= 1_000_000_000:
        text = f"{amount / 1_000_000_000:.2f}".rstrip("0").rstrip(".").replace(".", ",")
        return f"Rp{text}M"
    if abs(amount) >= 1_000_000:
        text = f"{amount / 1_000_000:.2f}".rstrip("0").rstrip(".").replace(".", ",")
        return f"Rp{text}jt"
    if abs(amount) >= 1_000:
        return f"Rp{amount // 1_000}rb"
    return f"Rp{amount}"


def _nice_ceiling(value: int) -> int:
    """A round axis maximum at or above value (1, 2, 2.5, 5 x 10^n)."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return int(step * magnitude)
    return 10 * magnitude


def monthly_chart(board: Dashboard, language: str = "en") -> MonthlyChart:
    plot_width = CHART_WIDTH - CHART_MARGIN_LEFT - 8
    plot_height = CHART_HEIGHT - CHART_MARGIN_BOTTOM - CHART_MARGIN_TOP
    top = _nice_ceiling(
        max([m.billed for m in board.monthly] + [m.collected for m in board.monthly] + [0])
    )
    slot = plot_width / max(len(board.monthly), 1)
    bar_width = slot * 0.36
    baseline = CHART_MARGIN_TOP + plot_height

    def bar(x: float, value: int, label: str) -> Bar:
        height = plot_height * max(value, 0) / top
        return Bar(
            round(x, 1),
            round(baseline - height, 1),
            round(bar_width, 1),
            round(height, 1),
            value,
            label,
        )

    billed, collected, months = [], [], []
    for index, month in enumerate(board.monthly):
        left = CHART_MARGIN_LEFT + index * slot + slot * 0.12
        name = i18n.short_month(month.month, language)
        words = i18n.translations(language).gettext
        billed.append(bar(left, month.billed, f"{name} {words('billed')} {rupiah(month.billed)}"))
        collected.append(
            bar(
                left + bar_width,
                month.collected,
                f"{name} {words('collected')} {rupiah(month.collected)}",
            )
        )
        months.append((round(CHART_MARGIN_LEFT + index * slot + slot / 2, 1), name))
    axis = short_money if language == "en" else (lambda value: i18n.short_money(value, language))
    ticks = tuple(
        Tick(round(baseline - plot_height * i / 4, 1), axis(top * i // 4)) for i in range(5)
    )
    return MonthlyChart(
        tuple(billed), tuple(collected), tuple(months), ticks, CHART_WIDTH, CHART_HEIGHT, baseline
    )


def aging_rows(board: Dashboard) -> tuple[AgingRow, ...]:
    largest = max([bucket.amount for bucket in board.total.aging] + [1])
    return tuple(
        AgingRow(
            bucket.label, bucket.amount, bucket.invoices, round(100 * bucket.amount / largest, 1)
        )
        for bucket in board.total.aging
    )


def _environment(language: str) -> Environment:
    env = Environment(
        loader=PackageLoader("isk_reconcile", "render/templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["rupiah"] = rupiah
    env.filters["words"] = i18n.translator(language).text  # isk's reasons and notes
    env.filters["day"] = lambda value: value.isoformat() if isinstance(value, date) else ""
    if language != "en":  # table cells: "4 Des 2026", never split (English keeps ISO)
        cell_day = i18n.translator(language).cell_day
        env.filters["day"] = lambda value: cell_day(value) if isinstance(value, date) else ""
    # English pages keep ISO dates (scripts and the browser test read them); others: long form
    env.filters["longday"] = (
        env.filters["day"] if language == "en" else (lambda value: i18n.long_day(value, language))
    )
    return env


def _embedded_json(board: Dashboard) -> str:
    """The status document, safe inside a <script> element."""
    text = json.dumps(as_dict(board), ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html(
    board: Dashboard,
    *,
    language: str = "en",
    isp_name: str = "",
    sessions: Sequence[SessionRow] | None = None,
) -> str:
    """The page in `language` (settings.language), headed by the ISP's name when set;
    with who is online (`isk sessions`) when the routers were read (`sessions`)."""
    template = _environment(language).get_template("dashboard.html.j2")
    profiles = sorted({row.profile for row in board.customers if row.profile})
    return template.render(
        board=board,
        language=language,
        isp_name=isp_name,
        month_name=i18n.month_name(board.month, language),
        chart=monthly_chart(board, language),
        aging=aging_rows(board),
        profiles=profiles,
        status_json=_embedded_json(board),
        sessions=sessions,
    )


def write_site(
    board: Dashboard,
    directory: Path,
    *,
    language: str = "en",
    isp_name: str = "",
    sessions: Sequence[SessionRow] | None = None,
) -> Path:
    """Write DIR/index.html; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    page = directory / "index.html"
    html = render_html(board, language=language, isp_name=isp_name, sessions=sessions)
    page.write_text(html, encoding="utf-8")
    return page
