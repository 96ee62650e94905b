"""`nimbus serve api` with no `[network] bus_url` and `nimbus agent network` on the same data
dir meet on the data dir's file bus (no broker): the agent's heartbeats reach the API and
its agents appear in GET /v2.0/agents. The database is prepared by `nimbus manage
db-upgrade` and `nimbus manage bootstrap`, as a scale-out API node's is."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx
import openstack
import openstack.config

from nimbus.agents.network.messages import AGENT_TYPES
from tests.conftest import NIMBUS, TEST_ENV, free_port

REPO = Path(__file__).resolve().parents[4]
HOST = "serve-api-host"


def started(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def wait_for_api(url: str, api: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert api.poll() is None, log.read_text()
        try:
            if httpx.get(f"{url}/identity/v3", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"nimbus serve api did not answer:\n{log.read_text()}")


def test_serve_api_meets_an_agent_process_on_the_file_bus(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "data", free_port()
    env = {**os.environ, **TEST_ENV, "PYTHONPATH": str(REPO), "NIMBUS_DATA_DIR": str(data_dir),
           "NIMBUS_NETWORK__REPORT_INTERVAL": "0.5"}
    env.pop("NIMBUS_NETWORK__BUS_URL", None)
    where = ["--data-dir", str(data_dir)]
    for step in (["db-upgrade"], ["bootstrap", "--port", str(port)]):
        done = subprocess.run([*NIMBUS, "manage", *step, *where], env=env, capture_output=True,
                              text=True, timeout=180)
        assert done.returncode == 0, done.stdout + done.stderr
    assert "Prepared a new cloud" in done.stdout
    api = started([*NIMBUS, "serve", "api", *where, "--port", str(port)], env,
                  tmp_path / "api.log")
    agent = started([*NIMBUS, "agent", "network", "--host", HOST, "--driver", "fake", *where],
                    env, tmp_path / "agent.log")
    try:
        wait_for_api(f"http://127.0.0.1:{port}", api, tmp_path / "api.log")
        config = openstack.config.OpenStackConfig(config_files=[str(data_dir / "clouds.yaml")])
        conn = openstack.connection.Connection(config=config.get_one(cloud="nimbus"))
        wanted = {kind for kind, _binary, _topic in AGENT_TYPES.values()}
        deadline, seen = time.monotonic() + 60, set[str]()
        while time.monotonic() < deadline and seen != wanted:
            assert api.poll() is None, (tmp_path / "api.log").read_text()
            assert agent.poll() is None, (tmp_path / "agent.log").read_text()
            seen = {a.agent_type for a in conn.network.agents(host=HOST) if a.is_alive}
            time.sleep(0.3)
        assert seen == wanted, (tmp_path / "agent.log").read_text()[-3000:]
        assert (data_dir / "bus").is_dir()
    finally:
        stop(agent)
        stop(api)
