"""`nimbus up` and its companions as a user runs them: real processes on a real data dir."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
from pathlib import Path

import yaml

from nimbus.kernel.migrate import head_revision
from tests.conftest import NIMBUS, TEST_ENV, LiveCloud
from tests.e2e.conftest import admin_session, connect


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def output_of(cloud: LiveCloud) -> str:
    """What `nimbus up` printed (start_cloud sends it to a log file beside the data dir)."""
    log = cloud.data_dir.parent / f"{cloud.data_dir.name}-{cloud.port}.log"
    return log.read_text()


def nimbus(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*NIMBUS, *args], env={**os.environ, **TEST_ENV}, text=True,
                          capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)


def interrupt(cloud: LiveCloud) -> int:
    """Ctrl-C: SIGINT, then the exit code."""
    cloud.process.send_signal(signal.SIGINT)
    return cloud.process.wait(timeout=20)


def token_status(cloud: LiveCloud, token: str) -> int:
    """GET /v3/auth/tokens as the admin: 200 while the token is valid, 404 after."""
    answer = admin_session(cloud).get(f"{cloud.auth_url}/v3/auth/tokens", raise_exc=False,
                                      headers={"X-Subject-Token": token})
    return int(answer.status_code)


def admin_token(cloud: LiveCloud) -> str:
    token = admin_session(cloud).get_token()
    assert token
    return token


def test_first_run_creates_a_private_data_dir(start, tmp_path):
    data = tmp_path / "data"
    cloud = start(data)
    assert mode(data) == 0o700
    assert (data / "nimbus.toml").is_file() and (data / "nimbus.db").is_file()
    for keys in (data / "fernet-keys", data / "credential-keys"):
        assert mode(keys) == 0o700
        assert sorted(p.name for p in keys.iterdir()) == ["0", "1"]
        assert all(mode(p) == 0o600 for p in keys.iterdir())
    assert mode(data / "clouds.yaml") == 0o600
    clouds = yaml.safe_load((data / "clouds.yaml").read_text())["clouds"]
    assert set(clouds) == {"nimbus", "nimbus-system"}
    assert clouds["nimbus"]["auth"]["auth_url"] == cloud.auth_url
    assert len(cloud.admin_password) >= 16
    printed = output_of(cloud)
    assert "Created a new cloud" in printed
    assert f"export OS_CLIENT_CONFIG_FILE={data / 'clouds.yaml'} OS_CLOUD=nimbus" in printed


def test_the_generated_password_differs_per_cloud(start, tmp_path):
    first = start(tmp_path / "one")
    second = start(tmp_path / "two")
    assert first.admin_password != second.admin_password


def test_ctrl_c_stops_cleanly(start, tmp_path):
    cloud = start(tmp_path / "data")
    assert interrupt(cloud) == 0
    assert "Traceback" not in output_of(cloud)


def test_second_up_on_the_same_data_dir_says_it_is_running(start, tmp_path):
    cloud = start(tmp_path / "data")
    again = nimbus("up", "--data-dir", str(cloud.data_dir), "--port", "1", timeout=30)
    assert "already running" in again.stdout
    assert str(cloud.process.pid) in again.stdout
    assert "Traceback" not in again.stdout + again.stderr
    assert admin_session(cloud).get_token()  # the first one still serves


def test_restart_keeps_projects_tokens_and_password(start, tmp_path):
    cloud = start(tmp_path / "data")
    with connect(cloud) as conn:
        project = conn.identity.create_project(name="survivor", domain_id="default")
    token = admin_token(cloud)
    assert interrupt(cloud) == 0
    printed_before = len(output_of(cloud))  # the same port appends to the same log
    again = start(cloud.data_dir, cloud.port)
    assert again.admin_password == cloud.admin_password
    assert "Created a new cloud" not in output_of(again)[printed_before:]
    with connect(again) as conn:
        assert conn.identity.get_project(project.id).name == "survivor"
    assert token_status(again, token) == 200


def test_fernet_rotate_keeps_old_tokens_and_issues_new_ones(start, tmp_path):
    cloud = start(tmp_path / "data")
    old = admin_token(cloud)
    rotated = nimbus("manage", "fernet-rotate", "--data-dir", str(cloud.data_dir))
    assert rotated.returncode == 0, rotated.stderr
    assert "key 2 is now primary" in rotated.stdout
    assert sorted(p.name for p in (cloud.data_dir / "fernet-keys").iterdir()) == ["0", "1", "2"]
    assert token_status(cloud, old) == 200
    new = admin_token(cloud)
    assert new != old
    assert token_status(cloud, new) == 200


def test_status_says_running_then_not_running(start, tmp_path):
    cloud = start(tmp_path / "data")
    running = nimbus("status", "--data-dir", str(cloud.data_dir))
    assert running.returncode == 0
    assert f"Nimbus is running at {cloud.url}" in running.stdout
    assert interrupt(cloud) == 0
    stopped = nimbus("status", "--data-dir", str(cloud.data_dir))
    assert stopped.returncode != 0
    assert "not running" in stopped.stdout


def test_status_of_a_data_dir_never_used(tmp_path):
    answer = nimbus("status", "--data-dir", str(tmp_path / "nothing"))
    assert answer.returncode != 0
    assert "not running" in answer.stdout


def test_db_upgrade_creates_and_keeps_the_schema(tmp_path):
    data = tmp_path / "data"
    first = nimbus("manage", "db-upgrade", "--data-dir", str(data))
    assert first.returncode == 0, first.stderr
    assert f"Database at revision {head_revision()}" in first.stdout
    assert (data / "nimbus.db").is_file()
    again = nimbus("manage", "db-upgrade", "--data-dir", str(data))
    assert again.returncode == 0 and f"revision {head_revision()}" in again.stdout


def test_up_after_db_upgrade_serves(start, tmp_path):
    data = tmp_path / "data"
    assert nimbus("manage", "db-upgrade", "--data-dir", str(data)).returncode == 0
    cloud = start(data)
    assert admin_session(cloud).get_token()
