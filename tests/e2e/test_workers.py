"""`nimbus up --workers 2`: every worker takes its share of the connections, the port is
never shared with another server, and a worker that dies is replaced."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.conftest import NIMBUS, TEST_ENV, LiveCloud, free_port

TWO_WORKERS = {"NIMBUS_WORKERS": "2", "NIMBUS_LOG_LEVEL": "info"}
CONNECTIONS = 32


def log_of(cloud: LiveCloud) -> str:
    return (cloud.data_dir.parent / f"{cloud.data_dir.name}-{cloud.port}.log").read_text()


def workers_of(cloud: LiveCloud) -> set[int]:
    """The pids of the supervisor's worker processes."""
    children = Path(f"/proc/{cloud.process.pid}/task/{cloud.process.pid}/children")
    pids = {int(p) for p in children.read_text().split()}
    # multiprocessing's resource tracker is a child too; workers run nimbus' app.
    return {p for p in pids if b"resource_tracker" not in
            Path(f"/proc/{p}/cmdline").read_bytes()}


def wait_for(predicate, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def listening_sockets(port: int) -> int:
    """How many sockets listen on ``port`` (each worker's, once it serves)."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        count += int(local.rsplit(":", 1)[1], 16) == port and state == "0A"
    return count


def start_two_workers(start, data_dir: Path) -> LiveCloud:
    cloud = start(data_dir, extra_env=TWO_WORKERS)
    wait_for(lambda: listening_sockets(cloud.port) == 2)
    return cloud


def serving_workers(cloud: LiveCloud, path: str) -> set[int]:
    """The workers the access log says served ``path``."""
    found = set()
    for line in log_of(cloud).splitlines():
        if " nimbus.access " in line:
            entry = json.loads(line.split(" nimbus.access ", 1)[1])
            if entry["path"] == path:
                found.add(int(entry["worker"]))
    return found


def keep_alive_requests(port: int, path: str, per_connection: int = 3) -> list[int]:
    """CONNECTIONS clients, all connected before any asks, each asking on one kept-alive
    connection (as wrk does); the statuses they got."""
    # A replacement worker may take a while to start on a busy machine.
    conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=30)
             for _ in range(CONNECTIONS)]
    for conn in conns:
        conn.connect()

    def ask(conn: http.client.HTTPConnection) -> list[int]:
        statuses = []
        for _ in range(per_connection):
            conn.request("GET", path)
            answer = conn.getresponse()
            answer.read()
            statuses.append(answer.status)
        conn.close()
        return statuses

    with ThreadPoolExecutor(CONNECTIONS) as pool:
        return [s for got in pool.map(ask, conns) for s in got]


def test_every_worker_serves_a_share_of_the_connections(start, tmp_path):
    cloud = start_two_workers(start, tmp_path / "data")
    workers = workers_of(cloud)
    assert len(workers) == 2
    assert keep_alive_requests(cloud.port, "/identity/v3") == [200] * CONNECTIONS * 3
    wait_for(lambda: len(serving_workers(cloud, "/identity/v3")) == 2, timeout=5)
    assert serving_workers(cloud, "/identity/v3") == workers


def test_a_dead_worker_is_replaced_and_its_connections_served(start, tmp_path):
    cloud = start_two_workers(start, tmp_path / "data")
    victim = sorted(workers_of(cloud))[0]
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: victim not in workers_of(cloud) and len(workers_of(cloud)) == 2)
    assert listening_sockets(cloud.port) == 2  # the supervisor keeps the dead one's open
    # Connections the kernel queues on the dead worker's socket wait for its replacement.
    assert keep_alive_requests(cloud.port, "/") == [200] * CONNECTIONS * 3
    wait_for(lambda: len(serving_workers(cloud, "/")) == 2, timeout=5)
    assert serving_workers(cloud, "/") == workers_of(cloud)


def test_a_port_held_by_another_server_is_not_shared(start, tmp_path):
    first = start_two_workers(start, tmp_path / "one")
    second = subprocess.run([*NIMBUS, "up", "--data-dir", str(tmp_path / "two"), "--port",
                             str(first.port), "--workers", "2"],
                            env={**os.environ, **TEST_ENV}, capture_output=True, text=True,
                            timeout=60, stdin=subprocess.DEVNULL)
    assert second.returncode != 0
    assert "address already in use" in (second.stdout + second.stderr).lower()
    assert "Traceback" not in second.stdout + second.stderr
    assert keep_alive_requests(first.port, "/identity/v3", 1) == [200] * CONNECTIONS


def test_a_port_in_use_stops_a_two_worker_start(tmp_path):
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        answer = subprocess.run([*NIMBUS, "up", "--data-dir", str(tmp_path / "data"),
                                 "--port", str(port), "--workers", "2"],
                                env={**os.environ, **TEST_ENV}, capture_output=True,
                                text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert answer.returncode != 0
    assert "Traceback" not in answer.stdout + answer.stderr


def test_ctrl_c_stops_every_worker(start, tmp_path):
    cloud = start_two_workers(start, tmp_path / "data")
    workers = workers_of(cloud)
    cloud.process.send_signal(signal.SIGINT)
    assert cloud.process.wait(timeout=20) == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
    assert "Traceback" not in log_of(cloud)


def test_workers_go_with_a_supervisor_killed_outright(start, tmp_path):
    cloud = start_two_workers(start, tmp_path / "data")
    workers = workers_of(cloud)
    assert len(workers) == 2
    cloud.process.kill()
    cloud.process.wait(timeout=10)
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers))
    assert listening_sockets(cloud.port) == 0
