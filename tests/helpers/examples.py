"""Example counts for property tests that ask for more (or fewer) than the profile's."""

from __future__ import annotations

from hypothesis import settings


def scaled(count: int) -> int:
    """`count` examples under the default profile (100 examples), proportionally fewer
    under the `mutate` profile (`make mutate` runs the covering tests once per mutant)."""
    return max(1, count * settings.default.max_examples // 100)
