"""Network IP availability (admin): per network and per subnet, how many addresses the
allocation pools hold and how many ports use, counted in SQL over the IPAllocation rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nimbus.kernel.context import RequestContext
from nimbus.services.network.errors import ResourceNotFound
from nimbus.services.network.models.core import AllocationPool, IPAllocation, Network, Subnet
from nimbus.services.network.schemas.listing import ListQuery
from nimbus.services.network.service.base import ResourceStore
from nimbus.services.network.service.subnet_rules import pool_size

NETWORK_FILTERS = {"network_id": Network.id, "network_name": Network.name,
                   "project_id": Network.project_id}


class IpAvailability(ResourceStore):
    resource_type = "network_ip_availabilities"

    def list(self, ctx: RequestContext, query: ListQuery) -> list[dict[str, Any]]:
        with self.db.session() as s:
            stmt = select(Network).order_by(Network.id)
            for name, values in query.filters.items():
                if name in NETWORK_FILTERS:
                    stmt = stmt.where(NETWORK_FILTERS[name].in_(values))
            versions = query.filters.get("ip_version")
            if versions:
                stmt = stmt.where(Network.id.in_(select(Subnet.network_id)
                                                 .where(Subnet.ip_version.in_(versions))))
            return self._render(s, list(s.scalars(stmt)), versions)

    def get(self, ctx: RequestContext, network_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            network = s.get(Network, network_id)
            if network is None:
                raise ResourceNotFound("Network", network_id)
            return self._render(s, [network], None)[0]

    def _render(self, s: Session, networks: list[Network],
                versions: list[int] | None) -> list[dict[str, Any]]:
        ids = [n.id for n in networks]
        stmt = select(Subnet).where(Subnet.network_id.in_(ids)).order_by(Subnet.id)
        if versions:
            stmt = stmt.where(Subnet.ip_version.in_(versions))
        subnets = list(s.scalars(stmt)) if ids else []
        subnet_ids = [sub.id for sub in subnets]
        pools: dict[str, list[tuple[str, str]]] = {}
        used: dict[str, int] = {}
        if subnet_ids:
            for pool in s.scalars(select(AllocationPool)
                                  .where(AllocationPool.subnet_id.in_(subnet_ids))):
                pools.setdefault(pool.subnet_id, []).append((pool.first_ip, pool.last_ip))
            used = dict(s.execute(select(IPAllocation.subnet_id, func.count())
                                  .where(IPAllocation.subnet_id.in_(subnet_ids))
                                  .group_by(IPAllocation.subnet_id)).all())
        per_network: dict[str, list[dict[str, Any]]] = {}
        for sub in subnets:
            per_network.setdefault(sub.network_id, []).append({
                "subnet_id": sub.id, "subnet_name": sub.name, "cidr": sub.cidr,
                "ip_version": sub.ip_version, "total_ips": pool_size(pools.get(sub.id, [])),
                "used_ips": used.get(sub.id, 0)})
        out = []
        for network in networks:
            subs = per_network.get(network.id, [])
            out.append({"network_id": network.id, "network_name": network.name,
                        "tenant_id": network.project_id, "project_id": network.project_id,
                        "total_ips": sum(x["total_ips"] for x in subs),
                        "used_ips": sum(x["used_ips"] for x in subs),
                        "subnet_ip_availability": subs})
        return out
