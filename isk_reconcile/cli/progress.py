"""What a command shows while it works, on stderr (stdout stays clean for json/csv): the
one rich console setup, and the line per router read that `isk plan`, `isk status`,
`isk sessions` and `isk import` print alike."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console

from isk_reconcile.cli.context import Context, _
from isk_reconcile.errors import RouterError


def console(ctx: Context, *, stderr: bool = False) -> Console:
    """A rich console on stdout/stderr; colour only on a terminal and without --no-color
    (which also drops bold and dim: plain text, like every other command's)."""
    return Console(
        stderr=stderr,
        no_color=not ctx.color,
        color_system="auto" if ctx.color else None,
        highlight=False,
        soft_wrap=True,
        emoji=False,  # no ":smile:" codes in our text: and no 44 ms emoji table to import
    )


@contextmanager
def reading_routers(
    ctx: Context, total: int, *, then: str | None = None
) -> Iterator[Callable[[str, object], None]]:
    """A callback for each router read (its state, or its RouterError): one line per
    router, worded the same in every command; on a terminal also a spinner with the
    count read so far, and `then` (what the command does next) once all are read."""
    err = console(ctx, stderr=True)
    done: list[str] = []

    def line(router: str, outcome: object) -> None:
        failed = isinstance(outcome, RouterError)
        text = _(
            "read %(router)s: %(outcome)s", router=router, outcome=_("failed") if failed else "ok"
        )
        err.print(text, style="red" if failed else "dim", markup=False)

    if not sys.stderr.isatty() or total == 0:
        yield line
        return
    with err.status(_("reading %(n)s router(s) ...", n=total)) as spinner:

        def report(router: str, outcome: object) -> None:
            done.append(router)
            line(router, outcome)
            if len(done) < total or then is None:
                spinner.update(
                    _("reading routers: %(n)s/%(total)s read ...", n=len(done), total=total)
                )
            else:
                spinner.update(then)

        yield report
