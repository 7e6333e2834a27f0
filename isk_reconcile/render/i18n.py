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
import re
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from importlib import resources

LANGUAGES = ("id", "en")
DOMAIN = "isk"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalog of `language` (English, or an unknown language: the messages as written)."""
    if language == "en" or language not in LANGUAGES:
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo  # Babel is imported only for a translation

    catalog = _read_catalog(language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def _read_catalog(language: str):  # -> babel.messages.Catalog
    from babel.messages.pofile import read_po

    source = resources.files("isk_reconcile") / "locale" / language / "LC_MESSAGES" / "isk.po"
    with source.open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def format_date(day: date, format: str, locale: str) -> str:  # noqa: A002 (Babel's name)
    from babel.dates import format_date as babel_format_date

    return babel_format_date(day, format=format, locale=locale)


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
    from babel.numbers import format_compact_decimal

    number = format_compact_decimal(amount, locale=language, fraction_digits=2)
    return f"Rp{number}"


# --- messages: exact, with parameters, and English sentences composed elsewhere ----------

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# Placeholders that hold one of isk's own words (an action, a kind, a standing) rather than
# an identifier: their single-word values are translated too.
WORDS = frozenset({"kind", "what", "verb", "access", "status", "action", "outcome"})
MAX_DEPTH = 6  # reasons nest a few levels ("adopted: ... (access suspended: ...)")


@dataclass(frozen=True)
class Template:
    """A catalog message with placeholders, matched against finished English text."""

    msgid: str
    pattern: re.Pattern[str]
    literal: int  # characters outside the placeholders: the more, the more specific
    prefix: str  # the text before the first placeholder: a cheap test before the regex
    quoted: frozenset[str]  # placeholders written in quotes ('%(name)s'): never translated
    needle: str  # its longest literal part: text without it cannot match


def _template(msgid: str) -> Template:
    parts = PLACEHOLDER.split(msgid)  # literal, name, literal, name, ..., literal
    regex = ""
    seen: set[str] = set()
    for index, part in enumerate(parts):
        if index % 2 == 0:
            regex += re.escape(part.replace("%%", "%"))  # "%%" writes a literal "%"
        elif part in seen:
            regex += f"(?P={part})"
        else:
            seen.add(part)
            regex += f"(?P<{part}>.+?)"
    literal = sum(len(part) for part in parts[::2])
    quoted = frozenset(
        name
        for index, name in enumerate(parts[1::2])
        if parts[2 * index].endswith(("'", '"')) and parts[2 * index + 2].startswith(("'", '"'))
    )
    needle = max((part.replace("%%", "%") for part in parts[::2]), key=len)
    return Template(msgid, re.compile(regex, re.DOTALL), literal, parts[0], quoted, needle)


class Translator:
    """Everything a reader sees, in one language.

    `message` translates a msgid written in the code (`_()` calls, table headers);
    `text` translates a finished English sentence composed by the core (a plan reason,
    a standing, a validation or error message) by matching it against the catalog's
    messages with placeholders, whose values are translated the same way (reasons nest).
    Text no message matches is returned unchanged: an untranslated sentence is shown in
    English, never an error."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else "en"
        self.catalog = translations(self.language)
        self.templates = _templates(self.language)

    @property
    def english(self) -> bool:
        return self.language == "en"

    def message(self, msgid: str, /, **params: object) -> str:
        translated = msgid if self.english else self.catalog.gettext(msgid)
        if not params:
            return translated
        try:
            return translated % {key: _param(value) for key, value in params.items()}
        except (KeyError, ValueError, TypeError):  # a broken translation: the English one
            return msgid % {key: _param(value) for key, value in params.items()}

    def text(self, english: str, _depth: int = 0) -> str:
        if self.english or not english or _depth > MAX_DEPTH:
            return english
        exact = self.catalog.gettext(english)
        if exact != english:
            return exact
        for template in self.templates:
            if not english.startswith(template.prefix) or template.needle not in english:
                continue
            found = template.pattern.fullmatch(english)
            if found is None:
                continue
            params = {
                key: value if key in template.quoted else self._param(key, value, _depth)
                for key, value in found.groupdict().items()
            }
            translated = self.catalog.gettext(template.msgid)
            try:
                return translated % params
            except (KeyError, ValueError, TypeError):
                return english
        return english

    def _param(self, name: str, value: str, depth: int) -> str:
        """A value inside a translated sentence: a date as the language writes it (kept
        on one line); a sentence (it has a space: reasons nest) or one of isk's own words
        (WORDS: `%(kind)s` is "customer") translated in turn; any other single word is
        an identifier (a key, a profile, a customer id) and stays as written."""
        if ISO_DAY.fullmatch(value):
            try:
                return self.cell_day(date.fromisoformat(value))
            except ValueError:
                return value
        if " " in value or name in WORDS:
            return self.text(value, depth + 1)
        return value

    def lines(self, english: str) -> str:
        """Each line translated on its own (a list of problems, one per line)."""
        return "\n".join(self.located(line) for line in english.split("\n"))

    def located(self, english: str) -> str:
        """`file:line:col: message` (or `file: message`) with the message translated and
        the location kept as it is, so editors still jump to it."""
        found = LOCATION.match(english)
        if found is None:
            return self.text(english)
        return found.group(0) + self.text(english[found.end() :])

    def day(self, day: date | None) -> str:
        """A date in running text: ISO in English (what the repository writes), the long
        Indonesian form otherwise ("29 November 2026")."""
        if day is None:
            return ""
        return day.isoformat() if self.english else long_day(day, self.language)

    def cell_day(self, day: date) -> str:
        """A date in a table cell: short and never split ("29 Nov 2026" in Indonesian)."""
        if self.english:
            return day.isoformat()
        return _medium_day(day, self.language)

    def yes_no(self, value: bool) -> str:
        return self.message("yes") if value else self.message("no")


LOCATION = re.compile(r"^(?:[\w./\\-]+\.ya?ml(?::\d+(?::\d+)?)?: )+")


def _param(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


@lru_cache(maxsize=8192)  # a table repeats its dates; Babel takes ~20 µs a date
def _medium_day(day: date, language: str) -> str:
    return format_date(day, format="medium", locale=language).replace(" ", "\xa0")


@cache
def _templates(language: str) -> tuple[Template, ...]:
    """The catalog's messages with placeholders, most specific first."""
    if language == "en" or language not in LANGUAGES:
        return ()
    found = [_template(msgid) for msgid in catalog_ids(language) if PLACEHOLDER.search(msgid)]
    return tuple(sorted(found, key=lambda template: (-template.literal, template.msgid)))


@cache
def catalog_ids(language: str) -> tuple[str, ...]:
    """Every msgid of the language's catalog that has a translation."""
    catalog = _read_catalog(language)
    return tuple(str(message.id) for message in catalog if message.id and message.string)


@cache
def translator(language: str) -> Translator:
    return Translator(language)
