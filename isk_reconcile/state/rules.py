"""The rules that span files (SPEC §2): references between routers, profiles, customers
and the ledger, uniqueness, case collisions, passwords. They run after every file was
read, also over customers whose file failed its model (from what could be salvaged), so
one pass shows every independent error."""

from __future__ import annotations

import typing
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, NamedTuple

from pydantic import StrictStr, TypeAdapter, ValidationError

from isk_reconcile.errors import ConfigError, Loc
from isk_reconcile.state import encryption
from isk_reconcile.state.base import Dated, Money, _iso_date
from isk_reconcile.state.customers import Customer, CustomerStatus
from isk_reconcile.state.layout import PROFILES_DIR
from isk_reconcile.state.lazyledger import FIELDS
from isk_reconcile.state.ledgercolumns import LedgerPart
from isk_reconcile.state.messages import Placed, did_you_mean
from isk_reconcile.state.profiles import Profile
from isk_reconcile.state.routers import Router
from isk_reconcile.state.settings import Settings
from isk_reconcile.state.yamlsource import SourceFile, YamlPath

AMOUNT, CUSTOMER = FIELDS.index("amount"), FIELDS.index("customer")


class CrossFileRules:
    """The checks across files, mixed into the loader (state.loader._Loading), which
    provides what they use: `error` and `written`, the collected `errors`, the raw
    documents of customers that `failed` their model and the `settings_source`."""

    errors: list[ConfigError]
    failed: dict[str, tuple[dict[str, Any], SourceFile]]
    settings_source: SourceFile | None

    def error(self, *args: Any, **kwargs: Any) -> None:  # the loader's
        raise NotImplementedError

    def written(self, kind: str, name: str) -> bool:  # the loader's
        raise NotImplementedError

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
        routers: dict[str, tuple[Router, Placed]],
        profiles: dict[str, tuple[Profile, Placed]],
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
        profiles: dict[str, tuple[Profile, Placed]],
        routers: dict[str, tuple[Router, Placed]],
    ) -> None:
        for profile, placed in profiles.values():
            for index, router in enumerate(profile.routers or ()):
                if router not in routers and not self.written("router", router):
                    self.error(
                        placed.source,
                        ("routers", index),
                        f"unknown router '{router}'",
                        did_you_mean(router, routers),
                    )
            for router in profile.per_router:
                if router not in routers and not self.written("router", router):
                    hint = did_you_mean(router, routers)
                    message = f"unknown router '{router}'"
                elif not profile.on_router(router):
                    hint = f"add {router} to the profile's routers, or remove this override"
                    message = f"the profile is not pushed to router '{router}'"
                else:
                    continue
                self.error(placed.source, ("per_router", router), message, hint)

    def check_pools(
        self,
        routers: dict[str, tuple[Router, Placed]],
        customers: dict[str, tuple[Customer, Placed]],
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
        customers: dict[str, tuple[Customer, Placed]],
        routers: dict[str, tuple[Router, Placed]],
        profiles: dict[str, tuple[Profile, Placed]],
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
                    did_you_mean(router, routers),
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
        routers: dict[str, tuple[Router, Placed]],
        profiles: dict[str, tuple[Profile, Placed]],
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
        for index, change in enumerate(changes):
            path: YamlPath = ("profile", index, "value") if dated_list else ("profile",)
            name = change.value
            if name not in profiles:
                if not self.written("profile", name):
                    hint = did_you_mean(name, profiles)
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
            self.check_priced(facts, source, path, profile, index)

    def check_priced(
        self,
        facts: _CustomerFacts,
        source: SourceFile,
        path: YamlPath,
        profile: Profile,
        index: int,
    ) -> None:
        """The customer's `index`th profile (`profile`) is priced on every day it is used."""
        assert facts.profile is not None
        changes = facts.profile.changes
        change, name = changes[index], changes[index].value
        last_day = facts.end if facts.status == "terminated" else None
        own = facts.price.changes[0].from_ if facts.price is not None else None
        package = profile.price.changes[0].from_ if profile.price is not None else None
        if own is None and package is None:
            self.error(
                source,
                path,
                f"profile '{name}' has no price and is not sellable",
                "choose a package with a price, or give the customer a price",
            )
            return
        taken = change.from_ if facts.start is None else max(change.from_, facts.start)
        until = changes[index + 1].from_ if index + 1 < len(changes) else None
        if last_day is not None and (until is None or until > last_day):
            until = last_day + timedelta(days=1)
        if facts.start is None or (until is not None and until <= taken):
            return  # start unknown (its own error says why), or never used
        covered = min(day for day in (own, package) if day is not None)
        if covered <= taken:
            return
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

    def check_amounts(
        self,
        most: int,
        profiles: dict[str, tuple[Profile, Placed]],
        customers: dict[str, tuple[Customer, Placed]],
        ledger: list[LedgerPart],
    ) -> None:
        """Every amount and price at most settings billing.max_amount."""
        hint = "a typo? (the limit is billing.max_amount in state/settings.yaml)"
        for part in ledger:
            amounts = part.columns[AMOUNT]
            if not amounts or max(amounts) <= most:  # nearly always: no entry to look at
                continue
            for row, amount in enumerate(amounts):
                if amount > most:
                    placed = part.placed_at(row)
                    self.error(
                        placed.source,
                        (*placed.path, "amount"),
                        f"amount {amount} is more than the maximum {most}",
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

    def check_ledger_customers(
        self,
        ledger: list[LedgerPart],
        customers: dict[str, tuple[Customer, Placed]],
    ) -> None:
        for part in ledger:
            named = part.columns[CUSTOMER]
            if customers.keys() >= set(named):  # nearly always: no entry to look at
                continue
            for row, customer in enumerate(named):
                if customer not in customers and not self.written("customer", customer):
                    placed = part.placed_at(row)
                    self.error(
                        placed.source,
                        (*placed.path, "customer"),
                        f"unknown customer '{customer}'",
                        did_you_mean(customer, customers),
                        label=placed.label,
                        field=f"{placed.label}.customer",
                    )


def _username_loc(facts: _CustomerFacts, source: SourceFile) -> Loc:
    # Positions are re-read from the file, so only ask for them when reporting.
    if facts.username_written:
        return source.loc(("pppoe", "username"))
    return Loc(source.path, 1, 1)


class _CustomerFacts(NamedTuple):
    """What the checks across files need from one customer: from its model, or salvaged
    from a file that failed it (then None means unreadable: that check is skipped). A
    named tuple: made for each of 10,000 customers, several times faster than a frozen
    dataclass."""

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
