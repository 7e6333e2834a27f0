"""Checks every state file gets because it may come from a stranger's pull request
(docs/security.md): the file must lie inside the repository, its text must be text,
and a router connection that sends the password readably is a warning a reviewer sees.
"""

from __future__ import annotations

import ipaddress
import os
import posixpath
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from isk_reconcile.errors import ConfigError, Loc
from isk_reconcile.state.routers import Router
from isk_reconcile.state.settings import NotifyChannel, Settings
from isk_reconcile.state.yamlsource import SourceFile, YamlPath, format_path
from isk_reconcile.untrusted import control_problem

CONTROL_HINT = "write plain text: no tabs, line breaks, escape sequences or bidi controls"


def outside_repository(
    repo: Path, relative: str, directories: dict[str, bool] | None = None
) -> ConfigError | None:
    """An error when `repo/relative` resolves (through a symlink) outside `repo`: a pull
    request must not make isk read /etc/... or another checkout's files as state.

    `directories`: whether each directory resolves inside `repo`, filled as it goes (for
    one load: 10,000 customer files share a directory). A file that is no link in such a
    directory resolves inside, which one lstat tells; anything else is resolved in full."""
    if directories is not None and _plain_file_inside(repo, relative, directories):
        return None
    target = repo / relative
    try:
        resolved = target.resolve(strict=True)
        inside = resolved.is_relative_to(repo.resolve(strict=True))
    except (OSError, RuntimeError):  # a dangling or looping link
        resolved, inside = None, False
    if inside:
        return None
    where = "a link that cannot be followed" if resolved is None else "outside the repository"
    return ConfigError(
        Loc(relative, 1, 1),
        "",
        f"refused: a symbolic link to {where}",
        "state files must be regular files inside the repository",
    )


def _plain_file_inside(repo: Path, relative: str, directories: dict[str, bool]) -> bool:
    parent, name = posixpath.split(relative)
    if name in ("", ".", ".."):
        return False
    inside = directories.get(parent)
    if inside is None:
        try:
            resolved = (repo / parent).resolve(strict=True)
            inside = resolved.is_relative_to(repo.resolve(strict=True))
        except (OSError, RuntimeError):
            inside = False
        directories[parent] = inside
    if not inside:
        return False
    try:
        return not stat.S_ISLNK(os.lstat(os.path.join(repo, relative)).st_mode)
    except OSError:
        return False


def text_errors(source: SourceFile) -> list[ConfigError]:
    """Every key and text value of the file holding a control character, at its line."""
    if source.no_controls:  # known from parsing it (most files)
        return []
    errors = []
    for path, is_key, text in _strings(source.data, ()):
        problem = control_problem(text)
        if problem is not None:
            field = format_path(path) or "(top level)"
            what = "key" if is_key else "text"
            errors.append(
                ConfigError(source.loc(path, key=is_key), field, f"{what} {problem}", CONTROL_HINT)
            )
    return errors


def _strings(value: Any, path: YamlPath) -> Iterator[tuple[YamlPath, bool, str]]:
    if isinstance(value, str):
        yield path, False, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                yield (*path, key), True, key
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def is_loopback(host: str) -> bool:
    if host.strip().lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def transport_problems(router: Router) -> list[str]:
    """What makes this router's API connection readable or forgeable on the network."""
    problems = []
    if not router.tls and not is_loopback(router.host):
        problems.append(
            "tls: false: the API login sends the password in clear to "
            f"{router.host}:{router.api_port} (enable api-ssl and set tls: true; "
            "see docs/security.md)"
        )
    if router.tls and not router.tls_verify:
        problems.append(
            "tls_verify: false: the router's certificate is not checked, anyone on the path "
            "can pose as the router and read the password (set tls_ca instead)"
        )
    return problems


def transport_warnings(
    routers: Mapping[str, Router], source: SourceFile | None
) -> list[ConfigError]:
    """`transport_problems` of every router as validation warnings at its line."""
    warnings = []
    for name, router in routers.items():
        for problem in transport_problems(router):
            key = "tls" if problem.startswith("tls:") else "tls_verify"
            loc = source.loc((name, key), key=True) if source is not None else Loc("")
            warnings.append(ConfigError(loc, f"{name}.{key}", problem, severity="warning"))
    return warnings


# URL schemes that travel in clear (apprise's webhook schemes included), and their TLS twin.
CLEAR_SCHEMES = {"http": "https", "json": "jsons", "form": "forms", "xml": "xmls"}


def channel_problems(channel: NotifyChannel) -> list[tuple[str, str]]:
    """(key, problem): what sends a notification channel's credential in clear."""
    if channel.kind == "email":
        if channel.security == "insecure" and channel.host and not is_loopback(channel.host):
            return [
                (
                    "security",
                    f"security: insecure: the SMTP login and every message go in clear to "
                    f"{channel.host} (use starttls or ssl)",
                )
            ]
        return []
    url = urlsplit(channel.url or "")
    if url.scheme in CLEAR_SCHEMES and channel.token_env and not is_loopback(url.hostname or ""):
        secure = CLEAR_SCHEMES[url.scheme]
        return [
            (
                "url",
                f"url: {url.scheme}:// sends the {channel.token_env} token in clear to "
                f"{url.hostname} (use {secure}://)",
            )
        ]
    return []


def channel_warnings(settings: Settings, source: SourceFile | None) -> list[ConfigError]:
    """`channel_problems` of every notification channel as warnings at its line."""
    warnings = []
    for name, channel in settings.notify.channels.items():
        for key, problem in channel_problems(channel):
            path = ("notify", "channels", name, key)
            loc = source.loc(path, key=True) if source is not None else Loc("")
            warnings.append(
                ConfigError(loc, f"notify.channels.{name}.{key}", problem, severity="warning")
            )
    return warnings


__all__ = [
    "channel_problems",
    "channel_warnings",
    "is_loopback",
    "outside_repository",
    "text_errors",
    "transport_problems",
    "transport_warnings",
]
