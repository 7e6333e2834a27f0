"""The router-comment protocol: how isk marks what it owns on a router and what it left
half done. The comment is the only memory a router keeps for isk, so every mark is
parsed back here and nowhere else.

- Ownership: a managed entry's comment starts with "<comment_prefix>:" — a secret's with
  the customer id ("isk:budi Budi Santoso"), a profile's with "profile".
- Passthrough: a profile records the `routeros:` keys it writes at the end of its
  comment (" [routeros: change-tcp-mss,on-up]").
- Pending disconnect: a secret whose session must be cut carries " [disconnect pending]"
  (naming the session fields that changed) until the cut is done.
- Free text (names, descriptions) is folded to ASCII and never holds square brackets,
  so a bracketed suffix can only have been written by isk.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from isk_reconcile.routeros.types import LiveItem
from isk_reconcile.state.customers import Customer

# The passthrough keys a profile manages are recorded at the end of its comment
# ("isk:profile Paket Bisnis [routeros: change-tcp-mss,on-up]"), so that a key removed
# from the YAML is still known to be isk's and is unset on the router. The router is the
# only memory that survives: a key isk never wrote (a hand-made tweak) is left alone.
PASSTHROUGH_MARK = re.compile(r" \[routeros: ([a-z0-9][a-z0-9,-]*)\]$")
_PASSTHROUGH_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# Written at the end of a secret's comment together with a change whose session must be
# cut, and removed once it is: if the connection drops in between, the next plan still
# knows the session is stale (nothing else on the router tells). When the change also
# moved a session field, the mark names it (" [disconnect pending: profile]"), so a later
# plan can tell whether the cut is still needed (see `plan.pending_still_needed`). Free
# text in comments never holds square brackets (`comment_text`), so the mark can only
# have been written by isk.
PENDING_MARK = " [disconnect pending]"
_PENDING = re.compile(r" \[disconnect pending(?:: ([a-z,-]*))?\]$")
# Fields whose change means the live session runs with stale settings.
SESSION_FIELDS = frozenset({"password", "profile", "remote-address"})


# --- ownership -----------------------------------------------------------------------------


def is_managed(item: LiveItem, prefix: str) -> bool:
    return item.attrs.get("comment", "").startswith(prefix)


def secret_comment(prefix: str, customer: Customer) -> str:
    return f"{prefix}{customer.id} {comment_text(customer.name)}".strip()


def customer_of_comment(prefix: str, comment: str) -> str | None:
    """The customer id a /ppp/secret ownership comment names ("isk:budi Budi Santoso" →
    "budi"). Only for secret comments: which menu an entry is in tells a profile from a
    secret, never the text (a customer id may well start with "profile")."""
    if not comment.startswith(prefix):
        return None
    return comment[len(prefix) :].split(" ", 1)[0] or None


# --- passthrough marks ---------------------------------------------------------------------


def is_passthrough_key(key: str) -> bool:
    """A key that can be listed in a passthrough mark."""
    return bool(_PASSTHROUGH_KEY.match(key))


def profile_comment(prefix: str, description: str, passthrough: Iterable[str] = ()) -> str:
    comment = f"{prefix}profile {comment_text(description)}".strip()
    keys = tuple(passthrough)
    if keys:
        comment += f" [routeros: {','.join(keys)}]"
    return comment


def passthrough_of_comment(comment: str) -> tuple[str, ...]:
    """The passthrough keys a managed profile's comment says isk wrote ("" → none)."""
    found = PASSTHROUGH_MARK.search(comment)
    if found is None:
        return ()
    return tuple(key for key in found.group(1).split(",") if key)


# --- pending disconnect marks --------------------------------------------------------------


def pending_mark(fields: Iterable[str] = ()) -> str:
    """The comment suffix apply writes until a session is cut, naming the session fields
    that changed with it."""
    changed = sorted(SESSION_FIELDS.intersection(fields))
    return f" [disconnect pending: {','.join(changed)}]" if changed else PENDING_MARK


def pending_of_comment(comment: str) -> frozenset[str] | None:
    """The session fields a pending mark names (empty: an access change only), or None
    when the comment carries no mark."""
    found = _PENDING.search(comment)
    if found is None:
        return None
    return frozenset(key for key in (found.group(1) or "").split(",") if key)


def without_pending(comment: str) -> str:
    return _PENDING.sub("", comment)


# --- free text -----------------------------------------------------------------------------


def comment_text(text: str) -> str:
    """Free text (a name, a description) as it goes into an ownership comment: ASCII, and
    square brackets turned into parentheses, so that a bracketed suffix at the end of a
    comment (" [disconnect pending]", " [routeros: ...]") can only have been written by
    isk, never typed into a customer's name."""
    return ascii_fold(text).replace("[", "(").replace("]", ")")


def ascii_fold(text: str) -> str:
    """ASCII for RouterOS comments: accents dropped (NFKD), anything else non-ASCII → '?'."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    letters = (ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch if ord(ch) < 128 else "?" for ch in letters)
