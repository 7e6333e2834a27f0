"""Git-native workflows: `isk customer add`, `history`, `import`, `ci init` (`isk pay` is
cli/pay.py; the write lock and the standing line after a write are cli/writing.py)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from isk_reconcile.cli.context import ISO_DATE, Context, _, pass_context, say
from isk_reconcile.cli.customers import customer
from isk_reconcile.cli.root import main
from isk_reconcile.cli.writing import (
    RUPIAH,
    check_can_commit_first,
    holding_write_lock,
    write_locked,
)
from isk_reconcile.errors import IskError
from isk_reconcile.state.money import parse_rupiah

if TYPE_CHECKING:
    from isk_reconcile.gitops.importer import ImportResult
    from isk_reconcile.routeros.types import LiveState
    from isk_reconcile.state.routers import Router


# --- isk customer add -------------------------------------------------------------------


@customer.command("add")
@click.argument("customer_id", metavar="ID")
@click.option("--name", required=True, help="Full name.")
@click.option("--router", required=True, help="Router the customer's PPPoE secret lives on.")
@click.option("--profile", required=True, help="Package (a file in state/profiles).")
@click.option("--phone", help='Phone number, e.g. "+6281234567890".')
@click.option("--email")
@click.option("--address", default="")
@click.option("--start", type=ISO_DATE, help="Service start (default: the as-of date).")
@click.option("--username", help="PPPoE username (default: the customer id).")
@click.option("--price", type=RUPIAH, help="Per-customer price instead of the package's.")
@click.option("--notes", default="")
@click.option("--commit", "commit", is_flag=True, help="Commit the new file with git.")
@pass_context
@write_locked
def customer_add(
    ctx: Context,
    customer_id: str,
    name: str,
    router: str,
    profile: str,
    phone: str | None,
    email: str | None,
    address: str,
    start: date | None,
    username: str | None,
    price: int | None,
    notes: str,
    commit: bool,
) -> None:
    """Write a new customer file with a generated, encrypted password (shown once)."""
    from isk_reconcile.state.encryption import encrypt, generate_password
    from isk_reconcile.state.writer import NewCustomer, add_customer, customer_path

    state = ctx.state
    if commit:
        check_can_commit_first(ctx.repo)
    password = generate_password()
    settings = state.settings.secrets
    if settings.recipients:
        stored = encrypt(password, settings.recipients)
    elif settings.allow_plaintext:
        stored = password
    else:
        raise IskError("no age recipients: set secrets.recipients in state/settings.yaml")
    new = NewCustomer(
        id=customer_id,
        name=name,
        router=router,
        profile=profile,
        start=start or ctx.as_of,
        password=stored,
        phone=phone,
        email=email,
        address=address,
        username=username,
        price=price,
        notes=notes,
    )
    add_customer(ctx.repo, state, new)
    relpath = customer_path(customer_id)
    click.echo(_("wrote %(path)s", path=relpath))
    if commit:
        from isk_reconcile.gitops.history import commit_files

        sha = commit_files(ctx.repo, [relpath], f"customer: add {customer_id} ({name}) on {router}")
        click.echo(_("committed %(sha)s", sha=sha))
    click.echo(_("PPPoE username: %(username)s", username=new.username or customer_id))
    # The one place a plaintext password is shown: the admin hands it to the technician.
    click.echo(_("PPPoE password (shown once, store it safely): %(password)s", password=password))


# --- isk history --------------------------------------------------------------------------


@main.command("history")
@click.argument("customer_id", metavar="CUSTOMER")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@pass_context
def history(ctx: Context, customer_id: str, fmt: str) -> None:
    """The customer's timeline from git: file changes, ledger entries, standing changes."""
    from isk_reconcile.gitops.history import timeline

    events = timeline(ctx.repo, ctx.state, customer_id, ctx.as_of)
    if fmt == "json":
        document = {
            "customer": customer_id,
            "as_of": ctx.as_of.isoformat(),
            "events": [event.to_json() for event in events],
        }
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    tr = ctx.tr
    for event in events:
        who = ""
        if event.commit is not None:
            commit = event.commit
            stamp = f"{commit.when:%Y-%m-%d %H:%M %Z}".rstrip()
            who = f"  [{commit.short} {commit.author} {stamp} {commit.subject!r}]"
        # Days stay ISO (a column that sorts); the kind and isk's summary are translated,
        # commit subjects are git's record and stay as written.
        kind = tr.message(event.kind)
        click.echo(f"{event.day}  {kind:<8}  {tr.text(event.summary)}{who}")
        for change in event.changes:
            click.echo(f"{'':12}  {'':<8}    {change}")


# --- isk import ---------------------------------------------------------------------------


def _prices(values: tuple[str, ...]) -> dict[str, int]:
    prices: dict[str, int] = {}
    for value in values:
        name, _equals, amount = value.partition("=")
        try:
            prices[name] = parse_rupiah(amount)
        except ValueError:
            name = ""
        if not name:
            raise IskError(
                f"--price {value!r}: write it as PROFILE=AMOUNT, e.g. home-10m=150000 "
                "(or 150.000, Rp150.000, 150rb)"
            )
    return prices


@main.command("import")
@click.option("--router", "router_name", required=True, help="The router to read.")
@click.option(
    "--price",
    "price_options",
    multiple=True,
    metavar="PROFILE=AMOUNT",
    help="Monthly price of an imported package (repeatable).",
)
@click.option(
    "--paid-through",
    "paid_through",
    type=ISO_DATE,
    help="What enabled accounts have paid up to (default: end of the period starting today).",
)
@click.option("--commit", "commit", is_flag=True, help="Commit the new files with git.")
@pass_context
def import_command(
    ctx: Context,
    router_name: str,
    price_options: tuple[str, ...],
    paid_through: date | None,
    commit: bool,
) -> None:
    """Write state files for what a router already has, marked for adoption."""
    with holding_write_lock(ctx):
        _import(ctx, router_name, price_options, paid_through, commit)


def _import(
    ctx: Context,
    router_name: str,
    price_options: tuple[str, ...],
    paid_through: date | None,
    commit: bool,
) -> None:
    from isk_reconcile.gitops.importer import import_router, write_importable
    from isk_reconcile.state.encryption import encrypt
    from isk_reconcile.state.writer import write_files

    state = ctx.state
    router = state.routers.get(router_name)
    if router is None:
        raise IskError(f"unknown router {router_name!r} (routers: {', '.join(state.routers)})")
    recipients = state.settings.secrets.recipients
    if not recipients and not state.settings.secrets.allow_plaintext:
        raise IskError("no age recipients: set secrets.recipients in state/settings.yaml")

    def protect(password: str) -> str:
        return encrypt(password, recipients) if recipients else password

    if commit:
        check_can_commit_first(ctx.repo)
    live = _read_router(ctx, router)
    prices = _prices(price_options)

    def profile_text(name: str) -> str | None:
        path = ctx.repo / "state" / "profiles" / f"{name}.yaml"
        return path.read_text("utf-8") if path.is_file() else None

    result = import_router(
        state, live, ctx.as_of, protect, prices, paid_through, profile_text=profile_text
    )
    for reason in result.skipped:
        say(f"skipped {reason}", err=True)
    if not result.files:
        say(f"{router_name}: nothing to import, the repository has everything")
        return
    written, refused = write_importable(result.files, lambda files: write_files(ctx.repo, files))
    for note in refused:
        say(f"skipped {note}", err=True)
    _tell_imported(ctx, router_name, result, written, commit)


def _read_router(ctx: Context, router: Router) -> LiveState:
    from isk_reconcile.cli.progress import reading_routers
    from isk_reconcile.errors import RouterError
    from isk_reconcile.routeros.connection import connect

    with reading_routers(ctx, 1) as progress:  # like plan and status
        try:
            with connect(router, os.environ) as client:
                live = client.read()
        except RouterError as problem:
            progress(router.name, problem)
            raise
        progress(router.name, live)
    return live


def _tell_imported(
    ctx: Context, router_name: str, result: ImportResult, written: Mapping[str, str], commit: bool
) -> None:
    """What was imported, what is left to do by hand, and the commit when asked for."""
    profiles = [name for name in result.profiles if f"state/profiles/{name}.yaml" in written]
    extended = sorted(
        path
        for path in written
        if path.startswith("state/profiles/")
        and path not in {f"state/profiles/{name}.yaml" for name in result.profiles}
    )
    customers = [cid for cid in result.customers if f"state/customers/{cid}.yaml" in written]
    say(
        f"{router_name}: imported {len(profiles)} profile(s) and "
        f"{len(customers)} customer(s), marked adopt: true"
    )
    for path in extended:
        say(f"extended {path} to {router_name} (check its per_router values)")
    for name in result.unpriced:
        say(f"TODO: set the price in state/profiles/{name}.yaml")
    if result.free_customers:
        say(
            f"TODO: {len(result.free_customers)} customer(s) imported as status: free "
            "until their package has a price"
        )
    say(
        "next: check names, phones and each `opening: paid_through` (what was paid before "
        "isk), then `isk plan --adopt`"
    )
    if commit:
        from isk_reconcile.gitops.history import commit_files

        message = f"import: {len(customers)} customers, {len(profiles)} profiles from {router_name}"
        say(f"committed {commit_files(ctx.repo, sorted(written), message)}")


# --- isk ci init --------------------------------------------------------------------------


@main.group("ci")
def ci() -> None:
    """Continuous-integration pipelines."""


@ci.command("init")
@click.argument("kind", type=click.Choice(["github", "gitlab"]))
@click.option("--force", is_flag=True, help="Overwrite an existing pipeline file.")
@click.option("--branch", default="main", show_default=True, help="The main branch (applies).")
@pass_context
def ci_init(ctx: Context, kind: str, force: bool, branch: str) -> None:
    """Write a ready pipeline: validate + plan comment on PRs, apply on merge and daily."""
    from isk_reconcile.gitops.ci_templates import ensure_gitignore, secret_names, write

    root = _git_root(ctx.repo)
    target = write(root, kind, ctx.state, force=force, branch=branch)
    say(f"wrote {target}")
    ignore = ensure_gitignore(root)
    if ignore is not None:
        say(f"wrote {ignore} (the parse cache and outputs are never committed)")
    say("set ISK_PACKAGE (a CI variable) to a pinned source of isk: see the file's header")
    say("store these in the CI's secret store: " + ", ".join(secret_names(ctx.state)))


def _git_root(repo: Path) -> Path:
    from isk_reconcile.gitops.history import open_repo

    try:
        handle = open_repo(repo)
    except IskError:
        return repo
    return Path(handle.working_tree_dir or repo)
