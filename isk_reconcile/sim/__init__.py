"""A RouterOS API simulator: a real TCP server for the tests and the demo (SPEC §8).

    with SimulatedRouter(identity="core-kudus", users={"isk-api": "s3cret"}) as sim:
        librouteros.connect(sim.host, "isk-api", "s3cret", port=sim.port)

See docs/simulator.md for the behaviour it models and the test controls.
"""

from isk_reconcile.sim.errors import Trap
from isk_reconcile.sim.faults import Faults
from isk_reconcile.sim.repo import serve_repo
from isk_reconcile.sim.server import SimulatedRouter

__all__ = ["Faults", "SimulatedRouter", "Trap", "serve_repo"]
