"""The one error the simulated router raises: a RouterOS `!trap`."""

from __future__ import annotations

from isk_reconcile.errors import IskError


class Trap(IskError):
    """A command RouterOS would refuse; the API answers it with `!trap =message=...`.

    Seeding helpers (`SimulatedRouter.add`, `.load`) raise it too, with the message the
    router would have given, so a bad test fixture fails loudly.
    """

    def __init__(self, message: str, category: int | None = None):
        self.message = message
        self.category = category
        super().__init__(message)
