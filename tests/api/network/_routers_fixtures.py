"""Fixtures the L3 API tests share: an external network with a subnet, private networks
with subnets, routers, ports and floating IPs, and clean-up in the right order (floating IPs,
routers, ports, networks)."""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import unique
from tests.conftest import LiveCloud

_cidrs = itertools.count(1)


def next_cidr(prefix: str = "10.") -> str:
    n = next(_cidrs)
    return f"{prefix}{n // 250}.{n % 250}.0/24" if prefix == "10." else \
        f"172.{16 + n // 250}.{n % 250}.0/24"


class L3World:
    def __init__(self, cloud: LiveCloud, admin: Any) -> None:
        self.cloud, self.admin = cloud, admin
        self.networks: list[str] = []
        self.routers: list[str] = []
        self.fips: list[str] = []
        self.ports: list[str] = []

    # -- makers ---------------------------------------------------------------------------
    def network(self, conn: Any = None, **kw: Any) -> Any:
        net = (conn or self.admin).network.create_network(name=kw.pop("name", unique("net")),
                                                          **kw)
        self.networks.append(net.id)
        return net

    def subnet(self, network: Any, cidr: str | None = None, conn: Any = None,
               gateway: str | None = "auto") -> Any:
        cidr = cidr or next_cidr()
        net = ipaddress.ip_network(cidr)
        gw = str(net[1]) if gateway == "auto" else gateway
        return (conn or self.admin).network.create_subnet(
            network_id=network.id, cidr=cidr, ip_version=net.version, gateway_ip=gw)

    def public(self) -> tuple[Any, Any]:
        net = self.network(name=unique("public"), is_router_external=True)
        return net, self.subnet(net, next_cidr("172."))

    def private(self, conn: Any = None) -> tuple[Any, Any]:
        net = self.network(conn)
        return net, self.subnet(net, conn=conn)

    def router(self, conn: Any = None, **kw: Any) -> Any:
        router = (conn or self.admin).network.create_router(name=kw.pop("name", unique("r")),
                                                            **kw)
        self.routers.append(router.id)
        return router

    def port(self, network: Any, conn: Any = None, **kw: Any) -> Any:
        port = (conn or self.admin).network.create_port(network_id=network.id, **kw)
        self.ports.append(port.id)
        return port

    def fip(self, network: Any, conn: Any = None, **kw: Any) -> Any:
        fip = (conn or self.admin).network.create_ip(floating_network_id=network.id, **kw)
        self.fips.append(fip.id)
        return fip

    # -- clean-up -------------------------------------------------------------------------
    def close(self) -> None:
        net = self.admin.network
        for fip_id in self.fips:
            _quietly(net.delete_ip, fip_id, ignore_missing=True)
        for router_id in self.routers:
            for port in net.ports(device_id=router_id,
                                  device_owner="network:router_interface"):
                _quietly(net.remove_interface_from_router, router_id, port_id=port.id)
            _quietly(net.delete_router, router_id, ignore_missing=True)
        for port_id in self.ports:
            _quietly(net.delete_port, port_id, ignore_missing=True)
        for network_id in reversed(self.networks):
            _quietly(net.delete_network, network_id, ignore_missing=True)


def _quietly(call: Any, *args: Any, **kw: Any) -> None:
    try:
        call(*args, **kw)
    except Exception:  # noqa: BLE001 - best-effort clean-up
        pass


@pytest.fixture
def l3(cloud: LiveCloud, admin: Any) -> Iterator[L3World]:
    world = L3World(cloud, admin)
    yield world
    world.close()
__all__ = ["L3World", "l3"]
