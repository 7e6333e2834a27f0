"""A tuple made when first looked at (issue 12): the invoices of a standing, the
dashboard's lists, the cached ledger. Most commands never look at most of them, and
making 190,000 invoices or 123,000 ledger entries costs more than everything else they
do. Compares equal to the tuple of the same items, as the values it stands for always
have.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar, overload

T = TypeVar("T")


class LazyTuple(Sequence[T]):
    __slots__ = ("_make", "_made")

    def __init__(self, make: Callable[[], tuple[T, ...]]) -> None:
        self._make: Callable[[], tuple[T, ...]] | None = make
        self._made: tuple[T, ...] | None = None

    def _all(self) -> tuple[T, ...]:
        made, make = self._made, self._make
        if made is None:
            # Two threads may both make them (the same tuple); neither finds make gone.
            made = make() if make is not None else self._made
            assert made is not None
            self._made, self._make = made, None
        return made

    @property
    def made(self) -> bool:
        """Whether the items exist already (a view may then use them directly)."""
        return self._made is not None

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...
    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[T]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyTuple):
            return self._all() == other._all()
        return self._all() == other if isinstance(other, tuple) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._all())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._all()!r})"
