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


@pytest.fixture
def make_user(admin: openstack.connection.Connection) -> Iterator[Callable[..., Any]]:
    """Creates users (default domain, a random password unless given); deletes them after."""
    made: list[Any] = []

    def make(**kw: Any) -> Any:
        kw.setdefault("name", unique("user"))
        kw.setdefault("domain_id", "default")
        kw.setdefault("password", uuid.uuid4().hex)
        user = admin.identity.create_user(**kw)
        user.login_password = kw["password"]  # not a resource attribute: never sent back
        made.append(user)
        return user

    yield make
    for user in made:
        try:
            admin.identity.delete_user(user, ignore_missing=True)
        except Exception:
            pass


@pytest.fixture
def make_group(admin: openstack.connection.Connection) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    def make(**kw: Any) -> Any:
        kw.setdefault("name", unique("group"))
        kw.setdefault("domain_id", "default")
        group = admin.identity.create_group(**kw)
        made.append(group)
        return group

    yield make
    for group in made:
        try:
            admin.identity.delete_group(group, ignore_missing=True)
        except Exception:
            pass


@pytest.fixture
def make_role(admin: openstack.connection.Connection) -> Iterator[Callable[..., Any]]:
    """Creates roles (global unless domain_id is given); deletes them after."""
    made: list[Any] = []

    def make(**kw: Any) -> Any:
        kw.setdefault("name", unique("role"))
        role = admin.identity.create_role(**kw)
        made.append(role)
        return role

    yield make
    for role in made:
        try:
            admin.identity.update_role(role, options={"immutable": False})
            admin.identity.delete_role(role, ignore_missing=True)
        except Exception:
            pass


@pytest.fixture
def make_domain(admin: openstack.connection.Connection) -> Iterator[Callable[..., Any]]:
    """Creates domains; disables and deletes them (with all they hold) after."""
    made: list[Any] = []

    def make(**kw: Any) -> Any:
        kw.setdefault("name", unique("domain"))
        domain = admin.identity.create_domain(**kw)
        made.append(domain)
        return domain

    yield make
    for domain in made:
        try:
            admin.identity.update_domain(domain, enabled=False)
            admin.identity.delete_domain(domain, ignore_missing=True)
        except Exception:
            pass


@pytest.fixture
def make_member(cloud: LiveCloud, admin: openstack.connection.Connection,
                make_user: Callable[..., Any], make_project: Callable[..., Any]
                ) -> Callable[..., Any]:
    """A new user holding ``role`` (member by default) on a new project; returns an object
    with ``user``, ``project``, ``session`` (keystoneauth1) and ``conn`` (openstacksdk)."""
    from types import SimpleNamespace

    def make(role: str = "member") -> Any:
        project = make_project()
        user = make_user(default_project_id=project.id)
        admin.identity.assign_project_role_to_user(
            project, user, admin.identity.find_role(role, ignore_missing=False))
        sess = password_session(cloud, user.name, user.login_password, project_id=project.id)
        return SimpleNamespace(user=user, project=project, session=sess,
                               conn=connection_for(sess))

    return make
