"""The simulated router's configuration and the semantics of every API command.

Pure in-memory state with no I/O; the server holds one `RouterState` per router and
calls it under a lock. Items are kept in a dict keyed by numeric id plus a name index,
so a command costs O(1) in the number of items (print and rare profile operations
excepted). Every refusal raises `Trap` with the message RouterOS gives.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from isk_reconcile.sim.errors import Trap
from isk_reconcile.sim.menus import (
    ACTIVE,
    BUILTIN_PROFILE_ATTRS,
    BUILTIN_PROFILES,
    IDENTITY,
    PROFILE,
    RESOURCE,
    SECRET,
    SINGLETON_DEFAULTS,
    SPECS,
    TABLE_MENUS,
    MenuSpec,
)
from isk_reconcile.sim.query import compile_query, equality_lookup, matches

NO_SUCH_ITEM = "no such item"
NO_SUCH_COMMAND = "no such command"
NAME_REQUIRED = "failure: name must be set"
BUILTIN_PROFILE_LOCKED = "failure: can not remove or rename a default profile"

_TRUE = {"yes", "true"}
_FALSE = {"no", "false"}
PRINT_OPTIONS = {".proplist", "detail", "without-paging", "terse", "count-only", "brief"}


def format_id(number: int) -> str:
    return f"*{number:X}"


def parse_id(text: str) -> int | None:
    if not text.startswith("*"):
        return None
    try:
        return int(text[1:], 16)
    except ValueError:
        return None


def format_uptime(seconds: float) -> str:
    """RouterOS duration style: 1w2d3h4m5s (zero parts left out)."""
    remaining = int(seconds)
    parts = []
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    if remaining or not parts:
        parts.append(f"{remaining}s")
    return "".join(parts)


def version_tuple(version: str) -> tuple[int, ...]:
    """(7, 19) for "7.19beta2 (testing)": the leading digits of each dotted part."""
    numbers = []
    for part in version.split()[0].split("."):
        match = re.match(r"\d+", part)
        numbers.append(int(match.group()) if match else 0)
    return tuple(numbers)


def routeros_value(value: Any, boolean_field: bool) -> str:
    """A snapshot value (YAML/JSON typed) as the string RouterOS would hold."""
    if isinstance(value, bool):
        if boolean_field:
            return "true" if value else "false"
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ",".join(str(part) for part in value)
    return str(value)


@dataclass
class Table:
    """One menu's items: id -> attributes as stored (set values only)."""

    spec: MenuSpec
    items: dict[int, dict[str, str]] = field(default_factory=dict, repr=False)  # has passwords
    by_name: dict[str, int] = field(default_factory=dict, repr=False)
    next_id: int = 1
    started: dict[int, float] = field(default_factory=dict)  # /ppp/active: session start

    def insert(self, attrs: dict[str, str], item_id: int | None = None) -> int:
        if item_id is None:
            item_id = self.next_id
        self.next_id = max(self.next_id, item_id + 1) if item_id < 0xFFFFFFF0 else self.next_id
        self.items[item_id] = attrs
        if self.spec.unique_names and "name" in attrs:
            self.by_name[attrs["name"]] = item_id
        return item_id


class RouterState:
    """Everything one simulated router holds."""

    def __init__(self, identity: str = "MikroTik", version: str = "7.16.2"):
        self.identity = identity
        self.version = version
        self.booted = time.monotonic()
        self.tables: dict[str, Table] = {menu: Table(SPECS[menu]) for menu in TABLE_MENUS}
        self._session_serial = 0x81500000
        self.singletons = {menu: dict(values) for menu, values in SINGLETON_DEFAULTS.items()}
        self._add_builtin_profiles()

    # ----------------------------------------------------------------- helpers
    def _add_builtin_profiles(self) -> None:
        profiles = self.tables[PROFILE]
        for number, name in BUILTIN_PROFILES.items():
            if name not in profiles.by_name:
                profiles.insert(dict(BUILTIN_PROFILE_ATTRS[name]), number)

    @property
    def empty_replies(self) -> bool:
        """RouterOS 7.18 and later answer an empty print with `!empty`."""
        return version_tuple(self.version) >= (7, 18)

    def table(self, menu: str) -> Table:
        try:
            return self.tables[menu]
        except KeyError:
            raise Trap(NO_SUCH_COMMAND, 0) from None

    def _resolve(self, table: Table, attrs: Mapping[str, str]) -> list[int]:
        """The items named by `.id` (or `numbers`): ids or names, comma-separated."""
        reference = attrs.get(".id", attrs.get("numbers"))
        if reference is None or reference == "":
            raise Trap(NO_SUCH_ITEM, 0)
        found: list[int] = []
        for part in reference.split(","):
            number = parse_id(part)
            if number is None:
                number = table.by_name.get(part) if table.spec.unique_names else None
            if number is None or number not in table.items:
                raise Trap(NO_SUCH_ITEM, 0)
            if number not in found:
                found.append(number)
        return found

    def _clean(
        self, spec: MenuSpec, attrs: Mapping[str, str], *, allow_read_only: bool
    ) -> dict[str, str]:
        """Validated values to store; raises the trap RouterOS would give."""
        clean: dict[str, str] = {}
        for name, value in attrs.items():
            if name in (".id", "numbers"):
                continue
            if name not in spec.writable and not (allow_read_only and name in spec.read_only):
                raise Trap(f"unknown parameter {name}", 1)
            if name in spec.booleans:
                lowered = value.lower()
                if lowered in _TRUE:
                    value = "true"
                elif lowered in _FALSE:
                    value = "false"
                else:
                    raise Trap(f"input does not match any value of {name}", 1)
            elif name in spec.choices and value not in spec.choices[name]:
                raise Trap(f"input does not match any value of {name}", 1)
            clean[name] = value
        profile = clean.get("profile") if spec.path == SECRET else None
        if profile is not None and profile not in self.tables[PROFILE].by_name:
            raise Trap("input does not match any value of profile", 1)
        return clean

    def _render(self, table: Table, number: int, now: float) -> dict[str, str]:
        stored = table.items[number]
        item = {".id": format_id(number), **stored}
        for name, value in table.spec.defaults.items():
            item.setdefault(name, value)
        if table.spec.path == PROFILE:
            item["default"] = "true" if number in BUILTIN_PROFILES else "false"
        if number in table.started:
            item["uptime"] = format_uptime(now - table.started[number])
        return item

    # ----------------------------------------------------------------- print
    def print(self, menu: str, attrs: Mapping[str, str], queries: tuple[str, ...]) -> list[dict]:
        for name in attrs:
            if name not in PRINT_OPTIONS:
                raise Trap(f"unknown parameter {name}", 1)
        if menu == IDENTITY:
            rows = [{"name": self.identity}]
        elif menu == RESOURCE:
            rows = [self.resource()]
        elif menu in self.singletons:
            rows = [dict(self.singletons[menu])]
        else:
            rows = self._print_table(self.table(menu), queries)
        if (menu in (IDENTITY, RESOURCE) or menu in self.singletons) and queries:
            steps = compile_query(queries)
            rows = [row for row in rows if matches(steps, row)]
        proplist = attrs.get(".proplist")
        if proplist:
            keys = proplist.split(",")
            rows = [{key: row[key] for key in keys if key in row} for row in rows]
        return rows

    def _print_table(self, table: Table, queries: tuple[str, ...]) -> list[dict]:
        now = time.monotonic()
        lookup = equality_lookup(queries)
        if lookup is not None and lookup[0] == "name" and table.spec.unique_names:
            number = table.by_name.get(lookup[1])
            return [] if number is None else [self._render(table, number, now)]
        steps = compile_query(queries)
        rows = []
        for number in sorted(table.items):
            row = self._render(table, number, now)
            if matches(steps, row):
                rows.append(row)
        return rows

    def resource(self) -> dict[str, str]:
        return {
            "uptime": format_uptime(time.monotonic() - self.booted),
            "version": f"{self.version} (stable)",
            "build-time": "2024-10-28 11:54:09",
            "factory-software": "6.44.6",
            "free-memory": "800591872",
            "total-memory": "1073741824",
            "cpu": "ARM64",
            "cpu-count": "4",
            "cpu-frequency": "1400",
            "cpu-load": "3",
            "free-hdd-space": "100769792",
            "total-hdd-space": "134217728",
            "architecture-name": "arm64",
            "board-name": "isk-reconcile simulator",
            "platform": "MikroTik",
        }

    # ----------------------------------------------------------------- writes
    def add(self, menu: str, attrs: Mapping[str, str], *, seeding: bool = False) -> str:
        table = self.table(menu)
        spec = table.spec
        if not spec.api_add and not seeding:
            raise Trap(NO_SUCH_COMMAND, 0)
        clean = self._clean(spec, attrs, allow_read_only=seeding)
        name = clean.get("name", "")
        if spec.unique_names:
            if not name:
                raise Trap(NAME_REQUIRED, 1)
            if name in table.by_name:
                if seeding and menu == PROFILE and name in BUILTIN_PROFILE_ATTRS:
                    number = table.by_name[name]
                    table.items[number].update(clean)
                    return format_id(number)
                raise Trap(f"failure: {spec.noun} with the same name already exists")
        if menu == ACTIVE:
            self._session_serial += 1
            clean.setdefault("service", "pppoe")
            clean.setdefault("session-id", f"0x{self._session_serial:X}")
            clean.setdefault("encoding", "")
            clean.pop("uptime", None)
        number = table.insert(clean)
        if menu == ACTIVE:
            table.started[number] = time.monotonic()
        return format_id(number)

    def set(self, menu: str, attrs: Mapping[str, str]) -> None:
        if menu == IDENTITY:
            self._set_identity(attrs)
            return
        if menu in self.singletons:
            self._set_singleton(menu, attrs)
            return
        table = self.table(menu)
        if not table.spec.api_add:
            raise Trap(NO_SUCH_COMMAND, 0)
        numbers = self._resolve(table, attrs)
        clean = self._clean(table.spec, attrs, allow_read_only=False)
        if "name" in clean:
            self._check_rename(table, numbers, clean["name"])
        for number in numbers:
            self._store(table, number, clean)

    def _set_singleton(self, menu: str, attrs: Mapping[str, str]) -> None:
        values = self.singletons[menu]
        for name in attrs:
            if name not in values:
                raise Trap(f"unknown parameter {name}", 1)
        for name, value in attrs.items():
            values[name] = {"yes": "true", "no": "false"}.get(value, value)

    def _set_identity(self, attrs: Mapping[str, str]) -> None:
        for name in attrs:
            if name != "name":
                raise Trap(f"unknown parameter {name}", 1)
        if not attrs.get("name"):
            raise Trap(NAME_REQUIRED, 1)
        self.identity = attrs["name"]

    def _check_rename(self, table: Table, numbers: list[int], new_name: str) -> None:
        if not new_name:
            raise Trap(NAME_REQUIRED, 1)
        holder = table.by_name.get(new_name)
        if len(numbers) > 1 or (holder is not None and holder != numbers[0]):
            raise Trap(f"failure: {table.spec.noun} with the same name already exists")
        builtin = table.spec.path == PROFILE and numbers[0] in BUILTIN_PROFILES
        if builtin and table.items[numbers[0]]["name"] != new_name:
            raise Trap(BUILTIN_PROFILE_LOCKED)

    def _store(self, table: Table, number: int, clean: Mapping[str, str]) -> None:
        stored = table.items[number]
        old_name = stored.get("name")
        stored.update(clean)
        new_name = stored.get("name")
        if table.spec.unique_names and old_name != new_name:
            table.by_name.pop(old_name or "", None)
            table.by_name[new_name or ""] = number
            if table.spec.path == PROFILE:
                # Secrets refer to a profile, not to its name: they follow a rename.
                for secret in self.tables[SECRET].items.values():
                    if secret.get("profile") == old_name:
                        secret["profile"] = new_name or ""

    def remove(self, menu: str, attrs: Mapping[str, str]) -> None:
        table = self.table(menu)
        for name in attrs:
            if name not in (".id", "numbers"):
                raise Trap(f"unknown parameter {name}", 1)
        numbers = self._resolve(table, attrs)
        if menu == PROFILE:
            self._check_profiles_removable(table, numbers)
        for number in numbers:
            stored = table.items.pop(number)
            table.started.pop(number, None)
            if table.spec.unique_names:
                table.by_name.pop(stored.get("name", ""), None)

    def _check_profiles_removable(self, table: Table, numbers: list[int]) -> None:
        if any(number in BUILTIN_PROFILES for number in numbers):
            raise Trap(BUILTIN_PROFILE_LOCKED)
        doomed = {table.items[number]["name"] for number in numbers}
        for secret in self.tables[SECRET].items.values():
            if secret.get("profile") in doomed:
                # Unverified on RouterOS; the simulator refuses so that a client bug shows.
                raise Trap(
                    f"failure: profile {secret['profile']} is used by secret {secret['name']}"
                )

    def set_disabled(self, menu: str, attrs: Mapping[str, str], disabled: bool) -> None:
        table = self.table(menu)
        if not table.spec.has_disabled:
            raise Trap(NO_SUCH_COMMAND, 0)
        for name in attrs:
            if name not in (".id", "numbers"):
                raise Trap(f"unknown parameter {name}", 1)
        value = "true" if disabled else "false"
        for number in self._resolve(table, attrs):
            table.items[number]["disabled"] = value

    def unset(self, menu: str, attrs: Mapping[str, str]) -> None:
        table = self.table(menu)
        spec = table.spec
        if not spec.api_add:
            raise Trap(NO_SUCH_COMMAND, 0)
        for name in attrs:
            if name not in (".id", "numbers", "value-name"):
                raise Trap(f"unknown parameter {name}", 1)
        numbers = self._resolve(table, attrs)
        fields = [name for name in attrs.get("value-name", "").split(",") if name]
        if not fields:
            raise Trap("missing value of value-name", 1)
        for name in fields:
            if name not in spec.writable:
                raise Trap(f"unknown parameter {name}", 1)
            if name == "name":
                raise Trap(NAME_REQUIRED, 1)
        for number in numbers:
            for name in fields:
                table.items[number].pop(name, None)

    # ----------------------------------------------------------------- system
    def reboot(self) -> None:
        """What survives a reboot: configuration. Sessions and uptime do not."""
        active = self.tables[ACTIVE]
        active.items.clear()
        active.started.clear()
        self.booted = time.monotonic()

    # ----------------------------------------------------------------- seeding
    def items(self, menu: str) -> list[dict[str, str]]:
        table = self.table(menu)
        now = time.monotonic()
        return [self._render(table, number, now) for number in sorted(table.items)]

    def dump(self) -> dict:
        return {
            "identity": self.identity,
            "version": self.version,
            "menus": {menu: self.items(menu) for menu in TABLE_MENUS},
        }

    def load(self, snapshot: Mapping[str, Any]) -> None:
        """Replace the configuration with a snapshot (the shape `dump` returns)."""
        unknown = set(snapshot) - {"identity", "version", "menus"}
        if unknown:
            raise Trap(f"unknown snapshot key {sorted(unknown)[0]}")
        menus = snapshot.get("menus") or {}
        for menu in menus:
            if menu not in self.tables:
                raise Trap(f"unknown menu {menu} in snapshot")
        self.identity = str(snapshot.get("identity", self.identity))
        self.version = str(snapshot.get("version", self.version))
        self.tables = {menu: Table(SPECS[menu]) for menu in TABLE_MENUS}
        self._add_builtin_profiles()
        # Profiles first: secrets must name an existing profile.
        for menu in (PROFILE, "/ip/pool", SECRET, ACTIVE):
            for entry in menus.get(menu) or []:
                self.seed(menu, entry)

    def seed(self, menu: str, entry: Mapping[str, Any]) -> str:
        """Add one snapshot entry (typed values allowed); keeps its `.id` when it has one."""
        table = self.table(menu)
        attrs = {
            str(key): routeros_value(value, str(key) in table.spec.booleans)
            for key, value in entry.items()
            if value is not None and key not in (".id", "default")
        }
        if menu == ACTIVE:
            attrs.pop("uptime", None)
        wanted = parse_id(str(entry[".id"])) if ".id" in entry else None
        if wanted is None or wanted < table.next_id or wanted in BUILTIN_PROFILES:
            return self.add(menu, attrs, seeding=True)  # ids are never reused
        table.next_id = wanted
        return self.add(menu, attrs, seeding=True)
