"""`nimbus up` hosts the network agent in its process tree: in the one worker (in-process
bus) or, with several workers, once, in the supervisor (file bus in the data dir)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import NIMBUS, TEST_ENV, free_port

HOST = "hosting-test"


def start_up(data_dir: Path, log: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, **TEST_ENV, "NIMBUS_WORKERS": str(workers),
           "NIMBUS_LOG_LEVEL": "info", "NIMBUS_NETWORK__DRIVER": "fake",
           "NIMBUS_NETWORK__HOST": HOST}
    with log.open("ab") as out:
        process = subprocess.Popen([*NIMBUS, "up", "--data-dir", str(data_dir), "--port",
                                    str(port)], env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/identity/v3"
    deadline = time.monotonic() + 120  # (a loaded build machine prepares slowly)
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError(f"nimbus up did not answer: {log.read_text()[-2000:]}")


@pytest.mark.parametrize("workers,bus", [(1, "memory"), (2, "file")])
def test_nimbus_up_runs_one_agent_in_its_process_tree(
        tmp_path: Path, workers: int, bus: str) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "nimbus.log"
    process, _url = start_up(data_dir, log, workers)
    try:
        assert (data_dir / "network-agent" / HOST).is_dir()
        started = re.findall(rf"network agent on host {HOST} \(pid (\d+)\): driver fake, "
                             rf"parts fake, bus (\w+)", log.read_text())
        # One agent, not one a worker; in the process `nimbus up` started.
        assert started == [(str(process.pid), bus)]
        if bus == "file":
            assert (data_dir / "bus" / "messages").is_dir()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    assert f"network agent on host {HOST} stopped" in log.read_text()
