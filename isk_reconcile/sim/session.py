"""One API connection's conversation: login, then commands against the router state.

Turns a `Request` into the reply sentences and what the connection must do next
(keep going, close, drop without answering, reboot the router). Fault injection
happens here, because it is about which answer a command gets.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from isk_reconcile.sim.errors import Trap
from isk_reconcile.sim.menus import IDENTITY, RESOURCE
from isk_reconcile.sim.sentences import (
    Request,
    done_sentence,
    empty_sentence,
    fatal_sentence,
    re_sentence,
    trap_sentence,
)
from isk_reconcile.sim.state import parse_id

if TYPE_CHECKING:
    from isk_reconcile.sim.server import SimulatedRouter

LOG = logging.getLogger("isk_reconcile.sim")
WRITE_VERBS = frozenset({"add", "set", "remove", "unset", "enable", "disable"})
BAD_LOGIN = "invalid user name or password (6)"
NOT_LOGGED_IN = "not logged in"


def legacy_response(password: str, challenge: bytes) -> str:
    """The pre-6.43 login answer: "00" + md5(0x00 + password + challenge)."""
    digest = hashlib.md5(b"\x00" + password.encode() + challenge, usedforsecurity=False)
    return "00" + digest.hexdigest()


@dataclass
class Outcome:
    sentences: list[list[str]] = field(default_factory=list)
    then: str = ""  # "" | "close" (after the reply) | "drop" (no reply) | "reboot"


class ApiSession:
    def __init__(self, router: SimulatedRouter):
        self.router = router
        self.user: str | None = None
        self._challenge: bytes | None = None

    def handle(self, request: Request) -> Outcome:
        tag = request.tag
        router = self.router
        with router.lock:
            router.counters[request.command] += 1
            injected = self._injected_trap(request)
        if self.user is None and request.command != "/login":
            return Outcome([trap_sentence(NOT_LOGGED_IN, None, tag), done_sentence(tag)])
        if injected is not None and not self._dropping(request):
            return Outcome([trap_sentence(injected, None, tag), done_sentence(tag)])
        if request.command == "/login":
            return self._login(request)
        if request.command == "/quit":
            return Outcome([fatal_sentence("session terminated on request")], then="close")
        if request.command == "/system/reboot":
            return Outcome(then="reboot")
        try:
            with router.lock:
                return self._command(request)
        except Trap as trap:
            return Outcome([trap_sentence(trap.message, trap.category, tag), done_sentence(tag)])

    # ----------------------------------------------------------------- login
    def _login(self, request: Request) -> Outcome:
        tag = request.tag
        name = request.attrs.get("name")
        if name is None:
            self._challenge = secrets.token_bytes(16)
            return Outcome([done_sentence(tag, ret=self._challenge.hex())])
        users = self.router.users
        accepted = False
        if name in users:
            password = users[name]
            if "password" in request.attrs:
                accepted = password is None or secrets.compare_digest(
                    request.attrs["password"].encode(), password.encode()
                )
            elif "response" in request.attrs and self._challenge is not None:
                accepted = password is None or secrets.compare_digest(
                    request.attrs["response"], legacy_response(password, self._challenge)
                )
        self._challenge = None
        if not accepted:
            LOG.info("%s: login refused for user %r", self.router.identity, name)
            return Outcome([trap_sentence(BAD_LOGIN, None, tag), done_sentence(tag)])
        self.user = name
        return Outcome([done_sentence(tag)])

    # ----------------------------------------------------------------- commands
    def _command(self, request: Request) -> Outcome:
        """Runs under the router lock: state, counters and faults change together."""
        router = self.router
        faults = router.faults
        tag = request.tag
        verb = request.verb
        if self._dropping(request):
            faults.drop_after_writes = None  # one-shot, so that a retry can converge
            return Outcome(then="drop")
        state = router.state
        menu = request.menu
        if verb in ("print", "getall"):
            rows = state.print(menu, request.attrs, request.queries)
            if "count-only" in request.attrs:
                return Outcome([done_sentence(tag, ret=str(len(rows)))])
            sentences = [re_sentence(row, tag) for row in rows]
            if not rows and state.empty_replies:
                sentences.append(empty_sentence(tag))
            sentences.append(done_sentence(tag))
            return Outcome(sentences)
        ret: str | None = None
        if (menu in (IDENTITY, RESOURCE) or menu in state.singletons) and verb != "set":
            raise Trap("no such command", 0)
        if verb == "add":
            ret = state.add(menu, request.attrs)
        elif verb == "set":
            state.set(menu, request.attrs)
        elif verb == "remove":
            state.remove(menu, request.attrs)
        elif verb in ("enable", "disable"):
            state.set_disabled(menu, request.attrs, disabled=verb == "disable")
        elif verb == "unset":
            state.unset(menu, request.attrs)
        else:
            raise Trap("no such command", 0)
        router.writes += 1
        return Outcome([done_sentence(tag, ret=ret)])

    def _dropping(self, request: Request) -> bool:
        """Whether `drop_after_writes` takes this command (it wins over an injected trap)."""
        limit = self.router.faults.drop_after_writes
        return request.verb in WRITE_VERBS and limit is not None and self.router.writes >= limit

    def _injected_trap(self, request: Request) -> str | None:
        trap_on = self.router.faults.trap_on
        if not trap_on:
            return None
        if request.command in trap_on:
            return trap_on[request.command]
        if ".id" in request.attrs:
            target = self._name_of(request.menu, request.attrs[".id"])
        else:
            target = request.attrs.get("name")
        if target is not None:
            return trap_on.get(f"{request.command} {target}")
        return None

    def _name_of(self, menu: str, reference: str) -> str | None:
        table = self.router.state.tables.get(menu)
        number = parse_id(reference.split(",")[0])
        if table is None or number is None or number not in table.items:
            return None
        return table.items[number].get("name")
