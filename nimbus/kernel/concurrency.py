"""How many request handlers run at once, and how one steps aside while it waits.

Handlers are plain blocking functions on a pool of threads. Past a few, more threads only
fight over the GIL: eight concurrent image listings on one worker ran at 97 requests/s with
every handler thread running and at 127/s with two at a time, each spending less CPU. So at
most ``limit`` handlers run at once (``handler_slot``); the rest wait their turn in order.

A handler about to wait on something slow that is not its own database work (a password
hash on the bcrypt threads, say) calls ``stepping_aside()`` around the wait, so that its
slot serves other requests meanwhile. Database waits stay inside the slot: a transaction
that holds a lock must be able to finish. A handler must never wait, inside its slot, on
another request of the same process.

A route may try its handler on the event loop first (``Route.inline``), skipping the hop
to a thread: worth it for answers served from caches. The attempt runs inside
``on_event_loop()``; anything that would block there (a database session, say) calls
``must_not_block()``, which raises ``NeedsThread``, and the request starts over in a
handler thread. Only routes that change nothing before their first blocking call may be
inline, since the attempt's work is thrown away.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_on_loop: ContextVar[bool] = ContextVar("nimbus_on_event_loop", default=False)


class NeedsThread(Exception):  # noqa: N818 - a signal to the dispatcher, not an error
    """Raised on the event loop by a call that would block: run the request in a thread."""


@contextmanager
def on_event_loop() -> Iterator[None]:
    """Mark the block as running on the event loop, where nothing may block."""
    token = _on_loop.set(True)
    try:
        yield
    finally:
        _on_loop.reset(token)


def must_not_block(what: str) -> None:
    """Call before blocking work: on the event loop it raises NeedsThread."""
    if _on_loop.get():
        raise NeedsThread(what)


def default_limit() -> int:
    return max(2, os.cpu_count() or 1)


class HandlerSlots:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._slots = threading.BoundedSemaphore(limit)
        self._local = threading.local()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Run the block as one of at most ``limit`` handlers."""
        self._slots.acquire()
        self._local.held = True
        try:
            yield
        finally:
            if getattr(self._local, "held", False):
                self._local.held = False
                self._slots.release()

    @contextmanager
    def aside(self) -> Iterator[None]:
        """Give the slot up while the block waits; take one back after. Outside a slot
        (streaming routes, the CLI, tests), nothing happens."""
        held = getattr(self._local, "held", False)
        if held:
            self._local.held = False
            self._slots.release()
        try:
            yield
        finally:
            if held:
                self._slots.acquire()
                self._local.held = True


_handlers = HandlerSlots(default_limit())


def configure(limit: int) -> None:
    """Set the limit (0: one a CPU, at least 2); before the process serves requests."""
    global _handlers
    _handlers = HandlerSlots(limit if limit > 0 else default_limit())


def handler_slot() -> HandlerSlots:
    return _handlers


@contextmanager
def stepping_aside() -> Iterator[None]:
    """Wrap a slow wait of a handler's in this (see the module's note)."""
    with _handlers.aside():
        yield
