"""Real clients against the live cloud: openstacksdk, keystoneauth1, the openstack CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openstack
import openstack.config
import pytest
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from tests.conftest import LiveCloud


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def admin(cloud: LiveCloud) -> Iterator[openstack.connection.Connection]:
    """An openstacksdk connection as the bootstrap admin (project-scoped), from clouds.yaml."""
    config = openstack.config.OpenStackConfig(config_files=[str(cloud.clouds_yaml)])
    conn = openstack.connection.Connection(config=config.get_one(cloud="nimbus"))
    yield conn
    conn.close()


def password_session(cloud: LiveCloud, username: str, password: str, *,
                     project_id: str | None = None, domain_id: str | None = None,
                     system_scope: str | None = None,
                     user_domain_id: str = "default") -> ks_session.Session:
    auth = v3.Password(auth_url=cloud.auth_url, username=username, password=password,
                       user_domain_id=user_domain_id, project_id=project_id,
                       domain_id=domain_id, system_scope=system_scope)
    return ks_session.Session(auth=auth)


def connection_for(sess: ks_session.Session) -> openstack.connection.Connection:
    return openstack.connection.Connection(session=sess, region_name="RegionOne")


@pytest.fixture
def cli(client_env: dict[str, str]) -> Callable[..., Any]:
    """Runs the openstack CLI; returns parsed JSON when -f json is asked for."""
    exe = shutil.which("openstack") or str(Path(sys.executable).parent / "openstack")

    def run(*args: str, env: dict[str, str] | None = None, check: bool = True) -> Any:
        proc = subprocess.run([exe, *args], env=env or client_env, capture_output=True,
                              text=True, timeout=120)
        if check and proc.returncode != 0:
            raise AssertionError(f"openstack {' '.join(args)} failed: {proc.stderr}")
        if "json" in args and proc.returncode == 0 and proc.stdout.strip():
            return json.loads(proc.stdout)
        return proc

    return run


@pytest.fixture
def make_project(admin: openstack.connection.Connection) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    def make(**kw: Any) -> Any:
        kw.setdefault("name", unique("proj"))
        kw.setdefault("domain_id", "default")
        project = admin.identity.create_project(**kw)
        made.append(project)
        return project

    yield make
    for project in made:
        try:
            admin.identity.delete_project(project, ignore_missing=True)
        except Exception:
            pass
