"""Loading the state repository: the example ISP, error collection, merging, the parse cache."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from isk_reconcile.errors import IskError, ValidationFailed
from isk_reconcile.state import statecache
from isk_reconcile.state.loader import ledger_warnings, load_settings, load_state
from isk_reconcile.state.model import State
from isk_reconcile.state.parsecache import CACHE_FORMAT, cache_file
from isk_reconcile.state.settings import Settings
from tests.helpers import BAD_INPUTS
from tests.helpers.isp import customer, write_repo

BASE = BAD_INPUTS / "_base"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A private copy of the minimal valid repo of the bad-input corpus."""
    target = tmp_path / "repo"
    shutil.copytree(BASE, target, ignore=shutil.ignore_patterns(".isk-cache"))
    return target


def write(repo: Path, relative: str, text: str) -> None:
    (repo / relative).parent.mkdir(parents=True, exist_ok=True)
    (repo / relative).write_text(text)


def errors_of(repo: Path) -> list[str]:
    with pytest.raises(ValidationFailed) as failed:
        load_state(repo)
    return [str(error) for error in failed.value.errors]


# --- the example ISP --------------------------------------------------------------------


def test_example_repo_loads_with_locations(example_repo: Path) -> None:
    state = load_state(example_repo)
    assert len(state.routers) >= 2 and len(state.profiles) >= 2
    assert len(state.customers) >= 20 and len(state.ledger) >= 100
    for name in state.routers:
        assert state.loc("router", name).file == "state/routers.yaml"
    for name in state.profiles:
        assert state.loc("profile", name).file == f"state/profiles/{name}.yaml"
    for customer_id in state.customers:
        assert state.loc("customer", customer_id).file == f"state/customers/{customer_id}.yaml"
    for entry in state.ledger:
        loc = state.loc("ledger", entry.id)
        line = (example_repo / loc.file).read_text().splitlines()[loc.line - 1]
        assert entry.id in line  # the located line is the entry's "- id:" line


def test_example_repo_passwords_are_all_encrypted(example_repo: Path) -> None:
    state = load_state(example_repo)
    passwords = [c.pppoe.password for c in state.customers.values() if c.pppoe.password]
    assert passwords and all(p.startswith("age:") for p in passwords)


# --- all errors, located --------------------------------------------------------------------


def test_every_error_is_collected_across_files(repo: Path) -> None:
    write(repo, "state/profiles/home-10m.yaml", "price: 150000\nrate_limt: 10M/10M\n")
    write(
        repo,
        "payments/2026-02.yaml",
        "- id: P-1\n  customer: nobody\n  amount: 10\n  date: 2026-02-01\n  method: cash\n",
    )
    text = (repo / "state/customers/siti.yaml").read_text()
    write(repo, "state/customers/siti.yaml", text.replace("router: edge", "router: edgy"))
    errors = errors_of(repo)
    assert any(
        e.startswith("state/profiles/home-10m.yaml:2:1: rate_limt: unknown key") for e in errors
    )
    assert any(
        e.startswith("payments/2026-02.yaml:2:13: P-1.customer: unknown customer") for e in errors
    )
    assert any(
        e.startswith("state/customers/siti.yaml:3:9: router: unknown router 'edgy'") for e in errors
    )


def test_missing_routers_file_is_not_a_repo(tmp_path: Path) -> None:
    with pytest.raises(IskError, match="not a state repository"):
        load_state(tmp_path)


def test_a_missing_key_points_at_its_parent_key(repo: Path) -> None:
    text = (repo / "state/customers/budi.yaml").read_text()
    write(repo, "state/customers/budi.yaml", text.split("pppoe:")[0] + "pppoe:\n  service: pppoe\n")
    assert errors_of(repo) == [
        "state/customers/budi.yaml:6:1: pppoe.password: missing PPPoE password "
        '(add pppoe.password: "age:..." (from `isk secrets encrypt`), '
        "or adopt: true to keep the router's password)"
    ]


def test_adopted_customer_needs_no_password(repo: Path) -> None:
    text = (repo / "state/customers/budi.yaml").read_text()
    write(repo, "state/customers/budi.yaml", text.split("pppoe:")[0] + "adopt: true\n")
    assert load_state(repo).customers["budi"].pppoe.password is None


def test_plaintext_password_allowed_by_settings_is_kept(repo: Path) -> None:
    settings = (repo / "state/settings.yaml").read_text()
    write(repo, "state/settings.yaml", settings + "  allow_plaintext: true\n")
    text = (repo / "state/customers/budi.yaml").read_text()
    write(repo, "state/customers/budi.yaml", text.split("pppoe:")[0] + 'pppoe:\n  password: "x1"\n')
    assert load_state(repo).customers["budi"].pppoe.password == "x1"


# --- values: dated, dates, merges ----------------------------------------------------------


def test_plain_and_dated_values(repo: Path) -> None:
    write(
        repo,
        "state/profiles/home-10m.yaml",
        "price:\n  - {from: 2025-01-01, value: 150000}\n  - {from: '2027-01-01', value: 165000}\n",
    )
    text = (repo / "state/customers/budi.yaml").read_text()
    text = text.replace(
        "profile: home-10m",
        "profile:\n  - {from: 2026-01-15, value: home-10m}\n"
        "  - {from: 2026-06-01, value: home-20m}",
    )
    write(repo, "state/customers/budi.yaml", text)
    write(repo, "state/profiles/home-20m.yaml", "price: 200000\n")
    state = load_state(repo)
    price = state.profiles["home-10m"].price
    assert price is not None
    assert price.at(date(2026, 12, 31)) == 150000 and price.at(date(2027, 1, 1)) == 165000
    budi = state.customers["budi"]
    assert budi.profile_on(date(2026, 5, 31)) == "home-10m"
    assert budi.profile_on(date(2026, 6, 1)) == "home-20m"
    siti = state.customers["siti"]
    assert siti.profile.changes[0].from_ == siti.start  # a plain profile starts on `start`
    assert siti.price is not None and siti.price.changes[0].from_ == date.min


def test_quoted_iso_date_is_accepted(repo: Path) -> None:
    text = (repo / "state/customers/budi.yaml").read_text()
    write(
        repo, "state/customers/budi.yaml", text.replace("start: 2026-01-15", 'start: "2026-01-15"')
    )
    assert load_state(repo).customers["budi"].start == date(2026, 1, 15)


def test_router_override_merges_over_settings(repo: Path) -> None:
    settings = (repo / "state/settings.yaml").read_text()
    settings = settings.replace(
        "  isolate_profile: isolir\n", "  isolate_profile: isolir\n  disconnect: false\n"
    )
    write(repo, "state/settings.yaml", settings)
    state = load_state(repo)
    edge = state.suspend_for("edge")  # routers.yaml sets only mode: isolate
    assert (edge.mode, edge.isolate_profile, edge.disconnect) == ("isolate", "isolir", False)
    assert state.suspend_for("core").mode == "disable"
    assert state.safety_for("edge") == state.settings.safety


def test_ledger_warnings_for_entries_after_as_of(repo: Path) -> None:
    state = load_state(repo)
    assert ledger_warnings(state, date(2026, 1, 31)) == []
    warnings = ledger_warnings(state, date(2026, 1, 16))
    assert [(str(w.loc), w.field, w.severity) for w in warnings] == [
        ("payments/2026-01.yaml:7:1", "P-2026-01-0002.date", "warning")
    ]


def test_load_settings_defaults_without_a_file(tmp_path: Path) -> None:
    assert load_settings(tmp_path) == Settings()


# --- the parse cache ------------------------------------------------------------------------


def parse_cache_only(repo: Path) -> State:
    """load_state served by the parse cache (the validated-state cache is dropped first)."""
    statecache.state_cache_file(repo).unlink(missing_ok=True)
    return load_state(repo)


def test_cache_is_written_and_reused_by_content(repo: Path) -> None:
    first = parse_cache_only(repo)
    pack = cache_file(repo)
    assert pack.is_file() and not pack.is_relative_to(repo.resolve())
    assert parse_cache_only(repo) == first
    # Prove a hit is served from the cache: plant different data under budi.yaml's digest.
    digest = hashlib.sha256((repo / "state/customers/budi.yaml").read_bytes()).hexdigest()
    document = json.loads(pack.read_text())
    document["entries"][digest][0]["name"] = "From The Cache"
    pack.write_text(json.dumps(document))
    assert parse_cache_only(repo).customers["budi"].name == "From The Cache"
    # Changed content is a different key: the file is parsed again.
    text = (repo / "state/customers/budi.yaml").read_text()
    write(repo, "state/customers/budi.yaml", text.replace("Budi Santoso", "Budi S."))
    assert parse_cache_only(repo).customers["budi"].name == "Budi S."


def test_plain_payments_files_are_read_again_not_kept_in_the_cache(example_repo: Path) -> None:
    """A payments file of the plain shape is read again by the fast reader (about what
    decoding a cache entry costs; writing 123,000 entries cost more than both); customer
    files, and a payments file only parse_yaml reads, are kept. Either way the same State."""
    expected = load_state(example_repo, cache=False)
    odd = sorted((example_repo / "payments").glob("*.yaml"))[0]
    odd.write_bytes(odd.read_bytes() + b"...\n")  # a document end: parse_yaml's to read
    assert parse_cache_only(example_repo) == expected

    def cached(relative_paths: list[Path]) -> list[bool]:
        entries = json.loads(cache_file(example_repo).read_text())["entries"]
        return [hashlib.sha256(path.read_bytes()).hexdigest() in entries for path in relative_paths]

    payments = sorted((example_repo / "payments").glob("*.yaml"))
    assert len(payments) > 3 and cached(payments) == [path == odd for path in payments]
    assert all(cached(sorted((example_repo / "state/customers").glob("*.yaml"))))
    assert parse_cache_only(example_repo) == expected


def test_a_file_changed_after_the_fingerprint_is_not_remembered_under_its_old_hash(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The state cache is keyed by the hashes taken before loading; a file that changed
    before it was read makes a State of other content: it is not cached under them."""
    fingerprint = statecache.fingerprint

    def then_edited(root: Path) -> dict[str, str]:
        before = fingerprint(root)
        budi = root / "state/customers/budi.yaml"
        budi.write_text(budi.read_text().replace("Budi Santoso", "Budi Later"))
        return before

    with monkeypatch.context() as patched:  # (undo() would drop the test's XDG_CACHE_HOME)
        patched.setattr(statecache, "fingerprint", then_edited)
        assert load_state(repo).customers["budi"].name == "Budi Later"
    assert not statecache.state_cache_file(repo).exists()
    with pytest.raises(statecache.Miss):
        statecache.load(repo, statecache.fingerprint(repo))
    assert load_state(repo).customers["budi"].name == "Budi Later"
    assert statecache.load(repo, statecache.fingerprint(repo)).customers["budi"].name == (
        "Budi Later"
    )


def test_corrupt_or_old_cache_is_ignored(repo: Path) -> None:
    pack = cache_file(repo)
    pack.parent.mkdir(parents=True)
    pack.write_bytes(b"not json")
    assert "budi" in parse_cache_only(repo).customers
    assert json.loads(pack.read_text())["format"] == CACHE_FORMAT
    pack.write_text(json.dumps({"format": "isk-parse-cache/0", "entries": {}}))
    assert "budi" in parse_cache_only(repo).customers
    assert json.loads(pack.read_text())["format"] == CACHE_FORMAT


def test_errors_are_located_the_same_from_the_cache(repo: Path) -> None:
    write(repo, "state/profiles/home-10m.yaml", "price: 150000\nprice: 1\nrate_limit: 10/10 x\n")
    cold = errors_of(repo)
    warm = errors_of(repo)
    assert cold == warm
    assert (
        "state/profiles/home-10m.yaml:2:1: price: duplicate key 'price' "
        "(first written on line 1) (remove one of them)" in warm
    )
    assert any(e.startswith("state/profiles/home-10m.yaml:3:13: rate_limit:") for e in warm)


def test_cached_errors_follow_a_renamed_file(repo: Path) -> None:
    bad = "price: 1\nprice: 2\n"
    write(repo, "state/profiles/a.yaml", bad)
    assert any(e.startswith("state/profiles/a.yaml:2:1") for e in errors_of(repo))
    (repo / "state/profiles/a.yaml").rename(repo / "state/profiles/b.yaml")
    errors = errors_of(repo)
    assert any(e.startswith("state/profiles/b.yaml:2:1") for e in errors)
    assert not any("a.yaml" in e for e in errors)


def test_messages_for_nested_and_typed_mistakes(repo: Path) -> None:
    write(
        repo,
        "state/profiles/home-10m.yaml",
        'price:\n  - {from: 2026-01-01, value: "150000", note: x}\n'
        'only_one: "yes"\ndns_server: 8.8.8.8\n',
    )
    settings = (repo / "state/settings.yaml").read_text()
    write(repo, "state/settings.yaml", settings.replace("  cycle: monthly", "  cylce: monthly"))
    text = (repo / "state/customers/budi.yaml").read_text()
    write(
        repo, "state/customers/budi.yaml", text.replace("router: core", "router: core\nstatus: no")
    )
    assert errors_of(repo) == [
        "state/customers/budi.yaml:4:9: status: no was read as a boolean; expected 'active', "
        "'suspended', 'free' or 'terminated' (quote it: status: \"no\")",
        "state/profiles/home-10m.yaml:2:31: price[0].value: '150000' is text, not a number "
        "(remove the quotes)",
        "state/profiles/home-10m.yaml:2:41: price[0].note: unknown key 'note' "
        "(allowed: from, value)",
        "state/profiles/home-10m.yaml:3:11: only_one: 'yes' is text, not true/false "
        "(write true or false without quotes)",
        "state/profiles/home-10m.yaml:4:13: dns_server: must be a list, not text "
        "(write a list: [8.8.8.8])",
        "state/settings.yaml:3:3: billing.cylce: unknown key 'cylce' (did you mean 'cycle'?)",
    ]


def test_state_is_read_only(repo: Path) -> None:
    state = load_state(repo)
    with pytest.raises(TypeError):
        state.customers["x"] = state.customers["budi"]  # type: ignore[index]
    with pytest.raises(TypeError):
        state.locations[("customer", "x")] = state.loc("customer", "budi")  # type: ignore[index]
    with pytest.raises(ValidationError, match="frozen"):
        state.customers["budi"].name = "changed"


# --- review fixes: prices billing can find, time zones, all errors at once ----------------


def test_a_profile_priced_only_after_the_customer_takes_it_is_an_error(repo: Path) -> None:
    write(repo, "state/profiles/home-20m.yaml", "price:\n  - {from: 2026-05-01, value: 200000}\n")
    text = (repo / "state/customers/budi.yaml").read_text()
    write(
        repo,
        "state/customers/budi.yaml",
        text.replace(
            "profile: home-10m",
            "profile:\n  - {from: 2026-01-15, value: home-10m}\n"
            "  - {from: 2026-03-01, value: home-20m}",
        ),
    )
    assert errors_of(repo) == [
        "state/customers/budi.yaml:7:31: profile[1].value: no price on 2026-03-01, when the "
        "customer takes profile 'home-20m': the profile is priced only from 2026-05-01 "
        "(date the first price of state/profiles/home-20m.yaml on or before 2026-03-01, "
        "or give the customer a price from 2026-03-01)"
    ]
    # The customer's own price from that day covers the gap (billing uses it first) ...
    write(
        repo,
        "state/customers/budi.yaml",
        (repo / "state/customers/budi.yaml").read_text()
        + "price:\n  - {from: 2026-01-15, value: 100000}\n",
    )
    assert load_state(repo).customers["budi"].price is not None
    # ... and so does the profile's own price starting on the day the customer takes it.
    write(repo, "state/profiles/home-20m.yaml", "price:\n  - {from: 2026-03-01, value: 200000}\n")
    text = (repo / "state/customers/budi.yaml").read_text()
    write(repo, "state/customers/budi.yaml", text.split("price:")[0])
    assert load_state(repo).customers["budi"].profile_on(date(2026, 3, 1)) == "home-20m"


def test_a_late_own_price_on_an_unsellable_profile_points_at_the_price(repo: Path) -> None:
    text = (repo / "state/customers/budi.yaml").read_text()
    text = text.replace("profile: home-10m", "profile: isolir")
    write(
        repo,
        "state/customers/budi.yaml",
        text + "price:\n  - {from: 2026-02-01, value: 1000}\n",
    )
    assert errors_of(repo) == [
        "state/customers/budi.yaml:9:12: price[0].from: no price on 2026-01-15: profile "
        "'isolir' has no price and the customer's own price starts only on 2026-02-01 "
        "(make it from: 2026-01-15)"
    ]


def test_no_price_needed_when_never_billed(repo: Path) -> None:
    write(repo, "state/profiles/home-20m.yaml", "price:\n  - {from: 2026-05-01, value: 200000}\n")
    text = (repo / "state/customers/budi.yaml").read_text()
    later = text.replace(
        "profile: home-10m",
        "profile:\n  - {from: 2026-01-15, value: home-10m}\n"
        "  - {from: 2026-03-01, value: home-20m}",
    )
    # Terminated before the unpriced days: those days are never billed.
    write(repo, "state/customers/budi.yaml", later + "status: terminated\nend: 2026-02-28\n")
    assert load_state(repo).customers["budi"].end == date(2026, 2, 28)
    # Free: never billed at all.
    write(repo, "state/customers/budi.yaml", later + "status: free\n")
    assert load_state(repo).customers["budi"].status == "free"
    # Terminated on the first unpriced day: that day's period would be billed.
    write(repo, "state/customers/budi.yaml", later + "status: terminated\nend: 2026-03-01\n")
    assert any("no price on 2026-03-01" in e for e in errors_of(repo))


def test_unknown_time_zone_is_a_located_error(repo: Path) -> None:
    settings = (repo / "state/settings.yaml").read_text()
    write(repo, "state/settings.yaml", settings.replace("Asia/Jakarta", "Asia/Jakarata"))
    assert errors_of(repo) == [
        "state/settings.yaml:1:11: timezone: unknown time zone 'Asia/Jakarata' "
        "(did you mean Asia/Jakarta?)"
    ]
    with pytest.raises(ValidationFailed):
        load_settings(repo)


def test_a_customer_failing_its_model_still_gets_its_other_checks(repo: Path) -> None:
    text = (repo / "state/customers/budi.yaml").read_text()
    password = text.split("password: ")[1]
    write(
        repo,
        "state/customers/budi.yaml",
        "name: Budi\nrouter: edgy\nstart: 2026-01-15\nprofile: home-10mm\n"
        'pppoe:\n  username: 2024\n  password: "age:not base64"\n',
    )
    write(
        repo,
        "state/customers/agus.yaml",
        "name: 12\nrouter: edge\nstart: 2026-01-15\nprofile: home-10m\n"
        f"pppoe:\n  username: siti\n  password: {password}",
    )
    assert errors_of(repo) == [
        "state/customers/agus.yaml:1:7: name: 12 was read as a number, not text "
        '(quote it: name: "12")',
        "state/customers/budi.yaml:2:9: router: unknown router 'edgy' (did you mean 'edge'?)",
        "state/customers/budi.yaml:4:10: profile: unknown profile 'home-10mm' "
        "(did you mean 'home-10m'?)",
        "state/customers/budi.yaml:6:13: pppoe.username: 2024 was read as a number, not text "
        '(quote it: username: "2024")',
        "state/customers/budi.yaml:7:13: pppoe.password: the text after 'age:' is not valid "
        "base64 (encrypt it again with `isk secrets encrypt`)",
        "state/customers/siti.yaml:1:1: pppoe.username: PPPoE username 'siti' on router 'edge' "
        "is also used by customer 'agus' (state/customers/agus.yaml:6:13) "
        "(usernames must be unique per router)",
    ]


def test_values_the_router_would_refuse_are_caught_at_validate_time(repo: Path) -> None:
    settings = (repo / "state/settings.yaml").read_text()
    write(repo, "state/settings.yaml", settings + "comment_prefix: 'isk net'\n")
    write(
        repo,
        "state/profiles/home-10m.yaml",
        "price: 150000\nrate_limit: 1.5/1.5\nrouteros:\n  on-up: ':log info up'\n"
        "  only-one: 'yes'\n  change_tcp_mss: 'yes'\n",
    )
    text = (repo / "state/customers/budi.yaml").read_text()
    write(
        repo,
        "state/customers/budi.yaml",
        text.replace("pppoe:\n", "end: 2026-12-31\npppoe:\n  service: pppoa\n"),
    )
    errors = errors_of(repo)
    assert errors == [
        "state/customers/budi.yaml:6:6: end: end is only for terminated customers (status is "
        "active) (to stop the service, set status: terminated (a future end schedules it); "
        "else remove end)",
        "state/customers/budi.yaml:8:12: pppoe.service: 'pppoa' is not one of 'any', 'async', "
        "'l2tp', 'ovpn', 'pppoe', 'pptp' or 'sstp'",
        "state/profiles/home-10m.yaml:2:13: rate_limit: '1.5/1.5' is not a RouterOS rate-limit "
        "(rate '1.5' is not a whole number; e.g. 10M/10M, or 10M/10M 20M/20M 8M/8M 16/16 8 "
        "5M/5M)",
        "state/profiles/home-10m.yaml:5:3: routeros.only-one: 'only-one' is managed by isk, "
        "not a passthrough key (use only_one instead)",
        "state/profiles/home-10m.yaml:6:3: routeros.change_tcp_mss: 'change_tcp_mss' is not a "
        "RouterOS /ppp/profile property name (RouterOS property names are lower-case words "
        "joined by '-': change-tcp-mss)",
        "state/settings.yaml:12:17: comment_prefix: comment_prefix 'isk net' must match "
        "^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$ (a short word without ':' or spaces, such as isk "
        "(comments read 'isk:...'))",
    ]


def test_explicit_str_tag_is_text_and_a_refused_tag_is_one_error(repo: Path) -> None:
    text = (repo / "state/customers/budi.yaml").read_text()
    write(
        repo,
        "state/customers/budi.yaml",
        text.replace("pppoe:\n", "pppoe:\n  username: !!str 0123\n"),
    )
    assert load_state(repo).customers["budi"].username == "0123"
    write(
        repo,
        "state/customers/budi.yaml",
        text.replace("name: Budi Santoso", "name: !custom Budi"),
    )
    assert errors_of(repo) == [
        "state/customers/budi.yaml:1:7: name: unsupported YAML tag !custom "
        "(only plain YAML values are allowed; to force text, quote it or write !!str)"
    ]


def test_valid_settings_keys_still_count_when_another_key_fails(repo: Path) -> None:
    # allow_plaintext: true must still hold while the time zone is wrong, or every
    # plaintext password would be reported too (an error that is not there).
    settings = (repo / "state/settings.yaml").read_text()
    settings = settings.replace("Asia/Jakarta", "Asia/Jakarata") + "  allow_plaintext: true\n"
    write(repo, "state/settings.yaml", settings)
    text = (repo / "state/customers/budi.yaml").read_text()
    write(repo, "state/customers/budi.yaml", text.split("pppoe:")[0] + 'pppoe:\n  password: "x1"\n')
    assert errors_of(repo) == [
        "state/settings.yaml:1:11: timezone: unknown time zone 'Asia/Jakarata' "
        "(did you mean Asia/Jakarta?)"
    ]


def test_a_name_or_id_key_is_an_error_the_file_name_wins(repo: Path) -> None:
    for relative, key in (
        ("state/profiles/home-10m.yaml", "name"),
        ("state/customers/budi.yaml", "id"),
    ):
        text = (repo / relative).read_text()
        write(repo, relative, f"{key}: other\n{text}")
    assert errors_of(repo) == [
        "state/customers/budi.yaml:1:1: id: a customer's id is its file name (remove this key)",
        "state/profiles/home-10m.yaml:1:1: name: a profile's name is its file name "
        "(remove this key)",
    ]


# --- YAML traps around passwords and caller ids --------------------------------------------


def test_broken_yaml_around_a_password_never_echoes_it(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"ok": customer("Ok")}, settings={"secrets": {}})
    documents = {
        "t5": 'pppoe:\n  password: "SuperSecret99\n  username: t5\n',
        "t6": "pppoe:\n  password: Secret: 77\n",
        "t7": "pppoe:\n  password: [SecretList]\n",
        "t8": "pppoe:\n  password: plainSecretText\n",
    }
    head = "name: T\nrouter: r1\nstart: 2026-01-01\nprofile: home-10m\n"
    for cid, body in documents.items():
        (root / "state" / "customers" / f"{cid}.yaml").write_text(head + body)
    with pytest.raises(ValidationFailed) as failed:
        load_state(root, cache=False)
    shown = "\n".join(str(error) for error in failed.value.errors)
    assert {e.loc.file for e in failed.value.errors} >= {
        f"state/customers/{cid}.yaml" for cid in documents
    }
    for secret in ("SuperSecret99", "Secret: 77", "SecretList", "plainSecretText"):
        assert secret not in shown


def test_sexagesimal_caller_id_is_a_yaml_trap(tmp_path: Path) -> None:
    """YAML 1.1 reads 10:20:30:40:50:11 as a base-60 integer."""
    root = write_repo(
        tmp_path, {"a": customer("A", pppoe={"caller_id": "placeholder"})}, settings={}
    )
    path = root / "state" / "customers" / "a.yaml"
    path.write_text(path.read_text().replace("placeholder", "10:20:30:40:50:11"))
    with pytest.raises(ValidationFailed) as failed:
        load_state(root, cache=False)
    (error,) = failed.value.errors
    assert error.field == "pppoe.caller_id"
    assert "quote it" in error.hint or "quote it" in error.message
