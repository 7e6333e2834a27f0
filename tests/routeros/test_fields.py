"""The one table of RouterOS fields (routeros.fields) agrees with its readers."""

from __future__ import annotations

import pytest

from isk_reconcile.routeros import fields
from isk_reconcile.routeros.fields import MENUS, PROFILE, managed_fields, read_only_fields
from isk_reconcile.routeros.normalize import canonical
from isk_reconcile.sim.menus import SPECS
from isk_reconcile.state.profiles import CORE_PROFILE_KEYS, READ_ONLY_PROFILE_KEYS


def test_a_field_name_has_one_kind_in_every_menu() -> None:
    kinds: dict[str, set[str]] = {}
    for table in (*MENUS.values(), fields.COMMON_FIELDS):
        for name, spec in table.items():
            kinds.setdefault(name, set()).add(spec.kind)
    assert {name: kind for name, kind in kinds.items() if len(kind) > 1} == {}


def test_the_state_schema_names_the_same_profile_fields() -> None:
    # state.profiles cannot import routeros (it sits below it): the two lists must agree.
    assert set(CORE_PROFILE_KEYS) == set(managed_fields(PROFILE))
    assert read_only_fields(PROFILE) == READ_ONLY_PROFILE_KEYS


@pytest.mark.parametrize("menu", sorted(MENUS))
def test_the_simulated_router_knows_every_field(menu: str) -> None:
    spec = SPECS[menu]
    for name, field in MENUS[menu].items():
        assert spec.known(name), (menu, name)
        assert (name in spec.read_only) == field.read_only, (menu, name)


@pytest.mark.parametrize(
    ("name", "written", "printed"),
    [
        (name, True, "yes" if spec.kind == "yes-no" else "true")
        for table in MENUS.values()
        for name, spec in table.items()
        if spec.kind in ("yes-no", "true-false")
    ],
)
def test_booleans_are_spelled_by_their_kind(name: str, written: object, printed: str) -> None:
    assert canonical(name, written) == printed
