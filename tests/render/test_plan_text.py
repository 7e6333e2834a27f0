"""The plan as terminal text: every part of it and its colours, exactly."""

from __future__ import annotations

from rich.text import Text

from isk_reconcile.reconcile.plan_types import Change, Plan, RouterPlan
from isk_reconcile.render.plan_text import render_change, render_text, verb
from tests.helpers.plans import DAY, every_kind_of_router

EVERY_KIND = """\
Plan as of 2026-11-29 (commit 0123456789ab)
warning: rw09-bae logs in over plain API

core-kudus: 1 create, 1 update, 1 delete, 0 enable, 0 disable, 0 disconnect, 1 conflict, 2 unmanaged
  + create secret siti-home (customer siti)
      why: paid through 2026-12-14 (P-1)
      password: (set)
      profile: home-10m
  ~ update secret ani
      why: profile differs
      profile: home-10m -> home-20m
      comment: old -> (unset)
  - delete secret gone
      why: not in the repository
  ! conflict secret eko
      why: exists on the router without the isk comment
  note: profile home-old kept: a secret still uses it

rw09-bae: ERROR 

rw10: SKIPPED not contacted before merge; pull request

rw11: 0 create, 0 update, 0 delete, 0 enable, 1 disable, 0 disconnect, 0 conflict, 0 unmanaged
  UNSAFE: ; apply refuses this router without --force
  v disable secret budi
      why: unpaid
      disabled: false -> true

rw12: 0 create, 0 update, 0 delete, 0 enable, 0 disable, 0 disconnect, 0 conflict, 0 unmanaged
  no changes

4 change(s) on 3 router(s); 1 conflict(s) not applied (review them; --adopt takes them over); 1 router(s) could not be read; 1 router(s) skipped (not contacted).
"""  # noqa: W291, E501 (the error line ends after "ERROR "; the closing line is long)

EVERY_KIND_STYLES = [
    ("Plan as of 2026-11-29", "bold"),
    ("warning: rw09-bae logs in over plain API\n", "bold yellow"),
    ("core-kudus", "bold cyan"),
    ("  + create secret ", "green"),
    ("siti-home", "bold"),
    ("      why: paid through 2026-12-14 (P-1)\n", "dim"),
    ("  ~ update secret ", "yellow"),
    ("ani", "bold"),
    ("      why: profile differs\n", "dim"),
    ("  - delete secret ", "red"),
    ("gone", "bold"),
    ("      why: not in the repository\n", "dim"),
    ("  ! conflict secret ", "bold red"),
    ("eko", "bold"),
    ("      why: exists on the router without the isk comment\n", "dim"),
    ("  note: profile home-old kept: a secret still uses it\n", "dim"),
    ("rw09-bae", "bold cyan"),
    (": ERROR \n", "bold red"),
    ("rw10", "bold cyan"),
    (": SKIPPED not contacted before merge; pull request\n", "bold yellow"),
    ("rw11", "bold cyan"),
    ("  UNSAFE: ; apply refuses this router without --force\n", "bold red"),
    ("  v disable secret ", "red"),
    ("budi", "bold"),
    ("      why: unpaid\n", "dim"),
    ("rw12", "bold cyan"),
    ("  no changes\n", "dim"),
    ("4 change(s) on 3 router(s)", "bold"),
    ("; 1 conflict(s) not applied (review them; --adopt takes them over)", "bold red"),
    ("; 1 router(s) could not be read", "bold red"),
    ("; 1 router(s) skipped (not contacted)", "bold yellow"),
]


def styled(text: Text) -> list[tuple[str, str]]:
    return [(text.plain[span.start : span.end], str(span.style)) for span in text.spans]


def test_the_plan_shows_every_router_status_and_change_exactly() -> None:
    """Summary counts (0 where a router has none), warnings, the customer beside a secret
    named otherwise, no fields under a delete, notes, unreadable, skipped and unsafe
    routers, 'no changes', and the closing line counting all of it."""
    text = render_text(every_kind_of_router())
    assert text.plain == EVERY_KIND
    assert styled(text) == EVERY_KIND_STYLES


def _closing(*routers: RouterPlan) -> tuple[str, list[tuple[str, str]]]:
    """The closing line and its coloured parts."""
    text = render_text(Plan(as_of=DAY, commit=None, routers=routers))
    start = text.plain.rstrip("\n").rfind("\n") + 1
    parts = [(text.plain[s.start : s.end], str(s.style)) for s in text.spans if s.start >= start]
    return text.plain[start:].rstrip("\n"), parts


def test_the_closing_line_says_what_is_left_when_nothing_is_applied() -> None:
    conflict = Change("conflict", "secret", "eko", "eko", "unmanaged")
    assert _closing(RouterPlan("a", "ok")) == (
        "No changes: the routers match the repository.",
        [("No changes: the routers match the repository", "bold green")],
    )
    assert _closing(RouterPlan("a", "ok", changes=(conflict,))) == (
        "No changes to apply; 1 conflict(s) not applied (review them; --adopt takes them over).",
        [
            ("No changes to apply", "bold"),
            ("; 1 conflict(s) not applied (review them; --adopt takes them over)", "bold red"),
        ],
    )
    assert _closing(RouterPlan("a", "ok"), RouterPlan("b", "error", "b: refused")) == (
        "No changes on the routers that were read; 1 router(s) could not be read.",
        [
            ("No changes on the routers that were read", "bold"),
            ("; 1 router(s) could not be read", "bold red"),
        ],
    )
    assert _closing(RouterPlan("a", "ok"), RouterPlan("b", "skipped"))[0] == (
        "No changes on the routers that were read; 1 router(s) skipped (not contacted)."
    )


def test_an_error_is_shown_without_repeating_the_router_name() -> None:
    text = render_text(
        Plan(as_of=DAY, commit=None, routers=(RouterPlan("b", "error", "b: refused"),))
    )
    assert "b: ERROR refused\n" in text.plain


def test_a_change_rendered_alone_shows_its_whole_reason() -> None:
    alone = Text()
    render_change(Change("disable", "secret", "budi", "budi", "unpaid", {}), alone)
    assert alone.plain == "  v disable secret budi\n      why: unpaid\n"
    text = Text()
    render_change(Change("disconnect", "session", "budi", "budi", "access suspended: unpaid"), text)
    assert text.plain == "  x disconnect session budi\n      why: access suspended: unpaid\n"


def test_a_disable_that_also_changes_the_profile_reads_disable() -> None:
    both = {"profile": ("home-10m", "isolir"), "disabled": ("false", "true")}
    assert verb(Change("disable", "secret", "budi", "budi", "x", both)) == "disable"
    isolate = {"profile": ("home-10m", "isolir")}
    assert verb(Change("disable", "secret", "budi", "budi", "x", isolate)) == "disable (isolate)"


# The same plan in the repository's language (settings `language: id`): every line built
# from a catalog message is translated; the core's reasons are where the catalog has them.
EVERY_KIND_ID = """\
Rencana per 29 November 2026 (commit 0123456789ab)
peringatan: rw09-bae logs in over plain API

core-kudus: 1 buat, 1 ubah, 1 hapus, 0 aktifkan, 0 nonaktifkan, 0 putuskan, 1 konflik, 2 tak dikelola
  + buat secret siti-home (pelanggan siti)
      alasan: lunas sampai 14 Des 2026 (P-1)
      password: (set)
      profile: home-10m
  ~ ubah secret ani
      alasan: profile differs
      profile: home-10m -> home-20m
      comment: old -> (unset)
  - hapus secret gone
      alasan: not in the repository
  ! konflik secret eko
      alasan: exists on the router without the isk comment
  catatan: profile home-old kept: a secret still uses it

rw09-bae: GALAT 

rw10: DILEWATI not contacted before merge; pull request

rw11: 0 buat, 0 ubah, 0 hapus, 0 aktifkan, 1 nonaktifkan, 0 putuskan, 0 konflik, 0 tak dikelola
  TIDAK AMAN: ; apply menolak router ini tanpa --force
  v nonaktifkan secret budi
      alasan: menunggak
      disabled: false -> true

rw12: 0 buat, 0 ubah, 0 hapus, 0 aktifkan, 0 nonaktifkan, 0 putuskan, 0 konflik, 0 tak dikelola
  tidak ada perubahan

4 perubahan di 3 router; 1 konflik tidak diterapkan (periksa dulu; --adopt mengambil alih); 1 router tidak terbaca; 1 router dilewati (tidak dihubungi).
"""  # noqa: W291, E501 (the error line ends after "GALAT "; the closing line is long)


def test_the_plan_reads_in_the_repository_language() -> None:
    assert render_text(every_kind_of_router(), "id").plain == EVERY_KIND_ID


def test_a_language_without_a_catalog_reads_english() -> None:
    assert render_text(every_kind_of_router(), "fr").plain == EVERY_KIND
