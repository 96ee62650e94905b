"""Fixtures of the multi-store, web-download and task tests: a cloud with three file stores
and web-download allowed for one loopback web server, and that web server."""

from __future__ import annotations

import http.server
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import openstack
import openstack.config
import pytest
from keystoneauth1 import session as ks_session

from tests.api.conftest import connection_for, password_session, unique
from tests.conftest import LiveCloud, free_port, start_cloud


@dataclass
class WebFiles:
    """What the loopback server answers: path -> bytes, or path -> (status, location)."""

    files: dict[str, bytes] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    port: int = 0

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


def _handler(web: WebFiles) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server hook's name
            if self.path in web.redirects:
                self.send_response(302)
                self.send_header("Location", web.redirects[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = web.files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture(scope="package")
def web() -> Iterator[WebFiles]:
    files = WebFiles(port=free_port())
    server = http.server.ThreadingHTTPServer(("127.0.0.1", files.port), _handler(files))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield files
    server.shutdown()
    server.server_close()


STORES = ("fast", "cheap")
# The largest image the store cloud takes: small enough for a test to send more.
SIZE_CAP = 8 << 20


@pytest.fixture(scope="package")
def store_cloud(tmp_path_factory: pytest.TempPathFactory, web: WebFiles
                ) -> Iterator[LiveCloud]:
    root = tmp_path_factory.mktemp("stores")
    env = {"NIMBUS_IMAGE__STORES": f"fast={root / 'fast'},cheap=cheap",
           "NIMBUS_IMAGE__IMPORT_METHODS": "glance-direct,web-download,copy-image",
           "NIMBUS_IMAGE__WEB_DOWNLOAD_ALLOWED_HOSTS": "127.0.0.1",
           "NIMBUS_IMAGE__WEB_DOWNLOAD_ALLOWED_PORTS": str(web.port),
           "NIMBUS_IMAGE__IMAGE_SIZE_CAP": str(SIZE_CAP)}
    live = start_cloud(root / "data", extra_env=env)
    yield live
    live.stop()


def settled_tasks(conn: openstack.connection.Connection, cloud: LiveCloud, image_id: str,
                  count: int = 1) -> list[dict[str, Any]]:
    """The image's tasks once at least ``count`` exist and none is still processing
    (web-download and copy-image run after their 202)."""
    deadline = time.monotonic() + 60
    while True:
        tasks = conn.session.get(f"{cloud.url}/image/v2/images/{image_id}/tasks").json()[
            "tasks"]
        if len(tasks) >= count and all(t["status"] != "processing" for t in tasks):
            return list(tasks)
        if time.monotonic() > deadline:
            raise AssertionError(f"image {image_id}: tasks still running: {tasks}")
        time.sleep(0.1)


def store_dirs(cloud: LiveCloud) -> dict[str, Path]:
    """Each store's directory, as the cloud above configures them."""
    return {"local": cloud.data_dir / "images", "fast": cloud.data_dir.parent / "fast",
            "cheap": cloud.data_dir / "cheap"}


def holders(cloud: LiveCloud, image_id: str) -> list[str]:
    """The stores whose directory holds the image's data, and 'staging' if staged."""
    found = [name for name, path in store_dirs(cloud).items() if (path / image_id).exists()]
    if (cloud.data_dir / "images" / "staging" / image_id).exists():
        found.append("staging")
    return sorted(found)


@pytest.fixture(scope="package")
def sadmin(store_cloud: LiveCloud) -> Iterator[openstack.connection.Connection]:
    config = openstack.config.OpenStackConfig(config_files=[str(store_cloud.clouds_yaml)])
    conn = openstack.connection.Connection(config=config.get_one(cloud="nimbus"))
    yield conn
    conn.close()


@pytest.fixture
def scli_env(store_cloud: LiveCloud) -> dict[str, str]:
    return {**store_cloud.env, "OS_CLIENT_CONFIG_FILE": str(store_cloud.clouds_yaml),
            "OS_CLOUD": "nimbus"}


@pytest.fixture
def store_user(store_cloud: LiveCloud, sadmin: openstack.connection.Connection
               ) -> Iterator[Any]:
    """make(role): a user with ``role`` on a new project of the store cloud."""
    made: list[tuple[Any, Any]] = []

    def make(role: str = "member") -> SimpleNamespace:
        project = sadmin.identity.create_project(name=unique("proj"), domain_id="default")
        password = uuid.uuid4().hex
        user = sadmin.identity.create_user(name=unique("user"), domain_id="default",
                                           password=password, default_project_id=project.id)
        made.append((user, project))
        sadmin.identity.assign_project_role_to_user(
            project, user, sadmin.identity.find_role(role, ignore_missing=False))
        sess: ks_session.Session = password_session(store_cloud, user.name, password,
                                                    project_id=project.id)
        return SimpleNamespace(user=user, project=project, session=sess,
                               conn=connection_for(sess))

    yield make
    for user, project in made:
        sadmin.identity.delete_user(user, ignore_missing=True)
        sadmin.identity.delete_project(project, ignore_missing=True)


@pytest.fixture
def make_store_image(sadmin: openstack.connection.Connection) -> Iterator[Any]:
    made: list[str] = []

    def make(conn: openstack.connection.Connection | None = None, **attrs: Any) -> Any:
        attrs.setdefault("name", unique("img"))
        attrs.setdefault("disk_format", "raw")
        attrs.setdefault("container_format", "bare")
        image = (conn or sadmin).image.create_image(allow_duplicates=True, **attrs)
        made.append(image.id)
        return image

    yield make
    for image_id in made:
        sadmin.image.delete_image(image_id, ignore_missing=True)
