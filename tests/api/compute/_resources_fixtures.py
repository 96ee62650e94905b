"""Fixtures of the compute resource families' API tests: clients (openstacksdk at a chosen
microversion, python-novaclient), members of fresh projects, and compute hosts that report
the way the compute agent will (its public report_service / report_node functions, called on
the live cloud's database)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from nimbus.config import Settings
from nimbus.kernel.runtime import Runtime
from nimbus.services.compute.service import ComputeService, compute_of
from tests.api.conftest import unique
from tests.conftest import LiveCloud

NODE = {"vcpus": 4, "memory_mb": 8192, "local_gb": 100, "vcpus_used": 1,
        "memory_mb_used": 1024, "local_gb_used": 10, "hypervisor_type": "QEMU",
        "hypervisor_version": 8002000, "host_ip": "192.0.2.10",
        "cpu_info": {"arch": "x86_64", "model": "qemu64", "vendor": "AMD",
                     "topology": {"sockets": 1, "cores": 4, "threads": 1}}}


@pytest.fixture(scope="session")
def compute_store(cloud: LiveCloud) -> Iterator[ComputeService]:
    """The compute service facade on the live cloud's database (what the agent will call)."""
    runtime = Runtime(Settings(data_dir=cloud.data_dir))
    yield compute_of(runtime)
    runtime.close()


@pytest.fixture
def make_host(compute_store: ComputeService) -> Iterator[Callable[..., str]]:
    """A compute host that has reported its service and node; deleted afterwards."""
    made: list[str] = []

    def make(**resources: Any) -> str:
        host = unique("cr-host")
        compute_store.hosts.report_service(host)
        compute_store.hosts.report_node(host, {**NODE, **resources})
        made.append(host)
        return host

    yield make
    for host in made:
        for service in compute_store.hosts.services(host=host):
            compute_store.hosts.delete_service(service["id"])
        compute_store.aggregates.forget_host(host)


def raw(conn: Any, method: str, path: str, version: str = "2.1", **kw: Any) -> Any:
    """A request through the SDK's compute adapter, at ``version``, without raising."""
    return getattr(conn.compute, method)(path, microversion=version, raise_exc=False, **kw)


def fault(response: Any, status: int) -> str:
    """The message of a Nova fault body of ``status``, checked for its shape."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert len(body) == 1, body
    (inner,) = body.values()
    assert inner["code"] == status
    return str(inner["message"])


@pytest.fixture
def member(make_member: Callable[..., Any]) -> Any:
    return make_member()


@pytest.fixture
def nova(admin: Any) -> Any:
    from novaclient import client as nova_client

    return nova_client.Client("2.1", session=admin.session)


@pytest.fixture
def nova_latest(admin: Any) -> Any:
    from novaclient import client as nova_client

    return nova_client.Client("2.96", session=admin.session)
