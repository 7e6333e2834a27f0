"""settings.yaml (SPEC §2): billing, suspension, safety, secrets, notifications, online
payments, RADIUS and the ISP's own details.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, available_timezones

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from isk_reconcile.state.base import FreeText, Frozen, Seconds, number_of_seconds, rule_error

# The ownership marker opens every managed comment as "<prefix>:"; a ':' or a space inside
# it would make comments unparseable, an empty one would claim every entry.
COMMENT_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$")
# The variables a repository may name for the RADIUS store's connection string: never
# another variable of the job (an age identity, a token).
RADIUS_DSN_ENV = re.compile(r"^ISK_RADIUS_[A-Z0-9_]+$")


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
Seconds0 = Annotated[float, BeforeValidator(number_of_seconds), Field(ge=0)]


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
