"""Writing state files for the operator: new customer files and ledger entries.

Text in, text out: the documents are rendered as text (with comments), an existing
ledger file is only ever appended to, so its bytes (comments, layout) stay as they are.
Every write is validated by loading the whole repository afterwards (a ledger append to
an otherwise unchanged repository: by checking the appended entry, state.appending);
when that fails the write is undone, so the repository is left valid or unchanged.

Every public writing function holds `repository_lock` (re-entrant: a command holding it
already, to commit under it too, is not blocked) and records its write in the lock's
journal first, so concurrent writers serialise and an interrupted one is reported.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from isk_reconcile.errors import IskError
from isk_reconcile.state.base import CUSTOMER_ID
from isk_reconcile.state.lazyledger import entry_ids
from isk_reconcile.state.lock import UnfinishedWrite, WriteLock, repository_lock
from isk_reconcile.state.model import State

if TYPE_CHECKING:
    from isk_reconcile.state.appending import LedgerFile

__all__ = ["UnfinishedWrite", "WriteLock", "repository_lock"]  # re-exported for writers

_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9 ._/@+-]*$")
LEDGER_ID = re.compile(r"^P-([0-9]{4})-([0-9]{2})-([0-9]{4,})$")


def yaml_scalar(value: object) -> str:
    """A YAML scalar that reads back as exactly `value` (quoted when YAML would retype it)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if value is None:
        return "null"
    text = str(value)
    if _PLAIN.match(text) and not text.endswith(" ") and _reads_back(text):
        return text
    # A JSON string is a valid YAML double-quoted scalar.
    return json.dumps(text, ensure_ascii=False)


def _reads_back(text: str) -> bool:
    try:
        return yaml.safe_load(f"k: {text}\n") == {"k": text}
    except yaml.YAMLError:
        return False


# --- customers ------------------------------------------------------------------------


@dataclass(frozen=True)
class NewCustomer:
    """What `isk customer add` is told; the password is already encrypted."""

    id: str
    name: str
    router: str
    profile: str
    start: date
    password: str  # "age:..." ciphertext
    phone: str | None = None
    email: str | None = None
    address: str = ""
    username: str | None = None
    price: int | None = None
    notes: str = ""


def customer_path(customer_id: str) -> str:
    return f"state/customers/{customer_id}.yaml"


def check_new_customer(state: State, new: NewCustomer) -> None:
    """Clear one-line refusals before anything is written (the loader checks the rest)."""
    if not CUSTOMER_ID.match(new.id):
        raise IskError(
            f"customer id {new.id!r} is not valid: use lowercase letters, digits, '.', '_' "
            "and '-', starting with a letter or digit"
        )
    taken = {known.lower() for known in state.customers}
    if new.id.lower() in taken:
        raise IskError(f"customer {new.id} already exists ({customer_path(new.id)})")
    if new.router not in state.routers:
        raise IskError(
            f"unknown router {new.router!r}: choose one of {', '.join(sorted(state.routers))}"
        )
    profile = state.profiles.get(new.profile)
    if profile is None:
        raise IskError(
            f"unknown profile {new.profile!r}: choose one of {', '.join(sorted(state.profiles))}"
        )
    if profile.price is None and new.price is None:
        raise IskError(f"profile {new.profile} has no price (not sellable): choose another one")
    if not profile.on_router(new.router):
        raise IskError(f"profile {new.profile} is not pushed to router {new.router}")
    username = new.username or new.id
    for other in state.customers.values():
        if other.router == new.router and other.username == username:
            raise IskError(
                f"PPPoE username {username!r} is already used by customer {other.id} "
                f"on {new.router}: pass --username"
            )


def customer_document(new: NewCustomer) -> str:
    """A commented customer file (SPEC §2)."""
    lines = [
        f"# Customer {new.id}: written by `isk customer add`.",
        "# Edit freely; price or profile changes for periods already billed go in as dated",
        "# entries, e.g. profile: [{from: 2026-01-15, value: home-10m}, {from: ..., value: ...}].",
        f"name: {yaml_scalar(new.name)}",
    ]
    if new.phone:
        lines.append(f"phone: {yaml_scalar(new.phone)}  # for notifications")
    if new.email:
        lines.append(f"email: {yaml_scalar(new.email)}")
    if new.address:
        lines.append(f"address: {yaml_scalar(new.address)}")
    lines += [
        f"router: {yaml_scalar(new.router)}",
        f"start: {new.start.isoformat()}  # service start: the first billing period starts here",
        f"profile: {yaml_scalar(new.profile)}  # the package (state/profiles/{new.profile}.yaml)",
    ]
    if new.price is not None:
        lines.append(
            f"price: {new.price}  # per-customer price in rupiah, instead of the package's"
        )
    lines += [
        "status: active  # active | suspended | free | terminated",
        "pppoe:",
    ]
    if new.username:
        lines.append(f"  username: {yaml_scalar(new.username)}")
    lines.append(
        f"  password: {yaml_scalar(new.password)}  # age-encrypted; `isk customer password`"
    )
    if new.notes:
        lines.append(f"notes: {yaml_scalar(new.notes)}")
    return "\n".join(lines) + "\n"


# --- ledger ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NewEntry:
    customer: str
    amount: int
    date: date
    kind: str = "payment"
    method: str | None = None
    reference: str = ""
    note: str = ""
    reason: str = ""  # writeoff only


def ledger_path(day: date) -> str:
    return f"payments/{day:%Y-%m}.yaml"


def next_entry_id(existing_ids: Iterable[str], day: date) -> str:
    """P-YYYY-MM-NNNN, one more than the highest number already used for that month.

    The number keeps the width the month's ids already have (at least four digits).
    """
    highest, width = 0, 4
    month = f"P-{day:%Y-%m}-"
    # Only this month's ids are matched (the prefix fixes the year and month): a C-level
    # test for each of 123,000 ids, one regular expression for a month's few thousand.
    for entry_id in [one for one in existing_ids if one.startswith(month)]:
        match = LEDGER_ID.match(entry_id)
        # An over-long number (refused by validation) must not make every later id longer.
        if match and len(match[3]) <= 6:
            highest = max(highest, int(match[3]))
            width = max(width, len(match[3]))
    return f"P-{day:%Y-%m}-{highest + 1:0{width}d}"


def entry_fields(entry_id: str, entry: NewEntry) -> dict[str, object]:
    fields: dict[str, object] = {
        "id": entry_id,
        "customer": entry.customer,
        "amount": entry.amount,
        "date": entry.date,
        "kind": entry.kind,
    }
    if entry.method:
        fields["method"] = entry.method
    if entry.reference:
        fields["reference"] = entry.reference
    if entry.note:
        fields["note"] = entry.note
    if entry.reason:
        fields["reason"] = entry.reason
    return fields


def entry_text(fields: Mapping[str, object], indent: int = 0) -> str:
    pad = " " * indent
    lines = []
    for position, (key, value) in enumerate(fields.items()):
        lead = "- " if position == 0 else "  "
        lines.append(f"{pad}{lead}{key}: {yaml_scalar(value)}")
    return "\n".join(lines) + "\n"


LEDGER_HEADER = (
    "# Payment ledger for {month}: append-only. Once merged, an entry is never edited or\n"
    "# deleted; correct a mistake with a new refund or credit entry (`isk pay --kind`).\n"
)


def append_entry(
    original: str | None, fields: Mapping[str, object], month: str, *, indent: int | None = None
) -> str:
    """The ledger file's text with the entry appended; `original` stays a byte-exact prefix.
    `indent`: the column of the file's block list when known (else the file is parsed)."""
    if original is None or not original.strip():
        prefix = original if original else LEDGER_HEADER.format(month=month)
        if prefix and not prefix.endswith("\n"):
            prefix += "\n"
        return prefix + entry_text(fields)
    if original.rstrip().endswith("..."):
        raise IskError("the ledger file ends with a document end marker (...): cannot append")
    if indent is None:
        indent = _sequence_indent(original)
    separator = "" if original.endswith("\n") else "\n"
    return original + separator + entry_text(fields, indent)


def _sequence_indent(text: str) -> int:
    """Column of the file's top-level block list, so appended items join that list."""
    try:
        # libyaml when present: a month's ledger is 10,000 entries (same nodes and marks).
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as problem:
        raise IskError(f"the ledger file does not parse, fix it first: {problem}") from None
    if node is None:
        return 0
    if not isinstance(node, yaml.SequenceNode):
        raise IskError("the ledger file is not a YAML list of entries")
    if node.flow_style:
        raise IskError("the ledger file is a flow-style list ([...]): cannot append to it")
    return node.start_mark.column  # a document end marker: append_entry refused it already


# --- writing, validated ----------------------------------------------------------------


def _load(repo: Path) -> State:
    from isk_reconcile.state.loader import load_state

    return load_state(repo)


def create_file(repo: Path, relpath: str, text: str, command: str = "isk") -> State:
    """Create a new file (never overwriting), then validate the repo; on failure remove it."""
    return create_files(repo, {relpath: text}, command)


def create_files(repo: Path, files: Mapping[str, str], command: str = "isk") -> State:
    """Create several new files (none may exist), validate; on failure remove them all."""
    with repository_lock(repo) as lock:
        existing = [relpath for relpath in files if (repo / relpath).exists()]
        if existing:
            raise IskError(f"{existing[0]} already exists: refusing to overwrite it")
        written: list[Path] = []
        try:
            for relpath, text in files.items():
                lock.record(relpath, command=command)
                target = repo / relpath
                _create_atomic(target, relpath, text)
                written.append(target)
            return _load(repo)
        except BaseException:
            for target in written:
                target.unlink(missing_ok=True)
            raise


def _create_atomic(target: Path, relpath: str, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    temporary.write_text(text, encoding="utf-8")
    try:
        # link() is atomic and fails when the target appeared meanwhile.
        os.link(temporary, target)
    except FileExistsError:
        raise IskError(f"{relpath} already exists: refusing to overwrite it") from None
    finally:
        temporary.unlink(missing_ok=True)


def replace_file(repo: Path, relpath: str, text: str) -> State:
    """Write `text` over `relpath` (atomically), validate; on failure restore the old bytes."""
    with repository_lock(repo):
        target = repo / relpath
        original = target.read_bytes() if target.exists() else None
        _write_atomic(target, text.encode("utf-8"))
        try:
            return _load(repo)
        except BaseException:
            if original is None:
                target.unlink(missing_ok=True)
            else:
                _write_atomic(target, original)
            raise


def write_files(repo: Path, files: Mapping[str, str], command: str = "isk import") -> State:
    """Create the new and replace the existing of `files` together, validate once; on
    failure remove what was created and restore what was replaced, byte for byte."""
    with repository_lock(repo) as lock:
        originals = {
            relpath: (repo / relpath).read_bytes() for relpath in files if (repo / relpath).exists()
        }
        touched: list[str] = []
        try:
            for relpath, text in files.items():
                lock.record(relpath, command=command)
                if relpath in originals:
                    _write_atomic(repo / relpath, text.encode("utf-8"))
                else:
                    _create_atomic(repo / relpath, relpath, text)
                touched.append(relpath)  # only once written: never remove what appeared
            return _load(repo)
        except BaseException:
            for relpath in touched:
                if relpath in originals:
                    _write_atomic(repo / relpath, originals[relpath])
                else:
                    (repo / relpath).unlink(missing_ok=True)
            raise


def _write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    temporary.write_bytes(data)
    os.replace(temporary, target)


def add_customer(repo: Path, state: State, new: NewCustomer) -> State:
    """Write the new customer's file; returns the validated state that includes it."""
    check_new_customer(state, new)
    with repository_lock(repo):
        # Again as the repository is now, under the lock (`state` may be outdated).
        check_new_customer(_load(repo), new)
        return create_file(repo, customer_path(new.id), customer_document(new), "isk customer add")


def add_entry(
    repo: Path, state: State | None, entry: NewEntry, command: str = "isk pay"
) -> tuple[str, str, State]:
    """Append the entry to its month's ledger file; returns (entry id, file, new state).

    The id is allocated from the ledger as it is under the lock (not from `state`, which
    another writer may have outdated meanwhile, and which may be None)."""
    from isk_reconcile.state import appending

    if entry.amount <= 0:
        raise IskError("the amount must be a positive number of rupiah")
    if entry.kind in ("credit", "writeoff") and entry.method:
        raise IskError(f"a {entry.kind} is not cash: leave out --method")
    with repository_lock(repo) as lock:
        current, files = _load_with_files(repo)
        if entry.customer not in current.customers:
            raise IskError(f"unknown customer {entry.customer!r}")
        most = current.settings.billing.max_amount
        if entry.amount > most:
            raise IskError(
                f"the amount {entry.amount} is more than the maximum {most} "
                "(billing.max_amount in state/settings.yaml)"
            )
        entry_id = next_entry_id(entry_ids(current.ledger), entry.date)
        relpath = ledger_path(entry.date)
        target = repo / relpath
        original = target.read_bytes() if target.exists() else None
        known = appending.ledger_file(current, relpath)
        fields = entry_fields(entry_id, entry)
        old_text = original.decode("utf-8") if original is not None else None
        indent = appending.item_indent(old_text, known)
        text = append_entry(old_text, fields, f"{entry.date:%Y-%m}", indent=indent)
        lock.record(relpath, entry_id, command)
        write = _Append(known, original, text.encode("utf-8"), fields)
        return entry_id, relpath, _append_file(repo, (current, files), write)


def _load_with_files(repo: Path) -> tuple[State, dict[str, str] | None]:
    from isk_reconcile.state.loader import load_state_and_files

    return load_state_and_files(repo, keep=True)


@dataclass(frozen=True)
class _Append:
    known: LedgerFile  # the file as the validated State has it
    original: bytes | None  # its bytes before (None: a new file)
    data: bytes  # its bytes after: `original` plus the entry
    fields: dict[str, object]  # the entry


def _append_file(repo: Path, before: tuple[State, dict[str, str] | None], write: _Append) -> State:
    """`replace_file` for an append: when nothing but this file changed since `before`
    was validated, only the appended entry is checked (state.appending); otherwise, or
    when that check cannot vouch for it, the whole repository is validated again. Either
    way a refused write is undone byte for byte."""
    from isk_reconcile.state import statecache
    from isk_reconcile.state.appending import appended_state

    state, files = before
    relpath = write.known.relpath
    target = repo / relpath
    _write_atomic(target, write.data)
    try:
        now = statecache.fingerprint(repo) if files is not None else None
        if now is not None and _only_changed(files, now, relpath, write):
            text = write.data.decode("utf-8")
            after = appended_state(repo, state, write.known, text, write.fields)
            if after is not None:
                statecache.save_appended(repo, now, state, after)
                return after
        return _load(repo)
    except BaseException:
        if write.original is None:
            target.unlink(missing_ok=True)
        else:
            _write_atomic(target, write.original)
        raise


def _only_changed(
    before: dict[str, str] | None, now: dict[str, str], relpath: str, write: _Append
) -> bool:
    """Whether `now` is `before` with only `relpath` changed, from exactly `write.original`
    (or absent) to exactly `write.data`."""
    if before is None or now.get(relpath) != hashlib.sha256(write.data).hexdigest():
        return False
    was = None if write.original is None else hashlib.sha256(write.original).hexdigest()
    if before.get(relpath) != was:
        return False
    return {k: v for k, v in now.items() if k != relpath} == {
        k: v for k, v in before.items() if k != relpath
    }
