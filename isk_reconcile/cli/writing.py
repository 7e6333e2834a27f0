"""What the commands that write the repository share: rupiah amounts on the command
line, the repository's write lock held for the whole command, a refusal before writing
when git could not commit, and the customer's standing in one line after a write.
Kept apart from the commands (cli/pay.py, cli/workflow.py, cli/customer_ops.py) so that
`isk pay` imports none of the customer tables (issue 12: start-up time)."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from isk_reconcile.cli.context import Context, _, say
from isk_reconcile.state.money import parse_rupiah

if TYPE_CHECKING:
    from isk_reconcile.state.model import State


class Rupiah(click.ParamType):
    """An amount in whole rupiah, spelled as `state.money.parse_rupiah` accepts."""

    name = "amount"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_rupiah(str(value))
        except ValueError as problem:
            self.fail(str(problem), param, ctx)


RUPIAH = Rupiah()


def check_can_commit_first(repo: Path) -> None:
    """--commit: refuse before writing anything when git could not commit."""
    from isk_reconcile.gitops.history import check_can_commit

    check_can_commit(repo)


@contextlib.contextmanager
def holding_write_lock(ctx: Context) -> Iterator[None]:
    """Hold the repository's write lock for the whole command (write and commit); first
    list what an earlier, interrupted writer left behind."""
    from isk_reconcile.state.writer import repository_lock

    with repository_lock(ctx.repo) as lock:
        for write in lock.interrupted:
            say(f"warning: unfinished earlier write: {write.describe()}", err=True)
        yield


def write_locked(command: Callable[..., None]) -> Callable[..., None]:
    """The command runs holding the repository's write lock (see `holding_write_lock`)."""

    @functools.wraps(command)
    def locked(ctx: Context, *args: Any, **kwargs: Any) -> None:
        with holding_write_lock(ctx):
            command(ctx, *args, **kwargs)

    return locked


def standing_line(ctx: Context, state: State, customer_id: str) -> None:
    """After a write: where the customer now stands, in one line."""
    from isk_reconcile.billing.engine import rupiah, standing

    now = standing(state, customer_id, ctx.as_of)
    tr = ctx.tr
    through = tr.day(now.paid_through) if now.paid_through else "-"
    click.echo(
        _(
            "%(id)s: %(access)s, paid through %(day)s, balance %(balance)s (%(reason)s)",
            id=customer_id,
            access=tr.text(now.access),
            day=through,
            balance=rupiah(now.balance),
            reason=tr.text(now.reason),
        )
    )
