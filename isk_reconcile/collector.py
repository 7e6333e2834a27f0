"""Pausing Python's cyclic garbage collector around bulk work.

Loading the repository and computing every customer's standing allocate hundreds of
thousands of small, long-lived objects and no reference cycles. While they are being
made, each automatic collection would walk all of them again (a third to a half of the
time at 10,000 customers) and free nothing; reference counting frees them all the same.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import NoReturn


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the body with the cyclic GC off; nested use is fine (the outermost restores it).
    After a large load (`freeze_if_large`) what the body made is frozen too before the
    collector is back: the first collection would otherwise walk all of it at once."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if _large:  # the body's objects would all be walked by the next collection
                gc.freeze()
            gc.enable()


# Below this many customers and ledger entries, collections are cheap and freezing is
# not worth keeping garbage cycles of the moment (in a long test run, say) for good.
FREEZE_FROM = 20_000


def one_shot(exits_when_done: bool = True) -> None:
    """Say whether this process exits when its one command is done (`isk COMMAND`: yes;
    `isk serve`, a test run, a program using isk as a library: no). Only such a process
    freezes what a large load made (`freeze_if_large`): a frozen object is never walked
    by the collector again, so a long-running process would keep every reference cycle
    alive that existed at any freeze (reference counting still frees everything else)."""
    global _one_shot
    _one_shot = exits_when_done


_one_shot = False


def freeze_if_large(items: int) -> None:
    """After building a large, long-lived value (a loaded State, its standings) in a
    one-shot process: move every object the collector tracks to its permanent generation
    (`gc.freeze`), so later automatic collections in the command stop walking them again
    and again (about a sixth of `isk plan` at 10,000 customers). Reference counting still
    frees them."""
    global _large
    if items >= FREEZE_FROM and _one_shot:
        gc.freeze()
        _large = True


_large = False  # a large value was frozen in this process


def leave(code: int) -> NoReturn:
    """End the process with `code`, as `sys.exit` does. After a large load, without the
    interpreter's teardown: freeing two million objects one by one takes about 0.2 s at
    10,000 customers, while the operating system takes the memory back at once. The exit
    functions still run and the standard streams are flushed first; with another thread
    still running (which a normal exit would wait for), or a small load, it is sys.exit."""
    if not _large or threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):  # a closed pipe, a closed stream
            stream.flush()
    os._exit(code)
