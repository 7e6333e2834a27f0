"""State.customers as the validated-state cache stores them (issue 12): one column per
field, and on load a mapping that validates a customer (its pydantic model, strict as on
a cold load) when first looked up. `isk customer show ID` and `isk pay` look up one
customer of 10,000; listing them all validates each once, as the eager load did.

Customers are dumped without their defaults (nested ones too: no `pppoe.service: pppoe`,
no `notify`), and a column holds a field's default (its JSON form, `DEFAULTS`) where a
customer leaves it out; a stored value equal to its field's default is left out when the
customer is validated, as a file that does not write it. pydantic validates a customer
of ten keys a third faster than one of twenty (issue 12), and the customer is the same:
a value equal to the default validates to the default.

The ids are checked when the cache is read (text, unique): the mapping's keys are known
without validating anything. A stored customer that does not validate (a damaged or
hand-edited cache: isk writes only customers that validated) is reported as a damaged
cache, in one line, and the cache file is removed, so that the next command loads and
validates the repository's files.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

import pydantic
from pydantic.fields import FieldInfo

from isk_reconcile.errors import IskError
from isk_reconcile.state.customers import Customer


def _json_default(field: FieldInfo) -> Any:
    """A field's default as a customer dumped without its defaults holds it in JSON."""
    value = field.get_default(call_default_factory=True)
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return json.loads(json.dumps(value))  # (None, "", False, "active", () as [])


# Field (as stored: by alias) -> its default as the columns hold it; required fields have
# none (a stored value is never left out for them).
DEFAULTS: Mapping[str, Any] = MappingProxyType(
    {
        field.alias or name: _json_default(field)
        for name, field in Customer.model_fields.items()
        if not field.is_required()
    }
)
_NO_DEFAULT = object()


def encode(customers: Iterable[Customer]) -> dict[str, list[Any]]:
    """One column per field (nested values as they are, without their defaults): reading
    10,000 dicts of twenty keys costs several times more than twenty lists."""
    dumped = [
        customer.model_dump(mode="json", by_alias=True, exclude_defaults=True)
        for customer in customers
    ]
    names = [field.alias or name for name, field in Customer.model_fields.items()]
    known = set(names)
    if any(not one.keys() <= known for one in dumped):
        raise ValueError("customers dump other fields")  # then not cached at all
    return {name: [one.get(name, DEFAULTS.get(name)) for one in dumped] for name in names}


def decode(value: Any, damaged: Callable[[], None]) -> CachedCustomers:
    """The mapping of stored columns; TypeError/ValueError when they are not columns of
    equal length with unique text ids. `damaged`: called before a stored customer that
    does not validate is reported."""
    if not (isinstance(value, dict) and all(isinstance(v, list) for v in value.values())):
        raise TypeError("customer columns")
    if len({len(column) for column in value.values()}) > 1:
        raise ValueError("customer columns differ in length")
    ids = value.get("id")
    if not isinstance(ids, list) or not set(map(type, ids)) <= {str} or len(set(ids)) != len(ids):
        raise ValueError("customer ids")
    return CachedCustomers(value, damaged)


class CachedCustomers(Mapping[str, Customer]):
    def __init__(self, columns: dict[str, list[Any]], damaged: Callable[[], None]):
        # (field, its column, its default: a stored value equal to it is left out)
        self._fields = [
            (name, column, DEFAULTS.get(name, _NO_DEFAULT)) for name, column in columns.items()
        ]
        self._row_of = {cid: number for number, cid in enumerate(columns["id"])}
        self._made: dict[str, Customer] = {}
        self._damaged = damaged

    def _make(self, cid: str) -> Customer:
        found = self._made.get(cid)
        if found is None:
            number = self._row_of[cid]  # KeyError: no such customer, as for a dict
            raw = {
                name: value
                for name, column, default in self._fields
                if (value := column[number]) != default
            }
            try:
                found = Customer.model_validate(raw)
            except pydantic.ValidationError:
                found = None
            if found is None or found.id != cid:
                self._damaged()
                raise IskError(
                    "the validated-state cache is damaged (it was removed): run the command again"
                )
            self._made[cid] = found
        return found

    def __getitem__(self, cid: str) -> Customer:
        return self._make(cid)

    def __contains__(self, cid: object) -> bool:
        return cid in self._row_of

    def __iter__(self) -> Iterator[str]:
        return iter(self._row_of)

    def __len__(self) -> int:
        return len(self._row_of)
