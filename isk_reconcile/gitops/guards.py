"""`isk validate --base REF`: rules that need the base commit (SPEC §2, §6).

- the ledger is append-only: an entry merged on the base is never edited or deleted;
- a price, profile or start change must not rewrite an invoice whose period already started;
- no edit erases money still owed for billed periods: a status or end change, a deleted
  customer file or a billing-settings change is refused until the debt is settled or
  written off (`debt_guard.py`).

The base commit's files are read from git (no checkout) and parsed by the same loader.
"""

from __future__ import annotations

import dataclasses
import tarfile
import tempfile
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

import git

from isk_reconcile.errors import ConfigError, IskError, Loc, ValidationFailed
from isk_reconcile.gitops.debt_guard import debt_errors
from isk_reconcile.gitops.history import open_repo, repo_prefix
from isk_reconcile.state.customers import Customer
from isk_reconcile.state.model import State

if TYPE_CHECKING:
    from isk_reconcile.state.parsecache import ParseCache

BILLED_FIELDS = ("start", "profile", "price")
APPEND_ONLY = "the ledger is append-only: add a refund or credit entry instead"


def check(repo: Path, base_ref: str, state: State, as_of: date) -> list[ConfigError]:
    """Problems of the working tree's `state` compared with the commit `base_ref`.

    A base that no longer validates (say, a rule this version added) must not block the
    pull request that fixes it: the append-only ledger is then still enforced on the
    base's raw entries, and a warning says which guards could not run.
    """
    try:
        base = load_base(repo, base_ref)
    except InvalidBase as invalid:
        return [*raw_ledger_errors(invalid.raw_ledger, state, base_ref), invalid.warning()]
    if base is None:  # the base has no state repository yet: nothing to protect
        return []
    return [_at_field_line(repo, error) for error in compare(base, state, as_of, base_ref)]


class InvalidBase(Exception):
    """The base commit's state does not validate; its ledger entries as plain data."""

    def __init__(self, base_ref: str, failed: ValidationFailed, raw_ledger: dict[str, dict]):
        self.base_ref = base_ref
        self.failed = failed
        self.raw_ledger = raw_ledger

    def warning(self) -> ConfigError:
        first = self.failed.errors[0] if self.failed.errors else "?"
        return ConfigError(
            Loc("state"),
            "",
            f"{self.base_ref} has {len(self.failed.errors)} validation error(s) (first: "
            f"{first}); only the append-only ledger was checked against it",
            "the billed-period and deleted-customer guards need a valid base",
            severity="warning",
        )


def _at_field_line(repo: Path, error: ConfigError) -> ConfigError:
    """Point a whole-file location at the top-level line of the field it is about."""
    if error.loc.line > 1 or error.field not in (
        "profile",
        "price",
        "start",
        "billing",
        "status",
        "end",
    ):
        return error
    try:
        lines = (repo / error.loc.file).read_text(encoding="utf-8").splitlines()
    except OSError:
        return error
    for number, line in enumerate(lines, start=1):
        if line.startswith(f"{error.field}:"):
            return dataclasses.replace(error, loc=Loc(error.loc.file, number, 1))
    return error


def load_base(repo: Path, base_ref: str) -> State | None:
    handle = open_repo(repo)
    try:
        commit = handle.commit(base_ref)
    except (git.BadName, ValueError, git.GitCommandError):
        raise IskError(f"unknown git revision {base_ref!r} (fetch it first?)") from None
    prefix = repo_prefix(handle, repo)
    tree = commit.tree
    wanted = [name for name in ("state", "payments") if _has(tree, prefix + name)]
    if f"{prefix}state" not in [prefix + name for name in wanted]:
        return None
    archive = BytesIO()
    handle.archive(archive, commit.hexsha, format="tar", path=[prefix + name for name in wanted])
    archive.seek(0)
    from isk_reconcile.state.loader import load_state

    with tempfile.TemporaryDirectory(prefix="isk-base-") as scratch:
        with tarfile.open(fileobj=archive) as bundle:
            bundle.extractall(scratch, filter=_readable_only)
        try:
            return load_state(Path(scratch) / prefix, cache=_base_parse_cache(repo, scratch))
        except ValidationFailed as failed:
            raise InvalidBase(base_ref, failed, read_raw_ledger(Path(scratch) / prefix)) from None


def _readable_only(member: tarfile.TarInfo, path: str) -> tarfile.TarInfo | None:
    """tarfile's "data" filter, except that a member it refuses (a link out of the
    tree, an absolute path) is left out instead of stopping the guard: the loader never
    reads through such a link anyway (it is an error in the work tree)."""
    try:
        return tarfile.data_filter(member, path)
    except tarfile.FilterError:
        return None


def read_raw_ledger(repo: Path) -> dict[str, dict]:
    """Ledger entries by id as plain YAML data, without validation (for an invalid base)."""
    from isk_reconcile.state.yamlsource import read_yaml

    entries: dict[str, dict] = {}
    for path in sorted((repo / "payments").rglob("*.yaml")):
        parsed = read_yaml(repo, path.relative_to(repo).as_posix())
        for item in parsed.data if isinstance(parsed.data, list) else ():
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                entries.setdefault(item["id"], {**item, "_file": parsed.path})
    return entries


def _base_parse_cache(repo: Path, scratch: str) -> ParseCache:
    """The base's own parse cache next to the work tree's (the scratch path changes every
    run), started from the work tree's when it has none yet: entries are keyed by file
    content, and most files are the same in the base."""
    from isk_reconcile.state.parsecache import ParseCache, cache_file

    own = cache_file(repo)
    base = own.with_name("base-" + own.name)
    return ParseCache(Path(scratch), file=base, seed=own, owner=repo)


def _has(tree: git.Tree, path: str) -> bool:
    try:
        tree / path
    except KeyError:
        return False
    return True


def compare(base: State, head: State, as_of: date, base_ref: str = "base") -> list[ConfigError]:
    """Pure: every guard violation of `head` relative to `base`."""
    return [
        *ledger_errors(base, head, base_ref),
        *billed_period_errors(base, head, as_of),
        *debt_errors(base, head, as_of, base_ref),
    ]


# --- ledger ---------------------------------------------------------------------------


def raw_ledger_errors(
    base_entries: dict[str, dict], head: State, base_ref: str
) -> Iterable[ConfigError]:
    """The append-only rule against an unvalidated base: fields compared as written,
    with the model's defaults for fields the base left out."""
    from isk_reconcile.state.ledger import LedgerEntry

    defaults = {name: info.default for name, info in LedgerEntry.model_fields.items()}
    current = {entry.id: entry for entry in head.ledger}
    for entry_id, written in base_entries.items():
        now = current.get(entry_id)
        if now is None:
            yield ConfigError(
                Loc(written["_file"]),
                entry_id,
                f"ledger entry {entry_id} was deleted; it is in {base_ref}",
                APPEND_ONLY,
            )
            continue
        after = now.model_dump()
        edited = [key for key in after if written.get(key, defaults.get(key)) != after[key]]
        if edited:
            what = ", ".join(f"{key}: {written.get(key)} → {after[key]}" for key in edited)
            yield ConfigError(
                head.loc("ledger", entry_id) or Loc("payments"),
                entry_id,
                f"ledger entry {entry_id} was edited ({what}) after it was merged in {base_ref}",
                APPEND_ONLY,
            )


def ledger_errors(base: State, head: State, base_ref: str) -> Iterable[ConfigError]:
    current = {entry.id: entry for entry in head.ledger}
    for entry in base.ledger:
        now = current.get(entry.id)
        if now is None:
            where = base.loc("ledger", entry.id) or Loc("payments")
            yield ConfigError(
                Loc(where.file, where.line, where.column),
                entry.id,
                f"ledger entry {entry.id} ({entry.customer}) was deleted; it is in {base_ref}",
                APPEND_ONLY,
            )
            continue
        if now != entry:
            before = entry.model_dump()
            after = now.model_dump()
            edited = [key for key in before if before[key] != after[key]]
            what = ", ".join(f"{key}: {before[key]} → {after[key]}" for key in edited)
            yield ConfigError(
                head.loc("ledger", entry.id) or Loc("payments"),
                entry.id,
                f"ledger entry {entry.id} was edited ({what}) after it was merged in {base_ref}",
                APPEND_ONLY,
            )


# --- already-billed periods -------------------------------------------------------------


def billed_period_errors(base: State, head: State, as_of: date) -> Iterable[ConfigError]:
    changed_profiles = {
        name
        for name, profile in head.profiles.items()
        if name in base.profiles and base.profiles[name].price != profile.price
    }
    billing_changed = base.settings.billing != head.settings.billing
    profile_reports: dict[str, list[str]] = {}
    for customer_id, now in head.customers.items():
        before = base.customers.get(customer_id)
        if before is None:
            continue
        uses_changed = changed_profiles.intersection(now.profile.values())
        # Only billing inputs count: status and end are not dated, and a termination or a
        # switch to free is a decision about the service, not a rewrite of its price.
        own_change = any(getattr(before, name) != getattr(now, name) for name in BILLED_FIELDS)
        if not own_change and not uses_changed and not billing_changed:
            continue
        differences = _invoice_differences(before, base, now, head, as_of)
        if not differences:
            continue
        next_start = _next_period_start(now, head, as_of)
        if not own_change:
            # The customer's billing fields are untouched: a profile's price moved.
            for name in sorted(uses_changed) or ["(settings)"]:
                profile_reports.setdefault(name, []).append(differences[0])
            continue
        field = _changed_field(before, now)
        yield ConfigError(
            head.loc("customer", customer_id) or Loc(f"state/customers/{customer_id}.yaml"),
            field,
            f"changes already-billed period {differences[0]}"
            + (f" and {len(differences) - 1} more" if len(differences) > 1 else ""),
            _billed_hint(field, next_start),
        )
    yield from _price_errors(profile_reports, head, as_of)


def _invoice_differences(
    before: Customer, base: State, now: Customer, head: State, as_of: date
) -> list[str]:
    """The customer's invoices (ledger left out) that differ between base and head."""
    from isk_reconcile.billing.engine import rupiah
    from isk_reconcile.billing.invoices import invoices

    old = {inv.id: inv for inv in invoices(before, base, (), as_of)}
    new = {inv.id: inv for inv in invoices(now, head, (), as_of)}
    differences = []
    for invoice_id in sorted(old.keys() | new.keys()):
        a, b = old.get(invoice_id), new.get(invoice_id)
        if a is None and b is not None:
            differences.append(f"{invoice_id} (new, {rupiah(b.amount)})")
        elif a is not None and b is None:
            differences.append(f"{invoice_id} (removed, was {rupiah(a.amount)})")
        elif a is not None and b is not None and (a.amount, a.profile) != (b.amount, b.profile):
            differences.append(
                f"{invoice_id} ({a.profile} {rupiah(a.amount)} → {b.profile} {rupiah(b.amount)})"
            )
    return differences


def _price_errors(
    profile_reports: Mapping[str, list[str]], head: State, as_of: date
) -> Iterable[ConfigError]:
    """One error per profile (or the billing settings) whose change rewrote billed periods."""
    for name, examples in sorted(profile_reports.items()):
        count = f"{len(examples)} customer(s), e.g. {examples[0]}"
        if name == "(settings)":
            yield ConfigError(
                Loc("state/settings.yaml"),
                "billing",
                f"the billing settings change already-billed periods of {count}",
                "keep the billing settings of periods that have started",
            )
            continue
        yield ConfigError(
            head.loc("profile", name) or Loc(f"state/profiles/{name}.yaml"),
            "price",
            f"changes already-billed periods of {count}",
            f"add a dated entry {{from: {as_of + timedelta(days=1)}, value: ...}} to price instead",
        )


def _billed_hint(field: str, next_start: date) -> str:
    """What to do instead, true for the field at hand: `start` has no dated form."""
    if field == "start":
        return (
            "start is not a dated value: keep it (a late start is a credit entry), or "
            "terminate this customer and add a new one"
        )
    return f"add a dated entry {{from: {next_start}, value: ...}} to {field} instead"


def _changed_field(before: Customer, now: Customer) -> str:
    for name in BILLED_FIELDS:
        if getattr(before, name) != getattr(now, name):
            return name
    return "price"


def _next_period_start(customer: Customer, state: State, as_of: date) -> date:
    from isk_reconcile.billing.periods import periods

    upcoming = periods(customer, state.settings, as_of + timedelta(days=62))
    for period in upcoming:
        if period.start > as_of:
            return period.start
    return as_of + timedelta(days=1)
