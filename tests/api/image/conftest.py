"""Image API fixtures: small disk images, images made and cleaned up, users of other projects."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openstack
import pytest

from tests.api.conftest import connection_for, password_session, unique
from tests.conftest import LiveCloud

# Glance's faults follow Accept as webob's do: a raw request that reads the JSON fault asks
# for it (the clients themselves send */* and get HTML).
JSON_FAULTS = {"Accept": "application/json"}


@pytest.fixture
def json_faults(admin: openstack.connection.Connection) -> Iterator[None]:
    """For tests that read Glance's JSON faults on the admin's raw requests: the admin's
    image proxy asks for JSON while the test runs."""
    headers = admin.image.additional_headers
    headers.update(JSON_FAULTS)
    yield
    headers.pop("Accept", None)


def qemu_img() -> str:
    """qemu-img, or a skip (a failure in CI, which installs qemu-utils)."""
    found = shutil.which("qemu-img")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("qemu-img is missing (apt-get install qemu-utils)")
        pytest.skip("qemu-img is not installed")
    return found


@pytest.fixture(scope="session")
def make_disk(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., bytes]:
    """Bytes of a fresh disk image: make_disk("qcow2", "16M", "-o", "compat=1.1")."""
    folder = tmp_path_factory.mktemp("disks")

    def make(fmt: str, size: str = "8M", *options: str) -> bytes:
        path = folder / f"{uuid.uuid4().hex}.{fmt}"
        subprocess.run([qemu_img(), "create", "-q", "-f", fmt, *options, str(path), size],
                       check=True, cwd=folder)
        return path.read_bytes()

    return make


@pytest.fixture
def make_image(admin: openstack.connection.Connection) -> Iterator[Callable[..., Any]]:
    """Creates images (as admin unless ``conn`` is given); deletes them afterwards."""
    made: list[tuple[openstack.connection.Connection, str]] = []

    def make(conn: openstack.connection.Connection | None = None, **attrs: Any) -> Any:
        conn = conn or admin
        attrs.setdefault("name", unique("img"))
        attrs.setdefault("disk_format", "raw")
        attrs.setdefault("container_format", "bare")
        image = conn.image.create_image(allow_duplicates=True, **attrs)
        made.append((conn, image.id))
        return image

    yield make
    for _conn, image_id in made:
        try:
            admin.image.update_image(image_id, is_protected=False)
            admin.image.delete_image(image_id, ignore_missing=True)
        except Exception:
            pass


@pytest.fixture
def project_user(cloud: LiveCloud, admin: openstack.connection.Connection,
                 make_project: Callable[..., Any]) -> Iterator[Callable[..., Any]]:
    """A new user with ``role`` on a new project: an object with project, session, conn."""
    users: list[Any] = []

    def make(role: str = "member") -> Any:
        from types import SimpleNamespace

        project = make_project()
        password = uuid.uuid4().hex
        user = admin.identity.create_user(name=unique("user"), domain_id="default",
                                          password=password, default_project_id=project.id)
        users.append(user)
        admin.identity.assign_project_role_to_user(
            project, user, admin.identity.find_role(role, ignore_missing=False))
        sess = password_session(cloud, user.name, password, project_id=project.id)
        env = {"OS_AUTH_URL": cloud.auth_url, "OS_USERNAME": user.name,
               "OS_PASSWORD": password, "OS_USER_DOMAIN_ID": "default",
               "OS_PROJECT_ID": project.id, "OS_IDENTITY_API_VERSION": "3",
               "OS_REGION_NAME": "RegionOne"}
        return SimpleNamespace(user=user, project=project, session=sess,
                               conn=connection_for(sess), cli_env=env)

    yield make
    for user in users:
        admin.identity.delete_user(user, ignore_missing=True)


@pytest.fixture
def image_url(cloud: LiveCloud) -> str:
    return f"{cloud.url}/image/v2"


@pytest.fixture
def image_cli(client_env: dict[str, str]) -> Callable[..., Any]:
    """The openstack CLI run from a terminal, as a person runs it: `image create` reads
    image data from a stdin that is not a terminal (the shared `cli` fixture's)."""
    exe = shutil.which("openstack") or str(Path(sys.executable).parent / "openstack")

    def run(*args: str, check: bool = True, user_env: dict[str, str] | None = None) -> Any:
        """``user_env`` (a project_user's cli_env) runs as that user instead of admin."""
        env = client_env if user_env is None else {
            **{k: v for k, v in client_env.items() if not k.startswith("OS_")}, **user_env}
        controller, terminal = pty.openpty()
        try:
            proc = subprocess.run([exe, *args], env=env, capture_output=True,
                                  text=True, timeout=120, stdin=terminal)
        finally:
            os.close(controller)
            os.close(terminal)
        if check and proc.returncode != 0:
            raise AssertionError(f"openstack {' '.join(args)} failed: {proc.stderr}")
        if "json" in args and proc.returncode == 0 and proc.stdout.strip():
            return json.loads(proc.stdout)
        return proc

    return run


def stored_files(cloud: LiveCloud) -> list[str]:
    """Every file in the image store and staging area, partial writes included."""
    root = Path(cloud.data_dir) / "images"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) \
        if root.exists() else []
