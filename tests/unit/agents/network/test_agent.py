"""The network agent's runner with the fake driver against a fake plugin endpoint, on the
in-process bus and on the file bus (the transports of ``nimbus up``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nimbus.agents.network import agent as agentmod
from nimbus.agents.network.agent import NetworkAgent, PassScheduler
from nimbus.agents.network.fake import FakePart, desired_record, read_record
from nimbus.agents.network.messages import (
    AGENT_TYPES,
    CHANGED_EVENT,
    PLUGIN_TOPIC,
    VERSION,
    Changed,
    HostState,
    to_wire,
)
from nimbus.config import Settings, load_settings
from nimbus.kernel import bus as busmod
from tests.unit.agents.network.plugin_fake import FakePlugin, make_network, make_state

HOST = "host-a"


def agent_settings(data_dir: Path, **network: Any) -> Settings:
    options = {"driver": "fake", "host": HOST, "report_interval": 0.3,
               "resync_interval": 60.0, **network}
    return load_settings(data_dir, {"network": options}, environ={})


@pytest.fixture(params=["memory", "file"])
def bus(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[busmod.Bus]:
    url = f"file://{tmp_path / 'bus'}" if request.param == "file" else None
    instance = busmod.connect(url)
    yield instance
    instance.close()


@pytest.fixture
def plugin(bus: busmod.Bus) -> Iterator[FakePlugin]:
    endpoint = FakePlugin(make_state(HOST))
    consumer = bus.serve(PLUGIN_TOPIC, endpoint)
    yield endpoint
    consumer.stop()


@pytest.fixture
def make_agent(bus: busmod.Bus, tmp_path: Path) -> Iterator[Any]:
    agents: list[NetworkAgent] = []

    def make(**kwargs: Any) -> NetworkAgent:
        agent = NetworkAgent(agent_settings(tmp_path / "data"), bus, driver="fake", **kwargs)
        agent.start()
        agents.append(agent)
        return agent

    yield make
    for agent in agents:
        agent.stop()


def record_of(agent: NetworkAgent) -> dict[str, Any]:
    return read_record(agent.context.state_dir / "fake-network.json")


def converged(agent: NetworkAgent, state: HostState) -> bool:
    record = record_of(agent)
    return all(record[k] == v for k, v in desired_record(state).items())


def wait_until(predicate: Any, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_heartbeats_arrive_for_every_agent_type(plugin: FakePlugin, make_agent: Any) -> None:
    agent = make_agent()
    assert plugin.wait_for(lambda: len(plugin.reports) >= 2 * len(AGENT_TYPES))
    first = plugin.reports[:len(AGENT_TYPES)]
    assert sorted(r["agent_type"] for r in first) == sorted(AGENT_TYPES)
    assert {r["host"] for r in plugin.reports} == {HOST}
    assert {r["version"] for r in first} == {VERSION}
    assert first[0]["configurations"]["driver"] == "fake"
    assert first[0]["started_at"] == pytest.approx(agent.started_at)


def test_the_first_pass_records_the_desired_state_and_plugs_the_hosts_ports(
        plugin: FakePlugin, make_agent: Any) -> None:
    plugin.state.networks[0].ports.append(
        make_network(9, "another-host", ports=1).ports[0])
    agent = make_agent()
    assert wait_until(lambda: converged(agent, plugin.state))
    ours = sorted(p.id for n in plugin.state.networks for p in n.ports if p.host == HOST)
    assert plugin.wait_for(lambda: len(plugin.statuses) >= len(ours))
    time.sleep(0.2)
    assert sorted(plugin.statuses) == [(p, "ACTIVE", HOST) for p in ours]


def test_a_changed_event_triggers_a_pass_at_once(
        bus: busmod.Bus, plugin: FakePlugin, make_agent: Any) -> None:
    agent = make_agent()
    assert wait_until(lambda: converged(agent, plugin.state))
    plugin.state.networks.append(make_network(7, HOST))
    started = time.monotonic()
    bus.publish(CHANGED_EVENT, to_wire(Changed(networks=[plugin.state.networks[-1].id],
                                               hosts=[HOST])), version=VERSION)
    assert wait_until(lambda: converged(agent, plugin.state), seconds=5)
    assert time.monotonic() - started < 0.5


def test_a_burst_of_events_makes_one_or_two_passes(
        bus: busmod.Bus, plugin: FakePlugin, make_agent: Any) -> None:
    agent = make_agent()
    assert wait_until(lambda: converged(agent, plugin.state))
    time.sleep(0.2)
    before = plugin.calls
    for _ in range(20):
        bus.publish(CHANGED_EVENT, to_wire(Changed(everything=True)), version=VERSION)
    time.sleep(1.0)
    assert 1 <= plugin.calls - before <= 2


def test_an_event_for_other_hosts_makes_no_pass(
        bus: busmod.Bus, plugin: FakePlugin, make_agent: Any) -> None:
    agent = make_agent()
    assert wait_until(lambda: converged(agent, plugin.state))
    time.sleep(0.2)
    before = plugin.calls
    bus.publish(CHANGED_EVENT, to_wire(Changed(networks=["elsewhere"], hosts=["host-b"])),
                version=VERSION)
    time.sleep(0.5)
    assert plugin.calls == before


class ExplodingPart:
    name = "exploding"

    def reconcile(self, state: HostState) -> list[str]:
        raise RuntimeError("bridge brq0000 vanished")

    def teardown(self) -> list[str]:
        return []


def test_a_part_that_raises_does_not_stop_the_others(
        plugin: FakePlugin, make_agent: Any, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "nimbus.agent.network")
    settings = agent_settings(tmp_path / "data")
    fake = FakePart(agentmod.build_context(settings, lambda port, status: None))
    agent = make_agent(parts=[ExplodingPart(), fake])
    assert wait_until(lambda: converged(agent, plugin.state))
    failures = [r for r in caplog.records if "part exploding failed" in r.getMessage()]
    assert failures and failures[0].levelname == "ERROR"
    assert any("fake: network" in r.getMessage() for r in caplog.records)


def test_an_unknown_major_version_is_refused_with_an_error(
        plugin: FakePlugin, make_agent: Any, caplog: pytest.LogCaptureFixture) -> None:
    plugin.version = "2.0"
    agent = make_agent()
    assert wait_until(lambda: any("refused host state version 2.0" in r.getMessage()
                                  for r in caplog.records))
    assert record_of(agent)["networks"] == {}
    # It lives on: it still reports, and takes a state it knows once there is one.
    count = len(plugin.reports)
    assert plugin.wait_for(lambda: len(plugin.reports) > count)
    plugin.version = "1.7"
    agent.scheduler.request()
    assert wait_until(lambda: converged(agent, plugin.state))


def test_no_service_yet_is_retried_soon(bus: busmod.Bus, make_agent: Any) -> None:
    agent = make_agent(call_timeout=0.3)
    time.sleep(0.5)
    endpoint = FakePlugin(make_state(HOST))
    consumer = bus.serve(PLUGIN_TOPIC, endpoint)
    try:
        assert wait_until(lambda: converged(agent, endpoint.state), seconds=8)
    finally:
        consumer.stop()


def test_passes_never_overlap() -> None:
    running, overlaps, count = [0], [0], [0]

    def slow_pass() -> bool:
        running[0] += 1
        overlaps[0] = max(overlaps[0], running[0])
        time.sleep(0.1)
        running[0] -= 1
        count[0] += 1
        return True

    scheduler = PassScheduler(slow_pass, debounce=0.01)
    scheduler.start()
    try:
        started = time.monotonic()
        for _ in range(30):
            scheduler.request()
            time.sleep(0.01)
        asking = time.monotonic() - started
        assert wait_until(lambda: count[0] >= 2 and running[0] == 0)
        time.sleep(0.3)
    finally:
        scheduler.stop()
    # Requests made during a pass wait for it and become one pass after it.
    assert overlaps[0] == 1 and count[0] <= asking / 0.1 + 2


def test_auto_driver_is_off_without_root_or_tools(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    settings = agent_settings(tmp_path, driver="auto")
    monkeypatch.setattr(agentmod.os, "geteuid", lambda: 1000)
    assert agentmod.choose_driver(settings) == ("off", "not running as root")
    monkeypatch.setattr(agentmod.os, "geteuid", lambda: 0)
    monkeypatch.setattr(agentmod.shutil, "which",
                        lambda tool: None if tool == "dnsmasq" else f"/usr/bin/{tool}")
    assert agentmod.choose_driver(settings) == ("off", "dnsmasq not found on PATH")
    monkeypatch.setattr(agentmod.shutil, "which", lambda tool: f"/usr/bin/{tool}")
    assert agentmod.choose_driver(settings)[0] == "linuxbridge"


def test_off_starts_no_agent_and_says_why(tmp_path: Path,
                                          caplog: pytest.LogCaptureFixture) -> None:
    assert agentmod.start_agent(agent_settings(tmp_path, driver="off")) is None
    assert any("the data plane is off" in r.getMessage() for r in caplog.records)


def test_the_linuxbridge_driver_loads_the_parts_it_finds(
        tmp_path: Path, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agentmod, "LINUXBRIDGE_PARTS",
                        [("fake", "FakePart"), ("no_such_part", "NoPart")])
    context = agentmod.build_context(agent_settings(tmp_path), lambda p, s: None)
    parts = agentmod.build_parts("linuxbridge", context)
    assert [p.name for p in parts] == ["fake"]
    assert any("cannot load part no_such_part.NoPart" in r.getMessage()
               for r in caplog.records)


def test_the_metadata_secret_is_made_once(tmp_path: Path) -> None:
    settings = agent_settings(tmp_path)
    first = agentmod.metadata_secret(settings)
    assert len(first) > 20 and agentmod.metadata_secret(settings) == first
    assert (tmp_path / "metadata-proxy-secret").stat().st_mode & 0o777 == 0o600
