"""Everyday customer edits: `isk customer set-profile|suspend|resume|terminate|hold|edit`
and `isk secrets rekey`.

Each command edits the customer's YAML in place (state/edits.py: only the value it is
about changes, comments and layout stay), then the writer validates the whole
repository and restores the old bytes when the result is not valid. `--commit` commits
exactly the edited file(s) with a message saying what happened.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import click

from isk_reconcile.billing.changes import (
    check_not_unbilling,
    check_profile_change,
    next_period_start,
)
from isk_reconcile.billing.engine import rupiah, standing
from isk_reconcile.cli.context import ISO_DATE, Context, _, pass_context
from isk_reconcile.cli.customers import customer, no_such
from isk_reconcile.cli.secrets import secrets_group
from isk_reconcile.cli.writing import standing_line
from isk_reconcile.errors import IskError
from isk_reconcile.state import edits
from isk_reconcile.state.customers import Customer
from isk_reconcile.state.model import State

COMMIT_HELP = "Commit the customer file with git."


def _customer(state: State, customer_id: str) -> Customer:
    found = state.customers.get(customer_id)
    if found is None:
        raise no_such("customer", customer_id, state.customers)
    return found


def _file_of(state: State, customer_id: str) -> str:
    location = state.loc("customer", customer_id)
    return location.file if location else f"state/customers/{customer_id}.yaml"


def _not_terminated(found: Customer, what: str) -> None:
    if found.status == "terminated":
        raise IskError(f"cannot {what} {found.id}: terminated (end {found.end})")


def _write(
    ctx: Context, customer_id: str, change: Callable[[str], str], message: str, commit: bool
) -> State:
    """Edit the customer's file with `change`, validate (or restore), maybe commit."""
    from isk_reconcile.state.writer import replace_file

    relpath = _file_of(ctx.state, customer_id)
    if commit:
        from isk_reconcile.gitops.history import check_can_commit

        check_can_commit(ctx.repo)
    original = (ctx.repo / relpath).read_bytes().decode("utf-8")
    try:
        text = change(original)
    except edits.EditError as problem:
        raise IskError(f"{relpath}: {problem}") from None
    if text == original:
        click.echo(_("%(file)s: unchanged", file=relpath))
        return ctx.state
    state = replace_file(ctx.repo, relpath, text)
    click.echo(_("wrote %(path)s", path=relpath))
    if commit:
        from isk_reconcile.gitops.history import commit_files

        click.echo(_("committed %(sha)s", sha=commit_files(ctx.repo, [relpath], message)))
    return state


commit_option = click.option("--commit", "commit", is_flag=True, help=COMMIT_HELP)


# --- set-profile ------------------------------------------------------------


@customer.command("set-profile")
@click.argument("customer_id", metavar="ID")
@click.argument("profile")
@click.option(
    "--from", "day", type=ISO_DATE, help="First day on the new profile (default: next period)."
)
@commit_option
@pass_context
def set_profile(
    ctx: Context, customer_id: str, profile: str, day: date | None, commit: bool
) -> None:
    """Change the package from a date: a dated entry, never inside a billed period."""
    state = ctx.state
    found = _customer(state, customer_id)
    _not_terminated(found, "change the profile of")
    package = state.profiles.get(profile)
    if package is None:
        raise no_such("profile", profile, state.profiles)
    if not package.on_router(found.router):
        raise IskError(f"profile {profile} is not pushed to router {found.router}")
    day = day or next_period_start(found, state.settings, ctx.as_of)
    check_profile_change(found, state.settings, day, ctx.as_of)
    old = found.profile.changes[-1].value
    if old == profile:
        raise IskError(
            f"{customer_id} is already on {profile} from {found.profile.changes[-1].from_}"
        )
    message = f"customer: {customer_id} {old} → {profile} from {day}"
    _write(
        ctx,
        customer_id,
        lambda text: edits.add_dated(text, "profile", found.start, day, profile),
        message,
        commit,
    )
    click.echo(
        _(
            "%(id)s: %(old)s → %(new)s from %(day)s",
            id=customer_id,
            old=old,
            new=profile,
            day=ctx.tr.day(day),
        )
    )
    if found.price is not None and found.price.at(day) is not None:
        click.echo(
            _(
                "note: %(id)s has its own price (%(price)s on %(day)s), which still applies "
                "instead of the package's: change `price:` too if it should not",
                id=customer_id,
                price=rupiah(found.price.at(day) or 0),
                day=ctx.tr.day(day),
            )
        )


# --- suspend / resume ---------------------------------------------------------------------------


@customer.command("suspend")
@click.argument("customer_id", metavar="ID")
@click.option("--reason", required=True, help="Why (kept in the file as suspend_reason).")
@commit_option
@pass_context
def suspend(ctx: Context, customer_id: str, reason: str, commit: bool) -> None:
    """Suspend by hand (status: suspended) until `isk customer resume`."""
    found = _customer(ctx.state, customer_id)
    _not_terminated(found, "suspend")
    if not reason.strip():
        raise IskError("--reason must say why")
    if found.status == "suspended":
        raise IskError(
            f"{customer_id} is already suspended ({found.suspend_reason or 'no reason'})"
        )
    message = f"customer: suspend {customer_id} ({reason})"
    state = _write(ctx, customer_id, lambda text: edits.suspend(text, reason), message, commit)
    standing_line(ctx, state, customer_id)


@customer.command("resume")
@click.argument("customer_id", metavar="ID")
@commit_option
@pass_context
def resume(ctx: Context, customer_id: str, commit: bool) -> None:
    """End a suspension by hand (status: active); billing decides access again."""
    found = _customer(ctx.state, customer_id)
    if found.status != "suspended":
        raise IskError(f"{customer_id} is not suspended by hand (status: {found.status})")
    message = f"customer: resume {customer_id}"
    state = _write(ctx, customer_id, edits.resume, message, commit)
    standing_line(ctx, state, customer_id)


# --- terminate ------------------------------------------------------------


@customer.command("terminate")
@click.argument("customer_id", metavar="ID")
@click.option("--end", "end", type=ISO_DATE, help="Last day of service (default: as-of date).")
@commit_option
@pass_context
def terminate(ctx: Context, customer_id: str, end: date | None, commit: bool) -> None:
    """End the service (status: terminated, end: DATE); any debt stays owed and shown."""
    from datetime import timedelta

    state = ctx.state
    found = _customer(state, customer_id)
    _not_terminated(found, "terminate")
    end = end or ctx.as_of
    if end < found.start:
        raise IskError(f"--end {end} is before {customer_id}'s start {found.start}")
    check_not_unbilling(found, state.settings, end + timedelta(days=1), ctx.as_of, "terminate")
    message = f"customer: terminate {customer_id} (end {end})"
    state = _write(ctx, customer_id, lambda text: edits.terminate(text, end), message, commit)
    now = standing(state, customer_id, ctx.as_of)
    owed = sum(invoice.outstanding for invoice in now.invoices)
    click.echo(_("%(id)s: terminated, last day %(day)s", id=customer_id, day=ctx.tr.day(end)))
    if owed > 0:
        click.echo(
            _(
                "%(id)s still owes %(amount)s: it stays in `isk receivables` until paid "
                "or written off",
                id=customer_id,
                amount=rupiah(owed),
            )
        )


# --- hold ------------------------------------------------------------


@customer.command("hold")
@click.argument("customer_id", metavar="ID")
@click.option("--from", "start", type=ISO_DATE, required=True, help="First day on hold.")
@click.option("--until", "until", type=ISO_DATE, help="Last day on hold (default: open).")
@click.option("--reason", required=True, help="Why (e.g. abroad until June).")
@commit_option
@pass_context
def hold(
    ctx: Context, customer_id: str, start: date, until: date | None, reason: str, commit: bool
) -> None:
    """Pause billing (no invoices; the account is suspended meanwhile)."""
    state = ctx.state
    found = _customer(state, customer_id)
    _not_terminated(found, "put on hold")
    if not reason.strip():
        raise IskError("--reason must say why")
    if until is not None and until < start:
        raise IskError(f"--until {until} is before --from {start}")
    check_not_unbilling(found, state.settings, start, ctx.as_of, "put a hold")
    fields: dict[str, object] = {"from": start}
    if until is not None:
        fields["until"] = until
    fields["reason"] = reason
    # Holds are listed oldest first: the new one goes before the first that starts later;
    # one that overlaps a neighbour is refused by validation (with the model's message).
    before = next((n for n, h in enumerate(found.holds) if h.from_ > start), None)
    span = f"{start} – {until}" if until else f"from {start}"
    message = f"customer: hold {customer_id} {span} ({reason})"
    state = _write(
        ctx, customer_id, lambda text: edits.add_hold(text, fields, before), message, commit
    )
    tr = ctx.tr
    shown = f"{tr.day(start)} – {tr.day(until)}" if until else _("from %(day)s", day=tr.day(start))
    click.echo(_("%(id)s: on hold %(span)s: %(reason)s", id=customer_id, span=shown, reason=reason))


# --- edit ------------------------------------------------------------


@customer.command("edit")
@click.argument("customer_id", metavar="ID")
@click.argument("assignments", nargs=-1, required=True, metavar="FIELD=VALUE...")
@commit_option
@pass_context
def edit(ctx: Context, customer_id: str, assignments: tuple[str, ...], commit: bool) -> None:
    """Change contact fields: name, phone, email, address, notes (FIELD= removes one)."""
    _customer(ctx.state, customer_id)
    changes: dict[str, str] = {}
    for assignment in assignments:
        field, equals, value = assignment.partition("=")
        if not equals or field not in edits.CONTACT_FIELDS:
            raise IskError(
                f"{assignment!r}: write FIELD=VALUE with FIELD one of "
                f"{', '.join(edits.CONTACT_FIELDS)}"
            )
        changes[field] = value

    def change(text: str) -> str:
        for field, value in changes.items():
            text = edits.edit_contact(text, field, value)
        return text

    message = f"customer: {customer_id} contact ({', '.join(changes)})"
    _write(ctx, customer_id, change, message, commit)


# --- secrets rekey ------------------------------------------------------------


@secrets_group.command("rekey")
@click.option("--commit", "commit", is_flag=True, help="Commit the customer files with git.")
@pass_context
def rekey(ctx: Context, commit: bool) -> None:
    """Re-encrypt every customer password to settings.secrets.recipients (needs the identity)."""
    from isk_reconcile.state.encryption import decrypt, encrypt, is_encrypted, load_identity
    from isk_reconcile.state.writer import write_files

    state = ctx.state
    recipients = state.settings.secrets.recipients
    if not recipients:
        raise IskError("no age recipients: set secrets.recipients in state/settings.yaml")
    identity = load_identity()
    if commit:
        from isk_reconcile.gitops.history import check_can_commit

        check_can_commit(ctx.repo)
    files: dict[str, str] = {}
    for customer_id, found in sorted(state.customers.items()):
        stored = found.pppoe.password
        if stored is None:
            continue
        plaintext = decrypt(stored, identity)  # fails before anything is written
        relpath = _file_of(state, customer_id)
        original = (ctx.repo / relpath).read_text(encoding="utf-8")
        try:
            files[relpath] = edits.set_password(original, encrypt(plaintext, recipients))
        except edits.EditError as problem:
            raise IskError(f"{relpath}: {problem}") from None
        if not is_encrypted(stored):
            click.echo(_("%(file)s: plaintext password encrypted", file=relpath), err=True)
    if not files:
        click.echo(_("no customer has a password: nothing to re-encrypt"))
        return
    write_files(ctx.repo, files)
    click.echo(
        _(
            "re-encrypted %(n)s password(s) to %(m)s recipient(s)",
            n=len(files),
            m=len(recipients),
        )
    )
    if commit:
        from isk_reconcile.gitops.history import commit_files

        message = f"secrets: re-encrypt {len(files)} passwords to {len(recipients)} recipients"
        click.echo(_("committed %(sha)s", sha=commit_files(ctx.repo, sorted(files), message)))
