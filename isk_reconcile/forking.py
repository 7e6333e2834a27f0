"""Work done by a forked child while this process does something else (issue 12).

A few steps of a command are pure Python that holds the interpreter lock the whole time
(decoding the state cache, billing 10,000 customers): threads cannot run beside them,
a second process can. `Helper` forks a child that computes one value and sends it back
as JSON through a pipe, then leaves without running anything of the parent's.

It is only ever a shortcut. No helper is started with one CPU, without `fork`, or with
another thread running (a fork copies only the calling thread; a lock another thread
held would never be released in the child). And whatever goes wrong on the child's side
(it fails, dies, sends what is not JSON, or misses its deadline) makes `result` None:
the caller then computes the value itself. A caller checks what it receives as it would
check any file it reads.
"""

from __future__ import annotations

import json
import os
import select
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

CHUNK = 1 << 20


def may_fork() -> bool:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return hasattr(os, "fork") and (cpus or 1) > 1 and threading.active_count() == 1


class Helper:
    """A forked child computing `work()`; `result` waits for it, `close` reaps it (and
    stops it first when it is still running). Use it as a context manager."""

    def __init__(self, child: int, read_end: int) -> None:
        self._child, self._read_end = child, read_end
        self._closed = False

    @classmethod
    def start(cls, work: Callable[[], Any]) -> Helper | None:
        """Fork a child computing `work()` (a JSON value); None when no child may run."""
        if not may_fork():
            return None
        read_end, write_end = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover - the child's coverage is not collected
            os.close(read_end)
            _compute_and_send(work, write_end)
        os.close(write_end)
        return cls(child, read_end)

    def result(self, deadline: float | None = None) -> Any:
        """What the child sent, decoded; None when it failed, sent what is not JSON, or
        had not finished by `deadline` (time.monotonic(); None: no deadline)."""
        parts: list[bytes] = []
        while self._readable(deadline):
            part = os.read(self._read_end, CHUNK)
            if not part:
                break
            parts.append(part)
        else:
            return None
        try:
            return json.loads(b"".join(parts))
        except ValueError:
            return None

    def _readable(self, deadline: float | None) -> bool:
        if deadline is None:
            return True
        left = deadline - time.monotonic()
        return left > 0 and bool(select.select([self._read_end], [], [], left)[0])

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        os.close(self._read_end)
        reap(self._child)

    def __enter__(self) -> Helper:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _compute_and_send(work: Callable[[], Any], write_end: int) -> None:  # pragma: no cover
    """The child: send `work()` as JSON and leave without running anything of the
    parent's (no atexit handlers, no buffered output flushed twice). A failure sends
    nothing: the parent reads an empty reply, which is not JSON."""
    code = 1
    try:
        data = json.dumps(work(), separators=(",", ":")).encode()
        with os.fdopen(write_end, "wb") as out:
            out.write(data)
        code = 0
    finally:
        os._exit(code)


def reap(child: int) -> None:
    """Wait for `child`; stop it first if it is still running (its parent gave up on
    it, or is being interrupted)."""
    done, _ = os.waitpid(child, os.WNOHANG)
    if done == 0:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
