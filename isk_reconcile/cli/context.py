"""State shared by all commands: repo discovery, as-of date, output, error handling."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from isk_reconcile.errors import ConfigError, IskError, ValidationFailed, one_line
from isk_reconcile.render.i18n import LANGUAGES, Translator, translator
from isk_reconcile.untrusted import visible


@dataclass
class Context:
    repo_option: Path | None = None
    as_of_option: date | None = None
    color: bool = True
    verbose: bool = False
    wide: bool = False  # tables as wide as their content, never fitted to the terminal
    _state: object | None = field(default=None, repr=False)
    _language: str | None = field(default=None, repr=False)
    # the fingerprint of the files _files_of (the loaded state) was read from
    _files: dict[str, str] | None = field(default=None, repr=False)
    _files_of: object | None = field(default=None, repr=False)
    _standings: tuple | None = field(default=None, repr=False)  # (state, its standings)
    # the fingerprint of the files as they are now, taken before any state was loaded
    _peeked: dict[str, str] | None = field(default=None, repr=False)
    _settings: object | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        global _active
        _active = self  # the command being run: `_()` speaks its repository's language

    @property
    def language(self) -> str:
        """settings.language: from the loaded state, or (before it loads, or when it does
        not load: validation errors are translated too) read from settings.yaml alone."""
        if self._language is None:
            if self._state is not None:
                self._language = self._state.settings.language  # type: ignore[attr-defined]
            else:
                self._language = peek_language(self)
        return self._language

    @property
    def tr(self) -> Translator:
        return translator(self.language)

    @property
    def repo(self) -> Path:
        """--repo, else $ISK_REPO (click reads both), else the nearest ancestor with
        state/routers.yaml."""
        return find_repo(self.repo_option)

    @property
    def state(self):
        """The validated State (loaded once per command)."""
        if self._state is None:
            from isk_reconcile.state.loader import load_state_and_files

            self._state, self._files = load_state_and_files(self.repo)
            self._files_of = self._state
        return self._state

    def loaded_files(self) -> dict[str, str] | None:
        """The fingerprint (statecache.fingerprint) of exactly the files the loaded state
        was read from; None when unknown. Loads the state."""
        state = self.state
        return self._files if self._files_of is state else None

    def files_now(self) -> dict[str, str] | None:
        """The fingerprint of the repository's files as they are now, without loading the
        state (once per command): what a cache of results computed from a validated
        state is looked up by. Only a state read from exactly these files (`loaded_files`)
        may be remembered under it. Once the state is loaded, the files it was read from
        (None when unknown: a result looked up by other files would not be its own)."""
        if self._state is not None:
            return self._files if self._files_of is self._state else None
        if self._peeked is None:
            from isk_reconcile.state.statecache import fingerprint

            self._peeked = fingerprint(self.repo)
        return self._peeked

    @property
    def settings(self):
        """The repository's settings: the loaded state's, or (before it is loaded)
        state/settings.yaml read on its own; when that does not load, the full load
        reports every error."""
        if self._state is not None:
            return self._state.settings  # type: ignore[attr-defined]
        if self._settings is None:
            from isk_reconcile.state.loader import load_settings

            try:
                self._settings = load_settings(self.repo, cache=False)
            except Exception:  # noqa: BLE001 - reported by the full load below
                return self.state.settings  # type: ignore[attr-defined]
        return self._settings

    def standings(self, meanwhile=None):
        """Every customer's standing on as_of for the loaded state (from the standings
        cache when the files and the day are those it was computed for). `meanwhile`:
        the command's next work, done while a forked child bills (billing.forked)."""
        state = self.state
        if self._standings is None or self._standings[0] is not state:
            from isk_reconcile.billing.standingcache import cached_standings

            files = self._files if self._files_of is state else None
            found = cached_standings(self.repo, state, self.as_of, files, meanwhile)
            self._standings = (state, found)
        return self._standings[1]

    @property
    def as_of(self) -> date:
        if self.as_of_option is not None:
            return self.as_of_option
        if self._state is None:
            # Only settings.yaml, for its timezone: `isk pay` loads the state under the
            # repository lock, once. Anything wrong: the full load words it.
            from isk_reconcile.state.loader import load_settings

            try:
                return today_in(load_settings(self.repo, cache=False).timezone)
            except Exception:  # noqa: BLE001 - reported by the full load below
                pass
        return today_in(self.state.settings.timezone)


_active: Context | None = None


def find_repo(option: Path | None) -> Path:
    """`option` (--repo or $ISK_REPO), else the nearest ancestor of the working directory
    with state/routers.yaml."""
    if option is not None:
        return option.resolve()
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / "state" / "routers.yaml").is_file():
            return candidate
    raise IskError(
        "no state repository found: pass --repo DIR, set ISK_REPO, "
        "or run inside a directory that has state/routers.yaml"
    )


def peek_language(ctx: Context) -> str:
    """settings.language of the command's repository, before (or without) loading it."""
    return read_language(ctx.repo_option)


def read_language(repo_option: Path | None) -> str:
    """The `language:` of state/settings.yaml, read on its own (safe_load: the file is
    untrusted); English when the repository, the file or the key is missing or wrong."""
    import yaml

    from isk_reconcile.state.layout import SETTINGS_FILE

    try:
        path = find_repo(repo_option) / SETTINGS_FILE
        settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (IskError, OSError, ValueError, RecursionError, yaml.YAMLError):
        return "en"  # (RecursionError: a file nested thousands of levels deep)
    language = settings.get("language") if isinstance(settings, dict) else None
    return language if language in LANGUAGES else "en"


ARGV = "isk.argv"  # click.Context.meta key: the command line, as the root group received it
LANGUAGE = "isk.language"  # ... and the language read for it


def language_of(command: click.Context | None) -> str:
    """The language of `--help` and of usage errors. Click shows them while it parses the
    command line, before the root group's callback has made the Context (and `--repo` may
    come after `--help`), so the repository is found from the command line as the root
    received it: the last `--repo DIR`, else $ISK_REPO, else the working directory's.
    English when there is none or its settings.yaml is unreadable: asking for help is
    never an error."""
    if command is None:
        return "en"
    meta = command.meta  # shared by a context and all its parents
    if LANGUAGE not in meta:
        meta[LANGUAGE] = command_line_language(meta.get(ARGV, ()))
    return meta[LANGUAGE]


def command_line_language(argv: Iterable[str]) -> str:
    """The language of the repository the command line `argv` names (see language_of)."""
    option = repo_on_command_line(argv) or os.environ.get("ISK_REPO")
    try:
        return read_language(Path(option) if option else None)
    except Exception:  # noqa: BLE001 - a repository too broken to read: English help
        return "en"


def repo_on_command_line(argv: Iterable[str]) -> str | None:
    """The value of the last `--repo DIR` / `--repo=DIR` (none after `--`)."""
    found = None
    words = iter(argv)
    for word in words:
        if word == "--":
            break
        if word == "--repo":
            found = next(words, None) or found
        elif word.startswith("--repo="):
            found = word.removeprefix("--repo=") or found
    return found


def current() -> Translator:
    """The translator of the command being run (English outside a command)."""
    return translator(_active.language if _active is not None else "en")


def _(message: str, /, **params: object) -> str:
    """A message of the CLI (its msgid is in locale/*/isk.po) in the repository's language."""
    return current().message(message, **params)


def say(english: str, *, err: bool = False) -> None:
    """Print a finished English line in the repository's language: it is matched against
    the catalog's messages with placeholders, like the core's reasons (untranslated text
    is printed as it is)."""
    click.echo(current().text(english), err=err)


def problem_line(error: ConfigError) -> str:
    """`file:line:col: field: message (hint)`, message and hint in the repository's
    language; the location and the field name stay as written (editors jump to them)."""
    if current().english:
        return str(error)
    tr = current()
    text = f"{error.loc}: {error.field}: " if error.field else f"{error.loc}: "
    text += tr.text(error.message)
    if error.hint:
        text += f" ({tr.text(error.hint)})"
    return one_line(text)


def today_in(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()


def _late_global(ctx: click.Context, param: click.Parameter, value: object) -> None:
    """A global option written after the command (`isk status --as-of D`) sets the same
    field as when written before it (the group's callback has made the Context by then)."""
    if value is None or value is False:
        return
    obj = ctx.find_object(Context)
    if obj is None:
        return
    if param.name == "late_repo":
        obj.repo_option = Path(str(value))
    elif param.name == "late_as_of":
        obj.as_of_option = value  # type: ignore[assignment]
    elif param.name == "late_no_color":
        obj.color = False
    elif param.name == "late_verbose":
        obj.verbose = True
    elif param.name == "late_wide":
        obj.wide = True


def _late_options() -> list[click.Option]:
    common = {"expose_value": False, "is_eager": True, "callback": _late_global, "hidden": True}
    return [
        click.Option(
            ["--repo", "late_repo"], type=click.Path(file_okay=False, path_type=Path), **common
        ),
        click.Option(["--as-of", "late_as_of"], type=ISO_DATE, **common),
        click.Option(["--no-color", "late_no_color"], is_flag=True, default=False, **common),
        click.Option(["-v", "--verbose", "late_verbose"], is_flag=True, default=False, **common),
        click.Option(["--wide", "late_wide"], is_flag=True, default=False, **common),
    ]


def add_global_options(commands: Iterable[click.Command]) -> None:
    """Accept `--repo`, `--as-of`, `--no-color`, `--wide` and `-v` after the command too (hidden
    in its help), unless the command has an option of that name itself (`sim serve --repo`)."""
    for command in commands:
        if isinstance(command, click.Group):
            add_global_options(command.commands.values())
            continue
        if getattr(command, "_isk_late_options", False):
            continue
        command._isk_late_options = True  # type: ignore[attr-defined]
        taken = {name for param in command.params for name in getattr(param, "opts", [])}
        for option in _late_options():
            if not taken.intersection(option.opts):
                command.params.append(option)


def pass_context(f):
    return click.pass_obj(f)


def usage_error_line(problem: click.ClickException, argv: Iterable[str] = ()) -> str:
    """`error: <click's message> (see 'isk plan --help')`, on one line, in the language of
    the command's help (click writes its message in English: the catalog has its
    sentences as templates, like the core's). `argv`: the command line, for an error
    click raised without its context (`Option '--router' requires an argument`)."""
    message = " ".join(problem.format_message().split()).rstrip(".")
    command = getattr(problem, "ctx", None)
    language = language_of(command) if command is not None else command_line_language(argv)
    tr = translator(language)
    message = tr.text(message)
    if isinstance(problem, click.UsageError) and command is not None:
        see = command.command_path
        return tr.message(
            "error: %(problem)s (see '%(command)s --help')", problem=message, command=see
        )
    return tr.message("error: %(problem)s", problem=message)


class IsoDate(click.ParamType):
    """A YYYY-MM-DD date, with a message a person can act on."""

    name = "date"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "YYYY-MM-DD"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> date:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        text = str(value).strip()
        try:
            if not ISO_DAY.fullmatch(text):
                raise ValueError(text)
            return date.fromisoformat(text)
        except ValueError:
            self.fail(f"{text!r} is not a date: write YYYY-MM-DD, e.g. 2026-11-29", param, ctx)


ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_DATE = IsoDate()


def bug_location(problem: BaseException) -> str:
    """`file.py:line` of the deepest frame in our own package (a library's frame says
    little), for the one-line report of an unexpected exception."""
    frames = traceback.extract_tb(problem.__traceback__)
    package = Path(__file__).resolve().parent.parent
    ours = [frame for frame in frames if Path(frame.filename).resolve().is_relative_to(package)]
    if not ours:
        return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}"
    path = Path(ours[-1].filename).resolve().relative_to(package.parent)
    return f"{path.as_posix()}:{ours[-1].lineno}"


def run_cli(group: click.Group, argv: list[str] | None) -> int:
    """Run the click group; expected errors become one stderr line each and exit 1."""
    words = sys.argv[1:] if argv is None else argv
    verbose = "-v" in (argv or sys.argv[1:]) or "--verbose" in (argv or sys.argv[1:])
    try:
        # standalone_mode=False returns the code of `raise click.exceptions.Exit(n)`.
        code = group.main(args=argv, prog_name="isk", standalone_mode=False)
        if isinstance(code, int) and not isinstance(code, bool):
            return code
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.exceptions.NoArgsIsHelpError as problem:
        # `isk` or `isk customer` alone: the help is the answer, but no command ran.
        problem.show()
        return 1
    except click.ClickException as problem:
        # Usage errors are invalid input too: exit 1, never 2 (2 means "plan has changes"),
        # and one line like every other error (click's own display takes three).
        click.echo(usage_error_line(problem, words), err=True)
        return 1
    except click.exceptions.Abort:
        click.echo(_("aborted"), err=True)
        return 1
    except ValidationFailed as failed:
        for error in failed.errors:
            click.echo(visible(problem_line(error)), err=True)
        click.echo(_("error: %(problem)s", problem=current().text(str(failed))), err=True)
        return 1
    except IskError as problem:
        if verbose:
            traceback.print_exc()
        # A router's trap message or a file's text may hold control characters.
        message = current().lines(str(problem))
        click.echo(_("error: %(problem)s", problem=visible(message)), err=True)
        return 1
    except KeyboardInterrupt:
        click.echo(_("interrupted"), err=True)
        return 130
    except BrokenPipeError:  # `isk ... | head`: the reader has what it wanted
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (no flush error at exit)
        return 1
    except OSError as problem:  # a file or stream the system refused: the user's to fix
        if verbose:
            traceback.print_exc()
        reason = problem.strerror or type(problem).__name__
        where = f"{problem.filename}: " if problem.filename else ""
        click.echo(f"error: {where}{reason}", err=True)
        return 1
    except Exception as problem:  # a bug: still one line unless -v
        if verbose or os.environ.get("ISK_DEBUG"):
            traceback.print_exc()
        # The message itself is left out: a bug's exception text could carry a secret.
        where = bug_location(problem)
        click.echo(
            f"error: internal error {type(problem).__name__} at {where} (run with -v for details)",
            err=True,
        )
        return 1
    return 0
