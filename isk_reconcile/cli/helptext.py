"""`--help` in the repository's language.

Help is written once, in English, in the click decorators (a command's docstring or
`help=`, an option's `help=`): English is the source language, and each text is its own
msgid in locale/*/isk.po. It is translated here, when click renders the help, and before
click wraps it: the root group and every command and group under it are of these classes
(LazyGroup sets `command_class` and `group_class`). Click's own words around it ("Usage:",
"Options", "Commands", "Show this message and exit.", "[default: ...]") are catalog
messages too; its usage errors are translated where they are printed
(context.usage_error_line). Option names, metavars and choices stay as written.
"""

from __future__ import annotations

import copy
import inspect

import click

from isk_reconcile.cli.context import ARGV, language_of
from isk_reconcile.render.i18n import Translator, translator


def help_source(command: click.Command) -> str:
    """The English help of a command as click shows it (its msgid): the docstring or
    `help=` without its indentation, up to a form feed."""
    return inspect.cleandoc(command.help or "").partition("\f")[0]


def _translator(ctx: click.Context) -> Translator:
    return translator(language_of(ctx))


def _translated(command: click.Command, tr: Translator) -> click.Command:
    """A copy of `command` whose help and short help are in `tr`'s language (click
    formats, wraps and shortens the copy's text exactly as it would the English)."""
    if tr.english:
        return command
    shown = copy.copy(command)
    if command.help:
        shown.help = tr.message(help_source(command))
    if command.short_help:
        shown.short_help = tr.message(inspect.cleandoc(command.short_help))
    return shown


def _option_row(
    param: click.Parameter, ctx: click.Context, tr: Translator
) -> tuple[str, str] | None:
    """An option's line: its flags and metavar as written, its help translated, then
    click's `[default: table; required]` with click's words translated (values kept)."""
    bare = copy.copy(param)
    bare.help = None  # type: ignore[attr-defined]
    row = bare.get_help_record(ctx)
    if row is None:  # hidden
        return None
    spec, extra = row
    text = _param_help(param, tr)
    if extra.startswith("[") and extra.endswith("]"):
        extra = "[" + "; ".join(_extra(item, tr) for item in extra[1:-1].split("; ")) + "]"
    return spec, f"{text}  {extra}" if text and extra else text or extra


def _param_help(param: click.Parameter, tr: Translator) -> str:
    english = getattr(param, "help", None)
    return tr.message(english) if english else ""


def _extra(item: str, tr: Translator) -> str:
    """One of click's notes after an option's help (click writes them in English)."""
    for english, msgid in (
        ("default: ", "default: %(value)s"),
        ("env var: ", "env var: %(value)s"),
    ):
        if item.startswith(english):
            return tr.message(msgid, value=item.removeprefix(english))
    return tr.message("required") if item == "required" else item  # a range: x>=0


class _TranslatedHelp(click.Command):
    """What HelpCommand and HelpGroup share: each part of click's help page, in the
    repository's language (`format_help` itself is click's: the parts' order and
    layout are click's)."""

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        pieces = self.collect_usage_pieces(ctx)
        prefix = _translator(ctx).message("Usage:") + " "
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=prefix)

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        shown = _translated(self, _translator(ctx))
        super(_TranslatedHelp, shown).format_help_text(ctx, formatter)

    def format_arguments(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Click (8.5 and later) lists the positional arguments when one has help."""
        tr = _translator(ctx)
        arguments = [p for p in self.get_params(ctx) if isinstance(p, click.Argument)]
        if any(getattr(argument, "help", None) for argument in arguments):
            rows = [(a.make_metavar(ctx), _param_help(a, tr)) for a in arguments]
            with formatter.section(tr.message("Positional arguments")):
                formatter.write_dl(rows)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        tr = _translator(ctx)
        rows = [
            row
            for param in self.get_params(ctx)
            if not isinstance(param, click.Argument)
            and (row := _option_row(param, ctx, tr)) is not None
        ]
        if rows:
            with formatter.section(tr.message("Options")):
                formatter.write_dl(rows)


class HelpCommand(_TranslatedHelp):
    """A command whose help is shown in the repository's language."""


class HelpGroup(_TranslatedHelp, click.Group):
    """A group whose help, and the list of its commands, are in the repository's
    language; the commands and groups declared on it are HelpCommand / HelpGroup."""

    command_class = HelpCommand
    group_class = type  # a subgroup is of its parent's class

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta.setdefault(ARGV, tuple(args))  # the root's: the whole command line
        return super().parse_args(ctx, args)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_options(ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command's short help, translated before click shortens it to the line."""
        tr = _translator(ctx)
        commands = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                commands.append((name, command))
        if not commands:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in commands)  # as click's
        rows = [(name, _translated(cmd, tr).get_short_help_str(limit)) for name, cmd in commands]
        with formatter.section(tr.message("Commands")):
            formatter.write_dl(rows)
