"""Text that came from someone else (a pull request, a router) stays text.

One policy for every layer (docs/security.md, "Untrusted text"):

- `CONTROL` is what no text field of a state file may hold: every C0 control character
  (tab, CR and LF included), DEL, every C1 control character, and the Unicode bidi
  controls (embeddings, overrides, isolates, marks) that make text display in another
  order than it is stored. The loader rejects them with file:line (`control_problem`).
- Free text (names, addresses, descriptions, notes) is normalised to Unicode NFKC when
  loaded (`nfkc`): full-width and compatibility forms become their plain letters, so
  what a reviewer reads, what search finds and what a router comment holds agree.
- Text that was never validated (router comments, names of unmanaged entries, trap
  messages), and the repository's text in tables, is shown through `visible`: each
  control character becomes a visible escape (`\\x1b`, `\\u202e`), so it cannot move
  the cursor, ring the bell, rewrite a terminal line or reorder what is around it; so
  does each zero-width character (`\\u200d`), which would hide where a word ends.
- A message that quotes a value (an error naming a field and what it holds) is made one
  line by `one_line`: line breaks and other control characters are written the way
  Python writes them (`\\n`, `\\x1b`), so the error stays one readable line.
"""

from __future__ import annotations

import re
import unicodedata

# C0, DEL, C1; ALM; LRM, RLM; LRE, RLE, PDF, LRO, RLO; LRI, RLI, FSI, PDI.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMES = {"\t": "tab", "\n": "line feed", "\r": "carriage return", "\x1b": "escape"}


def control_problem(value: str) -> str | None:
    """Why `value` is refused as text of a state file, or None when it is fine."""
    if value.isprintable():  # the common case, in C: no control character at all
        return None
    found = CONTROL.search(value)
    if found is None:
        return None
    char = found.group()
    name = _NAMES.get(char) or unicodedata.name(char, "")
    label = f"U+{ord(char):04X}" + (f" {name}" if name else "")
    return f"contains the control character {label} at position {found.start() + 1}"


# Zero-width characters: ZWSP, ZWNJ, ZWJ, word joiner, BOM. Valid in text (emoji
# sequences), but invisible where shown: they hide where a word ends, and runs of them
# make rich's wrapping fail (rich 15: IndexError in cells._split_text, so a name could
# crash `isk customers` in a narrow terminal).
ZERO_WIDTH = "\u200b-\u200d\u2060\ufeff"
_SHOWN_ESCAPED = re.compile(CONTROL.pattern[:-1] + ZERO_WIDTH + "]")


def visible(value: str) -> str:
    """`value` with every control and zero-width character written as a visible escape."""
    if value.isprintable():
        return value
    return _SHOWN_ESCAPED.sub(_escape, value)


def _escape(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# What `one_line` escapes: C0 (line feeds included), DEL, C1 and the Unicode line and
# paragraph separators, everything that could break a message's line or act on a terminal.
LINE_BREAKING = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """`text` as one line: a control character (a newline, an escape) from a value that
    is quoted in a message is shown escaped (\\n, \\x1b), never acted on.

    Python's spelling rather than `visible`'s (`\\x0a`), because error messages have
    always read that way and tests and users match on them."""
    return LINE_BREAKING.sub(lambda found: ascii(found[0])[1:-1], text)


def nfkc(value: str) -> str:
    """The NFKC form of free text (unchanged when it already is)."""
    if value.isascii():
        return value
    return unicodedata.normalize("NFKC", value)


__all__ = ["CONTROL", "LINE_BREAKING", "control_problem", "nfkc", "one_line", "visible"]
