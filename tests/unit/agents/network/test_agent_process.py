"""`nimbus agent network` as a process of its own (the scale-out shape) against a fake plugin
endpoint served here, over the file bus and over RabbitMQ: killed with SIGKILL halfway through
a pass and started again, it converges on the desired state, changes made meanwhile too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nimbus.agents.network.fake import RECORD_FILE, desired_record, read_record
from nimbus.agents.network.messages import AGENT_TYPES, PLUGIN_TOPIC
from nimbus.kernel import bus as busmod
from tests.broker import amqp_vhost
from tests.unit.agents.network.plugin_fake import FakePlugin, make_network, make_state

REPO = Path(__file__).resolve().parents[4]
HOST = "host-proc"
NETWORKS = 8


@pytest.fixture(params=["file", pytest.param("amqp", marks=pytest.mark.broker)])
def bus_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "file":
        yield f"file://{tmp_path / 'bus'}"
        return
    yield from amqp_vhost()


class AgentProcess:
    def __init__(self, data_dir: Path, bus_url: str) -> None:
        self.data_dir, self.bus_url = data_dir, bus_url
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "agent.log"

    def start(self, step_delay: float) -> subprocess.Popen[bytes]:
        env = {**os.environ, "PYTHONPATH": str(REPO), "NIMBUS_LOG_LEVEL": "info",
               "NIMBUS_NETWORK__REPORT_INTERVAL": "0.5",
               "NIMBUS_FAKE_NETWORK_STEP_DELAY": str(step_delay)}
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "nimbus.cli", "agent", "network", "--host", HOST,
                 "--data-dir", str(self.data_dir), "--bus-url", self.bus_url,
                 "--driver", "fake"], env=env, stdout=out, stderr=subprocess.STDOUT)
        return self.process

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    @property
    def record_path(self) -> Path:
        return self.data_dir / "network-agent" / HOST / RECORD_FILE


def wait_until(predicate, seconds: float = 20) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_the_agent_process_killed_mid_pass_converges_after_a_restart(
        bus_url: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "agent-data"
    data_dir.mkdir()
    bus = busmod.connect(bus_url)
    plugin = FakePlugin(make_state(HOST, networks=NETWORKS))
    consumer = bus.serve(PLUGIN_TOPIC, plugin)
    agent = AgentProcess(data_dir, bus_url)
    try:
        first = agent.start(step_delay=0.3)

        def halfway() -> bool:
            made = len(read_record(agent.record_path)["networks"])
            return 1 <= made < NETWORKS

        assert wait_until(halfway), agent.log.read_text()
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert read_record(agent.record_path)["networks"] != desired_record(
            plugin.state)["networks"]

        # While it is down, one network goes and another comes.
        plugin.state.networks.pop(0)
        plugin.state.networks.append(make_network(42, HOST))
        reports_before = len(plugin.reports)
        second = agent.start(step_delay=0.01)

        def converged() -> bool:
            record = read_record(agent.record_path)
            return all(record[k] == v for k, v in desired_record(plugin.state).items())

        assert wait_until(converged), agent.log.read_text()
        ports = {p.id for n in plugin.state.networks for p in n.ports}
        assert plugin.wait_for(lambda: ports <= {s[0] for s in plugin.statuses}, 10)
        assert plugin.wait_for(lambda: {r["agent_type"] for r in plugin.reports[
            reports_before:]} == set(AGENT_TYPES), 10)

        second.send_signal(signal.SIGTERM)
        assert second.wait(15) == 0
        assert "stopped" in agent.log.read_text()
    finally:
        agent.kill()
        consumer.stop()
        bus.close()


def test_the_agent_process_with_the_data_plane_off_says_why_and_exits(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "NIMBUS_NETWORK__DRIVER": "off"}
    done = subprocess.run([sys.executable, "-m", "nimbus.cli", "agent", "network", "--host",
                           HOST, "--data-dir", str(tmp_path)], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "the data plane is off ([network] driver = off)" in done.stderr
