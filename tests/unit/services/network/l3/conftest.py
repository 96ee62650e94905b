"""Fixtures of the L3 unit tests: a network service on a migrated SQLite data dir, callers,
and factories for networks, subnet rows (straight in the table: the subnet API has its own
tests), ports, routers and floating IPs."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import nimbus.services.network.api  # noqa: F401  (the API first: it imports the service)
from nimbus.config import Settings
from nimbus.kernel.context import RequestContext
from nimbus.kernel.migrate import upgrade
from nimbus.kernel.runtime import Runtime
from nimbus.services.network.models.core import AllocationPool, Subnet
from nimbus.services.network.service import NetworkService, network_of

NETWORK_DEFAULTS = {"admin_state_up": True, "router:external": False, "shared": False,
                    "port_security_enabled": True, "mtu": None}


@pytest.fixture
def l3_runtime(tmp_path: Path) -> Iterator[Runtime]:
    runtime = Runtime(Settings(data_dir=tmp_path / "data"))
    upgrade(runtime.db.engine)
    yield runtime
    runtime.close()


@pytest.fixture
def svc(l3_runtime: Runtime) -> NetworkService:
    return network_of(l3_runtime)


@pytest.fixture
def admin() -> RequestContext:
    return RequestContext(user_id="u-admin", project_id="p-admin",
                          roles=("admin", "member", "reader"))


@pytest.fixture
def member() -> RequestContext:
    return RequestContext(user_id="u-member", project_id="p-member", roles=("member", "reader"))


@pytest.fixture
def make_net(svc: NetworkService, admin: RequestContext) -> Callable[..., str]:
    def make(ctx: RequestContext | None = None, external: bool = False, **kw: Any) -> str:
        ctx = ctx or admin
        values = {**NETWORK_DEFAULTS, "router:external": external, "name": "n",
                  "project_id": ctx.project_id, "tenant_id": ctx.project_id, **kw}
        return str(svc.networks.create(ctx, values)["id"])
    return make


@pytest.fixture
def make_subnet(svc: NetworkService) -> Callable[..., str]:
    def make(network_id: str, cidr: str = "10.0.0.0/24", gateway: str | None = "auto",
             project_id: str = "p-admin", **kw: Any) -> str:
        import ipaddress

        net = ipaddress.ip_network(cidr)
        gw = str(net[1]) if gateway == "auto" else gateway
        subnet_id = str(uuid.uuid4())
        with svc.db.session() as s, s.begin():
            s.add(Subnet(id=subnet_id, project_id=project_id, network_id=network_id,
                         ip_version=net.version, cidr=cidr, gateway_ip=gw,
                         created_at=dt.datetime.now(), **kw))
            s.flush()
            s.add(AllocationPool(subnet_id=subnet_id, first_ip=str(net[2]),
                                 last_ip=str(net[min(net.num_addresses - 2, 200)])))
        return subnet_id
    return make


@pytest.fixture
def make_port(svc: NetworkService, admin: RequestContext) -> Callable[..., dict[str, Any]]:
    def make(network_id: str, ctx: RequestContext | None = None, **kw: Any) -> dict[str, Any]:
        ctx = ctx or admin
        values = {"network_id": network_id, "project_id": ctx.project_id,
                  "tenant_id": ctx.project_id, "admin_state_up": True, "name": "",
                  "device_id": "", "device_owner": "", **kw}
        return svc.ports.create(ctx, values)  # type: ignore[no-any-return]
    return make


@pytest.fixture
def make_router(svc: NetworkService, admin: RequestContext) -> Callable[..., dict[str, Any]]:
    def make(ctx: RequestContext | None = None, **kw: Any) -> dict[str, Any]:
        ctx = ctx or admin
        values = {"name": "r", "admin_state_up": True, "project_id": ctx.project_id,
                  "tenant_id": ctx.project_id, "external_gateway_info": None,
                  "availability_zone_hints": [], **kw}
        return svc.routers.create(ctx, values)  # type: ignore[no-any-return]
    return make


@pytest.fixture
def make_fip(svc: NetworkService, admin: RequestContext) -> Callable[..., dict[str, Any]]:
    def make(network_id: str, ctx: RequestContext | None = None, **kw: Any) -> dict[str, Any]:
        ctx = ctx or admin
        values = {"floating_network_id": network_id, "project_id": ctx.project_id,
                  "tenant_id": ctx.project_id, **kw}
        return svc.floatingips.create(ctx, values)  # type: ignore[no-any-return]
    return make
