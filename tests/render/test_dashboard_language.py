"""The dashboard in the ISP's language (`settings.language`) with its name at the top."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

from babel.messages.pofile import read_po

from isk_reconcile.billing.engine import standings
from isk_reconcile.billing.receivables import receivables
from isk_reconcile.billing.report import dashboard
from isk_reconcile.render.html import render_html, write_site
from isk_reconcile.render.i18n import long_day, month_name, short_money
from isk_reconcile.state.loader import load_state

PROJECT = Path(__file__).resolve().parents[2]
SCREENSHOT_COPY = PROJECT / "out" / "dashboard-id.png"  # /out/ is gitignored
AS_OF = date(2026, 11, 29)
ISP = "PT Sistem Interkoneksi Data"


def example_board():
    state = load_state(PROJECT, cache=False)
    every = standings(state, AS_OF)
    return dashboard(state, AS_OF, every, receivables(state, AS_OF, every))


def test_indonesian_page_speaks_indonesian_with_babel_dates_and_money() -> None:
    page = render_html(example_board(), language="id", isp_name=ISP)
    assert '<html lang="id">' in page and f"<h1>{ISP}</h1>" in page
    for word in (
        "Pelanggan",
        "Piutang",
        "Umur piutang",
        "Menunggak",
        "Lunas sampai",
        "Semua router",
    ):
        assert word in page, word
    assert "29 November 2026" in page and "November 2026" in page  # Babel, Indonesian
    assert re.search(r">Agu 26<|>Okt 26<", page)  # chart months in Indonesian
    assert ">diputus-menunggak<" in page  # standings translated, filter values kept
    assert 'value="suspended-unpaid"' in page
    for english in ("Receivables aging", "Nobody owes", "Paid through", "All routers"):
        assert english not in page, english


def test_english_stays_the_default() -> None:
    page = render_html(example_board())
    assert '<html lang="en">' in page and "<h1>ISP dashboard</h1>" in page
    assert "Receivables aging (days past due)" in page


def test_every_message_of_the_page_has_an_indonesian_translation() -> None:
    template = (PROJECT / "isk_reconcile/render/templates/dashboard.html.j2").read_text()
    messages = set(re.findall(r'_\("([^"]+)"', template))
    po = PROJECT / "isk_reconcile/locale/id/LC_MESSAGES/isk.po"
    with po.open("rb") as handle:
        catalog = read_po(handle)
    translated = {message.id for message in catalog if message.id and message.string}
    assert sorted(messages - translated) == []


def test_babel_formats() -> None:
    assert long_day(AS_OF, "id") == "29 November 2026"
    assert month_name("2026-08", "id") == "Agustus 2026"
    assert short_money(1_250_000, "id") == "Rp1,25\xa0jt"  # a no-break space, as Babel writes it


def test_indonesian_dashboard_in_chromium(browser, tmp_path: Path) -> None:
    page = write_site(example_board(), tmp_path / "site", language="id", isp_name=ISP)
    browser.get(page.as_uri())
    assert browser.find_element("tag name", "h1").text == ISP
    assert browser.find_element("id", "as-of").text == "29 November 2026"
    assert browser.find_element("id", "search").get_attribute("placeholder").startswith("Cari")
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
    screenshot = tmp_path / "dashboard-id.png"
    assert browser.save_screenshot(str(screenshot)) and screenshot.stat().st_size > 10_000
    SCREENSHOT_COPY.parent.mkdir(exist_ok=True)
    shutil.copyfile(screenshot, SCREENSHOT_COPY)
