"""`nimbus agent compute` as a process of its own, with the fake hypervisor, over the file
bus: it reports, serves calls, stops on SIGTERM, and a new one finds the guests again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nimbus.agents.compute import messages as m
from nimbus.kernel import bus as busmod

REPO = Path(__file__).resolve().parents[4]
HOST = "compute-proc"
UUID = "0b4c5c9e-1d33-4a8b-9a0e-5f1c3a2b7d10"


class Plugin:
    BUS_VERSION = m.VERSION

    def __init__(self) -> None:
        self.reports: list[dict[str, Any]] = []

    def report_state(self, report: dict[str, Any]) -> None:
        self.reports.append(report)

    def instance_update(self, update: dict[str, Any]) -> None:
        pass

    def guests_unknown(self, host: str, guests: list[dict[str, Any]]) -> None:
        pass


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[busmod.Bus]:
    bus = busmod.connect(f"file://{tmp_path / 'bus'}")
    yield bus
    bus.close()


def start(tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "NIMBUS_COMPUTE__REPORT_INTERVAL": "0.5"}
    with (tmp_path / "agent.log").open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "nimbus.cli", "agent", "compute", "--host", HOST,
             "--data-dir", str(tmp_path / "data"), "--bus-url", f"file://{tmp_path / 'bus'}",
             "--driver", "fake"], env=env, stdout=out, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
        raise


def wait_for(check: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.1)
    raise AssertionError("not in time")


def test_agent_process_serves_reports_and_keeps_guests(bus: busmod.Bus,
                                                       tmp_path: Path) -> None:
    plugin = Plugin()
    consumer = bus.serve(m.PLUGIN_TOPIC, plugin)
    topic = m.agent_topic(HOST)
    spec = m.GuestSpec(uuid=UUID, name="instance-1", hostname="vm",
                       flavor=m.Flavor(vcpus=1, memory_mb=64),
                       image=m.ImageRef(id="img", disk_format="qcow2"))
    process = start(tmp_path)
    try:
        report = wait_for(lambda: plugin.reports and plugin.reports[-1])
        assert report["host"] == HOST and report["driver"] == "fake"
        info = wait_for(lambda: _try(lambda: bus.call(topic, "spawn",
                                                      {"spec": m.to_wire(spec)},
                                                      version=m.VERSION, timeout=5)))
        assert info["power_state"] == m.RUNNING
        assert stop(process) == 0
        process = start(tmp_path)
        guests = wait_for(lambda: _try(lambda: bus.call(topic, "list_guests", {},
                                                        version=m.VERSION, timeout=5)))
        assert [g["uuid"] for g in guests] == [UUID]
        assert stop(process) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        consumer.stop()


def _try(run: Any) -> Any:
    try:
        return run()
    except busmod.BusError:
        return None
