"""Pydantic's validation errors turned into our messages: each located to file:line:col
in the YAML it came from, the field named as the user wrote it, values shown (secrets
never), a hint where one helps ("did you mean ...", the allowed keys)."""

from __future__ import annotations

import difflib
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel

from isk_reconcile.errors import ConfigError
from isk_reconcile.state.customers import Customer
from isk_reconcile.state.profiles import Profile
from isk_reconcile.state.routers import Router
from isk_reconcile.state.yamlsource import (
    SourceFile,
    YamlPath,
    describe_value,
    format_path,
    is_secret_path,
)

# Fields holding a value that may change over time (plain, or a dated list).
DATED_HINT = "a plain value, or a dated list: [{from: YYYY-MM-DD, value: ...}, ...]"
DATED_FIELDS = {Profile: ("price",), Customer: ("profile", "price")}


@dataclass(frozen=True)
class Placed:
    """A validated object and where it was written."""

    source: SourceFile
    path: YamlPath  # of the object inside its file
    label: str  # how fields of this object are named in messages ("" for whole-file objects)


def profile_name_loc(loc: tuple) -> tuple[YamlPath, bool] | None:
    # A profile's name is its file name: the error points at the file's start.
    return (("name",), False) if loc[:1] == ("name",) else None


def customer_id_loc(loc: tuple) -> tuple[YamlPath, bool] | None:
    return (("id",), False) if loc[:1] == ("id",) else None


def router_name_loc(loc: tuple) -> tuple[YamlPath, bool]:
    if loc[:1] == ("name",):
        return (), True
    return loc, False


def translate_for(
    model: type[BaseModel],
    raw: dict[str, Any],
    special: Callable[[tuple], tuple[YamlPath, bool] | None],
) -> Callable[[tuple], tuple[YamlPath, bool]]:
    """Map a model loc back to the YAML path, undoing the `changes` wrapper of dated values."""
    dated = DATED_FIELDS.get(model, ())

    def translate(loc: tuple) -> tuple[YamlPath, bool]:
        handled = special(loc)
        if handled is not None:
            return handled
        if loc and loc[0] in dated and loc[1:2] == ("changes",):
            if isinstance(raw.get(loc[0]), list):
                return (loc[0], *loc[2:]), False
            return (loc[0],), False
        return loc, False

    return translate


def located_error(
    detail: Any,
    model: type[BaseModel],
    placed: Placed,
    translate: Callable[[tuple], tuple[YamlPath, bool]] | None,
) -> ConfigError:
    kind = detail["type"]
    model_loc = tuple(detail["loc"])
    context = detail.get("ctx") or {}
    hint = ""
    if kind == "isk_rule":
        model_loc = model_loc + tuple(context.get("at", ()))
        hint = context.get("hint", "")
    key_error = model_loc[-1:] == ("[key]",)  # pydantic's loc for a bad mapping key
    if key_error:
        model_loc = model_loc[:-1]
    path, at_key = translate(model_loc) if translate else (model_loc, False)
    at_key = at_key or key_error
    full: YamlPath = (*placed.path, *path)
    source = placed.source
    field = field_name(placed.label, path)
    value = detail.get("input")
    secret = is_secret_path(path)
    raw_text = source.raw(full) if _is_scalar(value) and not isinstance(value, str) else None
    shown = "the value" if secret else (raw_text if raw_text is not None else repr(value))
    last = str(path[-1]) if path else ""

    if kind == "missing":
        message, at_key = f"required key '{last}' is missing", False
        loc = source.loc(full[:-1])
    elif kind == "extra_forbidden":
        allowed = _allowed_keys(model, model_loc[:-1])
        message = f"unknown key '{last}'"
        close = difflib.get_close_matches(last, allowed, n=1)
        if close:
            message += f" (did you mean '{close[0]}'?)"
        hint = "allowed: " + ", ".join(allowed) if allowed and not close else ""
        loc = source.loc(full, key=True)
    else:
        loc = source.loc(full, key=at_key)
        message, hint = _describe(kind, detail, value, shown, last, secret, hint)
    return ConfigError(loc, field, message, hint)


def _describe(
    kind: str, detail: Any, value: Any, shown: str, key: str, secret: bool, hint: str
) -> tuple[str, str]:
    read_as = describe_value(value)
    quote_hint = "quote it" if secret else f'quote it: {key}: "{shown}"'
    if value is None and kind.endswith("_type"):
        return "is empty", "write a value"
    if kind == "string_type":
        if _is_scalar(value):
            return f"{shown} was read as {read_as}, not text", quote_hint
        return f"must be text, not {read_as}", hint
    if kind in ("int_type", "int_from_float", "int_parsing"):
        if isinstance(value, float):
            return f"{shown} is not a whole number", "money is an integer in rupiah, no decimals"
        if isinstance(value, bool):
            return f"{shown} was read as a boolean, not a number", hint
        if isinstance(value, str):
            return f"'{value}' is text, not a number", "remove the quotes"
        return f"must be a whole number, not {read_as}", hint
    if kind == "bool_type":
        if isinstance(value, str):
            return f"'{value}' is text, not true/false", "write true or false without quotes"
        return f"must be true or false, not {read_as}", hint
    if kind == "literal_error":
        expected = detail.get("ctx", {}).get("expected", "")
        if isinstance(value, bool):
            return f"{shown} was read as a boolean; expected {expected}", quote_hint
        return f"{shown} is not one of {expected}", hint
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        if key in ("price", "profile") or key.isdigit():
            return f"must be a mapping, not {read_as}", DATED_HINT
        return f"must be a mapping of keys, not {read_as}", hint
    if kind in ("tuple_type", "list_type"):
        if isinstance(value, str) and not secret:
            return f"must be a list, not {read_as}", f"write a list: [{value}]"
        return f"must be a list, not {read_as}", hint
    if kind in ("isk_date", "isk_datetime") and _is_scalar(value) and not secret:
        return f"{shown}: {detail['msg']}", hint
    message = str(detail["msg"])
    if message.startswith("Input should be "):
        message = "must be " + message[len("Input should be ") :]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return message, hint


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | date)


def field_name(label: str, path: YamlPath) -> str:
    inner = format_path(path)
    if not label:
        return inner
    if not inner:
        return label
    return f"{label}{inner}" if inner.startswith("[") else f"{label}.{inner}"


def did_you_mean(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"did you mean '{close[0]}'?" if close else ""


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys a mapping at `loc` (a model loc under `model`) may have."""
    current: Any = model
    for part in loc:
        current = _model_in(current)
        if current is None:
            return []
        if isinstance(part, int):
            continue
        field = next(
            (f for n, f in current.model_fields.items() if (f.alias or n) == part),
            None,
        )
        if field is None:
            return []
        current = field.annotation
    current = _model_in(current)
    if current is None:
        return []
    # The name or id of a router, profile or customer is its key or file name.
    hidden = {"name"} if current in (Router, Profile) else {"id"} if current is Customer else set()
    return sorted((f.alias or n) for n, f in current.model_fields.items() if n not in hidden)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation (Optional, tuple[...], Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None
