"""The cross-file rules of a customer's `notify:` block and contact details against the
notification channels in settings (docs/notifications.md), mixed into the loader like
state/rules.py, so `isk validate` reports them with file:line."""

from __future__ import annotations

from typing import Any

from isk_reconcile.errors import ConfigError
from isk_reconcile.state.customers import Customer
from isk_reconcile.state.messages import Placed, did_you_mean
from isk_reconcile.state.phone import normalize_phone
from isk_reconcile.state.settings import EMAIL_ADDRESS, Settings
from isk_reconcile.state.yamlsource import SourceFile


class NotifyRules:
    """Uses the loader's `error` and its `warnings` list."""

    warnings: list[ConfigError]

    def error(self, *args: Any, **kwargs: Any) -> None:  # the loader's
        raise NotImplementedError

    def check_notify(
        self, settings: Settings, customers: dict[str, tuple[Customer, Placed]]
    ) -> None:
        """A customer's `notify:` block against the channels in settings: an opt-out
        naming no channel is an error (a typo must not keep sending); a phone number or
        e-mail address that a channel in use cannot send to is a warning (it must not
        stop the reconcile of everyone's service; that customer is simply not told on
        that channel, and `isk notify plan` says so)."""
        channels = settings.notify.channels
        known = set(channels) | {"all"}
        for customer, placed in sorted(customers.values(), key=lambda item: item[0].id):
            for index, name in enumerate(customer.notify.opt_out):
                if name not in known:
                    self.error(
                        placed.source,
                        ("notify", "opt_out", index),
                        f"unknown channel '{name}' (channels: {', '.join(sorted(known))})",
                        did_you_mean(name, known),
                    )
            opted = set(customer.notify.opt_out)
            used = {
                channels[name].kind
                for name in settings.notify.customers
                if name not in opted and "all" not in opted and not channels[name].to
            }
            self.check_addresses(customer, placed.source, used)

    def check_addresses(self, customer: Customer, source: SourceFile, kinds: set[str]) -> None:
        phones = kinds & {"fonnte", "smseagle"}
        if phones and customer.phone and normalize_phone(customer.phone) is None:
            self.warnings.append(
                ConfigError(
                    source.loc(("phone",)),
                    "phone",
                    f"'{customer.phone}' is not a phone number WhatsApp/SMS can use",
                    "write it as 0812..., +62 812... or 62812... (9-15 digits)",
                    "warning",
                )
            )
        if "email" in kinds and customer.email and not EMAIL_ADDRESS.match(customer.email):
            self.warnings.append(
                ConfigError(
                    source.loc(("email",)),
                    "email",
                    f"'{customer.email}' is not one plain e-mail address",
                    "e.g. budi@example.net",
                    "warning",
                )
            )
