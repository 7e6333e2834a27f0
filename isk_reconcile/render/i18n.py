"""What people read, in their language (`settings.language: id | en`).

Messages come from gettext catalogs kept as `.po` text in `isk_reconcile/locale/`
(English is the source language: an English message is its own translation). Babel
compiles a catalog in memory the first time it is used, so no build step is needed,
and formats dates, month names and short money amounts the way the locale writes them
("29 November 2026", "Rp1,25 jt").
"""

from __future__ import annotations

import gettext
import io
from datetime import date
from functools import cache
from importlib import resources

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_compact_decimal

LANGUAGES = ("id", "en")
DOMAIN = "isk"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalog of `language` (English, or an unknown language: the messages as written)."""
    if language == "en" or language not in LANGUAGES:
        return gettext.NullTranslations()
    source = resources.files("isk_reconcile") / "locale" / language / "LC_MESSAGES" / "isk.po"
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def long_day(day: date | None, language: str) -> str:
    """`29 November 2026` (id) / `November 29, 2026` (en); "" for no date."""
    return format_date(day, format="long", locale=language) if day else ""


def month_name(month: str, language: str) -> str:
    """ "2026-11" as `November 2026` in the language."""
    year, number = month.split("-")
    return format_date(date(int(year), int(number), 1), format="LLLL y", locale=language)


def short_month(month: str, language: str) -> str:
    """ "2026-11" as a chart label: `Nov 26` (en), `Nov 26` / `Agu 26` (id)."""
    year, number = month.split("-")
    name = format_date(date(int(year), int(number), 1), format="LLL", locale=language)
    return f"{name.rstrip('.')} {year[2:]}"


def short_money(amount: int, language: str) -> str:
    """Axis and card labels: `Rp1,25 jt` (id), `Rp1.25M` (en)."""
    number = format_compact_decimal(amount, locale=language, fraction_digits=2)
    return f"Rp{number}"
