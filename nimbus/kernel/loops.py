"""Periodic work in one shape: a small class with ``run_once()`` (one pass: a heartbeat,
a reconcile, a power-state sync, a DHCP refresh, an expiry sweep), run on an interval by one
``LoopRunner``.

A pass never overlaps the previous pass of the same task: the next one is due ``interval``
seconds after the last one ended. A pass that raises is logged and the task keeps its
schedule. Passes of different tasks may run at the same time (a slow reconcile does not
hold up a heartbeat).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger("nimbus.loops")


class PeriodicTask(Protocol):
    name: str
    interval: float

    def run_once(self) -> None: ...


@dataclass(order=True)
class _Due:
    at: float
    order: int
    task: PeriodicTask = field(compare=False)


class LoopRunner:
    def __init__(self, max_parallel: int = 4) -> None:
        self._clock = time.monotonic
        self._heap: list[_Due] = []
        self._order = itertools.count()
        self._lock = threading.Condition()
        self._stopping = False
        self._pool = ThreadPoolExecutor(max_parallel, thread_name_prefix="loop")
        self._thread: threading.Thread | None = None
        self.passes: dict[str, int] = {}
        self.failures: dict[str, int] = {}

    def add(self, task: PeriodicTask, initial_delay: float = 0.0) -> None:
        with self._lock:
            self._push(task, self._clock() + initial_delay)
            self._lock.notify()

    def _push(self, task: PeriodicTask, at: float) -> None:
        heapq.heappush(self._heap, _Due(at, next(self._order), task))

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="loop-runner", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        with self._lock:
            while not self._stopping:
                if not self._heap:
                    self._lock.wait()
                    continue
                wait = self._heap[0].at - self._clock()
                if wait > 0:
                    self._lock.wait(wait)
                    continue
                due = heapq.heappop(self._heap)
                self._pool.submit(self._pass, due.task)

    def _pass(self, task: PeriodicTask) -> None:
        self.run_pass(task)
        with self._lock:
            if not self._stopping:
                self._push(task, self._clock() + max(task.interval, 0.01))
                self._lock.notify()

    def run_pass(self, task: PeriodicTask) -> bool:
        """One pass of ``task`` now, logged on failure; True when it succeeded."""
        started = self._clock()
        try:
            task.run_once()
        except Exception:  # noqa: BLE001 - one failed pass must not end the loop
            self.failures[task.name] = self.failures.get(task.name, 0) + 1
            log.exception("loop %s: pass failed", task.name)
            return False
        finally:
            self.passes[task.name] = self.passes.get(task.name, 0) + 1
            took = self._clock() - started
            if took > task.interval:
                log.warning("loop %s: a pass took %.1f s, longer than its %.1f s interval",
                            task.name, took, task.interval)
        return True

    def stop(self, timeout: float = 10.0) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)
