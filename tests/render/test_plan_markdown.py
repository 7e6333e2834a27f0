"""The Markdown plan (pull-request comment): every part of it, exactly, and where it is cut."""

from __future__ import annotations

from isk_reconcile.reconcile.plan_types import Change, Plan, RouterPlan
from isk_reconcile.render.plan_markdown import code, render_markdown
from tests.helpers.plans import DAY, every_kind_of_router

EVERY_KIND = """\
<!-- isk-plan -->
## isk plan as of 2026-11-29
Commit `0123456789ab`

| router | status | create | update | delete | enable | disable | disconnect | conflict | unmanaged |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|
| core-kudus | ok | 1 | 1 | 1 | 0 | 0 | 0 | 1 | 2 |
| rw09-bae | error | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| rw10 | skipped | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| rw11 | unsafe | 0 | 0 | 0 | 0 | 1 | 0 | 0 | 0 |
| rw12 | ok | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |

**Warning:** rw09-bae logs in over plain API

**1 conflict(s)** not applied: review them (`--adopt` takes them over).

**1 router(s) could not be read**: their changes are not known.

**1 router(s) skipped**: not contacted before merge (see below).

### core-kudus

- **create** secret `siti-home` (customer `siti`): paid through 2026-12-14 (P-1)  
  `password: (set)`; `profile: home-10m`
- **update** secret `ani`: profile differs  
  `profile: home-10m -> home-20m`; `comment: old -> (unset)`
- **delete** secret `gone`: not in the repository
- **conflict** secret `eko`: exists on the router without the isk comment
- note: profile home-old kept: a secret still uses it

### rw09-bae

**Error:** 

### rw10

**Skipped:** not contacted before merge; pull request

### rw11

**Unsafe:**  (apply needs `--force`)

- **disable** secret `budi`: unpaid  
  `disabled: false -> true`

### rw12

No changes.

"""  # noqa: W291, E501 (a Markdown line break is two trailing spaces; the table is wide)


def test_the_comment_shows_every_router_status_and_change_exactly() -> None:
    """Summary counts (0 where a router has none), warnings, conflicts, unreadable and
    skipped routers, changes with their fields (none for a delete: its fields are what is
    removed), the customer beside a secret named otherwise, notes, and 'No changes.'."""
    assert render_markdown(every_kind_of_router()) == EVERY_KIND


def test_only_a_plan_without_changes_conflicts_or_unread_routers_says_no_changes() -> None:
    quiet = Plan(as_of=DAY, commit=None, routers=(RouterPlan("core-kudus", "ok"),))
    text = render_markdown(quiet)
    assert text.startswith("<!-- isk-plan -->\n## isk plan as of 2026-11-29\n\n| router |")
    assert "No changes: the routers match the repository.\n\n### core-kudus\n" in text
    assert "Commit" not in text
    one = Change("enable", "secret", "budi", "budi", "paid", {"disabled": ("true", "false")})
    busy = Plan(as_of=DAY, commit=None, routers=(RouterPlan("core-kudus", "ok", changes=(one,)),))
    skipped = Plan(
        as_of=DAY, commit=None, routers=(RouterPlan("rw10", "skipped", notes=("later",)),)
    )
    for plan in (busy, skipped):
        assert "No changes:" not in render_markdown(plan)
    assert "**1 router(s) skipped**" in render_markdown(skipped)


def _many_changes(count: int) -> Plan:
    changes = tuple(
        Change("create", "secret", f"c{n:04d}", f"c{n:04d}", "new customer") for n in range(count)
    )
    return Plan(as_of=DAY, commit=None, routers=(RouterPlan("core-kudus", "ok", changes=changes),))


def _cut_note(limit: int, left: int) -> str:
    return (
        f"\n_… output cut to stay under {limit:,} characters: {left} more change(s) not "
        "shown; run `isk plan` for the full plan._\n"
    )


def test_a_line_that_fits_under_the_cap_is_kept_and_one_character_more_cuts_it() -> None:
    plan = _many_changes(3)
    full = render_markdown(plan, limit=10**6)
    last = "- **create** secret `c0002`: new customer\n"
    assert full.endswith(last + "\n")
    # the cap keeps 200 characters for the note; the closing empty line fits exactly here
    fits = len(full) + 200
    assert render_markdown(plan, limit=fits) == full
    assert render_markdown(plan, limit=fits - 1) == full[:-1] + _cut_note(fits - 1, 0)
    before_last = full[: -len(last) - 1]
    tight = len(before_last) + len(last) + 200 - 1
    assert render_markdown(plan, limit=tight) == before_last + _cut_note(tight, 1)


def test_code_spans_hold_any_text() -> None:
    assert code("a|b") == "`a|b`"
    assert code("a|b", cell=True) == "`a\\|b`"  # GFM splits table cells at | even in code
    assert code("") == "(empty)"
    assert code("`tick") == "`` `tick ``"
    assert code("tick`") == "`` tick` ``"
    assert code(" lead") == "`  lead `"
    assert code("a``b") == "```a``b```"
    assert code("XtraX") == "`XtraX`"


# The same comment in the repository's language (settings `language: id`).
EVERY_KIND_ID = """\
<!-- isk-plan -->
## Rencana isk per 29 November 2026
Commit `0123456789ab`

| router | status | buat | ubah | hapus | aktifkan | nonaktifkan | putuskan | konflik | tak dikelola |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|
| core-kudus | ok | 1 | 1 | 1 | 0 | 0 | 0 | 1 | 2 |
| rw09-bae | galat | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| rw10 | dilewati | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| rw11 | tidak aman | 0 | 0 | 0 | 0 | 1 | 0 | 0 | 0 |
| rw12 | ok | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |

**Peringatan:** rw09-bae logs in over plain API

**1 konflik** tidak diterapkan: periksa dulu (`--adopt` mengambil alih).

**1 router tidak terbaca**: perubahannya tidak diketahui.

**1 router dilewati**: tidak dihubungi sebelum merge (lihat di bawah).

### core-kudus

- **buat** secret `siti-home` (pelanggan `siti`): lunas sampai 14 Des 2026 (P-1)  
  `password: (set)`; `profile: home-10m`
- **ubah** secret `ani`: profile differs  
  `profile: home-10m -> home-20m`; `comment: old -> (unset)`
- **hapus** secret `gone`: not in the repository
- **konflik** secret `eko`: exists on the router without the isk comment
- catatan: profile home-old kept: a secret still uses it

### rw09-bae

**Galat:** 

### rw10

**Dilewati:** not contacted before merge; pull request

### rw11

**Tidak aman:**  (apply butuh `--force`)

- **nonaktifkan** secret `budi`: menunggak  
  `disabled: false -> true`

### rw12

Tidak ada perubahan.

"""  # noqa: W291, E501 (a Markdown line break is two trailing spaces; the table is wide)


def test_the_comment_reads_in_the_repository_language() -> None:
    assert render_markdown(every_kind_of_router(), language="id") == EVERY_KIND_ID
