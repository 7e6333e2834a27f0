"""Read and validate the whole state repository into one immutable `State` (SPEC §2).

Every problem is collected (never just the first) as a `ConfigError` located to
file:line:column, and `load_state` raises `ValidationFailed` with all of them.
Order: settings, routers, profiles, customers, ledger, then the rules that span
files (references, uniqueness, case collisions, passwords).
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, StrictStr, TypeAdapter, ValidationError

from isk_reconcile.collector import collector_paused, freeze_if_large
from isk_reconcile.errors import ConfigError, IskError, Loc, ValidationFailed
from isk_reconcile.state import encryption
from isk_reconcile.state.model import (
    Customer,
    CustomerStatus,
    Dated,
    LedgerEntry,
    Money,
    Profile,
    Router,
    Settings,
    State,
    _iso_date,
)
from isk_reconcile.state.yamlsource import (
    ParseCache,
    SourceFile,
    YamlPath,
    describe_value,
    format_path,
    is_secret_path,
    read_yaml,
)

SETTINGS_FILE = "state/settings.yaml"
ROUTERS_FILE = "state/routers.yaml"
PROFILES_DIR = "state/profiles"
CUSTOMERS_DIR = "state/customers"
PAYMENTS_DIR = "payments"

# Fields holding a value that may change over time (plain, or a dated list).
DATED_FIELDS = {Profile: ("price",), Customer: ("profile", "price")}
_LEDGER_FILE = TypeAdapter(list[LedgerEntry])
DATED_HINT = "a plain value, or a dated list: [{from: YYYY-MM-DD, value: ...}, ...]"


def load_state(repo: Path, *, cache: bool = True) -> State:
    """Load and validate everything under `repo`; raise `ValidationFailed` listing all errors."""
    loading = _Loading(Path(repo), cache)
    with collector_paused():
        try:
            state = loading.run()
        finally:
            if loading.cache is not None:
                loading.cache.save()
        freeze_if_large(len(state.customers) + len(state.ledger))
    return state


def load_settings(repo: Path, *, cache: bool = True) -> Settings:
    """Only state/settings.yaml (for commands that need no customers, e.g. encrypting)."""
    loading = _Loading(Path(repo), cache)
    settings = loading.settings_from_file()
    if loading.errors:
        raise ValidationFailed(loading.errors)
    return settings


def ledger_warnings(state: State, as_of: date) -> list[ConfigError]:
    """Warnings that depend on the as-of date: ledger entries not counted yet."""
    warnings = []
    for entry in state.ledger:
        if entry.date > as_of:
            warnings.append(
                ConfigError(
                    state.loc("ledger", entry.id) or Loc(PAYMENTS_DIR),
                    f"{entry.id}.date",
                    f"dated {entry.date}, after the as-of date {as_of}: not counted yet",
                    severity="warning",
                )
            )
    return warnings


@dataclass(frozen=True)
class _Placed:
    """A validated object and where it was written."""

    source: SourceFile
    path: YamlPath  # of the object inside its file
    label: str  # how fields of this object are named in messages ("" for whole-file objects)


class _Loading:
    def __init__(self, repo: Path, cache: bool):
        self.repo = repo
        self.cache = ParseCache(repo) if cache else None
        self.errors: list[ConfigError] = []
        self.warnings: list[ConfigError] = []
        self.locations: dict[tuple[str, str], Loc] = {}
        # Customers whose file failed the model: (raw mapping, file).
        self.failed: dict[str, tuple[dict[str, Any], SourceFile]] = {}

    # --- helpers ----------------------------------------------------------------------

    def read(self, relative: str) -> SourceFile:
        source = read_yaml(self.repo, relative, self.cache)
        self.errors.extend(source.errors)
        return source

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
            field = _field_name(label, path[1:]) if label else format_path(path)
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
        placed: _Placed,
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
                located = _located(detail, model, placed, translate)
                if located.loc not in refused:
                    self.errors.append(located)
            return None

    def yaml_files(self, directory: str, *, recursive: bool) -> list[str]:
        base = self.repo / directory
        if not base.is_dir():
            return []
        pattern = "**/*" if recursive else "*"
        found, ignored = [], []
        for path in base.glob(pattern):
            if not path.is_file():
                continue
            if path.suffix == ".yaml":
                found.append(path.relative_to(self.repo).as_posix())
            elif path.suffix == ".yml":
                ignored.append(path.relative_to(self.repo).as_posix())
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
            ledger=tuple(entry for entry, _ in ledger),
            locations=MappingProxyType(self.locations),
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
        settings = self.validate(Settings, raw, _Placed(source, (), ""))
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
        return settings

    def routers(self, settings: Settings) -> dict[str, tuple[Router, _Placed]]:
        source = self.read(ROUTERS_FILE)
        raw_all = source.data if source.data is not None else {}
        routers: dict[str, tuple[Router, _Placed]] = {}
        if not self.expect_mapping(source, (), raw_all, ""):
            return routers
        for name, raw in raw_all.items():
            placed = _Placed(source, (name,), name)
            self.locations[("router", name)] = source.loc((name,), key=True)
            if not self.expect_mapping(source, (name,), raw, name):
                continue
            raw = dict(raw)
            for key in list(raw):
                if "password" in key.lower() and key != "password_env":
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
            router = self.validate(Router, {**raw, "name": name}, placed, _router_translate)
            if router is not None:
                routers[name] = (router, placed)
        self.check_case_collisions(
            "router", [(name, source.loc((name,), key=True)) for name in raw_all]
        )
        return routers

    def profiles(self) -> dict[str, tuple[Profile, _Placed]]:
        profiles: dict[str, tuple[Profile, _Placed]] = {}
        names: list[tuple[str, Loc]] = []
        for relative in self.yaml_files(PROFILES_DIR, recursive=False):
            name = Path(relative).stem
            names.append((name, Loc(relative, 1, 1)))
            self.locations[("profile", name)] = Loc(relative, 1, 1)
            source = self.read(relative)
            placed = _Placed(source, (), "")
            if not self.expect_mapping(source, (), source.data, ""):
                continue
            raw = self.named_by_file(source, "name", name, "profile")
            if "price" in raw and raw["price"] is not None:
                raw["price"] = _dated(raw["price"], date.min)
            profile = self.validate(
                Profile, raw, placed, _translate_for(Profile, source.data, _profile_name)
            )
            if profile is not None:
                profiles[name] = (profile, placed)
        self.check_case_collisions("profile", names)
        return profiles

    def customers(self) -> dict[str, tuple[Customer, _Placed]]:
        customers: dict[str, tuple[Customer, _Placed]] = {}
        for relative in self.yaml_files(CUSTOMERS_DIR, recursive=False):
            customer_id = Path(relative).stem
            self.locations[("customer", customer_id)] = Loc(relative, 1, 1)
            source = self.read(relative)
            placed = _Placed(source, (), "")
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
                Customer, raw, placed, _translate_for(Customer, source.data, _customer_id)
            )
            if customer is not None:
                customers[customer_id] = (customer, placed)
            else:  # still checked across files, on what is readable (check_customers)
                self.failed[customer_id] = (raw, source)
        # Ids are lower-case by their pattern, so two ids cannot differ only in case.
        return customers

    def ledger(self) -> list[tuple[LedgerEntry, _Placed]]:
        entries: list[tuple[LedgerEntry, _Placed]] = []
        first_seen: dict[str, Loc] = {}
        for relative in self.yaml_files(PAYMENTS_DIR, recursive=True):
            source = self.read(relative)
            if source.data is None:
                continue
            if not isinstance(source.data, list):
                self.error(
                    source,
                    (),
                    f"a payments file is a YAML list of entries, not {describe_value(source.data)}",
                    "start each entry with '- id: ...'",
                )
                continue
            lines = source.item_lines
            batch: list[tuple[dict[str, Any], _Placed]] = []
            for index, raw in enumerate(source.data):
                entry_id = raw.get("id") if isinstance(raw, dict) else None
                # A non-ASCII id (a look-alike) is named by position: its message spells it out.
                readable = isinstance(entry_id, str) and entry_id and entry_id.isascii()
                label = entry_id if readable else f"[{index}]"
                placed = _Placed(source, (index,), label)
                if not self.expect_mapping(source, (index,), raw, label):
                    continue
                line = lines[index] if index < len(lines) else 1
                here = Loc(relative, line, 1)
                if isinstance(entry_id, str):
                    if entry_id in first_seen:
                        self.error(
                            source,
                            (index, "id"),
                            f"duplicate ledger id '{entry_id}' (also at {first_seen[entry_id]})",
                            "every entry needs its own id; correct a mistake with a new entry",
                            label=label,
                        )
                        continue
                    first_seen[entry_id] = here
                    self.locations[("ledger", entry_id)] = here
                batch.append((raw, placed))
            entries.extend(self.validate_entries(batch))
            # A big ledger file's positions are only needed again if something refers to
            # them; then they are re-read. Dropping them halves the peak memory.
            source.forget_positions()
        return entries

    def validate_entries(
        self, batch: list[tuple[dict[str, Any], _Placed]]
    ) -> list[tuple[LedgerEntry, _Placed]]:
        """One pydantic call per file (10,000 entries); entry by entry only when one fails."""
        try:
            valid = _LEDGER_FILE.validate_python([raw for raw, _ in batch])
        except ValidationError:
            checked = ((self.validate(LedgerEntry, raw, placed), placed) for raw, placed in batch)
            return [(entry, placed) for entry, placed in checked if entry is not None]
        return list(zip(valid, (placed for _, placed in batch), strict=True))

    # --- rules across files -----------------------------------------------------------

    def check_case_collisions(self, what: str, names: Iterable[tuple[str, Loc]]) -> None:
        seen: dict[str, tuple[str, Loc]] = {}
        for name, loc in sorted(names, key=lambda item: item[1]):
            folded = name.casefold()
            if folded in seen and seen[folded][0] != name:
                other, other_loc = seen[folded]
                self.errors.append(
                    ConfigError(
                        loc,
                        name,
                        f"{what} name '{name}' differs from '{other}' ({other_loc}) only in case",
                        "names must differ in more than case (case-insensitive file systems)",
                    )
                )
            else:
                seen.setdefault(folded, (name, loc))

    def check_settings_references(
        self,
        settings: Settings,
        routers: dict[str, tuple[Router, _Placed]],
        profiles: dict[str, tuple[Profile, _Placed]],
    ) -> None:
        """Every router that isolates must have its isolate profile, pushed to it."""
        for name, (router, placed) in routers.items():
            suspend = router.suspend or settings.suspend
            if suspend.mode != "isolate" or not suspend.isolate_profile:
                continue
            profile_name = suspend.isolate_profile
            problem = None
            if profile_name not in profiles and self.written("profile", profile_name):
                continue
            if profile_name not in profiles:
                problem = f"isolate profile '{profile_name}' is not defined in {PROFILES_DIR}/"
            elif not profiles[profile_name][0].on_router(name):
                problem = f"isolate profile '{profile_name}' is not pushed to router '{name}'"
            if problem is None:
                continue
            overridden = router.suspend is not None and "isolate_profile" in (
                placed.source.data[name].get("suspend") or {}
            )
            if overridden or self.settings_source is None:
                self.error(placed.source, (name, "suspend", "isolate_profile"), problem, label=name)
            else:
                self.error(
                    self.settings_source,
                    ("suspend", "isolate_profile"),
                    f"{problem} (router '{name}' suspends by isolating)",
                )

    def check_profile_routers(
        self,
        profiles: dict[str, tuple[Profile, _Placed]],
        routers: dict[str, tuple[Router, _Placed]],
    ) -> None:
        for profile, placed in profiles.values():
            for index, router in enumerate(profile.routers or ()):
                if router not in routers and not self.written("router", router):
                    self.error(
                        placed.source,
                        ("routers", index),
                        f"unknown router '{router}'",
                        _did_you_mean(router, routers),
                    )
            for router in profile.per_router:
                if router not in routers and not self.written("router", router):
                    hint = _did_you_mean(router, routers)
                    message = f"unknown router '{router}'"
                elif not profile.on_router(router):
                    hint = f"add {router} to the profile's routers, or remove this override"
                    message = f"the profile is not pushed to router '{router}'"
                else:
                    continue
                self.error(placed.source, ("per_router", router), message, hint)

    def check_pools(
        self,
        routers: dict[str, tuple[Router, _Placed]],
        customers: dict[str, tuple[Customer, _Placed]],
    ) -> None:
        from isk_reconcile.state.pools import pool_problems

        known = {name: router for name, (router, _) in routers.items()}
        for problem in pool_problems(known, (customer for customer, _ in customers.values())):
            if problem.customer is not None:
                source = customers[problem.customer][1].source
                self.error(source, ("pppoe", "remote_address"), problem.message, problem.hint)
            else:
                placed = routers[problem.router][1]
                path = (problem.router, *problem.path)
                self.error(placed.source, path, problem.message, problem.hint, label=problem.router)

    def check_customers(
        self,
        settings: Settings,
        customers: dict[str, tuple[Customer, _Placed]],
        routers: dict[str, tuple[Router, _Placed]],
        profiles: dict[str, tuple[Profile, _Placed]],
    ) -> None:
        """References, prices, username uniqueness and passwords of every customer.

        A customer whose file failed its model is checked too, on what is still readable
        of it (`_salvage`), so one pass shows every independent error.
        """
        everyone = [(_facts_of(customer), placed.source) for customer, placed in customers.values()]
        everyone += [(_salvage(cid, raw), source) for cid, (raw, source) in self.failed.items()]
        everyone.sort(key=lambda item: item[1].path)
        usernames: dict[tuple[str, str], tuple[_CustomerFacts, SourceFile]] = {}
        for facts, source in everyone:
            router = facts.router
            if router is not None and router not in routers and not self.written("router", router):
                self.error(
                    source,
                    ("router",),
                    f"unknown router '{router}'",
                    _did_you_mean(router, routers),
                )
            if facts.profile is not None:
                self.check_customer_profiles(facts, source, routers, profiles)
            if router is not None and facts.username is not None:
                key = (router, facts.username)
                if key in usernames:
                    other, other_source = usernames[key]
                    self.errors.append(
                        ConfigError(
                            _username_loc(facts, source),
                            "pppoe.username",
                            f"PPPoE username '{facts.username}' on router '{router}' "
                            f"is also used by customer '{other.id}' "
                            f"({_username_loc(other, other_source)})",
                            "usernames must be unique per router",
                        )
                    )
                else:
                    usernames[key] = (facts, source)
            if facts.password_known:
                self.check_password(settings, facts.password, facts.adopt, source)

    def check_customer_profiles(
        self,
        facts: _CustomerFacts,
        source: SourceFile,
        routers: dict[str, tuple[Router, _Placed]],
        profiles: dict[str, tuple[Profile, _Placed]],
    ) -> None:
        """Every profile the customer ever has exists, is pushed to its router and is priced.

        Priced means billing finds an amount on every day the customer uses the profile:
        the customer's own price or the profile's, whichever starts first, must start on or
        before the day the customer takes the profile (SPEC §3: the amount is the own price
        if set on that day, else the profile's). A free customer is never billed; days
        after a terminated customer's end are never billed.
        """
        assert facts.profile is not None
        changes = facts.profile.changes
        dated_list = isinstance(source.data.get("profile"), list)
        last_day = facts.end if facts.status == "terminated" else None
        for index, change in enumerate(changes):
            path: YamlPath = ("profile", index, "value") if dated_list else ("profile",)
            name = change.value
            if name not in profiles:
                if not self.written("profile", name):
                    hint = _did_you_mean(name, profiles)
                    self.error(source, path, f"unknown profile '{name}'", hint)
                continue
            profile = profiles[name][0]
            if facts.router in routers and not profile.on_router(facts.router):
                self.error(
                    source,
                    path,
                    f"profile '{name}' is not pushed to router '{facts.router}'",
                    f"add {facts.router} to the profile's routers",
                )
            if facts.status in (None, "free") or not facts.price_known:
                continue  # never billed, or its status or own price already failed
            own = facts.price.changes[0].from_ if facts.price is not None else None
            package = profile.price.changes[0].from_ if profile.price is not None else None
            if own is None and package is None:
                self.error(
                    source,
                    path,
                    f"profile '{name}' has no price and is not sellable",
                    "choose a package with a price, or give the customer a price",
                )
                continue
            taken = change.from_ if facts.start is None else max(change.from_, facts.start)
            until = changes[index + 1].from_ if index + 1 < len(changes) else None
            if last_day is not None and (until is None or until > last_day):
                until = last_day + timedelta(days=1)
            if facts.start is None or (until is not None and until <= taken):
                continue  # start unknown (its own error says why), or never used
            covered = min(day for day in (own, package) if day is not None)
            if covered <= taken:
                continue
            if package is not None:
                message = (
                    f"no price on {taken}, when the customer takes profile '{name}': "
                    f"the profile is priced only from {package}"
                )
                if own is not None:
                    message += f" and the customer's own price from {own}"
                hint = (
                    f"date the first price of {PROFILES_DIR}/{name}.yaml on or before {taken}, "
                    f"or give the customer a price from {taken}"
                )
            else:  # an unsellable profile: the customer's own (dated) price starts too late
                message = (
                    f"no price on {taken}: profile '{name}' has no price and the customer's "
                    f"own price starts only on {own}"
                )
                path, hint = ("price", 0, "from"), f"make it from: {taken}"
            self.error(source, path, message, hint)

    def check_password(
        self, settings: Settings, password: str | None, adopt: bool, source: SourceFile
    ) -> None:
        path: YamlPath = ("pppoe", "password")
        if password is None:
            if not adopt:
                self.error(
                    source,
                    path,
                    "missing PPPoE password",
                    'add pppoe.password: "age:..." (from `isk secrets encrypt`), '
                    "or adopt: true to keep the router's password",
                )
            return
        if encryption.is_encrypted(password):
            problem = encryption.check_ciphertext(password)
            if problem:
                self.error(source, path, problem, "encrypt it again with `isk secrets encrypt`")
        elif not settings.secrets.allow_plaintext:
            self.error(
                source,
                path,
                "plaintext password refused",
                "encrypt it with `isk secrets encrypt`, "
                "or set encryption.allow_plaintext: true in state/settings.yaml",
            )

    def check_ledger_customers(
        self,
        ledger: list[tuple[LedgerEntry, _Placed]],
        customers: dict[str, tuple[Customer, _Placed]],
    ) -> None:
        for entry, placed in ledger:
            if entry.customer not in customers and not self.written("customer", entry.customer):
                self.error(
                    placed.source,
                    (*placed.path, "customer"),
                    f"unknown customer '{entry.customer}'",
                    _did_you_mean(entry.customer, customers),
                    label=placed.label,
                    field=f"{placed.label}.customer",
                )

    def check_amounts(
        self,
        most: int,
        profiles: dict[str, tuple[Profile, _Placed]],
        customers: dict[str, tuple[Customer, _Placed]],
        ledger: list[tuple[LedgerEntry, _Placed]],
    ) -> None:
        """Every amount and price at most settings billing.max_amount."""
        hint = "a typo? (the limit is billing.max_amount in state/settings.yaml)"
        for entry, placed in ledger:
            if entry.amount > most:
                self.error(
                    placed.source,
                    (*placed.path, "amount"),
                    f"amount {entry.amount} is more than the maximum {most}",
                    hint,
                    label=placed.label,
                )
        priced = [(profile.price, placed) for profile, placed in profiles.values()]
        priced += [(customer.price, placed) for customer, placed in customers.values()]
        for price, placed in priced:
            for index, change in enumerate(price.changes if price is not None else ()):
                if change.value > most:
                    path = ("price", index, "value") if len(price.changes) > 1 else ("price",)
                    self.error(
                        placed.source,
                        (*placed.path, *path),
                        f"price {change.value} is more than the maximum {most}",
                        hint,
                        label=placed.label,
                    )


# --- turning pydantic errors into located ConfigErrors -------------------------------------


def _username_loc(facts: _CustomerFacts, source: SourceFile) -> Loc:
    # Positions are re-read from the file, so only ask for them when reporting.
    if facts.username_written:
        return source.loc(("pppoe", "username"))
    return Loc(source.path, 1, 1)


@dataclass(frozen=True)
class _CustomerFacts:
    """What the checks across files need from one customer: from its model, or salvaged
    from a file that failed it (then None means unreadable: that check is skipped)."""

    id: str
    router: str | None
    status: str | None
    start: date | None
    end: date | None
    profile: Dated[str] | None
    price: Dated[int] | None
    price_known: bool  # False: the own price is unreadable (no price checks)
    username: str | None
    username_written: bool
    password: str | None
    password_known: bool  # False: the password or adopt is unreadable (not checked)
    adopt: bool


def _facts_of(customer: Customer) -> _CustomerFacts:
    return _CustomerFacts(
        id=customer.id,
        router=customer.router,
        status=customer.status,
        start=customer.start,
        end=customer.end,
        profile=customer.profile,
        price=customer.price,
        price_known=True,
        username=customer.username,
        username_written=bool(customer.pppoe.username),
        password=customer.pppoe.password,
        password_known=True,
        adopt=customer.adopt,
    )


_DATED_NAME: TypeAdapter[Dated[str]] = TypeAdapter(Dated[StrictStr])
_DATED_MONEY: TypeAdapter[Dated[int]] = TypeAdapter(Dated[Money])
_STATUSES = frozenset(typing.get_args(CustomerStatus))


def _salvage(customer_id: str, raw: dict[str, Any]) -> _CustomerFacts:
    """The readable parts of a customer mapping that failed validation (profile and price
    already wrapped by `_dated`): each is checked alone, an unreadable one is None."""

    def readable(adapter: TypeAdapter[Any], value: Any) -> tuple[Any, bool]:
        try:
            return adapter.validate_python(value), True
        except ValidationError:
            return None, False

    def day(key: str) -> date | None:
        try:
            return _iso_date(raw[key]) if raw.get(key) is not None else None
        except ValueError:  # PydanticCustomError: the model's own error says why
            return None

    status = raw.get("status", "active")
    profile = readable(_DATED_NAME, raw["profile"])[0] if raw.get("profile") is not None else None
    price, price_known = (None, True)
    if raw.get("price") is not None:
        price, price_known = readable(_DATED_MONEY, raw["price"])
    pppoe = raw.get("pppoe", {})
    username, username_written, password, password_known = None, False, None, False
    if isinstance(pppoe, dict):
        written = pppoe.get("username")
        if written is None:
            username = customer_id
        elif isinstance(written, str):
            username, username_written = written, True
        password = pppoe.get("password")
        password_known = password is None or isinstance(password, str)
    adopt = raw.get("adopt", False)
    if not isinstance(adopt, bool):
        adopt, password_known = False, password_known and password is not None
    router = raw.get("router")
    return _CustomerFacts(
        id=customer_id,
        router=router if isinstance(router, str) else None,
        status=status if isinstance(status, str) and status in _STATUSES else None,
        start=day("start"),
        end=day("end"),
        profile=profile,
        price=price,
        price_known=price_known,
        username=username,
        username_written=username_written,
        password=password if isinstance(password, str) else None,
        password_known=password_known,
        adopt=adopt,
    )


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


def _profile_name(loc: tuple) -> tuple[YamlPath, bool] | None:
    # A profile's name is its file name: the error points at the file's start.
    return (("name",), False) if loc[:1] == ("name",) else None


def _customer_id(loc: tuple) -> tuple[YamlPath, bool] | None:
    return (("id",), False) if loc[:1] == ("id",) else None


def _router_translate(loc: tuple) -> tuple[YamlPath, bool]:
    if loc[:1] == ("name",):
        return (), True
    return loc, False


def _translate_for(
    model: type[BaseModel],
    raw: dict[str, Any],
    special: Callable[[tuple], tuple[YamlPath, bool] | None],
) -> Callable[[tuple], tuple[YamlPath, bool]]:
    """Map a model loc back to the YAML path, undoing the `changes` wrapper of dated values."""
    dated = DATED_FIELDS.get(model, ())

    def translate(loc: tuple) -> tuple[YamlPath, bool]:
        handled = special(loc)
        if handled is not None:
            return handled
        if loc and loc[0] in dated and loc[1:2] == ("changes",):
            if isinstance(raw.get(loc[0]), list):
                return (loc[0], *loc[2:]), False
            return (loc[0],), False
        return loc, False

    return translate


def _located(
    detail: Any,
    model: type[BaseModel],
    placed: _Placed,
    translate: Callable[[tuple], tuple[YamlPath, bool]] | None,
) -> ConfigError:
    kind = detail["type"]
    model_loc = tuple(detail["loc"])
    context = detail.get("ctx") or {}
    hint = ""
    if kind == "isk_rule":
        model_loc = model_loc + tuple(context.get("at", ()))
        hint = context.get("hint", "")
    key_error = model_loc[-1:] == ("[key]",)  # pydantic's loc for a bad mapping key
    if key_error:
        model_loc = model_loc[:-1]
    path, at_key = translate(model_loc) if translate else (model_loc, False)
    at_key = at_key or key_error
    full: YamlPath = (*placed.path, *path)
    source = placed.source
    field = _field_name(placed.label, path)
    value = detail.get("input")
    secret = is_secret_path(path)
    raw_text = source.raw(full) if _is_scalar(value) and not isinstance(value, str) else None
    shown = "the value" if secret else (raw_text if raw_text is not None else repr(value))
    last = str(path[-1]) if path else ""

    if kind == "missing":
        message, at_key = f"required key '{last}' is missing", False
        loc = source.loc(full[:-1])
    elif kind == "extra_forbidden":
        allowed = _allowed_keys(model, model_loc[:-1])
        message = f"unknown key '{last}'"
        close = difflib.get_close_matches(last, allowed, n=1)
        if close:
            message += f" (did you mean '{close[0]}'?)"
        hint = "allowed: " + ", ".join(allowed) if allowed and not close else ""
        loc = source.loc(full, key=True)
    else:
        loc = source.loc(full, key=at_key)
        message, hint = _describe(kind, detail, value, shown, last, secret, hint)
    return ConfigError(loc, field, message, hint)


def _describe(
    kind: str, detail: Any, value: Any, shown: str, key: str, secret: bool, hint: str
) -> tuple[str, str]:
    read_as = describe_value(value)
    quote_hint = "quote it" if secret else f'quote it: {key}: "{shown}"'
    if value is None and kind.endswith("_type"):
        return "is empty", "write a value"
    if kind == "string_type":
        if _is_scalar(value):
            return f"{shown} was read as {read_as}, not text", quote_hint
        return f"must be text, not {read_as}", hint
    if kind in ("int_type", "int_from_float", "int_parsing"):
        if isinstance(value, float):
            return f"{shown} is not a whole number", "money is an integer in rupiah, no decimals"
        if isinstance(value, bool):
            return f"{shown} was read as a boolean, not a number", hint
        if isinstance(value, str):
            return f"'{value}' is text, not a number", "remove the quotes"
        return f"must be a whole number, not {read_as}", hint
    if kind == "bool_type":
        if isinstance(value, str):
            return f"'{value}' is text, not true/false", "write true or false without quotes"
        return f"must be true or false, not {read_as}", hint
    if kind == "literal_error":
        expected = detail.get("ctx", {}).get("expected", "")
        if isinstance(value, bool):
            return f"{shown} was read as a boolean; expected {expected}", quote_hint
        return f"{shown} is not one of {expected}", hint
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        if key in ("price", "profile") or key.isdigit():
            return f"must be a mapping, not {read_as}", DATED_HINT
        return f"must be a mapping of keys, not {read_as}", hint
    if kind in ("tuple_type", "list_type"):
        if isinstance(value, str) and not secret:
            return f"must be a list, not {read_as}", f"write a list: [{value}]"
        return f"must be a list, not {read_as}", hint
    if kind in ("isk_date", "isk_datetime") and _is_scalar(value) and not secret:
        return f"{shown}: {detail['msg']}", hint
    message = str(detail["msg"])
    if message.startswith("Input should be "):
        message = "must be " + message[len("Input should be ") :]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return message, hint


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | date)


def _field_name(label: str, path: YamlPath) -> str:
    inner = format_path(path)
    if not label:
        return inner
    if not inner:
        return label
    return f"{label}{inner}" if inner.startswith("[") else f"{label}.{inner}"


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"did you mean '{close[0]}'?" if close else ""


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys a mapping at `loc` (a model loc under `model`) may have."""
    current: Any = model
    for part in loc:
        current = _model_in(current)
        if current is None:
            return []
        if isinstance(part, int):
            continue
        field = next(
            (f for n, f in current.model_fields.items() if (f.alias or n) == part),
            None,
        )
        if field is None:
            return []
        current = field.annotation
    current = _model_in(current)
    if current is None:
        return []
    # The name or id of a router, profile or customer is its key or file name.
    hidden = {"name"} if current in (Router, Profile) else {"id"} if current is Customer else set()
    return sorted((f.alias or n) for n, f in current.model_fields.items() if n not in hidden)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation (Optional, tuple[...], Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


__all__ = ["ledger_warnings", "load_settings", "load_state"]
