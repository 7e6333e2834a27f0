"""guards: `isk validate --base REF` against a real git repository of the example ISP."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date
from pathlib import Path

import git
import pytest

from isk_reconcile.errors import IskError, Loc
from isk_reconcile.gitops.guards import check, compare, load_base
from isk_reconcile.state import yamlsource
from isk_reconcile.state.loader import load_state
from isk_reconcile.state.parsecache import ParseCache, cache_file

AS_OF = date(2026, 11, 29)


@pytest.fixture
def repo(example_repo: Path) -> Path:
    handle = git.Repo.init(example_repo, initial_branch="main")
    with handle.config_writer() as config:
        config.set_value("user", "name", "Admin Satu")
        config.set_value("user", "email", "admin1@isk.example")
    handle.git.add("-A")
    handle.git.commit("-q", "-m", "initial state")
    return example_repo


def _errors(repo: Path) -> list:
    return check(repo, "main", load_state(repo, cache=False), AS_OF)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_unchanged_tree_passes(repo: Path) -> None:
    assert _errors(repo) == []


def test_edited_ledger_entry_is_caught_at_its_line(repo: Path) -> None:
    ledger = repo / "payments" / "2026-06.yaml"
    _edit(
        ledger,
        "  amount: 150000\n  date: 2026-06-01\n  kind: payment\n  method: transfer\n  "
        "reference: BNI 0106-06",
        "  amount: 100000\n  date: 2026-06-01\n  kind: payment\n  "
        "method: transfer\n  reference: BNI 0106-06",
    )
    errors = _errors(repo)
    assert len(errors) == 1
    error = errors[0]
    assert error.field == "P-2026-06-0002"
    assert error.loc.file == "payments/2026-06.yaml" and error.loc.line >= 10
    assert "edited" in error.message and "amount: 150000 → 100000" in error.message
    assert "append-only" in error.hint and "refund or credit" in error.hint


def test_deleted_ledger_entry_is_caught(repo: Path) -> None:
    ledger = repo / "payments" / "2026-06.yaml"
    text = ledger.read_text()
    start = text.index("- id: P-2026-06-0002")
    end = text.index("- id: P-2026-06-0003")
    ledger.write_text(text[:start] + text[end:])
    errors = _errors(repo)
    assert [e.field for e in errors] == ["P-2026-06-0002"]
    assert "deleted" in errors[0].message and "main" in errors[0].message
    assert str(errors[0].loc).startswith("payments/2026-06.yaml:")


def test_appended_entry_passes(repo: Path) -> None:
    ledger = repo / "payments" / "2026-06.yaml"
    ledger.write_text(
        ledger.read_text()
        + "- id: P-2026-06-9999\n  customer: budi-santoso\n  amount: 1000\n"
        + "  date: 2026-06-30\n  kind: credit\n"
    )
    assert _errors(repo) == []


def test_price_change_rewriting_billed_periods_is_caught(repo: Path) -> None:
    _edit(repo / "state/profiles/home-10m.yaml", "price: 150000 ", "price: 165000 ")
    errors = _errors(repo)
    assert len(errors) == 1
    assert str(errors[0].loc) == "state/profiles/home-10m.yaml:3:1" and errors[0].field == "price"
    assert "already-billed" in errors[0].message
    assert "dated entry {from: 2026-11-30" in errors[0].hint
    # every customer on the package counted, the first one's oldest invoice as the example
    assert errors[0].message == (
        "changes already-billed periods of 18 customer(s), e.g. agus-prasetyo/2026-02-10 "
        "(home-10m Rp150.000 → home-10m Rp165.000)"
    )


def test_future_dated_price_change_passes(repo: Path) -> None:
    _edit(
        repo / "state/profiles/home-10m.yaml",
        "price: 150000 ",
        "price: [{from: 2020-01-01, value: 150000}, {from: 2027-01-01, value: 165000}] ",
    )
    assert _errors(repo) == []


def test_customer_profile_change_is_caught_with_next_period(repo: Path) -> None:
    _edit(repo / "state/customers/budi-santoso.yaml", "profile: home-10m", "profile: home-20m")
    errors = _errors(repo)
    assert len(errors) == 1
    error = errors[0]
    assert str(error.loc) == "state/customers/budi-santoso.yaml:9:1" and error.field == "profile"
    assert "budi-santoso/2025-12-05" in error.message
    # Monthly cycle anchored on the 5th: the next period after 2026-11-29 starts 2026-12-05.
    assert "{from: 2026-12-05, value: ...}" in error.hint


def test_customer_upgrade_dated_at_next_period_passes(repo: Path) -> None:
    _edit(
        repo / "state/customers/budi-santoso.yaml",
        "profile: home-10m",
        "profile: [{from: 2025-12-05, value: home-10m}, {from: 2026-12-05, value: home-20m}]",
    )
    assert _errors(repo) == []


def test_deleting_a_customer_who_owes_money_is_caught(repo: Path) -> None:
    base = load_state(repo)
    owing = "agus-prasetyo"
    head = dataclasses.replace(
        base,
        customers={k: v for k, v in base.customers.items() if k != owing},
        ledger=tuple(e for e in base.ledger if e.customer != owing),
    )
    errors = [e for e in compare(base, head, AS_OF, "main") if e.field == owing]
    assert len(errors) == 1
    assert errors[0].loc.file == f"state/customers/{owing}.yaml"
    assert "still owes" in errors[0].message and "debt Rp50.000 → Rp0" in errors[0].message
    assert "--kind writeoff" in errors[0].hint


def test_deleting_a_customer_who_owes_nothing_passes(repo: Path) -> None:
    from isk_reconcile.billing.engine import standing

    base = load_state(repo)
    settled = next(c for c in sorted(base.customers) if standing(base, c, AS_OF).balance >= 0)
    head = dataclasses.replace(
        base,
        customers={k: v for k, v in base.customers.items() if k != settled},
        ledger=base.ledger,
    )
    assert [e for e in compare(base, head, AS_OF) if e.field == settled] == []


def test_unknown_ref_is_a_clear_error(repo: Path) -> None:
    with pytest.raises(IskError, match="unknown git revision 'nope'"):
        check(repo, "nope", load_state(repo), AS_OF)


def test_base_without_state_has_nothing_to_protect(tmp_path: Path, example_repo: Path) -> None:
    handle = git.Repo.init(example_repo, initial_branch="main")
    (example_repo / "README").write_text("empty\n")
    handle.git.add("README")
    handle.git.commit(
        "-q",
        "-m",
        "empty",
        "--author",
        "A <a@b.c>",
        env={"GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@b.c"},
    )
    assert check(example_repo, "main", load_state(example_repo), AS_OF) == []


def test_start_moved_is_caught(repo: Path) -> None:
    _edit(repo / "state/customers/budi-santoso.yaml", "start: 2025-12-05", "start: 2026-01-05")
    errors = _errors(repo)
    assert [(e.field, e.loc.file) for e in errors] == [
        ("start", "state/customers/budi-santoso.yaml")
    ]
    assert "budi-santoso/2025-12-05 (removed, was Rp150.000)" in errors[0].message
    assert "add a dated entry" not in errors[0].hint  # start has no dated form
    assert errors[0].hint.startswith("start is not a dated value")


def test_status_change_is_not_a_price_rewrite(repo: Path) -> None:
    _edit(repo / "state/customers/budi-santoso.yaml", "status: active", "status: free")
    assert _errors(repo) == []


def test_state_repo_in_a_subdirectory(example_repo: Path, tmp_path: Path) -> None:
    top = tmp_path / "ops"
    top.mkdir()
    example_repo.rename(top / "isp")
    repo = top / "isp"
    handle = git.Repo.init(top, initial_branch="main")
    handle.git.add("-A")
    handle.git.commit(
        "-q",
        "-m",
        "initial",
        env={
            "GIT_AUTHOR_NAME": "A",
            "GIT_AUTHOR_EMAIL": "a@b.c",
            "GIT_COMMITTER_NAME": "A",
            "GIT_COMMITTER_EMAIL": "a@b.c",
        },
    )
    ledger = repo / "payments" / "2026-06.yaml"
    ledger.write_text(ledger.read_text().replace("amount: 150000", "amount: 150001", 1))
    errors = check(repo, "main", load_state(repo, cache=False), AS_OF)
    assert [(e.field, e.loc.file) for e in errors] == [("P-2026-06-0001", "payments/2026-06.yaml")]


def _break_base(repo: Path) -> None:
    """Commit a base that no longer validates (an unknown key in a customer file)."""
    handle = git.Repo(repo)
    customer = repo / "state" / "customers" / "budi-santoso.yaml"
    customer.write_text(customer.read_text() + "colour: blue\n")
    handle.git.add("-A")
    handle.git.commit("-q", "-m", "broken on main")
    _edit(customer, "colour: blue\n", "")  # the pull request that fixes it


def test_invalid_base_still_enforces_the_append_only_ledger(repo: Path) -> None:
    _break_base(repo)
    _edit(
        repo / "payments" / "2026-06.yaml",
        "  amount: 150000\n  date: 2026-06-01\n  kind: payment\n  method: transfer\n  "
        "reference: BNI 0106-06",
        "  amount: 100000\n  date: 2026-06-01\n  kind: payment\n  method: transfer\n  "
        "reference: BNI 0106-06",
    )
    found = _errors(repo)
    errors = [problem for problem in found if problem.severity == "error"]
    warnings = [problem for problem in found if problem.severity == "warning"]
    assert [e.field for e in errors] == ["P-2026-06-0002"]
    assert "amount: 150000 → 100000" in errors[0].message
    assert len(warnings) == 1 and "only the append-only ledger" in warnings[0].message


def test_invalid_base_does_not_block_the_fix(repo: Path) -> None:
    _break_base(repo)
    found = _errors(repo)
    assert [problem.severity for problem in found] == ["warning"]
    assert "colour" in found[0].message


def test_the_invalid_base_warning_says_which_base_how_many_errors_and_what_was_skipped(
    repo: Path,
) -> None:
    _break_base(repo)
    (warning,) = check(repo, "HEAD", load_state(repo, cache=False), AS_OF)
    assert (warning.loc, warning.field, warning.severity) == (Loc("state"), "", "warning")
    assert warning.message.startswith(
        "HEAD has 1 validation error(s) (first: state/customers/budi-santoso.yaml:"
    )
    assert "colour" in warning.message
    assert warning.message.endswith("); only the append-only ledger was checked against it")
    assert warning.hint == "the billed-period and deleted-customer guards need a valid base"


def test_an_invalid_base_with_odd_ledger_files_is_still_checked(repo: Path) -> None:
    """The raw ledger of a base that fails validation is read as plain data: an empty
    file and a list item that is not an entry are skipped, not a crash."""
    handle = git.Repo(repo)
    (repo / "payments" / "2026-12.yaml").write_text("# nothing yet\n")
    (repo / "payments" / "2027-01.yaml").write_text("- just text\n")
    handle.git.add("-A")
    handle.git.commit("-q", "-m", "odd ledger files on main")
    (repo / "payments" / "2027-01.yaml").unlink()  # the pull request that fixes it
    found = _errors(repo)
    assert [problem.severity for problem in found] == ["warning"]


def test_a_start_moved_earlier_names_the_new_invoices_and_what_to_do(repo: Path) -> None:
    customer = repo / "state/customers/budi-santoso.yaml"
    _edit(customer, "start: 2025-12-05", "start: 2025-11-05")
    (error,) = _errors(repo)
    assert error.field == "start"
    assert error.message.startswith(
        "changes already-billed period budi-santoso/2025-11-05 (new, Rp150.000)"
    )
    assert error.hint == (
        "start is not a dated value: keep it (a late start is a credit entry), or terminate "
        "this customer and add a new one"
    )


@pytest.mark.parametrize(
    ("customer", "edit", "field", "line"),
    [
        ("agus-prasetyo", ("status: active", "status: free"), "status", 9),
        ("mega-putri", ("end: 2026-10-14", "end: 2026-09-01"), "end", 10),
    ],
)
def test_erasing_debt_by_status_or_end_points_at_that_line(
    repo: Path, customer: str, edit: tuple[str, str], field: str, line: int
) -> None:
    """A free account or an earlier end would erase debt still owed (gitops/debt_guard):
    the error sits on the line that did it."""
    path = f"state/customers/{customer}.yaml"
    _edit(repo / path, *edit)
    errors = [e for e in _errors(repo) if e.loc.file == path]
    assert [(e.field, e.loc.line) for e in errors] == [(field, line)]


def test_compare_names_the_base_and_places_edits_without_a_location(repo: Path) -> None:
    """States built in code: the base is called "base" unless named, and an edited entry
    without a recorded location is reported at the payments folder."""
    base = load_state(repo)
    owing = "agus-prasetyo"
    first = base.ledger[0]
    head = dataclasses.replace(
        base,
        customers={k: v for k, v in base.customers.items() if k != owing},
        ledger=(first.model_copy(update={"amount": first.amount + 1}), *base.ledger[1:]),
        locations={},
    )
    errors = {error.field: error for error in compare(base, head, AS_OF)}
    assert errors[first.id].loc == Loc("payments")
    assert errors[first.id].message.endswith("after it was merged in base")
    assert "(on base's terms, " in errors[owing].message
    named = {error.field: error for error in compare(base, head, AS_OF, "main")}
    assert "(on main's terms, " in named[owing].message


def test_a_new_customer_does_not_stop_the_billed_period_check(repo: Path) -> None:
    base = load_state(repo)
    budi = base.customers["budi-santoso"]
    newcomer = budi.model_copy(update={"id": "aaa-new"})
    moved = budi.model_copy(update={"start": date(2026, 1, 5)})
    customers = {"aaa-new": newcomer, **base.customers, "budi-santoso": moved}
    head = dataclasses.replace(base, customers=customers)
    assert [e.field for e in compare(base, head, AS_OF, "main")] == ["start"]


def _start_moved(base, start: date, **changes):
    budi = base.customers["budi-santoso"].model_copy(update={"start": start})
    return dataclasses.replace(base, customers={**base.customers, "budi-santoso": budi}, **changes)


def test_a_moved_start_counts_the_other_changed_invoices_and_has_a_location(repo: Path) -> None:
    base = load_state(repo)
    (one,) = compare(base, _start_moved(base, date(2025, 11, 5), locations={}), AS_OF, "main")
    assert one.message == "changes already-billed period budi-santoso/2025-11-05 (new, Rp150.000)"
    assert one.loc == Loc("state/customers/budi-santoso.yaml")  # a state built in code
    (two,) = compare(base, _start_moved(base, date(2025, 10, 5), locations={}), AS_OF, "main")
    assert two.message == (
        "changes already-billed period budi-santoso/2025-10-05 (new, Rp150.000) and 1 more"
    )
    (many,) = compare(base, _start_moved(base, date(2025, 12, 6)), AS_OF, "main")
    assert many.message == (
        "changes already-billed period budi-santoso/2025-12-05 (removed, was Rp150.000) and 23 more"
    )
    assert (
        many.loc
        == base.loc("customer", "budi-santoso")
        == Loc("state/customers/budi-santoso.yaml", 1, 1)
    )


def test_billing_settings_and_a_price_that_rewrite_billed_periods_are_both_caught(
    repo: Path,
) -> None:
    """One error for the settings and one per package: the settings' does not hide the
    package's, and each says what to do instead."""
    _edit(repo / "state/settings.yaml", "cycle: monthly ", "cycle: 30d    ")
    _edit(repo / "state/profiles/home-10m.yaml", "price: 150000 ", "price: 165000 ")
    rewrites = [error for error in _errors(repo) if "already-billed periods" in error.message]
    assert [(str(error.loc), error.field, error.hint) for error in rewrites] == [
        ("state/settings.yaml:5:1", "billing",
         "keep the billing settings of periods that have started"),
        ("state/profiles/home-10m.yaml:3:1", "price",
         "add a dated entry {from: 2026-11-30, value: ...} to price instead"),
    ]  # fmt: skip
    assert rewrites[0].message.startswith("the billing settings change already-billed periods")


def test_a_price_rewrite_points_at_the_package_as_loaded(repo: Path) -> None:
    """compare (before check moves a whole-file location to the field's line): the
    package's recorded location, not a made-up one."""
    base = load_base(repo, "main")
    _edit(repo / "state/profiles/home-10m.yaml", "price: 150000 ", "price: 165000 ")
    head = load_state(repo, cache=False)
    errors = list(compare(base, head, AS_OF, "main"))
    assert [error.loc for error in errors] == [head.loc("profile", "home-10m")]
    assert head.loc("profile", "home-10m") != Loc("state/profiles/home-10m.yaml")


# --- the base's parse cache -------------------------------------------------------------


def _delete_entry(ledger: Path, entry_id: str, next_id: str) -> str:
    """Remove one entry from a ledger file; returns the text without it."""
    text = ledger.read_text()
    start, end = text.index(f"- id: {entry_id}"), text.index(f"- id: {next_id}")
    return text[:start] + text[end:]


def test_the_base_cache_is_kept_beside_the_work_trees_and_nowhere_else(
    repo: Path, private_cache_home: Path
) -> None:
    """The base is checked out in a new scratch directory every run: its cache must not
    follow that path (one new cache directory per `validate --base`, never reused)."""
    own = cache_file(repo)
    for _ in range(2):
        assert load_base(repo, "main") is not None
    assert (own.parent / "base-parse-cache.json").is_file()
    assert [p.name for p in (private_cache_home / "isk").iterdir()] == [own.parent.name]


def test_an_unchanged_base_is_read_from_the_work_trees_cache(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first `validate --base` starts the base's cache from the work tree's: files the
    base shares with the work tree are not parsed again."""
    load_state(repo)  # the work tree's cache, as `isk validate` leaves it
    parsed: list[str] = []  # a file put in a cache is one that was parsed
    real = ParseCache.put

    def counting(cache: ParseCache, digest: bytes, entry: tuple) -> None:
        parsed.append(digest.hex())
        real(cache, digest, entry)

    monkeypatch.setattr(ParseCache, "put", counting)
    assert load_base(repo, "main") is not None
    assert parsed == []


def test_a_base_cache_committed_to_the_repository_is_not_trusted(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pull request that commits a cache file (here: the base's, under an in-repository
    XDG_CACHE_HOME, as CI configures it) claiming the base ledger never had an entry must
    not hide that entry's deletion."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(repo / ".isk-cache"))
    ledger = repo / "payments" / "2026-06.yaml"
    without = _delete_entry(ledger, "P-2026-06-0002", "P-2026-06-0003")
    forged = ParseCache(repo, file=repo.parent / "forge.json")
    parsed = yamlsource.parse_yaml(without.encode(), "payments/2026-06.yaml")
    forged.put(
        hashlib.sha256(ledger.read_bytes()).digest(),
        (parsed.data, parsed.errors, parsed.item_lines),
    )
    forged.save()
    planted = cache_file(repo).with_name("base-parse-cache.json")
    planted.parent.mkdir(parents=True)
    planted.write_bytes((repo.parent / "forge.json").read_bytes())
    handle = git.Repo(repo)
    handle.git.add("-A")
    handle.git.commit("-q", "-m", "a cache, planted")
    ledger.write_text(without)
    errors = _errors(repo)
    assert [e.field for e in errors] == ["P-2026-06-0002"]
    assert "deleted" in errors[0].message


# --- which base ------------------------------------------------------------------------


def test_the_base_is_the_named_commit_not_head(repo: Path) -> None:
    """`--base HEAD~1` after a commit that deleted an entry: the deletion is caught
    (the base is read from that commit, not from what is checked out)."""
    ledger = repo / "payments" / "2026-06.yaml"
    ledger.write_text(_delete_entry(ledger, "P-2026-06-0002", "P-2026-06-0003"))
    handle = git.Repo(repo)
    handle.git.commit("-q", "-am", "an entry deleted")
    assert _errors(repo) == []  # against HEAD: nothing changed since
    errors = check(repo, "HEAD~1", load_state(repo, cache=False), AS_OF)
    assert [e.field for e in errors] == ["P-2026-06-0002"]


def test_a_base_with_a_link_out_of_the_repository_is_still_checked(repo: Path) -> None:
    """A committed symlink to a file outside the repository (here the head removes it)
    is not followed in the base, and does not stop the guard (it used to be an internal
    error): the base is read without it, as a valid base."""
    link = repo / "state" / "customers" / "outside.yaml"
    link.symlink_to("/etc/hostname")
    handle = git.Repo(repo)
    handle.git.add("-A")
    handle.git.commit("-q", "-m", "a link out")
    link.unlink()
    base = load_base(repo, "main")
    assert base is not None and "outside" not in base.customers
    assert _errors(repo) == []
