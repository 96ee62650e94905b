"""The compute agent over the in-process bus with the fake driver: the endpoint's methods,
its casts to compute-plugin, version refusal, the power-state sync."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nimbus.agents.compute import messages as m
from nimbus.agents.compute.agent import ComputeAgent
from nimbus.agents.compute.fake import FakeDriver
from nimbus.config import ComputeSettings, Settings
from nimbus.kernel.bus import InProcessBus, RemoteError, UnsupportedVersion

UUID = "0b4c5c9e-1d33-4a8b-9a0e-5f1c3a2b7d10"
TOPIC = m.agent_topic("host-a")


class Plugin:
    BUS_VERSION = m.VERSION

    def __init__(self) -> None:
        self.reports: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.unknown: list[list[dict[str, Any]]] = []

    def report_state(self, report: dict[str, Any]) -> None:
        self.reports.append(report)

    def instance_update(self, update: dict[str, Any]) -> None:
        self.updates.append(update)

    def guests_unknown(self, host: str, guests: list[dict[str, Any]]) -> None:
        self.unknown.append(guests)


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[tuple[InProcessBus, ComputeAgent, Plugin]]:
    settings = Settings(data_dir=tmp_path)
    settings.compute = ComputeSettings(driver="fake", host="host-a", report_interval=3600,
                                       sync_power_state_interval=3600,
                                       cpu_allocation_ratio=8.0, reserved_host_memory_mb=64)
    bus = InProcessBus()
    plugin = Plugin()
    bus.serve(m.PLUGIN_TOPIC, plugin)
    agent = ComputeAgent(settings, bus)
    agent.start()
    yield bus, agent, plugin
    agent.stop()
    bus.close()


def wait(check: Any) -> Any:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.01)
    raise AssertionError("not in time")


def spec() -> dict[str, Any]:
    return m.to_wire(m.GuestSpec(uuid=UUID, name="instance-1", hostname="vm1",
                                 flavor=m.Flavor(vcpus=1, memory_mb=128),
                                 image=m.ImageRef(id="img", disk_format="qcow2")))


def call(bus: InProcessBus, method: str, version: str = m.VERSION, **payload: Any) -> Any:
    return bus.call(TOPIC, method, payload, version=version, timeout=5)


def test_spawn_and_operations_answer_and_tell_the_service(cloud: Any) -> None:
    bus, agent, plugin = cloud
    assert call(bus, "spawn", spec=spec())["power_state"] == m.RUNNING
    assert call(bus, "power_off", uuid=UUID)["power_state"] == m.SHUTDOWN
    assert call(bus, "power_on", uuid=UUID)["power_state"] == m.RUNNING
    assert call(bus, "reboot", uuid=UUID, kind="hard")["power_state"] == m.RUNNING
    assert call(bus, "get_console", uuid=UUID, kind="serial")["kind"] == "serial"
    assert "nimbus-guest: up" in call(bus, "get_console_output", uuid=UUID, length=10)
    assert call(bus, "get_diagnostics", uuid=UUID)["driver"] == "fake"
    assert [g["uuid"] for g in call(bus, "list_guests")] == [UUID]
    call(bus, "destroy", uuid=UUID)
    hints = wait(lambda: len(plugin.updates) >= 5 and [u["vm_state"] for u in plugin.updates])
    assert hints == ["active", "stopped", "active", "active", "deleted"]
    assert all(u["clear_task_state"] and u["host"] == "host-a" for u in plugin.updates)


def test_a_failure_is_raised_and_told_as_a_fault(cloud: Any) -> None:
    bus, agent, plugin = cloud
    call(bus, "spawn", spec=spec())
    call(bus, "power_off", uuid=UUID)
    with pytest.raises(RemoteError, match="cannot pause"):
        call(bus, "pause", uuid=UUID)
    fault = wait(lambda: [u for u in plugin.updates if u["fault_message"]])
    assert fault[0]["power_state"] == m.SHUTDOWN and fault[0]["vm_state"] is None
    with pytest.raises(RemoteError, match="reboot kind"):
        call(bus, "reboot", uuid=UUID, kind="medium")


def test_a_failed_spawn_hints_error(cloud: Any) -> None:
    bus, agent, plugin = cloud
    call(bus, "spawn", spec=spec())
    with pytest.raises(RemoteError, match="already exists"):
        call(bus, "spawn", spec=spec())
    fault = wait(lambda: [u for u in plugin.updates if u["fault_message"]])
    assert fault[0]["vm_state"] == "error"


def test_other_versions_are_refused_without_harm(cloud: Any) -> None:
    bus, agent, plugin = cloud
    with pytest.raises(UnsupportedVersion):
        call(bus, "spawn", version="2.0", spec=spec())
    with pytest.raises(UnsupportedVersion):
        call(bus, "list_guests", version="1.99")
    newer = dict(spec(), version="1.5")
    with pytest.raises(UnsupportedVersion):
        call(bus, "spawn", spec=newer)
    with pytest.raises(UnsupportedVersion):
        call(bus, "start")          # not a message: the agent's own methods are not served
    assert call(bus, "list_guests") == []


def test_report_carries_the_compute_settings(cloud: Any) -> None:
    bus, agent, plugin = cloud
    call(bus, "spawn", spec=spec())
    agent.send_report()
    report = wait(lambda: [r for r in plugin.reports if r["guests"]])[-1]
    assert report["host"] == "host-a" and report["driver"] == "fake"
    assert report["cpu_allocation_ratio"] == 8.0 and report["reserved_host_memory_mb"] == 64
    assert report["guests"] == {UUID: m.RUNNING}
    assert "COMPUTE_NET_VIF_MODEL_VIRTIO" in report["traits"]


def test_power_sync_tells_only_what_moved(cloud: Any) -> None:
    bus, agent, plugin = cloud
    call(bus, "spawn", spec=spec())
    assert agent.sync_power_states() == []      # the spawn told it already
    driver = agent.driver
    assert isinstance(driver, FakeDriver)
    driver.power_off(UUID, False, 0)        # behind the agent's back: shut down inside
    told = agent.sync_power_states()
    assert [(t.uuid, t.power_state, t.vm_state) for t in told] == \
        [(UUID, m.SHUTDOWN, "stopped")]
    assert agent.sync_power_states() == []


def test_a_new_agent_tells_each_guest_once(cloud: Any, tmp_path: Path) -> None:
    bus, agent, plugin = cloud
    call(bus, "spawn", spec=spec())
    agent.stop()
    again = ComputeAgent(agent.settings, bus)
    again.start()
    try:
        told = again.sync_power_states()
        assert [(t.uuid, t.power_state, t.vm_state) for t in told] == \
            [(UUID, m.RUNNING, "active")]
        assert again.sync_power_states() == []
    finally:
        again.stop()


@pytest.mark.parametrize(("change", "message"), [
    ({"uuid": "../etc"}, "not an instance uuid"),
    ({"name": "vm,readconfig=/etc/x"}, "unusable guest name"),
    ({"flavor": {"vcpus": 0, "memory_mb": 128}}, "vcpus 0"),
    ({"flavor": {"vcpus": 1, "memory_mb": 1}}, "memory_mb 1"),
    ({"nics": [{"port_id": "p,script=/bin/x", "mac": "fa:16:3e:00:00:01"}]}, "port id"),
    ({"nics": [{"port_id": "p1", "mac": "fa:16:3e:00:00:01,x"}]}, "not a MAC"),
    ({"nics": [{"port_id": "p1", "mac": "fa:16:3e:00:00:01", "mtu": 10}]}, "MTU"),
    ({"nics": [{"port_id": "p1", "mac": "fa:16:3e:00:00:01"}] * 2}, "twice"),
    ({"qemu": {"machine": "pc,accel=kvm"}}, "machine type"),
    ({"block_devices": [{"kind": "volume", "size_mb": 1}]}, "block device"),
])
def test_a_spawn_the_driver_cannot_do_is_refused_before_anything(
        cloud: Any, change: dict[str, Any], message: str) -> None:
    bus, agent, plugin = cloud
    with pytest.raises(RemoteError, match=message):
        call(bus, "spawn", spec={**spec(), **change})
    assert call(bus, "list_guests") == []
    fault = wait(lambda: [u for u in plugin.updates if u["fault_message"]])
    assert fault[0]["vm_state"] == "error" and message in fault[0]["fault_message"]
