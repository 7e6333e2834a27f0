"""API requests as parsed values, and the reply sentences the simulator sends back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

HIDDEN_ATTRS = frozenset({"password", "response"})


@dataclass(frozen=True, repr=False)
class Request:
    """One command sentence: `/ppp/secret/set =.id=*1 =disabled=yes .tag=7`."""

    command: str
    attrs: dict[str, str] = field(default_factory=dict)  # "=name=value" words, in order
    queries: tuple[str, ...] = ()  # "?..." words, in order (their order matters)
    tag: str | None = None

    def __repr__(self) -> str:
        # Passwords (PPPoE and API login) never appear in a repr, a log or a traceback.
        shown = {k: ("(hidden)" if k in HIDDEN_ATTRS else v) for k, v in self.attrs.items()}
        return f"Request({self.command} {shown} queries={list(self.queries)} tag={self.tag!r})"

    @property
    def menu(self) -> str:
        """`/ppp/secret` for `/ppp/secret/print`."""
        return self.command.rsplit("/", 1)[0]

    @property
    def verb(self) -> str:
        return self.command.rsplit("/", 1)[-1]


def parse_request(words: list[str]) -> Request:
    """Split a sentence into command, attribute words, query words and the tag.

    `=name` without a second `=` is an attribute with an empty value (routeros-api
    sends empty values that way). Words of other kinds are ignored, as RouterOS does
    with API attribute words it does not know.
    """
    command = words[0]
    attrs: dict[str, str] = {}
    queries: list[str] = []
    tag: str | None = None
    for word in words[1:]:
        if word.startswith("="):
            name, _, value = word[1:].partition("=")
            attrs[name] = value
        elif word.startswith("?"):
            queries.append(word)
        elif word.startswith(".tag="):
            tag = word[len(".tag=") :]
    return Request(command=command, attrs=attrs, queries=tuple(queries), tag=tag)


def _tagged(words: list[str], tag: str | None) -> list[str]:
    # A reply to an untagged command must never carry .tag (librouteros breaks on it).
    if tag is not None:
        words.append(f".tag={tag}")
    return words


def re_sentence(item: Mapping[str, str], tag: str | None) -> list[str]:
    return _tagged(["!re", *(f"={key}={value}" for key, value in item.items())], tag)


def done_sentence(tag: str | None, ret: str | None = None) -> list[str]:
    words = ["!done"]
    if ret is not None:
        words.append(f"=ret={ret}")
    return _tagged(words, tag)


def empty_sentence(tag: str | None) -> list[str]:
    return _tagged(["!empty"], tag)


def trap_sentence(message: str, category: int | None, tag: str | None) -> list[str]:
    """A trap carries only message and category: librouteros builds its exception from them."""
    words = ["!trap"]
    if category is not None:
        words.append(f"=category={category}")
    words.append(f"=message={message}")
    return _tagged(words, tag)


def fatal_sentence(reason: str) -> list[str]:
    return ["!fatal", reason]
