"""The scale-out shape for the data-plane tests: the API as `nimbus serve api` (no agent in
it) on a database of the test's own, and the network agent as `nimbus agent network`, a
process of its own, both on one RabbitMQ vhost and one data dir, the agent's host a netns
of the test's own. Every process is started and stopped by id; everything is bounded."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import openstack
import openstack.config

from nimbus.agents.network import ip
from tests.conftest import NIMBUS, TEST_ENV, free_port
from tests.e2e.network.guests import Guest, rand


class Process:
    """One `nimbus ...` process, its output in a log file of its own."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            out.write(f"--- start {time.strftime('%H:%M:%S')}\n".encode())
            out.flush()
            self.popen = subprocess.Popen(self.argv, env=self.env, stdout=out,
                                          stderr=subprocess.STDOUT)

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill9(self) -> None:
        """SIGKILL: no stop, no goodbye (what a crash or an OOM kill does)."""
        assert self.popen is not None and self.running, self.tail()
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(10)

    def stop(self, timeout: float = 20) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout``; the exit status (None if not started)."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        return self.popen.returncode

    def tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return f"({self.log} not written)"


class Deployment:
    """`nimbus manage db-upgrade` + `nimbus manage bootstrap` on ``database_url``, then
    `nimbus serve api` and `nimbus agent network --host HOST` beside it."""

    def __init__(self, workdir: Path, database_url: str, bus_url: str, host: str,
                 extra_env: dict[str, str] | None = None) -> None:
        self.workdir, self.host = workdir, host
        self.data_dir = workdir / "data"
        self.netns = f"nimbus-so-{rand()}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.guests: list[Guest] = []
        self.env = {**os.environ, **TEST_ENV, "PYTHONPATH": str(Path(__file__).parents[3]),
                    "NIMBUS_LOG_LEVEL": "info", "NIMBUS_DATA_DIR": str(self.data_dir),
                    "NIMBUS_DATABASE_URL": database_url, "NIMBUS_NETWORK__BUS_URL": bus_url,
                    "NIMBUS_NETWORK__DRIVER": "linuxbridge", "NIMBUS_NETWORK__HOST": host,
                    "NIMBUS_NETWORK__HOST_NETNS": self.netns,
                    "NIMBUS_NETWORK__REPORT_INTERVAL": "1", **(extra_env or {})}
        where = ["--data-dir", str(self.data_dir)]
        self.api = Process("api", [*NIMBUS, "serve", "api", *where, "--port", str(self.port)],
                           self.env, workdir / "api.log")
        self.agent = Process("agent", [*NIMBUS, "agent", "network", "--host", host, *where],
                             self.env, workdir / "agent.log")
        self.conn: Any = None

    # --- bringing it up ---------------------------------------------------------------
    def manage(self, *argv: str, timeout: float = 180) -> str:
        done = subprocess.run([*NIMBUS, "manage", *argv], env=self.env, capture_output=True,
                              text=True, timeout=timeout)
        assert done.returncode == 0, f"nimbus manage {' '.join(argv)}:\n{done.stdout}" \
                                     f"\n{done.stderr}"
        return done.stdout

    def prepare(self) -> None:
        ip.netns_create(self.netns, exist_ok=False)
        ip.set_link("lo", netns=self.netns, up=True)
        self.data_dir.mkdir(parents=True)
        self.manage("db-upgrade", "--data-dir", str(self.data_dir))
        self.manage("bootstrap", "--data-dir", str(self.data_dir), "--port", str(self.port))

    def start_api(self, timeout: float = 90) -> None:
        self.api.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.api.running, f"nimbus serve api exited:\n{self.api.tail()}"
            try:
                if httpx.get(f"{self.url}/network/v2.0", timeout=1).status_code in (200, 401):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"nimbus serve api did not answer:\n{self.api.tail()}")

    def connect(self) -> Any:
        config = openstack.config.OpenStackConfig(
            config_files=[str(self.data_dir / "clouds.yaml")])
        self.conn = openstack.connection.Connection(config=config.get_one(cloud="nimbus"))
        return self.conn

    # --- what the tests look at ---------------------------------------------------------
    def bound_port(self, network: Any, **kw: Any) -> Any:
        return self.conn.network.create_port(network_id=network.id,
                                             binding_host_id=self.host, **kw)

    def guest(self, port: Any) -> Guest:
        guest = Guest(self.netns, port.id, port.mac_address, self.workdir)
        self.guests.append(guest)
        return guest

    def dhcp_hosts(self, network_id: str) -> str:
        path = self.data_dir / "network-agent" / self.host / "dhcp" / network_id / "host"
        return path.read_text() if path.exists() else ""

    def bridge_members(self, network_id: str) -> set[str]:
        links = ip.links(netns=self.netns)
        bridge = next((link for link in links if link.name == f"brq{network_id[:11]}"), None)
        if bridge is None:
            return set()
        return {link.name for link in links if link.master == bridge.index}

    def agents(self) -> list[Any]:
        return [a for a in self.conn.network.agents() if a.host == self.host]

    # --- taking it down ---------------------------------------------------------------
    def close(self) -> None:
        """Stop everything and tear the data plane down; safe to call after a failure."""
        for guest in self.guests:
            try:
                guest.close()
            except Exception:  # noqa: BLE001 - the rest must still go
                pass
        self.guests.clear()
        self.agent.stop()
        self.api.stop()
        if self.data_dir.exists():
            subprocess.run([*NIMBUS, "manage", "network-teardown", "--data-dir",
                            str(self.data_dir)], env=self.env, capture_output=True,
                           timeout=120, check=False)
        ip.netns_delete(self.netns)
