"""The HTML dashboard in headless Chromium: loads cleanly, shows the `isk status` figures,
and its search and filters work. A screenshot is kept for people to look at.

Needs the Debian packages `chromium` and `chromium-driver` (`.ci/run` installs them).
Without them the test is skipped locally, but fails in CI (CI set), so a broken CI
image cannot pass silently. Selenium is pointed at the local binaries and never asked
to download anything.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from isk_reconcile.billing.engine import rupiah
from tests.helpers import PROJECT
from tests.helpers.live import LiveIsp, run

SCREENSHOT_COPY = PROJECT / "out" / "dashboard.png"  # /out/ is gitignored


def visible_rows(driver) -> list:
    return [
        row
        for row in driver.find_elements("css selector", "#customers tbody tr")
        if row.is_displayed()
    ]


def test_dashboard_in_chromium(browser, live_isp: LiveIsp, capsys, tmp_path: Path) -> None:  # noqa: F811
    from selenium.webdriver.support.ui import Select

    status = run(capsys, live_isp.repo, "status", "--format", "json")
    assert status.code == 0, status.err
    document = json.loads(status.out)
    report = run(capsys, live_isp.repo, "report", "--html", str(tmp_path / "site"))
    assert report.code == 0, report.err
    page = tmp_path / "site" / "index.html"

    browser.get(page.as_uri())
    assert browser.find_element("id", "as-of").text == document["as_of"]
    assert browser.find_element("id", "commit").text == document["commit"]

    # the page loads with no console errors
    severe = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == []

    # the figures in the cards are those of `isk status --format json`
    shown = {}
    for element in browser.find_elements("css selector", ".figure"):
        key = (element.get_attribute("data-scope"), element.get_attribute("data-figure"))
        shown[key] = element.text
    scopes = [("total", document["total"])]
    scopes += [(f"router:{r['router']}", r) for r in document["routers"]]
    for scope, expected in scopes:
        for key in ("billed", "collected", "outstanding"):
            assert shown[(scope, key)] == rupiah(expected[key]), (scope, key)
        for key in ("expiring", "drift", "active_sessions"):
            assert shown[(scope, key)] == str(expected[key]), (scope, key)
        for key, count in expected["customers"].items():
            if (scope, f"customers.{key}") in shown:
                assert shown[(scope, f"customers.{key}")] == str(count), (scope, key)
    for label, amount in document["total"]["aging"].items():
        assert shown[("total", f"aging.{label}")] == rupiah(amount)

    everyone = document["total"]["customers"]["total"]
    count = browser.find_element("id", "shown-count")
    assert len(visible_rows(browser)) == everyone and count.text == str(everyone)

    # typing in the search box filters the table
    target = document["overdue"][0]
    search = browser.find_element("id", "search")
    search.send_keys(target["name"].split()[0])
    rows = visible_rows(browser)
    assert 1 <= len(rows) < everyone
    assert any(row.find_elements("tag name", "td")[0].text == target["customer"] for row in rows)
    assert count.text == str(len(rows))
    search.clear()
    search.send_keys("no such customer at all")
    assert visible_rows(browser) == [] and count.text == "0"
    search.clear()
    search.send_keys(" ")  # "input" fires; whitespace matches everyone
    assert len(visible_rows(browser)) == everyone

    # the filters: router, standing, expiring
    router = document["routers"][1]
    Select(browser.find_element("id", "filter-router")).select_by_visible_text(router["router"])
    assert len(visible_rows(browser)) == router["customers"]["total"]
    Select(browser.find_element("id", "filter-router")).select_by_index(0)
    Select(browser.find_element("id", "filter-standing")).select_by_visible_text("free")
    assert len(visible_rows(browser)) == document["total"]["customers"]["free"]
    Select(browser.find_element("id", "filter-standing")).select_by_index(0)
    browser.find_element("id", "filter-expiring").click()
    expiring = {row.find_elements("tag name", "td")[0].text for row in visible_rows(browser)}
    assert expiring == {row["customer"] for row in document["expiring"]}
    browser.find_element("id", "filter-expiring").click()

    # a screenshot for people: in the test's tmp dir and, for convenience, in out/
    browser.execute_script("window.scrollTo(0, 0)")
    screenshot = tmp_path / "dashboard.png"
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000
    SCREENSHOT_COPY.parent.mkdir(exist_ok=True)
    shutil.copyfile(screenshot, SCREENSHOT_COPY)
    # nothing went wrong in the page's script while filtering either
    assert [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"] == []
