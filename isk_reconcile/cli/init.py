"""`isk init [DIR]`: a new state repository in one command (or a copy of the example ISP)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from isk_reconcile.cli.root import main
from isk_reconcile.errors import IskError
from isk_reconcile.gitops.bootstrap import NewIsp
from isk_reconcile.render.i18n import translator

DEFAULTS = {
    "timezone": "Asia/Jakarta",
    "cycle": "monthly",
    "grace_days": 3,
    "suspend_mode": "disable",
    "language": "id",
}


def identity_home() -> Path:
    """Where `isk init` keeps the private age identity: the user's config dir, never the repo."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "isk"


@main.command("init")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", help="The ISP's name (heads the dashboard, workbook and messages).")
@click.option("--timezone", help="IANA time zone for 'today' [Asia/Jakarta].")
@click.option("--cycle", type=click.Choice(["monthly", "30d"]), help="Billing cycle [monthly].")
@click.option(
    "--grace-days", type=click.IntRange(0, 60), help="Days after due before suspension [3]."
)
@click.option(
    "--suspend-mode", type=click.Choice(["disable", "isolate"]), help="How to suspend [disable]."
)
@click.option("--language", type=click.Choice(["id", "en"]), help="Language people read [id].")
@click.option(
    "--identity-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Age identity to create (or reuse if it exists) [~/.config/isk/<DIR>-identity.txt].",
)
@click.option("--example", is_flag=True, help="Write a copy of the example ISP to explore instead.")
def init(
    directory: Path | None,
    name: str | None,
    timezone: str | None,
    cycle: str | None,
    grace_days: int | None,
    suspend_mode: str | None,
    language: str | None,
    identity_file: Path | None,
    example: bool,
) -> None:
    """Create a new state repository (settings, routers, .gitignore, README; git init).

    Asks for what no flag gives when run on a terminal; without one it takes the defaults,
    so scripts and CI can run it. Never overwrites anything."""
    from isk_reconcile.gitops.bootstrap import copy_example, new_repository_files

    target = (directory or Path.cwd()).resolve()
    if example:
        files = copy_example(target)
        sha = _write(target, files, "init: a copy of the isk-reconcile example ISP", example=True)
        click.echo(f"wrote the example ISP to {target}{sha}")
        click.echo(f"try: isk --repo {target} status --as-of 2026-11-29 --no-routers")
        return
    asked = _answers(
        target,
        name=name,
        timezone=timezone,
        cycle=cycle,
        grace_days=grace_days,
        suspend_mode=suspend_mode,
        language=language,
    )
    keyfile = identity_file or identity_home() / f"{target.name or 'isp'}-identity.txt"
    recipient = _identity(keyfile)
    isp = NewIsp(recipient=recipient, **asked)
    _check_settings(isp)
    sha = _write(target, new_repository_files(isp), f"init: state repository of {isp.name}")
    speak = translator(isp.language).message  # the new repository's language from here on
    click.echo(
        speak("created the state repository of %(isp)s in %(dir)s", isp=isp.name, dir=target) + sha
    )
    click.echo(
        speak(
            "age identity (decrypts PPPoE passwords; keep it secret, out of git): %(file)s",
            file=keyfile,
        )
    )
    click.echo(speak("next: add your routers to state/routers.yaml, then `isk router check` and"))
    click.echo(speak("      `isk import --router NAME` (see README: Start your own ISP)"))


def _answers(target: Path, **given: object) -> dict[str, object]:
    """Flags first; then a question on a terminal; else the default. The language is
    asked first (in both languages), so that the other questions are in it."""
    interactive = _on_a_terminal()

    def ask(key: str, question: str, default: object, kind: object = None) -> object:
        value = given.get(key)
        if value is None and interactive:
            return click.prompt(question, default=default, type=kind or type(default))
        return default if value is None else value

    language = str(
        ask(
            "language",
            "Language / Bahasa (id/en)",
            DEFAULTS["language"],
            click.Choice(["id", "en"]),
        )
    )
    tr = translator(language)
    default_name = target.name.replace("-", " ").title() or "My ISP"
    return {
        "language": language,
        "name": ask("name", tr.message("ISP name"), default_name),
        "timezone": ask("timezone", tr.message("Time zone"), DEFAULTS["timezone"]),
        "cycle": ask("cycle", tr.message("Billing cycle (monthly/30d)"), DEFAULTS["cycle"]),
        "grace_days": ask(
            "grace_days", tr.message("Grace days before suspension"), DEFAULTS["grace_days"]
        ),
        "suspend_mode": ask(
            "suspend_mode", tr.message("Suspend mode (disable/isolate)"), DEFAULTS["suspend_mode"]
        ),
    }


def _on_a_terminal() -> bool:
    """Whether someone can answer questions (CI and scripts get the defaults)."""
    return sys.stdin.isatty()


def _identity(keyfile: Path) -> str:
    """The public key of `keyfile`, creating the identity (mode 0600) when it is absent."""
    from isk_reconcile.state.encryption import generate_identity, parse_identity

    if keyfile.exists():
        try:
            text = keyfile.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as problem:
            raise IskError(f"{keyfile}: cannot read the age identity ({problem})") from None
        click.echo(f"using the existing age identity {keyfile}")
        return parse_identity(text, str(keyfile)).public
    identity, public = generate_identity()
    keyfile.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(keyfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"# isk age identity; public key: {public}\n{identity}\n")
    return public


def _check_settings(isp: NewIsp) -> None:
    """Refuse a name, zone or choice the new settings.yaml would not validate with,
    before anything is written (it is validated in a scratch directory)."""
    import tempfile

    from isk_reconcile.gitops.bootstrap import settings_text
    from isk_reconcile.state.loader import load_settings

    with tempfile.TemporaryDirectory(prefix="isk-init-") as scratch:
        settings = Path(scratch) / "state" / "settings.yaml"
        settings.parent.mkdir()
        settings.write_text(settings_text(isp), encoding="utf-8")
        load_settings(Path(scratch), cache=False)


def _write(target: Path, files: dict[str, str], message: str, *, example: bool = False) -> str:
    from isk_reconcile.gitops.bootstrap import write_new_repository

    sha = write_new_repository(target, files, message, example=example)
    if sha is None:
        return " (files staged, not committed: set git user.name and user.email, then commit)"
    return f" (git commit {sha})"
