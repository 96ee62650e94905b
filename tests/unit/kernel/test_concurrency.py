"""At most N handlers run at once; one that steps aside to wait lets another run."""

from __future__ import annotations

import threading
import time

from nimbus.kernel import concurrency
from nimbus.kernel.concurrency import HandlerSlots


def run_handlers(slots: HandlerSlots, count: int, body) -> int:
    """Runs ``count`` handlers in threads, each in a slot; the most seen inside at once."""
    inside = peak = 0
    lock = threading.Lock()

    def handler(n: int) -> None:
        nonlocal inside, peak
        with slots.slot():
            with lock:
                inside += 1
                peak = max(peak, inside)
            try:
                body(n)
            finally:
                with lock:
                    inside -= 1

    threads = [threading.Thread(target=handler, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return peak


def test_no_more_than_the_limit_run_at_once():
    assert run_handlers(HandlerSlots(2), 8, lambda n: time.sleep(0.02)) == 2


def test_a_handler_waiting_aside_frees_its_slot():
    slots = HandlerSlots(1)
    release = threading.Event()
    finished: list[int] = []

    def body(n: int) -> None:
        if n == 0:
            with slots.aside():  # a long wait (a password hash, say)
                assert release.wait(5)
        else:
            release.set()  # only reachable if handler 0 gave its slot up
        finished.append(n)

    started = time.monotonic()
    run_handlers(slots, 2, body)
    assert sorted(finished) == [0, 1] and time.monotonic() - started < 5


def test_stepping_aside_outside_a_slot_does_nothing():
    slots = HandlerSlots(1)
    with slots.aside():
        pass
    with slots.slot():  # the one slot is still there, once
        assert not slots._slots.acquire(blocking=False)


def test_configure_sets_the_limit():
    try:
        concurrency.configure(3)
        assert concurrency.handler_slot().limit == 3
        concurrency.configure(0)
        assert concurrency.handler_slot().limit == concurrency.default_limit() >= 2
    finally:
        concurrency.configure(0)
