"""The building blocks of the state models (SPEC §2): the frozen base model, dated
values, and the strict scalar types (dates, money, free text, addresses, seconds).

Scalars are strict (a YAML int is never silently turned into a string), containers
are lax (a YAML list becomes a tuple).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    model_validator,
)
from pydantic_core import PydanticCustomError

from isk_reconcile.state import addresses
from isk_reconcile.untrusted import nfkc

T = TypeVar("T")

CUSTOMER_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")

Money = Annotated[StrictInt, Field(ge=0)]
PositiveMoney = Annotated[StrictInt, Field(gt=0)]
Text = StrictStr
# Free text a person reads (names, addresses, descriptions, notes): NFKC-normalised when
# loaded (isk_reconcile.untrusted); control characters are refused in every text field.
FreeText = Annotated[StrictStr, AfterValidator(nfkc)]

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EARLIEST_DATE, LATEST_DATE = date(1970, 1, 1), date(2199, 12, 31)


def rule_error(message: str, at: tuple[str | int, ...] = (), hint: str = "") -> PydanticCustomError:
    """A rule broken inside a model; `at` is the field path the loader points the error at."""
    return PydanticCustomError("isk_rule", message, {"at": at, "hint": hint})


def _iso_date(value: Any) -> date:
    """Dates are YYYY-MM-DD: a YAML date, or a quoted ISO string; never a datetime or a number."""
    if isinstance(value, datetime):
        raise PydanticCustomError(
            "isk_datetime", "a date and time where a date is needed; write just YYYY-MM-DD"
        )
    if isinstance(value, str) and ISO_DATE.match(value):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError(
                "isk_date", "not a real date: {value}", {"value": value}
            ) from None
    if isinstance(value, date):
        # Billing counts days and periods from these: far outside any ISP's life, the
        # arithmetic would leave the calendar (year 1 or 9999) instead of failing here.
        if not EARLIEST_DATE <= value <= LATEST_DATE:
            raise PydanticCustomError(
                "isk_date",
                "{value} is out of range: dates are from {first} to {last}",
                {"value": value.isoformat(), "first": EARLIEST_DATE, "last": LATEST_DATE},
            )
        return value
    raise PydanticCustomError("isk_date", "must be a date written YYYY-MM-DD")


def number_of_seconds(value: Any) -> Any:
    # Lax float would accept true or "10"; a timeout is a plain number.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("isk_number", "must be a number of seconds")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]


def _change_date(value: Any) -> date:
    # date.min is the loader's "since always" for a plain (undated) value; the state cache
    # stores it as its ISO text. A dated change is only compared, never counted from.
    if value == date.min.isoformat() or (value == date.min and type(value) is date):
        return date.min
    return _iso_date(value)


ChangeDate = Annotated[date, BeforeValidator(_change_date)]


def _unless_empty(check: Any) -> AfterValidator:
    """`check`, except for "" (an optional field written empty means not set)."""
    return AfterValidator(lambda value: check(value) if value else value)


IpAddress = Annotated[StrictStr, _unless_empty(addresses.ip_address)]
IpOrPool = Annotated[StrictStr, _unless_empty(addresses.ip_or_pool)]
CallerId = Annotated[StrictStr, _unless_empty(addresses.caller_id)]
Host = Annotated[StrictStr, AfterValidator(addresses.host)]
Seconds = Annotated[float, BeforeValidator(number_of_seconds), Field(gt=0)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class DatedChange(Frozen, Generic[T]):
    """One entry of a dated list: `value` applies from `from_` on."""

    from_: ChangeDate = Field(alias="from")
    value: T


class Dated(Frozen, Generic[T]):
    """A value that changes over time: changes oldest first; a plain value is one change.

    The loader turns a plain YAML value into a single change dated `date.min`
    (or the customer's `start`, for a customer's profile).
    """

    changes: tuple[DatedChange[T], ...]

    @model_validator(mode="after")
    def _oldest_first(self) -> Dated[T]:
        if not self.changes:
            raise rule_error("a dated list needs at least one entry", ("changes",))
        for index in range(1, len(self.changes)):
            if self.changes[index].from_ <= self.changes[index - 1].from_:
                raise rule_error(
                    f"dates must be strictly increasing: {self.changes[index].from_} "
                    f"does not come after {self.changes[index - 1].from_}",
                    ("changes", index, "from"),
                    "write the entries oldest first, one per date",
                )
        return self

    def at(self, day: date) -> T | None:
        """The value on `day`: that of the last change with from <= day (None before the first)."""
        current: T | None = None
        for change in self.changes:
            if change.from_ <= day:
                current = change.value
            else:
                break
        return current

    @property
    def first(self) -> T:
        return self.changes[0].value

    def values(self) -> tuple[T, ...]:
        return tuple(change.value for change in self.changes)


def check_name(value: str, what: str) -> str:
    if not NAME.match(value):
        raise rule_error(
            f"{what} name '{value}' must match {NAME.pattern}",
            hint="letters, digits, '.', '_' and '-', starting with a letter or digit",
        )
    return value
