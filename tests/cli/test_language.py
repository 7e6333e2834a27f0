"""The whole CLI in the ISP's language (`settings.language`), on the example ISP in a real
git repository with simulated routers: every command that prints, in Indonesian and in
English, with dates and money written by Babel the way each language writes them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from isk_reconcile.cli import COMMAND_MODULES  # noqa: F401  (registers every command)
from tests.helpers.live import Run, run, serve_example_isp
from tests.helpers.process import for_the_fixed_day

# (command line, a sentence of it in Indonesian, the same in English)
COMMANDS: list[tuple[tuple[str, ...], str, str]] = [
    (("validate",), "entri buku kas (0 peringatan, per 29 November 2026)", "ledger entries"),
    (("customers",), "pelanggan per 29 November 2026", "customers on 2026-11-29"),
    (("customer", "show", "joko-susilo"), "Riwayat paket", "Profile history"),
    (("invoices", "--customer", "joko-susilo"), "Tagihan per 29 November 2026", "Invoices on"),
    (("receivables",), "Piutang per 29 November 2026", "Receivables on 2026-11-29"),
    (("history", "joko-susilo"), "pembayaran P-2025-12-0009", "payment P-2025-12-0009"),
    (("status",), "Status ISP per 29 November 2026", "ISP status as of 2026-11-29"),
    (("sessions",), "Sesi per 29 November 2026", "Sessions as of 2026-11-29"),
    (("plan",), "Rencana per 29 November 2026", "Plan as of 2026-11-29"),
    (("plan", "--format", "markdown"), "Rencana isk per 29 November 2026", "isk plan as of"),
    (("apply", "--auto-approve"), "penulisan diterapkan, terverifikasi", "applied, verified"),
    (("notify", "plan"), "Notifikasi untuk 29 November 2026", "Notifications for 2026-11-29"),
    (("notify", "log"), "belum ada notifikasi tercatat", "no notifications recorded"),
    (("pay", "joko-susilo", "200000", "--method", "cash"), "lunas sampai", "paid through"),
    (("customer", "suspend", "arif-rahman", "--reason", "moved"), "diputus", "suspended"),
    (("customer", "resume", "arif-rahman"), "menulis state/customers", "wrote state/customers"),
    (
        ("customer", "set-profile", "arif-rahman", "home-20m"),
        "mulai 11 Desember 2026",
        "from 2026-12-11",
    ),
    (
        ("customer", "hold", "dewi-lestari", "--from", "2026-12-24", "--reason", "abroad"),
        "cuti mulai 24 Desember 2026",
        "on hold from 2026-12-24",
    ),
    (("customer", "terminate", "joko-susilo"), "berhenti, hari terakhir", "terminated, last day"),
    (("customer", "show", "no-such-one"), "pelanggan tidak ada: no-such-one", "no such customer"),
]
# English words that must not be left in the Indonesian output of the commands above.
ENGLISH_LEFTOVERS = (
    "paid through",
    "Plan as of",
    "no changes",
    "customers on",
    "Receivables aging",
    "unpaid invoice",
    "grace ended",
    "access suspended",
    "package ",
    "write(s) applied",
    "error:",
    "warning:",
)


@pytest.fixture
def isp_in(example_repo: Path, monkeypatch: pytest.MonkeyPatch):
    """The example ISP served by simulated routers, in the given language."""

    def make(language: str):
        settings = example_repo / "state" / "settings.yaml"
        text = settings.read_text(encoding="utf-8")
        settings.write_text(re.sub(r"(?m)^language: \w+", f"language: {language}", text))
        return serve_example_isp(example_repo, monkeypatch)

    return make


def shown_text(result: Run) -> str:
    """What the command printed, less the bodies of customer notifications (`    | ...`):
    their text is the notification templates' (docs/notifications.md), not the CLI's."""
    lines = (result.out + result.err).splitlines()
    return "\n".join(line for line in lines if not line.startswith("    | "))


def walk(capsys: pytest.CaptureFixture[str], repo: Path) -> list[tuple[tuple[str, ...], Run]]:
    return [(args, run(capsys, repo, *for_the_fixed_day(args))) for args, _, _ in COMMANDS]


def test_every_command_speaks_indonesian(isp_in, capsys: pytest.CaptureFixture[str]) -> None:
    served = isp_in("id")
    isp = next(served)
    try:
        results = walk(capsys, isp.repo)
    finally:
        served.close()
    for (args, result), (_, indonesian, _) in zip(results, COMMANDS, strict=True):
        shown = shown_text(result)
        assert indonesian in shown, (args, shown)
        for english in ENGLISH_LEFTOVERS:
            assert english not in shown, (args, english, shown)
    plan = dict(results)[("plan",)].out
    assert "paket " in plan or "alasan: " in plan  # reasons translated at render time
    status = dict(results)[("status",)].out
    assert "Rp1.650.000" in status and "ISK-NET" in status  # money, and the ISP's name


def test_scripts_read_english_in_any_language(isp_in, capsys: pytest.CaptureFixture[str]) -> None:
    """CSV, JSON and the isk-plan/1 document are contracts: the same in every language."""
    served = isp_in("id")
    isp = next(served)
    try:
        csv = run(capsys, isp.repo, "customers", "--format", "csv").out
        plan = run(capsys, isp.repo, "plan", "--format", "json").out
    finally:
        served.close()
    assert csv.startswith("id,name,router,profile,status,standing,access,reason,paid_through")
    assert ',suspended-unpaid,suspended,"unpaid invoice ' in csv
    assert '"isk-plan/1"' in plan and '"reason": "package defined in the repository"' in plan


def test_english_stays_english(isp_in, capsys: pytest.CaptureFixture[str]) -> None:
    served = isp_in("en")
    isp = next(served)
    try:
        results = walk(capsys, isp.repo)
    finally:
        served.close()
    for (args, result), (_, indonesian, english) in zip(results, COMMANDS, strict=True):
        shown = result.out + result.err
        assert english in shown, (args, shown)
        assert indonesian not in shown, (args, shown)


SCREENSHOT_COPY = Path(__file__).resolve().parents[2] / "out" / "dashboard-id-live.png"


def test_dashboard_in_indonesian_with_who_is_online_in_chromium(
    isp_in, capsys: pytest.CaptureFixture[str], browser, tmp_path: Path
) -> None:
    """`isk report --html` with the routers read: the page in Indonesian (lang, Babel
    months, translated reasons) with the sessions table; a screenshot is saved."""
    served = isp_in("id")
    isp = next(served)
    try:
        result = run(capsys, isp.repo, "report", "--html", str(tmp_path / "site"))
    finally:
        served.close()
    assert result.code == 0, result.err
    browser.set_window_size(1400, 3200)
    browser.get((tmp_path / "site" / "index.html").as_uri())
    html = browser.find_element("tag name", "html")
    assert html.get_attribute("lang") == "id"
    assert browser.find_element("tag name", "h1").text == "ISK-NET"
    labels = {e.text for e in browser.find_elements("css selector", "#monthly-chart text")}
    assert labels & {"Agu 26", "Okt 26", "Des 25", "Mei 26"}  # Indonesian months (Babel)
    rows = browser.find_elements("css selector", "#sessions tbody tr")
    cells = [row.text for row in rows]
    assert any("joko-susilo" in text and "diputus tapi online" in text for text in cells)
    assert any("lunas tapi offline" in text for text in cells)
    headers = [e.text for e in browser.find_elements("css selector", "#sessions th")]
    assert "Nama pengguna" in headers and "Username" not in headers
    cells = [e.text for e in browser.find_elements("css selector", "#overdue td")]
    assert "12 Okt 2026" in cells  # date cells by Babel, never ISO
    assert not [cell for cell in cells if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell)]
    reasons = " ".join(e.text for e in browser.find_elements("css selector", "td.reason"))
    assert "belum dibayar" in reasons and "unpaid invoice" not in reasons
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    screenshot = tmp_path / "dashboard-id.png"
    assert browser.save_screenshot(str(screenshot)) and screenshot.stat().st_size > 10_000
    SCREENSHOT_COPY.parent.mkdir(exist_ok=True)
    SCREENSHOT_COPY.write_bytes(screenshot.read_bytes())


def test_validation_errors_keep_the_location_and_speak_indonesian(
    example_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = example_repo / "state" / "settings.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(re.sub(r"(?m)^language: \w+", "language: id", text))
    customer = example_repo / "state" / "customers" / "budi-santoso.yaml"
    customer.write_text(customer.read_text().replace("name:", "nmae:", 1), encoding="utf-8")
    result = run(capsys, example_repo, "validate")
    assert result.code == 1
    lines = result.err.splitlines()
    assert any(
        re.match(r"state/customers/budi-santoso\.yaml:\d+:\d+: ", line)
        and "kunci tidak dikenal 'nmae' (maksudnya 'name'?)" in line
        for line in lines
    ), result.err
    assert any("kunci wajib 'name' tidak ada" in line for line in lines), result.err
    assert lines[-1] == "galat: 2 galat di repositori state", result.err
