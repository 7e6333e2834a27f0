"""Router state semantics, without a network: what each command does and refuses."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isk_reconcile.sim.errors import Trap
from isk_reconcile.sim.state import RouterState, format_uptime, version_tuple

SECRET = "/ppp/secret"
PROFILE = "/ppp/profile"
ACTIVE = "/ppp/active"


@pytest.fixture
def state() -> RouterState:
    router = RouterState(identity="core-kudus")
    router.add(PROFILE, {"name": "home-10m", "rate-limit": "10M/10M"})
    return router


def names(state: RouterState, menu: str) -> list[str]:
    return [item["name"] for item in state.items(menu)]


def test_builtin_profiles_exist_with_their_ids(state: RouterState) -> None:
    profiles = {item["name"]: item for item in state.items(PROFILE)}
    assert profiles["default"][".id"] == "*0"
    assert profiles["default-encryption"][".id"] == "*FFFFFFFE"
    assert profiles["default"]["default"] == "true"
    assert profiles["home-10m"]["default"] == "false"
    assert names(state, PROFILE) == ["default", "home-10m", "default-encryption"]


def test_builtin_profiles_cannot_be_removed_or_renamed(state: RouterState) -> None:
    for reference in ("*0", "default-encryption"):
        with pytest.raises(Trap):
            state.remove(PROFILE, {".id": reference})
    with pytest.raises(Trap):
        state.set(PROFILE, {".id": "*0", "name": "mine"})
    state.set(PROFILE, {".id": "*0", "only-one": "yes"})  # other fields may change
    assert state.items(PROFILE)[0]["only-one"] == "yes"


def test_secret_defaults_are_printed_and_unset_fields_omitted(state: RouterState) -> None:
    new_id = state.add(SECRET, {"name": "budi", "password": "rahasia"})
    (item,) = state.items(SECRET)
    assert item == {
        ".id": new_id,
        "name": "budi",
        "password": "rahasia",
        "service": "any",
        "profile": "default",
        "disabled": "false",
    }


def test_booleans_are_stored_as_true_false(state: RouterState) -> None:
    state.add(SECRET, {"name": "budi", "disabled": "yes"})
    assert state.items(SECRET)[0]["disabled"] == "true"
    state.set(SECRET, {".id": "budi", "disabled": "no"})
    assert state.items(SECRET)[0]["disabled"] == "false"
    with pytest.raises(Trap, match="input does not match any value of disabled"):
        state.set(SECRET, {".id": "budi", "disabled": "maybe"})


def test_traps_carry_routeros_messages(state: RouterState) -> None:
    state.add(SECRET, {"name": "budi", "profile": "home-10m"})
    with pytest.raises(Trap, match="^failure: secret with the same name already exists$"):
        state.add(SECRET, {"name": "budi"})
    with pytest.raises(Trap, match="^failure: profile with the same name already exists$"):
        state.add(PROFILE, {"name": "home-10m"})
    with pytest.raises(Trap, match="^input does not match any value of profile$"):
        state.add(SECRET, {"name": "siti", "profile": "nope"})
    with pytest.raises(Trap, match="^no such item$"):
        state.set(SECRET, {".id": "*99", "comment": "x"})
    with pytest.raises(Trap, match="^unknown parameter passwd$"):
        state.add(SECRET, {"name": "siti", "passwd": "x"})
    with pytest.raises(Trap, match="^input does not match any value of service$"):
        state.add(SECRET, {"name": "siti", "service": "dialup"})
    with pytest.raises(Trap, match="^unknown parameter last-logged-out$"):
        state.set(SECRET, {".id": "budi", "last-logged-out": "now"})
    assert names(state, SECRET) == ["budi"]


def test_rename_to_an_existing_name_traps(state: RouterState) -> None:
    state.add(SECRET, {"name": "budi"})
    state.add(SECRET, {"name": "siti"})
    with pytest.raises(Trap, match="same name"):
        state.set(SECRET, {".id": "siti", "name": "budi"})
    state.set(SECRET, {".id": "siti", "name": "siti2"})
    assert names(state, SECRET) == ["budi", "siti2"]
    assert state.print(SECRET, {}, ("?name=siti2",))[0]["name"] == "siti2"
    assert state.print(SECRET, {}, ("?name=siti",)) == []


def test_ids_are_never_reused(state: RouterState) -> None:
    first = state.add(SECRET, {"name": "budi"})
    state.remove(SECRET, {".id": first})
    second = state.add(SECRET, {"name": "budi"})
    assert first != second


def test_remove_several_ids_is_all_or_nothing(state: RouterState) -> None:
    one = state.add(SECRET, {"name": "budi"})
    two = state.add(SECRET, {"name": "siti"})
    with pytest.raises(Trap, match="no such item"):
        state.remove(SECRET, {".id": f"{one},*77"})
    assert names(state, SECRET) == ["budi", "siti"]
    state.remove(SECRET, {".id": f"{one},{two}"})
    assert names(state, SECRET) == []


def test_profile_in_use_is_not_removed(state: RouterState) -> None:
    state.add(SECRET, {"name": "budi", "profile": "home-10m"})
    with pytest.raises(Trap, match="used by secret budi"):
        state.remove(PROFILE, {".id": "home-10m"})


def test_secrets_follow_a_profile_rename(state: RouterState) -> None:
    state.add(SECRET, {"name": "budi", "profile": "home-10m"})
    state.set(PROFILE, {".id": "home-10m", "name": "home-10mbps"})
    assert state.items(SECRET)[0]["profile"] == "home-10mbps"


def test_unset_returns_a_field_to_its_default(state: RouterState) -> None:
    state.add(SECRET, {"name": "budi", "profile": "home-10m", "remote-address": "10.0.0.5"})
    state.unset(SECRET, {".id": "budi", "value-name": "remote-address"})
    state.unset(SECRET, {".id": "budi", "value-name": "profile"})
    item = state.items(SECRET)[0]
    assert "remote-address" not in item
    assert item["profile"] == "default"
    with pytest.raises(Trap, match="unknown parameter nope"):
        state.unset(SECRET, {".id": "budi", "value-name": "nope"})


def test_enable_and_disable(state: RouterState) -> None:
    state.add(SECRET, {"name": "budi"})
    state.set_disabled(SECRET, {".id": "budi"}, disabled=True)
    assert state.items(SECRET)[0]["disabled"] == "true"
    state.set_disabled(SECRET, {".id": "budi"}, disabled=False)
    assert state.items(SECRET)[0]["disabled"] == "false"
    with pytest.raises(Trap, match="no such command"):
        state.set_disabled(PROFILE, {".id": "home-10m"}, disabled=True)


def test_sessions_are_read_only_over_the_api_and_survive_disable(state: RouterState) -> None:
    state.add(SECRET, {"name": "budi"})
    state.seed(ACTIVE, {"name": "budi", "address": "10.0.0.5"})
    with pytest.raises(Trap, match="no such command"):
        state.add(ACTIVE, {"name": "x"})
    state.set_disabled(SECRET, {".id": "budi"}, disabled=True)
    state.set(SECRET, {".id": "budi", "profile": "home-10m"})
    (session,) = state.items(ACTIVE)
    assert session["name"] == "budi"
    assert session["service"] == "pppoe"
    state.remove(ACTIVE, {".id": session[".id"]})
    assert state.items(ACTIVE) == []


def test_reboot_ends_sessions_and_keeps_configuration(state: RouterState) -> None:
    state.add(SECRET, {"name": "budi"})
    state.seed(ACTIVE, {"name": "budi"})
    state.reboot()
    assert state.items(ACTIVE) == []
    assert names(state, SECRET) == ["budi"]


def test_print_proplist_and_query(state: RouterState) -> None:
    state.add(SECRET, {"name": "budi", "profile": "home-10m"})
    state.add(SECRET, {"name": "siti", "disabled": "yes"})
    rows = state.print(SECRET, {".proplist": ".id,name"}, ("?disabled=true",))
    assert rows == [{".id": "*2", "name": "siti"}]
    with pytest.raises(Trap, match="unknown parameter bogus"):
        state.print(SECRET, {"bogus": ""}, ())


def test_dump_and_load_round_trip(state: RouterState) -> None:
    state.add(SECRET, {"name": "budi", "profile": "home-10m", "disabled": "yes"})
    state.add("/ip/pool", {"name": "pool-home", "ranges": "10.20.0.2-10.20.0.254"})
    snapshot = state.dump()
    copy = RouterState()
    copy.load(snapshot)
    assert copy.dump() == snapshot


def test_load_accepts_typed_yaml_values() -> None:
    state = RouterState()
    state.load(
        {
            "identity": "edge",
            "version": "7.18.2",
            "menus": {
                PROFILE: [{"name": "home", "only-one": True, "dns-server": ["8.8.8.8", "1.1.1.1"]}],
                SECRET: [{"name": "budi", "password": 123456, "profile": "home", "disabled": True}],
            },
        }
    )
    profile = state.print(PROFILE, {}, ("?name=home",))[0]
    assert profile["only-one"] == "yes"
    assert profile["dns-server"] == "8.8.8.8,1.1.1.1"
    secret = state.items(SECRET)[0]
    assert (secret["password"], secret["disabled"]) == ("123456", "true")
    assert state.identity == "edge"
    assert state.empty_replies


def test_load_refuses_a_secret_with_a_missing_profile() -> None:
    with pytest.raises(Trap, match="profile"):
        RouterState().load({"menus": {SECRET: [{"name": "budi", "profile": "ghost"}]}})


def test_uptime_and_version_helpers() -> None:
    assert format_uptime(0) == "0s"
    assert format_uptime(694861) == "1w1d1h1m1s"
    assert format_uptime(3600) == "1h"
    assert version_tuple("7.18") >= (7, 18) > version_tuple("7.16.2")
    assert version_tuple("7.19beta2 (testing)") == (7, 19)


def test_no_password_in_reprs(state: RouterState) -> None:
    from isk_reconcile.sim.sentences import parse_request

    state.add(SECRET, {"name": "budi", "password": "Rahasia-77"})
    request = parse_request(["/ppp/secret/add", "=name=siti", "=password=Rahasia-77"])
    assert "Rahasia-77" not in repr(request)
    assert "siti" in repr(request)
    assert "Rahasia-77" not in repr(state.tables[SECRET])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["add", "rename", "remove"]),
            st.sampled_from(["a", "b", "c", "d"]),
            st.sampled_from(["a", "b", "c", "d"]),
        ),
        max_size=40,
    )
)
def test_name_index_matches_a_simple_model(operations: list[tuple[str, str, str]]) -> None:
    """Random add/rename/remove sequences: lookups by name agree with a plain set of names,
    and the model says which operations the router refuses (a duplicate name, an unknown
    item); a refused one changes nothing."""
    state = RouterState()
    model: set[str] = set()
    seen_ids: set[str] = set()
    for operation, name, other in operations:
        if operation == "add":
            refused = name in model
        elif operation == "rename":
            refused = name not in model or (other in model and other != name)
        else:
            refused = name not in model
        try:
            if operation == "add":
                new_id = state.add(SECRET, {"name": name})
                assert new_id not in seen_ids  # ids are never reused
                seen_ids.add(new_id)
            elif operation == "rename":
                state.set(SECRET, {".id": name, "name": other})
            else:
                state.remove(SECRET, {".id": name})
        except Trap:
            assert refused, (operation, name, other, model)
        else:
            assert not refused, (operation, name, other, model)
            if operation == "add":
                model.add(name)
            elif operation == "rename":
                model.discard(name)
                model.add(other)
            else:
                model.discard(name)
        assert sorted(names(state, SECRET)) == sorted(model)
        for candidate in "abcd":
            found = state.print(SECRET, {}, (f"?name={candidate}",))
            assert [row["name"] for row in found] == ([candidate] if candidate in model else [])
