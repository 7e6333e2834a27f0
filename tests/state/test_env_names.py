"""Variables a repository may name for RADIUS credentials: only isk's own (a PR could
otherwise point them at the age identity or a gateway token of the CI job)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from isk_reconcile.state.routers import Router
from isk_reconcile.state.settings import RadiusSettings


@pytest.mark.parametrize(
    "name", ["ISK_AGE_IDENTITY", "ISK_NOTIFY_FONNTE_TOKEN", "PATH", "isk_radius_dsn"]
)
def test_the_store_connection_string_comes_only_from_an_isk_radius_variable(name: str) -> None:
    with pytest.raises(ValidationError, match="ISK_RADIUS_"):
        RadiusSettings(dsn_env=name)
    assert RadiusSettings(dsn_env="ISK_RADIUS_DSN_PRIMARY").dsn_env == "ISK_RADIUS_DSN_PRIMARY"


@pytest.mark.parametrize("name", ["ISK_AGE_IDENTITY", "ISK_MIDTRANS_SERVER_KEY", "HOME"])
def test_a_radius_shared_secret_comes_only_from_a_router_or_radius_variable(name: str) -> None:
    with pytest.raises(ValidationError, match="ISK_"):
        Router(name="r1", host="127.0.0.1", radius_secret_env=name)
    for good in ("ISK_ROUTER_R1_RADIUS_SECRET", "ISK_RADIUS_SECRET"):
        assert Router(name="r1", host="127.0.0.1", radius_secret_env=good).radius_secret_env == good
