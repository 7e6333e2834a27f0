"""customers/*.yaml (SPEC §2): each customer, their PPPoE account, holds and dated profile
and price.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Literal

from pydantic import (
    Field,
    StrictBool,
    StrictStr,
    ValidationInfo,
    field_validator,
)

from isk_reconcile.state.base import (
    CUSTOMER_ID,
    CallerId,
    ChangeDate,
    Dated,
    FreeText,
    Frozen,
    IpAddress,
    IsoDate,
    Money,
    rule_error,
)

# The services a /ppp/secret accepts (ROUTEROS.md); anything else fails on the router.
PppService = Literal["any", "async", "l2tp", "ovpn", "pppoe", "pptp", "sstp"]
# Printable ASCII (RouterOS names are ASCII); inner spaces are allowed, as RouterOS allows
# them, but not at either end (invisible in Winbox, a typo every time).
USERNAME = re.compile(r"^[!-~](?:[ -~]{0,62}[!-~])?$")


# A Telegram chat: its numeric id (negative for groups) or a public @username.
TELEGRAM_CHAT = re.compile(r"^(-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$")


class CustomerNotify(Frozen):
    """A customer's `notify:` block; channel names are checked against the settings by
    state/rules.py (`check_notify`), so `isk validate` reports them with file:line."""

    opt_out: tuple[StrictStr, ...] = ()  # channel names, or "all"
    telegram: StrictStr | None = None  # the customer's Telegram chat id

    @field_validator("telegram")
    @classmethod
    def _chat_id(cls, value: str | None) -> str | None:
        if value is not None and not TELEGRAM_CHAT.match(value):
            raise rule_error(
                "a Telegram chat id is a number (negative for groups) or @username",
                hint='quote it: telegram: "123456789"',
            )
        return value


# --- customers ----------------------------------------------------------------------------

CustomerStatus = Literal["active", "suspended", "free", "terminated"]


class Hold(Frozen):
    """A billing pause (`isk customer hold`): no period wholly inside it is billed, and
    the account is suspended (disabled or isolated, as `suspend.mode` says) meanwhile."""

    from_: ChangeDate = Field(alias="from")
    until: IsoDate | None = None  # the last day on hold; None: until further notice
    reason: FreeText

    @field_validator("until")
    @classmethod
    def _until_after_from(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("from_")
        if value is not None and start is not None and value < start:
            raise rule_error(f"until {value} is before from {start}")
        return value

    def covers(self, day: date) -> bool:
        return self.from_ <= day and (self.until is None or day <= self.until)


class Opening(Frozen):
    """What was settled before this repository (an adopted customer): billing starts the
    day after `paid_through`, so years of service before adoption are not invented debt
    and no compensating credit pollutes the month's figures."""

    paid_through: IsoDate
    note: FreeText = ""


class Pppoe(Frozen):
    username: StrictStr | None = None  # None: the customer id
    password: StrictStr | None = None  # "age:<base64>" (or plaintext when allowed)
    service: PppService = "pppoe"
    remote_address: IpAddress | None = None
    caller_id: CallerId | None = None

    @field_validator("username")
    @classmethod
    def _username_ascii(cls, value: str | None) -> str | None:
        if value is not None and not USERNAME.match(value):
            raise rule_error(
                f"username '{value}' must be 1-64 printable ASCII characters "
                "(spaces only between them)"
            )
        return value


class Customer(Frozen):
    id: StrictStr
    name: FreeText
    phone: StrictStr | None = None
    email: StrictStr | None = None
    address: FreeText = ""
    router: StrictStr
    start: IsoDate
    profile: Dated[StrictStr]
    price: Dated[Money] | None = None
    status: CustomerStatus = "active"
    end: IsoDate | None = Field(default=None, validate_default=True)
    suspend_reason: FreeText = ""
    pppoe: Pppoe = Pppoe()
    protect: StrictBool = False
    adopt: StrictBool = False  # written by `isk import`: take over the live secret as it is
    opening: Opening | None = Field(default=None, validate_default=False)
    holds: tuple[Hold, ...] = ()
    notes: FreeText = ""
    notify: CustomerNotify = CustomerNotify()

    @field_validator("id")
    @classmethod
    def _id_pattern(cls, value: str) -> str:
        if not CUSTOMER_ID.match(value):
            raise rule_error(
                f"customer id '{value}' must match {CUSTOMER_ID.pattern}",
                hint="lower-case letters, digits, '.', '_' and '-'; rename the file",
            )
        return value

    # The rules between fields are field validators (run in field order, seeing the fields
    # before them that validated), not one model validator: that would only run when every
    # field is valid, hiding these errors behind any other mistake in the file.
    @field_validator("profile")
    @classmethod
    def _profile_from_start(cls, value: Dated[str], info: ValidationInfo) -> Dated[str]:
        start = info.data.get("start")
        first = value.changes[0].from_
        if start is not None and first != start:
            raise rule_error(
                f"the first profile entry starts on {first}, not on start {start}",
                ("changes", 0, "from"),
                f"make it from: {start}",
            )
        return value

    @field_validator("end")
    @classmethod
    def _end_matches_status(cls, value: date | None, info: ValidationInfo) -> date | None:
        status, start = info.data.get("status"), info.data.get("start")
        if value is None:
            if status == "terminated":
                raise rule_error(
                    "a terminated customer needs an end date", (), "add end: YYYY-MM-DD"
                )
            return value
        if status is not None and status != "terminated":
            # Billing and the reconciler ignore `end` unless terminated: refuse it rather
            # than let an operator believe the service stops that day.
            raise rule_error(
                f"end is only for terminated customers (status is {status})",
                (),
                "to stop the service, set status: terminated (a future end schedules it); "
                "else remove end",
            )
        if start is not None and value < start:
            raise rule_error(f"end {value} is before start {start}")
        return value

    @field_validator("opening")
    @classmethod
    def _opening_after_start(cls, value: Opening | None, info: ValidationInfo) -> Opening | None:
        start = info.data.get("start")
        if value is not None and start is not None and value.paid_through < start - timedelta(1):
            raise rule_error(
                f"opening paid_through {value.paid_through} is before start {start}",
                ("paid_through",),
                "the day before start at the earliest (nothing settled yet)",
            )
        return value

    @field_validator("holds")
    @classmethod
    def _holds_in_order(cls, value: tuple[Hold, ...], info: ValidationInfo) -> tuple[Hold, ...]:
        start = info.data.get("start")
        for index, hold in enumerate(value):
            if start is not None and hold.from_ < start:
                raise rule_error(f"hold from {hold.from_} is before start {start}", (index, "from"))
            if index == 0:
                continue
            before = value[index - 1]
            if before.until is None or hold.from_ <= before.until:
                raise rule_error(
                    f"hold from {hold.from_} overlaps the hold from {before.from_}",
                    (index, "from"),
                    "holds are listed oldest first and may not overlap",
                )
        return value

    def hold_on(self, day: date) -> Hold | None:
        return next((hold for hold in self.holds if hold.covers(day)), None)

    @property
    def username(self) -> str:
        return self.pppoe.username or self.id

    @property
    def billing_start(self) -> date:
        """The first billed period starts here: `start`, or the day after an opening
        balance's paid-through date (an adopted customer)."""
        if self.opening is None:
            return self.start
        return self.opening.paid_through + timedelta(days=1)

    def profile_on(self, day: date) -> str | None:
        return self.profile.at(day)
