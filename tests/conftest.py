"""Shared fixtures: a live `nimbus up` in a temporary data dir, and real clients for it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

NIMBUS = [sys.executable, "-m", "nimbus.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveCloud:
    url: str
    data_dir: Path
    clouds_yaml: Path
    admin_password: str
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    port: int

    @property
    def auth_url(self) -> str:
        return f"{self.url}/identity"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)


# Settings a test cloud runs with: fast hashing, and the [security_compliance] values that
# tempest's lockout and password-history tests expect.
TEST_ENV = {
    "NIMBUS_BCRYPT_COST": "4",
    "NIMBUS_SECURITY_COMPLIANCE__LOCKOUT_FAILURE_ATTEMPTS": "2",
    "NIMBUS_SECURITY_COMPLIANCE__LOCKOUT_DURATION": "5",
    "NIMBUS_SECURITY_COMPLIANCE__UNIQUE_LAST_PASSWORD_COUNT": "2",
    "NIMBUS_LOG_LEVEL": "warning",
    # API tests change nothing on the host; the data-plane tests ask for the real driver.
    "NIMBUS_NETWORK__DRIVER": "fake",
    "NIMBUS_COMPUTE__DRIVER": "fake",
}


def start_cloud(data_dir: Path, port: int | None = None,
                extra_env: dict[str, str] | None = None) -> LiveCloud:
    port = port or free_port()
    env = {**os.environ, **TEST_ENV, **(extra_env or {})}
    log = open(data_dir.parent / f"{data_dir.name}-{port}.log", "ab")  # noqa: SIM115
    proc = subprocess.Popen([*NIMBUS, "up", "--data-dir", str(data_dir), "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nimbus up exited with {proc.returncode}; see {log.name}")
        try:
            if httpx.get(f"{url}/identity/v3", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("nimbus up did not answer within 90 s")
    clouds = data_dir / "clouds.yaml"
    password = yaml.safe_load(clouds.read_text())["clouds"]["nimbus"]["auth"]["password"]
    return LiveCloud(url, data_dir, clouds, password, proc, env, port)


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveCloud]:
    """One live all-in-one cloud for the whole test session."""
    live = start_cloud(tmp_path_factory.mktemp("cloud") / "data")
    yield live
    live.stop()


@pytest.fixture(scope="session")
def client_env(cloud: LiveCloud) -> dict[str, str]:
    """Environment for the `openstack` CLI and anything reading clouds.yaml."""
    return {**os.environ, "OS_CLIENT_CONFIG_FILE": str(cloud.clouds_yaml), "OS_CLOUD": "nimbus"}
