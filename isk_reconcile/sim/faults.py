"""Fault injection for tests: what the network or the router should get wrong."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class Faults:
    """Mutable at any time, also while clients are connected.

    latency_ms: added before each reply, per command (a WAN round trip). Each reply is
        sent that long after its command arrived, so pipelined commands overlap.
    drop_after_writes: once the router has answered this many successful write
        commands (add/set/remove/unset/enable/disable, all connections together), the
        next write is not applied and not answered: its connection is closed instead.
        One-shot: the field goes back to None when it fires, so a retry can converge.
    trap_on: command -> trap message. "/ppp/secret/add" traps every add there;
        "/ppp/secret/add budi" only the one whose target is named budi (the `name`
        attribute, else the item `.id` refers to). The command is not applied. Any
        command can be trapped, `/login` included.
    hold: an Event; while it is not set, the answer to every `print` is held back (the
        print has run and is counted; its connection reads nothing more). Tests set it
        once every router has asked, which proves routers are read at once, not one
        after another or in waves, without timing anything.
    """

    latency_ms: float = 0.0
    drop_after_writes: int | None = None
    trap_on: dict[str, str] = field(default_factory=dict)
    hold: threading.Event | None = None
