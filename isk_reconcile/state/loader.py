"""Read and validate the whole state repository into one immutable `State` (SPEC §2).

Every problem is collected (never just the first) as a `ConfigError` located to
file:line:column, and `load_state` raises `ValidationFailed` with all of them.
Order: settings, routers, profiles, customers, ledger (state.ledgerfiles: checked as
columns, built when first used), then the rules that span files (references,
uniqueness, case collisions, passwords: state.rules). A model's validation errors
become our messages in state.messages.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ValidationError

from isk_reconcile.collector import collector_paused, freeze_if_large
from isk_reconcile.errors import ConfigError, IskError, Loc, ValidationFailed
from isk_reconcile.state import encryption, policy, statecache
from isk_reconcile.state.base import _iso_date
from isk_reconcile.state.customers import Customer
from isk_reconcile.state.layout import (
    CUSTOMERS_DIR,
    PAYMENTS_DIR,
    PROFILES_DIR,
    ROUTERS_FILE,
    SETTINGS_FILE,
    directory_files,
)
from isk_reconcile.state.lazyledger import entries_after
from isk_reconcile.state.ledgerfiles import LedgerFiles, all_locations, whole_ledger
from isk_reconcile.state.ledgertext import PlainReader
from isk_reconcile.state.messages import (
    Placed,
    customer_id_loc,
    field_name,
    located_error,
    profile_name_loc,
    router_name_loc,
    translate_for,
)
from isk_reconcile.state.model import State
from isk_reconcile.state.notify_rules import NotifyRules
from isk_reconcile.state.profiles import Profile
from isk_reconcile.state.routers import Router
from isk_reconcile.state.rules import CrossFileRules
from isk_reconcile.state.settings import Settings
from isk_reconcile.state.yamlsource import (
    ParseCache,
    Parser,
    SourceFile,
    YamlPath,
    describe_value,
    format_path,
    parse_yaml,
    read_yaml,
)


def load_state(repo: Path, *, cache: bool | ParseCache = True) -> State:
    """Load and validate everything under `repo`; raise `ValidationFailed` listing all errors.

    `cache`: use the repository's caches (True: the validated-state cache, else the parse
    cache), none (False), or this parse cache."""
    return load_state_and_files(repo, cache=cache)[0]


def load_state_and_files(
    repo: Path, *, cache: bool | ParseCache = True, keep: bool = False
) -> tuple[State, dict[str, str] | None]:
    """`load_state`, and the fingerprint (statecache.fingerprint) of exactly the files the
    State was read from: None when unknown (no state cache, or a file changed meanwhile).
    `keep`: a writer about to append one entry (statecache.save_appended)."""
    repo = Path(repo)
    files: dict[str, str] | None = None
    with collector_paused():
        if cache is True:
            files, state = statecache.fingerprint_and_load(repo, keep=keep)
            if state is not None:
                freeze_if_large(len(state.customers) + len(state.ledger))
                return state, files
        loading = _Loading(repo, cache)
        state = loading.run()
        # The caches learn only from a repository that validated: what a refused file held
        # (a plaintext password, anything hostile) is never written to them. The parsed
        # files (held by the parse cache) go before the state cache is encoded: the two
        # are the largest things a load makes, and need not be alive together.
        parsed = loading.cache
        # Only a state read from exactly these files is remembered for them: every file
        # the load read held what the fingerprint hashed (nothing changed in between).
        exactly = files is not None and loading.read_from(files)
        del loading
        if parsed is not None:
            parsed.save()
        del parsed
        if files is not None and exactly:
            statecache.save(repo, files, state)
        else:
            files = None
        freeze_if_large(len(state.customers) + len(state.ledger))
    return state, files


def load_settings(repo: Path, *, cache: bool = True) -> Settings:
    """Only state/settings.yaml (for commands that need no customers, e.g. encrypting)."""
    loading = _Loading(Path(repo), cache)
    settings = loading.settings_from_file()
    if loading.errors:
        raise ValidationFailed(loading.errors)
    return settings


def load_routers_text(content: bytes, label: str = ROUTERS_FILE) -> Mapping[str, Router]:
    """The routers of a routers.yaml given as bytes (e.g. read from a git commit), judged
    by the same rules; a router that fails them is left out (it is then "unknown")."""
    loading = _Loading(Path("."), cache=False)
    loading.given[ROUTERS_FILE] = parse_yaml(content, label)
    return MappingProxyType({name: item for name, (item, _) in loading.routers(Settings()).items()})


def ledger_warnings(state: State, as_of: date) -> list[ConfigError]:
    """Warnings that depend on the as-of date: ledger entries not counted yet."""
    return [
        ConfigError(
            state.loc("ledger", entry.id) or Loc(PAYMENTS_DIR),
            f"{entry.id}.date",
            f"dated {entry.date}, after the as-of date {as_of}: not counted yet",
            severity="warning",
        )
        for entry in entries_after(state.ledger, as_of)
    ]


class _Loading(CrossFileRules, NotifyRules, LedgerFiles):
    def __init__(self, repo: Path, cache: bool | ParseCache):
        self.repo = repo
        self.cache = cache if isinstance(cache, ParseCache) else ParseCache(repo) if cache else None
        self.errors: list[ConfigError] = []
        self.warnings: list[ConfigError] = []
        self.locations: dict[tuple[str, str], Loc] = {}
        # Customers whose file failed the model: (raw mapping, file).
        self.failed: dict[str, tuple[dict[str, Any], SourceFile]] = {}
        self.given: dict[str, SourceFile] = {}  # files already parsed (not read from disk)
        self.digests: dict[str, str | None] = {}  # the sha256 of each file read (read_yaml's)
        self.directories: dict[str, bool] = {}  # policy.outside_repository's, for this load
        # Customer and payments files of the plain shape are read the fast way (ledgertext).
        self.plain = PlainReader()

    # --- helpers ----------------------------------------------------------------------

    def read(self, relative: str, parse: Parser | None = None) -> SourceFile:
        source = self.given.get(relative)
        if source is None:
            escaped = policy.outside_repository(self.repo, relative, self.directories)
            if escaped is not None:
                self.errors.append(escaped)
                return SourceFile(self.repo, relative, None, (escaped,))
            source = read_yaml(self.repo, relative, self.cache, parse)
            self.digests[relative] = source.digest
        self.errors.extend(source.errors)
        self.errors.extend(policy.text_errors(source))
        return source

    def read_from(self, files: dict[str, str]) -> bool:
        """Whether every file this load read held the content `files` (a fingerprint)
        names for it. (A file it names that was not read cannot have changed the State;
        a cache keyed by its old hash is merely missed next time.)"""
        return all(files.get(relative) == digest for relative, digest in self.digests.items())

    def error(
        self,
        source: SourceFile,
        path: YamlPath,
        message: str,
        hint: str = "",
        *,
        label: str = "",
        key: bool = False,
        field: str | None = None,
    ) -> None:
        if field is None:
            # A labelled object (router, ledger entry) sits one step into its file.
            field = field_name(label, path[1:]) if label else format_path(path)
        self.errors.append(ConfigError(source.loc(path, key=key), field, message, hint))

    def written(self, kind: str, name: str) -> bool:
        """Whether `name` exists but failed validation (its own errors say why)."""
        return (kind, name) in self.locations

    def file_error(self, relative: str, message: str, hint: str = "") -> None:
        self.errors.append(ConfigError(Loc(relative, 1, 1), "", message, hint))

    def named_by_file(self, source: SourceFile, key: str, value: str, what: str) -> dict[str, Any]:
        """The file's mapping with `key` set to `value`, taken from the file name; the
        key written in the file is an error (it could only disagree)."""
        raw = dict(source.data)
        if key in raw:
            self.error(
                source, (key,), f"a {what}'s {key} is its file name", "remove this key", key=True
            )
            del raw[key]
        raw[key] = value
        return raw

    def expect_mapping(self, source: SourceFile, path: YamlPath, value: Any, label: str) -> bool:
        if isinstance(value, dict):
            return True
        if value is None and source.errors:  # unreadable file: its own error says why
            return False
        self.error(
            source, path, f"must be a mapping of keys, not {describe_value(value)}", label=label
        )
        return False

    def validate(
        self,
        model: type[BaseModel],
        raw: dict[str, Any],
        placed: Placed,
        translate: Callable[[tuple], tuple[YamlPath, bool]] | None = None,
    ) -> Any:
        """model.model_validate(raw), with every failure turned into a located ConfigError."""
        try:
            return model.model_validate(raw)
        except ValidationError as failure:
            # A value the YAML reader already refused (an unsupported tag) is None here:
            # its one error is the reader's, not a second "is empty".
            refused = {error.loc for error in placed.source.errors}
            for detail in failure.errors(include_url=False):
                located = located_error(detail, model, placed, translate)
                if located.loc not in refused:
                    self.errors.append(located)
            return None

    def yaml_files(self, directory: str, *, recursive: bool) -> list[str]:
        base = self.repo / directory
        if not base.is_dir():
            return []
        found, ignored = [], []
        for name, is_file in directory_files(self.repo, directory, recursive):
            # A link that leads nowhere is still read (and refused there), not skipped.
            if not is_file:
                continue
            suffix = os.path.splitext(name)[1]  # Path.suffix: ".yaml" alone has none
            if suffix == ".yaml":
                found.append(name)
            elif suffix == ".yml":
                ignored.append(name)
        for relative in sorted(ignored):
            self.file_error(relative, "files ending .yml are not read", "rename it to .yaml")
        return sorted(found)

    # --- the repository ---------------------------------------------------------------

    def run(self) -> State:
        if not (self.repo / ROUTERS_FILE).is_file():
            raise IskError(f"{self.repo}: not a state repository (no {ROUTERS_FILE})")
        settings = self.settings_from_file()
        routers = self.routers(settings)
        profiles = self.profiles()
        customers = self.customers()
        ledger = self.ledger()
        self.check_settings_references(settings, routers, profiles)
        self.check_profile_routers(profiles, routers)
        self.check_customers(settings, customers, routers, profiles)
        self.check_notify(settings, customers)
        self.check_pools(routers, customers)
        self.check_ledger_customers(ledger, customers)
        self.check_amounts(settings.billing.max_amount, profiles, customers, ledger)
        if self.errors:
            raise ValidationFailed(self.errors)
        # Read-only views: a State is a value that every command shares.
        return State(
            settings=settings,
            routers=MappingProxyType({name: item for name, (item, _) in routers.items()}),
            profiles=MappingProxyType({name: item for name, (item, _) in profiles.items()}),
            customers=MappingProxyType({cid: item for cid, (item, _) in customers.items()}),
            ledger=whole_ledger(ledger),
            locations=all_locations(self.locations, ledger),
            warnings=tuple(self.warnings),
        )

    def settings_from_file(self) -> Settings:
        if not (self.repo / SETTINGS_FILE).is_file():
            self.settings_source = None
            return Settings()
        source = self.read(SETTINGS_FILE)
        self.settings_source = source
        raw = source.data if source.data is not None else {}
        if not self.expect_mapping(source, (), raw, ""):
            return Settings()
        settings = self.validate(Settings, raw, Placed(source, (), ""))
        if settings is None:
            # The valid keys still count (encryption.allow_plaintext, suspend, ...): judging the
            # other files against the defaults would add errors that are not there.
            return _settings_without_errors(raw)
        for index, text in enumerate(settings.secrets.recipients):
            try:
                encryption.parse_recipient(text)
            except IskError:
                self.error(
                    source,
                    ("secrets", "recipients", index),
                    "not an age public key",
                    "age1... as printed by `isk secrets keygen`",
                )
        self.warnings.extend(policy.channel_warnings(settings, source))
        return settings

    def routers(self, settings: Settings) -> dict[str, tuple[Router, Placed]]:
        source = self.read(ROUTERS_FILE)
        raw_all = source.data if source.data is not None else {}
        routers: dict[str, tuple[Router, Placed]] = {}
        if not self.expect_mapping(source, (), raw_all, ""):
            return routers
        for name, raw in raw_all.items():
            placed = Placed(source, (name,), name)
            self.locations[("router", name)] = source.loc((name,), key=True)
            if not self.expect_mapping(source, (name,), raw, name):
                continue
            raw = dict(raw)
            for key in list(raw):
                if "password" in key.lower() and key not in ("password_env", "read_password_env"):
                    # Never echo the value: it is a credential.
                    self.error(
                        source,
                        (name, key),
                        "router passwords come from the environment: set password_env",
                        "remove this key and put the password in an environment variable",
                        label=name,
                        key=True,
                    )
                    del raw[key]
            if "name" in raw:
                self.error(
                    source,
                    (name, "name"),
                    "a router's name is its key in routers.yaml",
                    "remove this key",
                    label=name,
                    key=True,
                )
                del raw["name"]
            # Overrides merge over the global settings: setting only `mode` keeps `disconnect`.
            for section, defaults in (("suspend", settings.suspend), ("safety", settings.safety)):
                if isinstance(raw.get(section), dict):
                    raw[section] = defaults.model_dump() | raw[section]
            router = self.validate(Router, {**raw, "name": name}, placed, router_name_loc)
            if router is not None:
                routers[name] = (router, placed)
        self.check_case_collisions(
            "router", [(name, source.loc((name,), key=True)) for name in raw_all]
        )
        valid = {name: router for name, (router, _) in routers.items()}
        self.warnings.extend(policy.transport_warnings(valid, source))
        return routers

    def profiles(self) -> dict[str, tuple[Profile, Placed]]:
        profiles: dict[str, tuple[Profile, Placed]] = {}
        names: list[tuple[str, Loc]] = []
        for relative in self.yaml_files(PROFILES_DIR, recursive=False):
            name = Path(relative).stem
            names.append((name, Loc(relative, 1, 1)))
            self.locations[("profile", name)] = Loc(relative, 1, 1)
            source = self.read(relative)
            placed = Placed(source, (), "")
            if not self.expect_mapping(source, (), source.data, ""):
                continue
            raw = self.named_by_file(source, "name", name, "profile")
            if "price" in raw and raw["price"] is not None:
                raw["price"] = _dated(raw["price"], date.min)
            profile = self.validate(
                Profile, raw, placed, translate_for(Profile, source.data, profile_name_loc)
            )
            if profile is not None:
                profiles[name] = (profile, placed)
        self.check_case_collisions("profile", names)
        return profiles

    def customers(self) -> dict[str, tuple[Customer, Placed]]:
        customers: dict[str, tuple[Customer, Placed]] = {}
        for relative in self.yaml_files(CUSTOMERS_DIR, recursive=False):
            customer_id = os.path.splitext(os.path.basename(relative))[0]  # no Path: 10,000
            self.locations[("customer", customer_id)] = Loc(relative, 1, 1)
            source = self.read(relative, self.plain.mapping)
            placed = Placed(source, (), "")
            if not self.expect_mapping(source, (), source.data, ""):
                continue
            raw = self.named_by_file(source, "id", customer_id, "customer")
            try:
                start = _iso_date(raw.get("start"))
            except Exception:  # PydanticCustomError; reported by validation below
                start = date.min
            if raw.get("profile") is not None:
                raw["profile"] = _dated(raw["profile"], start)
            if raw.get("price") is not None:
                raw["price"] = _dated(raw["price"], date.min)
            customer = self.validate(
                Customer, raw, placed, translate_for(Customer, source.data, customer_id_loc)
            )
            if customer is not None:
                customers[customer_id] = (customer, placed)
            else:  # still checked across files, on what is readable (check_customers)
                self.failed[customer_id] = (raw, source)
        # Ids are lower-case by their pattern, so two ids cannot differ only in case.
        return customers


def _settings_without_errors(raw: dict[str, Any]) -> Settings:
    """Settings from `raw` with each top-level key that fails left at its default."""
    kept = dict(raw)
    while True:
        try:
            return Settings.model_validate(kept)
        except ValidationError as failure:
            bad = {detail["loc"][0] for detail in failure.errors() if detail["loc"]}
            if not bad & kept.keys():
                return Settings()
            for key in bad:
                kept.pop(key, None)


def _dated(value: Any, default_from: date) -> dict[str, Any]:
    """A plain value is one change dated `default_from`; a list is the changes themselves."""
    if isinstance(value, list):
        return {"changes": value}
    return {"changes": [{"from": default_from, "value": value}]}


__all__ = ["ledger_warnings", "load_settings", "load_state"]
