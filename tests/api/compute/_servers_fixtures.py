"""Servers test fixtures: a bootable image, a network, servers made and cleaned up, users
of other projects (all on the fake hypervisor driver)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import openstack
import pytest

from tests.api.conftest import connection_for, password_session, unique
from tests.conftest import LiveCloud

TINY = "42"        # m1.nano: 128 MiB, 1 GiB, 1 vCPU


@pytest.fixture(scope="module")
def boot_image(admin: openstack.connection.Connection) -> Iterator[Any]:
    image = admin.image.create_image(name=unique("boot"), disk_format="raw",
                                     container_format="bare", visibility="public",
                                     data=io.BytesIO(b"\0" * 65536), allow_duplicates=True)
    yield image
    admin.image.delete_image(image.id, ignore_missing=True)


def _network(conn: openstack.connection.Connection, cidr: str) -> Any:
    net = conn.network.create_network(name=unique("net"))
    conn.network.create_subnet(network_id=net.id, ip_version=4, cidr=cidr,
                               name=unique("sub"))
    return net


def _drop_network(admin: openstack.connection.Connection, net: Any) -> None:
    for port in admin.network.ports(network_id=net.id):
        admin.network.delete_port(port, ignore_missing=True)
    admin.network.delete_network(net, ignore_missing=True)


@pytest.fixture(scope="module")
def boot_network(admin: openstack.connection.Connection) -> Iterator[Any]:
    net = _network(admin, f"10.{uuid.uuid4().int % 200 + 20}.7.0/24")
    yield net
    _drop_network(admin, net)


@pytest.fixture
def make_server(admin: openstack.connection.Connection, boot_image: Any, boot_network: Any
                ) -> Iterator[Callable[..., Any]]:
    """make_server(conn=admin, wait=True, **attrs): a server (ACTIVE unless wait=False),
    deleted after the test."""
    made: list[tuple[openstack.connection.Connection, str]] = []

    def make(conn: openstack.connection.Connection | None = None, wait: bool = True,
             **attrs: Any) -> Any:
        conn = conn or admin
        attrs.setdefault("name", unique("vm"))
        attrs.setdefault("image_id", boot_image.id)
        attrs.setdefault("flavor_id", TINY)
        if "networks" not in attrs:
            attrs["networks"] = [{"uuid": boot_network.id}]
        server = conn.compute.create_server(**attrs)
        made.append((conn, server.id))
        if wait:
            server = conn.compute.wait_for_server(server, wait=60, interval=0.5)
        return server

    yield make
    for conn, server_id in made:
        try:
            conn.compute.delete_server(server_id, ignore_missing=True)
        except Exception:  # noqa: BLE001 - cleanup goes on
            continue
    for conn, server_id in made:
        try:
            conn.compute.wait_for_delete(conn.compute.get_server(server_id), wait=30,
                                         interval=0.5)
        except Exception:  # noqa: BLE001 - gone already
            pass


@pytest.fixture
def compute_user(cloud: LiveCloud, admin: openstack.connection.Connection,
                 make_project: Callable[..., Any]) -> Iterator[Callable[..., Any]]:
    """A new user with ``role`` on a new project (and a network there): project, conn,
    network, cli_env."""
    made: list[tuple[Any, Any]] = []

    def make(role: str = "member", network: bool = True) -> Any:
        project = make_project()
        password = uuid.uuid4().hex
        user = admin.identity.create_user(name=unique("user"), domain_id="default",
                                          password=password, default_project_id=project.id)
        admin.identity.assign_project_role_to_user(
            project, user, admin.identity.find_role(role, ignore_missing=False))
        conn = connection_for(password_session(cloud, user.name, password,
                                               project_id=project.id))
        net = _network(conn, f"10.{uuid.uuid4().int % 200 + 20}.9.0/24") if network \
            else None
        made.append((user, net))
        env = {"OS_AUTH_URL": cloud.auth_url, "OS_USERNAME": user.name,
               "OS_PASSWORD": password, "OS_USER_DOMAIN_ID": "default",
               "OS_PROJECT_ID": project.id, "OS_IDENTITY_API_VERSION": "3",
               "OS_REGION_NAME": "RegionOne"}
        return SimpleNamespace(user=user, project=project, conn=conn, network=net,
                               cli_env=env)

    yield make
    for user, net in made:
        if net is not None:
            try:
                _drop_network(admin, net)
            except Exception:  # noqa: BLE001 - servers may still hold ports
                pass
        admin.identity.delete_user(user, ignore_missing=True)
