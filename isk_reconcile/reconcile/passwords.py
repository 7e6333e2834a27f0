"""PPPoE passwords for a plan or an apply: decrypted per router, keyed by customer id.

Only the passwords of secrets desired on the routers at hand are decrypted (each distinct
ciphertext once), so one bad ciphertext stops only its own router, with the customer
file named. Plaintexts live only in the returned dicts, never in a plan or a message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from isk_reconcile.billing.engine import Standing
from isk_reconcile.errors import IskError
from isk_reconcile.state import digestcache
from isk_reconcile.state.encryption import decrypt, load_identity
from isk_reconcile.state.model import State


def customer_file(customer_id: str) -> str:
    return f"state/customers/{customer_id}.yaml"


def decrypt_desired(
    state: State,
    wanted: Mapping[str, Standing],
    routers: Iterable[str],
    environ: Mapping[str, str],
) -> tuple[dict[str, str], dict[str, str]]:
    """The plaintext passwords of the secrets desired on `routers` (customer id ->
    plaintext), and the routers whose passwords could not all be decrypted (router ->
    error naming the customer file). Customers whose account must not exist (terminated,
    not started) and customers on other routers are not decrypted at all, so one bad
    ciphertext stops only its own router. A missing identity stops everything (IskError):
    it is not one customer's problem."""
    sources, router_of = _desired_sources(state, wanted, routers)
    plain, problems = resolve_each(sources, environ)
    return plain, _failures(problems, router_of)


def desired_digests(
    state: State,
    wanted: Mapping[str, Standing],
    routers: Iterable[str],
    environ: Mapping[str, str],
) -> tuple[dict[str, str], dict[str, str]]:
    """`decrypt_desired` for a plan, which only compares passwords: a password whose
    ciphertext the digest cache knows (state.digestcache) is a `SealedPassword` and is not
    decrypted; the others are decrypted (and learnt). The failures are the same."""
    sources, router_of = _desired_sources(state, wanted, routers)
    if not any(value.startswith("age:") for value in sources.values()):
        return decrypt_desired(state, wanted, routers, environ)
    identity = load_identity(environ)
    key = digestcache.digest_key(identity)
    known = digestcache.load(identity, key)
    sealed: dict[str, str] = {}
    used: dict[str, str] = {}
    rest: dict[str, str] = {}
    for customer_id, value in sources.items():
        hashed = digestcache.ciphertext_hash(value) if value.startswith("age:") else None
        if hashed is not None and hashed in known:
            used[hashed] = known[hashed]
            sealed[customer_id] = digestcache.SealedPassword(
                key, hashed, known[hashed], lambda value=value: decrypt(value, identity)
            )
        else:
            rest[customer_id] = value
    plain, problems = resolve_each(rest, environ)
    for customer_id, plaintext in plain.items():
        value = rest[customer_id]
        if value.startswith("age:"):
            hashed = digestcache.ciphertext_hash(value)
            used[hashed] = digestcache.password_digest(key, hashed, plaintext)
    if used != known:
        digestcache.save(identity, key, used)
    return {**plain, **sealed}, _failures(problems, router_of)


def _desired_sources(
    state: State, wanted: Mapping[str, Standing], routers: Iterable[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """(customer id -> stored password, customer id -> router) of the secrets desired on
    `routers`: not those whose account must not exist."""
    sources: dict[str, str] = {}
    router_of: dict[str, str] = {}
    for router in routers:
        for customer_id, customer in state.customers_by_router.get(router, ()):
            source = customer.pppoe.password
            standing = wanted.get(customer_id)
            if source is None or (standing is not None and standing.access == "absent"):
                continue
            sources[customer_id] = source
            router_of[customer_id] = router
    return sources, router_of


def _failures(problems: Mapping[str, str], router_of: Mapping[str, str]) -> dict[str, str]:
    """Router -> the first customer (by id) whose password did not decrypt, named."""
    failures: dict[str, str] = {}
    for customer_id in sorted(problems):
        failures.setdefault(
            router_of[customer_id],
            f"customer {customer_id} ({customer_file(customer_id)}): {problems[customer_id]}",
        )
    return failures


def decrypt_passwords(
    state: State, environ: Mapping[str, str], routers: Iterable[str] | None = None
) -> dict[str, str]:
    """Customer id -> plaintext PPPoE password for every customer (on `routers`) with one;
    the first failure is an IskError naming the customer file."""
    names = list(state.routers) if routers is None else list(routers)
    sources = {
        cid: customer.pppoe.password
        for name in names
        for cid, customer in state.customers_by_router.get(name, ())
        if customer.pppoe.password
    }
    plain, problems = resolve_each(sources, environ)
    if problems:
        first = min(problems)
        raise IskError(f"customer {first} ({customer_file(first)}): {problems[first]}")
    return plain


def resolve_each(
    sources: Mapping[str, str], environ: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """key -> stored password decrypted one by one: (plaintexts, key -> error). "age:..."
    is decrypted (each distinct value once); anything else is a plaintext the loader
    already allowed (secrets.allow_plaintext). The identity is loaded only when needed."""
    plain: dict[str, str] = {}
    problems: dict[str, str] = {}
    by_value: dict[str, str | IskError] = {}
    identity = None
    for key, value in sources.items():
        if not value.startswith("age:"):
            plain[key] = value
            continue
        if value not in by_value:
            if identity is None:
                identity = load_identity(environ)
            try:
                by_value[value] = decrypt(value, identity)
            except IskError as problem:
                by_value[value] = problem
        outcome = by_value[value]
        if isinstance(outcome, IskError):
            problems[key] = str(outcome)
        else:
            plain[key] = outcome
    return plain, problems


def resolve_sources(sources: Iterable[str], environ: Mapping[str, str]) -> dict[str, str]:
    """Stored password value -> plaintext for the values that decrypt (a value that does
    not is left out: the write that needs it fails with the customer named)."""
    unique = {value: value for value in sources}
    return resolve_each(unique, environ)[0]
