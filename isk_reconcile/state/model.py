"""Typed, immutable values for everything in the state repository (SPEC §2).

The loader turns YAML into these; every other module only ever sees these types.
Scalars are strict (a YAML int is never silently turned into a string), containers
are lax (a YAML list becomes a tuple).
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Annotated, Any, Generic, Literal, TypeVar
from zoneinfo import ZoneInfo, available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from isk_reconcile.errors import Loc
from isk_reconcile.state import addresses
from isk_reconcile.state.ratelimit import parse_rate_limit
from isk_reconcile.untrusted import nfkc

T = TypeVar("T")

CUSTOMER_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
RESERVED_PROFILES = frozenset({"default", "default-encryption"})

Money = Annotated[StrictInt, Field(ge=0)]
PositiveMoney = Annotated[StrictInt, Field(gt=0)]
Text = StrictStr
# Free text a person reads (names, addresses, descriptions, notes): NFKC-normalised when
# loaded (isk_reconcile.untrusted); control characters are refused in every text field.
FreeText = Annotated[StrictStr, AfterValidator(nfkc)]

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EARLIEST_DATE, LATEST_DATE = date(1970, 1, 1), date(2199, 12, 31)
# The services a /ppp/secret accepts (ROUTEROS.md); anything else fails on the router.
PppService = Literal["any", "async", "l2tp", "ovpn", "pppoe", "pptp", "sstp"]
# The ownership marker opens every managed comment as "<prefix>:"; a ':' or a space inside
# it would make comments unparseable, an empty one would claim every entry.
COMMENT_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$")
# `routeros:` passthrough keys are /ppp/profile property names as RouterOS spells them.
ROUTEROS_KEY = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
# /ppp/profile properties isk manages from their own fields: a passthrough copy would fight
# them (two values for one property, a plan that never converges). Key -> the field to use.
CORE_PROFILE_KEYS = {
    "name": "the file name",
    "rate-limit": "rate_limit",
    "local-address": "local_address",
    "remote-address": "remote_address",
    "dns-server": "dns_server",
    "only-one": "only_one",
    "address-list": "address_list",
    "parent-queue": "parent_queue",
    "comment": "description",
}
READ_ONLY_PROFILE_KEYS = frozenset({"default"})  # set by RouterOS on its built-ins
# Printable ASCII (RouterOS names are ASCII); inner spaces are allowed, as RouterOS allows
# them, but not at either end (invisible in Winbox, a typo every time).
USERNAME = re.compile(r"^[!-~](?:[ -~]{0,62}[!-~])?$")
# A router's API password variable: a name that can only hold a router password, so a
# pull request cannot point password_env at ISK_AGE_IDENTITY (or any other secret of the
# job) and have it sent to a router as a "password" (docs/security.md).
PASSWORD_ENV = re.compile(r"^ISK_ROUTER_[A-Z0-9_]+$")
# The variables a repository may name for the RADIUS store's connection string and a RADIUS
# router's shared secret: never another variable of the job (an age identity, a token).
RADIUS_DSN_ENV = re.compile(r"^ISK_RADIUS_[A-Z0-9_]+$")
RADIUS_SECRET_ENV = re.compile(r"^ISK_(ROUTER|RADIUS)_[A-Z0-9_]+$")
# The routers.yaml fields that decide where a credential is sent and how. `isk plan
# --base REF` takes them from REF and skips a router whose values differ (a later field
# joins by adding its name here; a name the model does not have yet compares as None).
CONNECTION_FIELDS: tuple[str, ...] = (
    "host",
    "port",
    "tls",
    "tls_ca",
    "tls_verify",
    "username",
    "password_env",
    "read_username",
    "read_password_env",
    "identity",
    "backend",
    # RADIUS routers: where Disconnect-Requests and the shared secret go
    "nas_address",
    "coa_port",
    "radius_secret_env",
)


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


def _seconds(value: Any) -> Any:
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
Seconds = Annotated[float, BeforeValidator(_seconds), Field(gt=0)]


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


# --- notifications (issue 15; docs/notifications.md) --------------------------------------

# Secrets of notification gateways come only from variables with this prefix, so a pull
# request cannot make `isk notify send` read (and send away) any other variable.
NOTIFY_ENV = re.compile(r"^ISK_NOTIFY_[A-Z0-9_]+$")
NotifyKind = Literal["fonnte", "telegram", "json", "form", "email", "smseagle"]
# json/form go through apprise, whose URLs carry host:port in the scheme's own form.
WEBHOOK_URL = re.compile(r"^(json|jsons|form|forms)://[^@/?#\s]+(/[^?#\s]*)?$")
HTTP_URL = re.compile(r"^https?://[^@/?#\s]+(/[^?#\s]*)?$")
# An SMS gateway's address: scheme, host and port only (SMSEagle's API path is fixed).
HOST_URL = re.compile(r"^https?://[^@/?#\s]+/?$")
HOSTNAME = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)$")
# One plain address, the way apprise's mailto:// takes it (no display name, no list).
EMAIL_ADDRESS = re.compile(
    r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$"
)
Seconds0 = Annotated[float, BeforeValidator(_seconds), Field(ge=0)]


class NotifyChannel(Frozen):
    """One delivery channel. `url`: the gateway's base URL (fonnte, telegram, smseagle) or
    the apprise webhook URL (json://host:port/path, form://...); never a credential.
    email: the SMTP server (`host`, `port`, `security`) and the `sender` address; the
    login comes from `user_env` / `token_env` (ISK_NOTIFY_... variables) only."""

    kind: NotifyKind
    url: StrictStr | None = None  # None: the public gateway (fonnte, telegram)
    token_env: StrictStr | None = None  # ISK_NOTIFY_...: the token/password, read at send time
    to: StrictStr | None = None  # a fixed recipient (operators' chat, phone or address)
    timeout: Seconds = 10
    # email only
    host: StrictStr | None = None  # the SMTP server
    port: Annotated[StrictInt, Field(gt=0, lt=65536)] | None = None  # default: by security
    security: Literal["starttls", "ssl", "insecure"] = "starttls"
    sender: StrictStr | None = None  # the From address
    user_env: StrictStr | None = None  # ISK_NOTIFY_...: the SMTP login name

    @field_validator("token_env", "user_env")
    @classmethod
    def _token_variable(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not NOTIFY_ENV.match(value):
            raise rule_error(
                f"{info.field_name} '{value}' must match {NOTIFY_ENV.pattern}",
                hint="e.g. ISK_NOTIFY_FONNTE_TOKEN",
            )
        return value

    @model_validator(mode="after")
    def _url_fits_kind(self) -> NotifyChannel:
        webhook = self.kind in ("json", "form")
        if webhook and (self.url is None or not WEBHOOK_URL.match(self.url)):
            raise rule_error(
                f"a {self.kind} channel needs url: {self.kind}://host:port/path",
                ("url",),
                "credentials never go in the URL: use token_env",
            )
        if self.kind == "smseagle" and (self.url is None or not HOST_URL.match(self.url)):
            raise rule_error(
                "an smseagle channel needs url: http(s)://host[:port] (no path, no credentials)",
                ("url",),
                "the API token comes from token_env",
            )
        if self.kind == "smseagle" and self.token_env is None:
            raise rule_error("an smseagle channel needs token_env (its API access token)")
        if self.kind == "email":
            return self._email_fields()
        if not webhook and self.url is not None and not HTTP_URL.match(self.url):
            raise rule_error(
                # The value is not repeated: it may hold a credential written by mistake.
                "url must be http(s)://host[:port][/path], without credentials or a query",
                ("url",),
            )
        for name in ("host", "port", "sender", "user_env"):
            if getattr(self, name) is not None:
                raise rule_error(f"{name} is only for email channels", (name,))
        return self

    def _email_fields(self) -> NotifyChannel:
        if self.url is not None:
            raise rule_error("an email channel takes host/port/security, not url", ("url",))
        if self.host is None or not HOSTNAME.match(self.host):
            raise rule_error(
                "an email channel needs host: the SMTP server's name or address", ("host",)
            )
        if self.sender is None or not EMAIL_ADDRESS.match(self.sender):
            raise rule_error("an email channel needs sender: one plain address", ("sender",))
        if self.to is not None and not EMAIL_ADDRESS.match(self.to):
            raise rule_error("to must be one plain e-mail address", ("to",))
        if (self.user_env is None) != (self.token_env is None):
            raise rule_error(
                "set both user_env and token_env (the SMTP login), or neither", ("user_env",)
            )
        return self


class NotifySettings(Frozen):
    channels: Mapping[StrictStr, NotifyChannel] = Field(default_factory=dict)
    customers: tuple[StrictStr, ...] = ()  # channels customers are notified on
    operators: tuple[StrictStr, ...] = ()  # channels operator alerts go to
    reminder_days: tuple[Annotated[StrictInt, Field(gt=0)], ...] = (7, 3, 1)
    lookback_days: Annotated[StrictInt, Field(ge=0)] = 7  # receipts/terminations this recent
    max_per_run: Annotated[StrictInt, Field(gt=0)] = 200
    whatsapp_delay: Seconds0 = 5  # seconds between WhatsApp sends (gateways ban bursts)
    max_attempts: Annotated[StrictInt, Field(gt=0)] = 5  # then operators are told
    retry_minutes: Annotated[StrictInt, Field(ge=0)] = 60  # doubled after each failure
    apply_summary: StrictBool = True  # `isk apply` posts its summary to the operators
    # Reminders carry a payment link when payments.gateway is set (notify/links.py).
    payment_links: StrictBool = True

    @model_validator(mode="after")
    def _known_channels(self) -> NotifySettings:
        for field_name in ("customers", "operators"):
            for index, name in enumerate(getattr(self, field_name)):
                if name not in self.channels:
                    known = ", ".join(sorted(self.channels)) or "none defined"
                    raise rule_error(
                        f"unknown channel '{name}' (channels: {known})", (field_name, index)
                    )
        return self


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


# --- settings ---------------------------------------------------------------------------


class BillingSettings(Frozen):
    cycle: Literal["30d", "monthly"] = "30d"
    mode: Literal["prepaid", "postpaid"] = "prepaid"
    grace_days: Annotated[StrictInt, Field(ge=0, le=366)] = 3  # a year at most: dates stay real
    # The largest amount (ledger entry or price) the repository may hold, in rupiah: a
    # typo of extra zeros, or 10^25, is an error instead of a debt no one can pay.
    max_amount: Annotated[StrictInt, Field(gt=0)] = 1_000_000_000
    # false: a period is billed in full at its first day's price (a hold or termination
    # inside it changes nothing, an upgrade counts from the next period); true: by the day
    # (the days on hold or after the end are not billed, an upgrade counts from its day).
    prorate: StrictBool = False


class SuspendSettings(Frozen):
    mode: Literal["disable", "isolate"] = "disable"
    isolate_profile: StrictStr | None = "isolir"
    disconnect: StrictBool = True

    @model_validator(mode="after")
    def _isolate_needs_profile(self) -> SuspendSettings:
        if self.mode == "isolate" and not self.isolate_profile:
            raise rule_error("mode isolate needs an isolate_profile", ("isolate_profile",))
        return self


class SafetySettings(Frozen):
    max_disable_percent: Annotated[StrictInt, Field(ge=0, le=100)] = 30
    max_delete_percent: Annotated[StrictInt, Field(ge=0, le=100)] = 10
    min_managed: Annotated[StrictInt, Field(ge=0)] = 10
    # At any size (min_managed does not apply): a small router is not left unprotected.
    max_disable_percent_any_size: Annotated[StrictInt, Field(ge=0, le=100)] = 50


class SecretsSettings(Frozen):
    recipients: tuple[StrictStr, ...] = ()
    allow_plaintext: StrictBool = False


# --- online payments (issue 16; docs/payments.md) ---------------------------------------

# Where a gateway key may be sent: the gateway's own hosts, or loopback (tests, a local
# proxy). The state repository is untrusted input, so a URL in it must never be able to
# send a server key anywhere else (SPEC §10 "Trust").
GATEWAY_HOSTS = {
    "midtrans": (
        "api.midtrans.com",
        "api.sandbox.midtrans.com",
        "app.midtrans.com",
        "app.sandbox.midtrans.com",
    ),
    "xendit": ("api.xendit.co",),
}
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def _gateway_url(gateway: str) -> AfterValidator:
    """A base URL a `gateway` key may be sent to (its own hosts over https, or loopback)."""

    def check(value: str | None) -> str | None:
        from urllib.parse import urlsplit

        if value is None:
            return value
        try:
            parts = urlsplit(value)
            host, scheme = parts.hostname or "", parts.scheme
        except ValueError:
            host, scheme = "", ""
        if scheme not in ("https", "http") or not host:
            raise rule_error(f"'{value}' is not an http(s) URL")
        allowed = GATEWAY_HOSTS[gateway]
        if host not in LOOPBACK_HOSTS and (host not in allowed or scheme != "https"):
            raise rule_error(
                f"'{value}' is not a {gateway} API address",
                hint="a gateway key is only ever sent to https://"
                + " or https://".join(allowed)
                + " (or loopback, for tests)",
            )
        return value.rstrip("/")

    return AfterValidator(check)


MidtransUrl = Annotated[StrictStr | None, _gateway_url("midtrans")]
XenditUrl = Annotated[StrictStr | None, _gateway_url("xendit")]


class MidtransSettings(Frozen):
    """Midtrans Snap; the server key comes from $ISK_MIDTRANS_SERVER_KEY."""

    environment: Literal["sandbox", "production"] = "sandbox"
    api_url: MidtransUrl = None  # default per environment: https://api[.sandbox].midtrans.com
    snap_url: MidtransUrl = None  # default per environment: https://app[.sandbox].midtrans.com


class XenditSettings(Frozen):
    """Xendit Invoices; $ISK_XENDIT_SECRET_KEY (test or live key) and
    $ISK_XENDIT_CALLBACK_TOKEN."""

    environment: Literal["sandbox", "production"] = "sandbox"  # informative: the key decides
    api_url: XenditUrl = None  # default https://api.xendit.co


class PaymentSettings(Frozen):
    gateway: Literal["midtrans", "xendit"] | None = None  # used by `isk invoice link`
    link_expiry_hours: Annotated[StrictInt, Field(gt=0, le=24 * 30)] = 72
    apply_after_payment: StrictBool = False  # `isk serve` applies the customer's router itself
    midtrans: MidtransSettings = MidtransSettings()
    xendit: XenditSettings = XenditSettings()


class RadiusSettings(Frozen):
    """The FreeRADIUS store (docs/radius.md). The connection string comes from the
    environment only: a repository must not choose where the reconciler logs in."""

    dsn_env: StrictStr = "ISK_RADIUS_DSN"

    @field_validator("dsn_env")
    @classmethod
    def _dsn_variable(cls, value: str) -> str:
        if not RADIUS_DSN_ENV.match(value):
            raise rule_error(
                f"must name a variable matching {RADIUS_DSN_ENV.pattern}",
                hint="e.g. ISK_RADIUS_DSN; other variables of the job are never used",
            )
        return value

    # The RADIUS servers' addresses as the routers reach them (`isk router check` wants a
    # /radius entry for each: two for HA).
    servers: tuple[StrictStr, ...] = ()
    simultaneous_use: Annotated[StrictInt, Field(ge=0)] = 1  # 0: no limit written
    coa_timeout: Seconds = 3


class IspSettings(Frozen):
    name: FreeText = ""  # heads the dashboard, the workbook and customer messages
    contact: StrictStr = ""  # phone or e-mail customers can reach the office at
    payment: StrictStr = ""  # how to pay (bank account, QRIS link), shown in reminders


class Settings(Frozen):
    isp: IspSettings = IspSettings()
    language: Literal["id", "en"] = "en"  # what operators, managers and customers read
    timezone: StrictStr = "Asia/Jakarta"
    currency: StrictStr = "IDR"
    billing: BillingSettings = BillingSettings()
    suspend: SuspendSettings = SuspendSettings()
    safety: SafetySettings = SafetySettings()
    secrets: SecretsSettings = SecretsSettings()
    radius: RadiusSettings = RadiusSettings()
    comment_prefix: StrictStr = "isk"
    notify: NotifySettings = NotifySettings()
    payments: PaymentSettings = PaymentSettings()  # online payments (issue 16)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        # "today" is computed in this zone; an unknown one would crash every command.
        try:
            ZoneInfo(value)
        except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
            pass
        else:
            return value
        close = difflib.get_close_matches(value, sorted(available_timezones()), n=1)
        raise rule_error(
            f"unknown time zone '{value}'",
            hint=f"did you mean {close[0]}?" if close else "an IANA zone such as Asia/Jakarta",
        )

    @field_validator("comment_prefix")
    @classmethod
    def _prefix_token(cls, value: str) -> str:
        if not COMMENT_PREFIX.match(value):
            raise rule_error(
                f"comment_prefix '{value}' must match {COMMENT_PREFIX.pattern}",
                hint="a short word without ':' or spaces, such as isk (comments read 'isk:...')",
            )
        return value


# --- routers ----------------------------------------------------------------------------


def parse_ip_range(text: str) -> tuple[int, int, int]:
    """(IP version, first, last) of a RouterOS pool range: `10.0.0.10-10.0.0.250`,
    `10.0.0.0/24` or one address. ValueError with a hint otherwise."""
    try:
        if "-" in text:
            first_text, last_text = text.split("-", 1)
            first, last = ipaddress.ip_address(first_text), ipaddress.ip_address(last_text)
        elif "/" in text:
            network = ipaddress.ip_network(text, strict=False)
            first, last = network[0], network[-1]
        else:
            first = last = ipaddress.ip_address(text)
    except ValueError:
        raise ValueError(
            f"'{text}' is not an address range (e.g. 10.20.0.10-10.20.0.250 or 10.20.0.0/24)"
        ) from None
    if first.version != last.version or int(first) > int(last):
        raise ValueError(f"'{text}' ends before it starts")
    return first.version, int(first), int(last)


class Pool(Frozen):
    """An IP pool isk manages on one router (`pools:` in routers.yaml)."""

    ranges: tuple[StrictStr, ...]
    next_pool: StrictStr | None = None
    comment: StrictStr = ""

    @field_validator("ranges")
    @classmethod
    def _ranges_parse(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise rule_error(
                "a pool needs at least one range", hint="e.g. [10.20.0.10-10.20.0.250]"
            )
        for index, text in enumerate(value):
            try:
                parse_ip_range(text)
            except ValueError as problem:
                raise rule_error(str(problem), (index,)) from None
        return value

    def spans(self) -> list[tuple[int, int, int]]:
        return [parse_ip_range(text) for text in self.ranges]


class Router(Frozen):
    name: StrictStr
    host: Host
    port: Annotated[StrictInt, Field(gt=0, lt=65536)] | None = None  # None: 8728, or 8729 with tls
    tls: StrictBool = False
    tls_ca: StrictStr | None = None
    tls_verify: StrictBool = True
    username: StrictStr = "admin"
    password_env: StrictStr | None = None
    # A read-only API user (RouterOS group with `read,api` only) for `isk plan`, so the
    # pull-request job never holds a password that can write (docs/security.md).
    read_username: StrictStr | None = None
    read_password_env: StrictStr | None = None
    timeout: Seconds = 10  # total budget to connect and log in, and again for each whole read
    apply_timeout: Seconds = 300  # total budget for all the writes of one apply
    # The router's /system/identity; a router answering with another one (swapped ports,
    # a re-used address) is an error before anything is read or written. Default: name.
    identity: StrictStr | None = None
    description: FreeText = ""
    suspend: SuspendSettings | None = None  # overrides settings.suspend when set
    safety: SafetySettings | None = None  # overrides settings.safety when set
    pools: Mapping[StrictStr, Pool] = Field(default_factory=dict)  # managed IP pools, by name

    # api: secrets are pushed to the router; radius: the router asks the RADIUS store
    # (docs/radius.md), profiles and pools still go through the API.
    backend: Literal["api", "radius"] = "api"
    # RADIUS only: the address the router sends RADIUS from (the store's `nas` row and
    # where Disconnect-Requests go; default: host), its RFC 5176 port, and the variable
    # holding the shared secret (never in git).
    nas_address: StrictStr | None = None
    coa_port: Annotated[StrictInt, Field(gt=0, lt=65536)] = 3799
    radius_secret_env: StrictStr | None = None

    @field_validator("name")
    @classmethod
    def _name_pattern(cls, value: str) -> str:
        return _check_name(value, "router")

    @field_validator("radius_secret_env")
    @classmethod
    def _radius_secret_variable(cls, value: str | None) -> str | None:
        if value is not None and not RADIUS_SECRET_ENV.match(value):
            raise rule_error(
                f"must name a variable matching {RADIUS_SECRET_ENV.pattern}",
                hint="e.g. ISK_ROUTER_CORE_RADIUS_SECRET; other variables are never sent",
            )
        return value

    @field_validator("password_env", "read_password_env")
    @classmethod
    def _router_variable(cls, value: str | None) -> str | None:
        if value is not None and not PASSWORD_ENV.match(value):
            raise rule_error(
                f"must name a router password variable matching {PASSWORD_ENV.pattern}",
                hint="e.g. ISK_ROUTER_CORE_PASSWORD; other variables of the job are never sent",
            )
        return value

    @model_validator(mode="after")
    def _read_pair(self) -> Router:
        if (self.read_password_env is None) != (self.read_username is None):
            missing = "read_password_env" if self.read_password_env is None else "read_username"
            raise rule_error(
                "read_username and read_password_env go together",
                (missing,),
                "set both (a read-only API user for plans) or neither",
            )
        return self

    @property
    def api_port(self) -> int:
        if self.port is not None:
            return self.port
        return 8729 if self.tls else 8728

    @property
    def expected_identity(self) -> str:
        return self.identity if self.identity is not None else self.name

    @property
    def radius_address(self) -> str:
        return self.nas_address or self.host

    @property
    def radius_secret_variable(self) -> str:
        """Environment variable holding the RADIUS shared secret (default from the name)."""
        if self.radius_secret_env:
            return self.radius_secret_env
        return "ISK_ROUTER_" + re.sub(r"[^A-Z0-9]", "_", self.name.upper()) + "_RADIUS_SECRET"

    @property
    def password_variable(self) -> str:
        """Environment variable holding the API password (default derived from the name)."""
        if self.password_env:
            return self.password_env
        return "ISK_ROUTER_" + re.sub(r"[^A-Z0-9]", "_", self.name.upper()) + "_PASSWORD"

    def for_reading(self) -> Router:
        """This router as plans connect to it: as the read-only user when one is named."""
        if self.read_username is None or self.read_password_env is None:
            return self
        return self.model_copy(
            update={"username": self.read_username, "password_env": self.read_password_env}
        )

    def connection(self) -> dict[str, Any]:
        """The values of CONNECTION_FIELDS (None for a field this version does not have)."""
        return {name: getattr(self, name, None) for name in CONNECTION_FIELDS}


# --- profiles (packages) ------------------------------------------------------------------


def _routeros_key(value: str) -> str:
    if value in READ_ONLY_PROFILE_KEYS:
        raise rule_error(f"'{value}' is read-only on RouterOS", hint="remove it")
    if value in CORE_PROFILE_KEYS:
        raise rule_error(
            f"'{value}' is managed by isk, not a passthrough key",
            hint=f"use {CORE_PROFILE_KEYS[value]} instead"
            if value not in ("name", "comment")
            else f"it comes from {CORE_PROFILE_KEYS[value]}; remove it here",
        )
    if not ROUTEROS_KEY.match(value):
        spelled = value.strip().lower().replace("_", "-").replace(" ", "-")
        hint = "RouterOS property names are lower-case words joined by '-'"
        if spelled != value and ROUTEROS_KEY.match(spelled):
            hint += f": {spelled}"
        raise rule_error(f"'{value}' is not a RouterOS /ppp/profile property name", hint=hint)
    return value


RouterosKey = Annotated[StrictStr, AfterValidator(_routeros_key)]


class ProfileOverride(Frozen):
    """Router-local values of a package on one router (its own address, pool, DNS): the
    package (price, rate limit) stays one. A field left out inherits the profile's value;
    "" (or [] for dns_server) clears it on that router."""

    local_address: StrictStr | None = None
    remote_address: StrictStr | None = None
    dns_server: tuple[StrictStr, ...] | None = None
    address_list: StrictStr | None = None
    parent_queue: StrictStr | None = None
    routeros: Mapping[RouterosKey, StrictStr] = Field(default_factory=dict)


# The fields an override may set: what differs between sites, never what is sold.
ROUTER_LOCAL_FIELDS = (
    "local_address",
    "remote_address",
    "dns_server",
    "address_list",
    "parent_queue",
)


class Profile(Frozen):
    name: StrictStr
    description: FreeText = ""
    price: Dated[Money] | None = None  # None: not sellable (e.g. the isolate profile)
    rate_limit: StrictStr | None = None
    local_address: IpOrPool | None = None
    remote_address: IpOrPool | None = None
    dns_server: tuple[IpAddress, ...] = ()
    only_one: StrictBool | None = None
    address_list: StrictStr | None = None
    parent_queue: StrictStr | None = None
    routers: tuple[StrictStr, ...] | None = None  # None: pushed to every router
    routeros: Mapping[RouterosKey, StrictStr] = Field(default_factory=dict)
    per_router: Mapping[StrictStr, ProfileOverride] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name_pattern(cls, value: str) -> str:
        if value.lower() in RESERVED_PROFILES:
            raise rule_error(
                f"'{value}' is a RouterOS built-in profile and cannot be managed",
                hint="choose another name",
            )
        return _check_name(value, "profile")

    @field_validator("rate_limit")
    @classmethod
    def _rate_limit_syntax(cls, value: str | None) -> str | None:
        # The reconciler's own parser: what validates here is what it can compare later.
        if value is not None and value != "":
            try:
                parse_rate_limit(value)
            except ValueError as problem:
                raise rule_error(
                    f"'{value}' is not a RouterOS rate-limit",
                    hint=f"{problem}; e.g. 10M/10M, or 10M/10M 20M/20M 8M/8M 16/16 8 5M/5M"
                    if "not a number" not in str(problem)
                    else "e.g. 10M/10M, or 10M/10M 20M/20M 8M/8M 16/16 8 5M/5M",
                ) from None
        return value

    def on_router(self, router: str) -> bool:
        return self.routers is None or router in self.routers

    def for_router(self, router: str) -> Profile:
        """This profile as `router` holds it: its `per_router` values applied."""
        override = self.per_router.get(router)
        if override is None:
            return self
        update: dict[str, object] = {
            key: value
            for key in ROUTER_LOCAL_FIELDS
            if (value := getattr(override, key)) is not None
        }
        if override.routeros:
            update["routeros"] = {**self.routeros, **override.routeros}
        return self.model_copy(update=update)

    def price_on(self, day: date) -> int | None:
        return None if self.price is None else self.price.at(day)


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


# --- ledger -------------------------------------------------------------------------------

# writeoff: bad debt written off by decision (settles invoices like a credit, with a
# required reason, and is reported apart from credits as bad debt).
EntryKind = Literal["payment", "credit", "refund", "writeoff"]
NON_CASH = frozenset({"credit", "writeoff"})
PaymentMethod = Literal["cash", "transfer", "qris", "ewallet", "other"]


class LedgerEntry(Frozen):
    id: StrictStr
    customer: StrictStr
    amount: PositiveMoney
    date: IsoDate
    kind: EntryKind = "payment"
    method: PaymentMethod | None = None
    reference: StrictStr = ""
    note: FreeText = ""
    reason: FreeText = ""  # why the debt is written off (writeoff only, required there)

    @field_validator("id")
    @classmethod
    def _id_given(cls, value: str) -> str:
        if not value.strip() or value != value.strip():
            raise rule_error(f"ledger id '{value}' must be non-empty without surrounding spaces")
        return addresses.ledger_id(value)

    @model_validator(mode="after")
    def _method_matches_kind(self) -> LedgerEntry:
        # Cash moved (payment, refund) must say how; a credit or writeoff moves no cash.
        if self.kind in NON_CASH and self.method is not None:
            raise rule_error(
                f"a {self.kind} moves no cash and takes no method", ("method",), "remove method"
            )
        if self.kind == "writeoff" and not self.reason.strip():
            raise rule_error(
                "a writeoff needs a reason",
                ("reason",),
                "say why the debt is written off, e.g. reason: moved away, unreachable",
            )
        if self.kind != "writeoff" and self.reason:
            raise rule_error("reason is only for writeoff entries", ("reason",), "use note instead")
        if self.kind not in NON_CASH and self.method is None:
            raise rule_error(
                f"a {self.kind} needs a method",
                ("method",),
                "one of cash, transfer, qris, ewallet, other",
            )
        return self

    @property
    def signed_amount(self) -> int:
        """What the entry adds to the customer's running credit."""
        return -self.amount if self.kind == "refund" else self.amount


def _check_name(value: str, what: str) -> str:
    if not NAME.match(value):
        raise rule_error(
            f"{what} name '{value}' must match {NAME.pattern}",
            hint="letters, digits, '.', '_' and '-', starting with a letter or digit",
        )
    return value


# --- the whole repository -----------------------------------------------------------------


@dataclass(frozen=True)
class State:
    """Everything the repository says, validated. Built only by `loader.load_state`."""

    settings: Settings
    routers: Mapping[str, Router]
    profiles: Mapping[str, Profile]
    customers: Mapping[str, Customer]
    ledger: tuple[LedgerEntry, ...]
    # Where each thing is written, for error messages after loading:
    # ("router", name), ("profile", name), ("customer", id), ("ledger", entry id) -> Loc.
    locations: Mapping[tuple[str, str], Loc] = field(default_factory=dict)
    warnings: tuple = ()  # ConfigError with severity "warning" (e.g. future-dated ledger entry)

    def entries_for(self, customer_id: str) -> tuple[LedgerEntry, ...]:
        return self.ledger_by_customer.get(customer_id, ())

    # Views computed on first use and kept on the instance (functools.cached_property
    # writes to the instance dict, which a frozen dataclass allows): a State is never
    # changed after loading, and `dataclasses.replace` makes a new one without them.
    @cached_property
    def ledger_by_customer(self) -> Mapping[str, tuple[LedgerEntry, ...]]:
        grouped: dict[str, list[LedgerEntry]] = {}
        for entry in self.ledger:
            grouped.setdefault(entry.customer, []).append(entry)
        return {k: tuple(v) for k, v in grouped.items()}

    @cached_property
    def customers_by_router(self) -> Mapping[str, tuple[tuple[str, Customer], ...]]:
        """Customers grouped by router, sorted by id."""
        grouped: dict[str, list[tuple[str, Customer]]] = {}
        for customer_id, customer in sorted(self.customers.items()):
            grouped.setdefault(customer.router, []).append((customer_id, customer))
        return {router: tuple(items) for router, items in grouped.items()}

    @cached_property
    def placement(self) -> Mapping[str, tuple[str, str]]:
        """Customer id -> (router, username)."""
        return {cid: (c.router, c.username) for cid, c in self.customers.items()}

    def suspend_for(self, router: str) -> SuspendSettings:
        override = self.routers[router].suspend if router in self.routers else None
        return override or self.settings.suspend

    def safety_for(self, router: str) -> SafetySettings:
        override = self.routers[router].safety if router in self.routers else None
        return override or self.settings.safety

    def loc(self, kind: str, key: str) -> Loc | None:
        return self.locations.get((kind, key))
