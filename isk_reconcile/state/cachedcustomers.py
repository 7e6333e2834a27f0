"""State.customers as the validated-state cache stores them (issue 12): one column per
field, and on load a mapping that validates a customer (its pydantic model, strict as on
a cold load) when first looked up. `isk customer show ID` and `isk pay` look up one
customer of 10,000; listing them all validates each once, as the eager load did.

The ids are checked when the cache is read (text, unique): the mapping's keys are known
without validating anything. A stored customer that does not validate (a damaged or
hand-edited cache: isk writes only customers that validated) is reported as a damaged
cache, in one line, and the cache file is removed, so that the next command loads and
validates the repository's files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import pydantic

from isk_reconcile.errors import IskError
from isk_reconcile.state.customers import Customer


def encode(customers: Iterable[Customer]) -> dict[str, list[Any]]:
    """One column per field (nested values as they are): reading 10,000 dicts of twenty
    keys costs several times more than twenty lists."""
    dumped = [customer.model_dump(mode="json", by_alias=True) for customer in customers]
    names = list(dumped[0]) if dumped else ["id"]
    if any(list(one) != names for one in dumped):
        raise ValueError("customers dump different fields")  # then not cached at all
    return {name: [one[name] for one in dumped] for name in names}


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
        self._columns = columns
        self._row_of = {cid: number for number, cid in enumerate(columns["id"])}
        self._made: dict[str, Customer] = {}
        self._damaged = damaged

    def _make(self, cid: str) -> Customer:
        found = self._made.get(cid)
        if found is None:
            number = self._row_of[cid]  # KeyError: no such customer, as for a dict
            raw = {name: column[number] for name, column in self._columns.items()}
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
