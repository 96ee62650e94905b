"""The periodic-work runner: intervals, no overlap, failures logged and survived."""

from __future__ import annotations

import threading
import time

import pytest

from nimbus.kernel.loops import LoopRunner


class Counter:
    def __init__(self, name: str, interval: float, work: float = 0.0,
                 fail_first: int = 0) -> None:
        self.name, self.interval, self.work, self.fail_first = name, interval, work, fail_first
        self.runs = 0
        self.running = 0
        self.max_running = 0
        self.lock = threading.Lock()

    def run_once(self) -> None:
        with self.lock:
            self.runs += 1
            self.running += 1
            self.max_running = max(self.max_running, self.running)
            run = self.runs
        try:
            time.sleep(self.work)
            if run <= self.fail_first:
                raise RuntimeError(f"pass {run} failed on purpose")
        finally:
            with self.lock:
                self.running -= 1


@pytest.fixture
def runner():
    r = LoopRunner()
    r.start()
    yield r
    r.stop()


def test_a_task_runs_on_its_interval(runner: LoopRunner) -> None:
    fast, slow = Counter("fast", 0.05), Counter("slow", 0.5)
    runner.add(fast)
    runner.add(slow)
    time.sleep(1.1)
    assert 6 <= fast.runs <= 25
    assert 2 <= slow.runs <= 4


def test_passes_of_one_task_never_overlap(runner: LoopRunner) -> None:
    long = Counter("long", 0.01, work=0.2)
    runner.add(long)
    time.sleep(0.9)
    assert long.max_running == 1
    assert 2 <= long.runs <= 5


def test_a_failing_pass_is_logged_and_the_task_goes_on(
        runner: LoopRunner, caplog: pytest.LogCaptureFixture) -> None:
    flaky = Counter("flaky", 0.05, fail_first=2)
    runner.add(flaky)
    time.sleep(0.6)
    assert flaky.runs >= 4
    assert runner.failures["flaky"] == 2
    assert "pass 1 failed on purpose" in caplog.text


def test_a_slow_task_does_not_hold_up_a_fast_one(runner: LoopRunner) -> None:
    slow, beat = Counter("reconcile", 5, work=1.0), Counter("heartbeat", 0.05)
    runner.add(slow)
    runner.add(beat)
    time.sleep(0.8)
    assert beat.runs >= 5


def test_initial_delay_and_stop() -> None:
    r = LoopRunner()
    r.start()
    task = Counter("late", 0.05)
    r.add(task, initial_delay=0.5)
    time.sleep(0.3)
    assert task.runs == 0
    time.sleep(0.5)
    r.stop()
    runs = task.runs
    assert runs >= 1
    time.sleep(0.2)
    assert task.runs == runs
