"""Subnets: IPv4 and IPv6 on a network, from a CIDR or carved out of a subnet pool, with
Neutron's checks (service/subnet_rules.py) and its overlap rule: no two subnets of one
network overlap, and none at all when ``allow_overlapping_ips`` is off."""

from __future__ import annotations

import builtins
import ipaddress
import uuid
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from nimbus.kernel.context import RequestContext
from nimbus.kernel.db import utcnow
from nimbus.kernel.errors import NotFound
from nimbus.services.network.errors import (
    ConflictNeutron,
    InUse,
    InvalidInput,
    ResourceNotFound,
)
from nimbus.services.network.models.core import (
    AllocationPool,
    DnsNameServer,
    HostRoute,
    IPAllocation,
    Network,
    Port,
    RbacPolicy,
    Segment,
    Subnet,
)
from nimbus.services.network.models.subnetpools import SubnetPool
from nimbus.services.network.schemas.listing import ListQuery
from nimbus.services.network.schemas.subnets import NOT_SET
from nimbus.services.network.service import query as q
from nimbus.services.network.service import quotas
from nimbus.services.network.service import subnet_rules as rules
from nimbus.services.network.service.base import ResourceStore, caller_is_admin
from nimbus.services.network.service.networks import EXTERNAL, SHARED, granted, visible_network
from nimbus.services.network.service.standard import bump, drop_tags, standard_view, tags_of
from nimbus.services.network.service.subnet_rules import BadRequestTyped

COLUMNS = {"id": Subnet.id, "name": Subnet.name, "project_id": Subnet.project_id,
           "description": Subnet.description, "network_id": Subnet.network_id,
           "ip_version": Subnet.ip_version, "cidr": Subnet.cidr,
           "gateway_ip": Subnet.gateway_ip, "enable_dhcp": Subnet.enable_dhcp,
           "ipv6_ra_mode": Subnet.ipv6_ra_mode, "ipv6_address_mode": Subnet.ipv6_address_mode,
           "subnetpool_id": Subnet.subnetpool_id, "segment_id": Subnet.segment_id,
           "dns_publish_fixed_ip": Subnet.dns_publish_fixed_ip,
           "revision_number": Subnet.revision_number, "created_at": Subnet.created_at,
           "updated_at": Subnet.updated_at}
ROUTER_INTERFACES = ("network:router_interface", "network:ha_router_replicated_interface",
                     "network:router_interface_distributed")
# Ports whose addresses go with the subnet (Neutron's AUTO_DELETE_PORT_OWNERS).
AUTO_DELETE_OWNERS = ("network:dhcp", "network:router_ha_interface", "network:distributed")


def visible_subnets(ctx: RequestContext) -> Any:
    """Its own, those on its networks, and those on networks shared with it or external."""
    project = ctx.project_id
    return or_(Subnet.project_id == project, Network.project_id == project,
               granted(SHARED, project), granted(EXTERNAL, project))


def given(value: Any) -> bool:
    return value is not NOT_SET and value is not None


class Subnets(ResourceStore):
    resource_type = "subnets"

    # -- reading ------------------------------------------------------------------------
    def list(self, ctx: RequestContext, query: ListQuery) -> builtins.list[dict[str, Any]]:
        with self.db.session() as s:
            stmt = select(Subnet).join(Network, Network.id == Subnet.network_id)
            if not caller_is_admin(ctx):
                stmt = stmt.where(visible_subnets(ctx))
            stmt, rest = q.apply_filters(stmt, COLUMNS, query)
            stmt = self._extra_filters(stmt, rest)
            stmt = q.apply_tags(stmt, Subnet.id, self.resource_type, query.tags)
            stmt = q.apply_order_and_page(s, stmt, Subnet, COLUMNS, query, "Subnet")
            rows = q.finish_page(list(s.scalars(stmt)), query)
            items = self.render_many(s, rows, ctx)
        wanted = rest.get("service_types")
        if wanted:
            items = [i for i in items if set(wanted) <= set(i["service_types"])]
        return items

    def _extra_filters(self, stmt: Any, rest: dict[str, builtins.list[Any]]) -> Any:
        for name, values in rest.items():
            if name == "shared":
                cond = granted(SHARED, None)
                stmt = stmt.where(or_(*[cond if v else ~cond for v in values]))
            elif name == "router:external":
                stmt = stmt.where(Network.router_external.in_(values))
        return stmt

    def get(self, ctx: RequestContext, subnet_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            return self.render_many(s, [self.row(s, subnet_id)], ctx)[0]

    def row(self, s: Session, subnet_id: str) -> Subnet:
        row = s.get(Subnet, subnet_id)
        if row is None:
            raise ResourceNotFound("Subnet", subnet_id)
        return row

    def policy_target(self, ctx: RequestContext, values: dict[str, Any]) -> dict[str, Any]:
        """The network's owner for ``create_subnet`` (Neutron's ``network:tenant_id``)."""
        with self.db.session() as s:
            network = visible_network(s, ctx, values["network_id"])
            shared = s.scalar(select(granted(SHARED, ctx.project_id))
                              .where(Network.id == network.id))
            # Neutron's _validate_network_tenant_ownership: on a network that is not shared,
            # only its owner's subnets (admins aside); 404 hides the network.
            if not caller_is_admin(ctx) and not shared and \
                    network.project_id != values.get("project_id"):
                raise NotFound("The resource could not be found.")
            return {"network:tenant_id": network.project_id,
                    "network:project_id": network.project_id}

    # -- create -------------------------------------------------------------------------
    def create(self, ctx: RequestContext, values: dict[str, Any]) -> dict[str, Any]:
        values = dict(values)
        pool_id = self._pool_id(values)
        has_cidr = given(values.get("cidr"))
        if has_cidr and values.get("prefixlen") is not NOT_SET:
            raise rules.bad_subnet("cidr and prefixlen must not be supplied together")
        if not pool_id and not has_cidr:
            raise rules.bad_subnet("a subnetpool must be specified in the absence of a cidr")
        if pool_id and not has_cidr and given(values.get("allocation_pools")):
            raise rules.bad_subnet("allocation_pools allowed only for specific subnet "
                                   "requests.")
        if has_cidr:
            rules.check_version(values["ip_version"], values["cidr"], "cidr")
        with self.db.session() as s, s.begin():
            network = visible_network(s, ctx, values["network_id"])
            # Revising the network first takes its row lock (the write lock on SQLite), so
            # two subnets racing onto one network are checked for overlap one after the other.
            s.execute(update(Network).where(Network.id == network.id).values(
                revision_number=Network.revision_number + 1, updated_at=utcnow()))
            if pool_id:
                values["cidr"] = self.services.subnetpools.allocate_for_subnet(
                    s, ctx, pool_id, values)
                if not has_cidr and values["gateway_ip"] is NOT_SET:
                    # Neutron's any-prefix allocation: the first host, IPv6 too.
                    first = ipaddress.ip_network(values["cidr"]).network_address + 1
                    values["gateway_ip"] = str(first)
            subnet_id = self._insert(s, network, values, pool_id)
        self.changed(networks=[values["network_id"]])
        return self.get(ctx, subnet_id)

    def create_bulk(self, ctx: RequestContext,
                    items: builtins.list[dict[str, Any]]) -> builtins.list[dict[str, Any]]:
        """All or nothing, as Neutron's bulk create: a failure removes what was made."""
        made: builtins.list[dict[str, Any]] = []
        try:
            for values in items:
                made.append(self.create(ctx, values))
        except Exception:
            for item in reversed(made):
                self.delete(ctx, item["id"])
            raise
        return made

    def _check_mtu(self, network: Network, version: int) -> None:
        """IPv4 needs an MTU of 68, IPv6 one of 1280 (NetworkMTUSubnetConflict)."""
        need = 1280 if version == 6 else 68
        if network.mtu and network.mtu < need:
            raise ConflictNeutron("NetworkMTUSubnetConflict",
                                  f"MTU of {network.id} is not valid, subnet requires a "
                                  f"minimum of {need}")

    def _pool_id(self, values: dict[str, Any]) -> str | None:
        pool_id = values.get("subnetpool_id")
        pool_id = None if pool_id is NOT_SET else pool_id
        if values.get("use_default_subnetpool"):
            if pool_id:
                raise rules.bad_subnet("subnetpool_id and use_default_subnetpool cannot "
                                       "both be specified")
            default = self.services.subnetpools.default_pool_id(values["ip_version"])
            if default is None:
                raise rules.bad_subnet(f"No default subnetpool found for "
                                       f"IPv{values['ip_version']}")
            return str(default)
        return pool_id

    def _insert(self, s: Session, network: Network, values: dict[str, Any],
                pool_id: str | None) -> str:
        quotas.check(s, values["project_id"], "subnet")
        net = ipaddress.ip_network(values["cidr"])
        self._check_mtu(network, net.version)
        self._check_new(values, net)
        self._check_overlap(s, network.id, net)
        self._check_pool_affinity(s, network.id, net.version, pool_id)
        self._check_segment(s, network.id, values.get("segment_id"))
        gateway = rules.default_gateway(net) if values["gateway_ip"] is NOT_SET \
            else values["gateway_ip"]
        if given(values.get("allocation_pools")):
            pools = rules.parse_pools(values["allocation_pools"])
            rules.check_pools(pools, net)
            rules.check_gateway_out_of_pools(gateway, pools)
        else:
            pools = rules.generate_pools(net, gateway)
        row = Subnet(id=str(uuid.uuid4()), project_id=values["project_id"],
                     name=values.get("name") or "", description=values.get("description") or "",
                     network_id=network.id, ip_version=net.version, cidr=str(net),
                     gateway_ip=gateway, enable_dhcp=values["enable_dhcp"],
                     ipv6_ra_mode=_mode(values.get("ipv6_ra_mode")),
                     ipv6_address_mode=_mode(values.get("ipv6_address_mode")),
                     subnetpool_id=pool_id, segment_id=values.get("segment_id"),
                     dns_publish_fixed_ip=values.get("dns_publish_fixed_ip") or False,
                     service_types=values.get("service_types") or [])
        s.add(row)
        s.flush()
        self._write_pools(s, row.id, pools)
        self._write_dns(s, row.id, _listed(values.get("dns_nameservers")))
        self._write_routes(s, row.id, _listed(values.get("host_routes")))
        return row.id

    def _check_new(self, values: dict[str, Any], net: rules.Net) -> None:
        rules.check_cidr(net, values["enable_dhcp"])
        gateway = values.get("gateway_ip")
        if given(gateway):
            rules.check_gateway(net, gateway)
        rules.check_dns(_listed(values.get("dns_nameservers")), net.version, None)
        rules.check_routes(_listed(values.get("host_routes")), net.version, None)
        if net.version == 4:
            rules.check_ipv4_has_no_modes({k: _mode(values.get(k)) for k in
                                           ("ipv6_ra_mode", "ipv6_address_mode")})
        else:
            rules.check_ipv6_modes({"ipv6_ra_mode": _mode(values.get("ipv6_ra_mode")),
                                    "ipv6_address_mode": _mode(values.get("ipv6_address_mode")),
                                    "enable_dhcp": values["enable_dhcp"]}, net)

    def _check_overlap(self, s: Session, network_id: str, net: rules.Net) -> None:
        stmt = select(Subnet.cidr)
        if self.options.allow_overlapping_ips:
            stmt = stmt.where(Subnet.network_id == network_id)
        if rules.overlaps(net, s.scalars(stmt)):
            raise InvalidInput(f"Requested subnet with cidr: {net} for network: {network_id} "
                               "overlaps with another subnet")

    def _check_pool_affinity(self, s: Session, network_id: str, version: int,
                             pool_id: str | None) -> None:
        """One address scope per IP version on a network; without scopes, one pool."""
        scope = self.services.subnetpools.scopes_of_networks(s, [network_id]).get(
            network_id, {}).get(version)
        pool = s.get(SubnetPool, pool_id) if pool_id else None
        if scope and (pool is None or pool.address_scope_id != scope):
            raise BadRequestTyped("NetworkAddressScopeAffinityError",
                                  "Subnets of the same address family hosted on the same "
                                  "network must all participate in the same address scope.")
        for other_pool in s.scalars(select(Subnet.subnetpool_id).where(
                Subnet.network_id == network_id, Subnet.ip_version == version)):
            mixed = (other_pool != pool.id and not scope) if pool else bool(other_pool)
            if mixed:
                raise BadRequestTyped("NetworkSubnetPoolAffinityError",
                                      "Subnets hosted on the same network must be allocated "
                                      "from the same subnet pool.")

    def _check_segment(self, s: Session, network_id: str, segment_id: str | None) -> None:
        if not segment_id:
            return
        segment = s.get(Segment, segment_id)
        if segment is None:
            raise ResourceNotFound("Segment", segment_id)
        if segment.network_id != network_id:
            raise BadRequestTyped("NetworkIdsDontMatch",
                                  f"The subnet's network id, {network_id}, doesn't match the "
                                  f"network_id of segment {segment_id}")

    def _write_pools(self, s: Session, subnet_id: str, pools: builtins.list[rules.Pool]) -> None:
        s.execute(delete(AllocationPool).where(AllocationPool.subnet_id == subnet_id))
        for first, last in pools:
            s.add(AllocationPool(subnet_id=subnet_id, first_ip=str(first), last_ip=str(last)))

    def _write_dns(self, s: Session, subnet_id: str, servers: builtins.list[str]) -> None:
        s.execute(delete(DnsNameServer).where(DnsNameServer.subnet_id == subnet_id))
        s.flush()
        for order, address in enumerate(servers):
            s.add(DnsNameServer(subnet_id=subnet_id, address=address, order=order))

    def _write_routes(self, s: Session, subnet_id: str,
                      routes: builtins.list[dict[str, str]]) -> None:
        s.execute(delete(HostRoute).where(HostRoute.subnet_id == subnet_id))
        s.flush()
        for route in routes:
            s.add(HostRoute(subnet_id=subnet_id, destination=route["destination"],
                            nexthop=route["nexthop"]))

    # -- update -------------------------------------------------------------------------
    def update(self, ctx: RequestContext, subnet_id: str,
               values: dict[str, Any]) -> dict[str, Any]:
        with self.db.session() as s, s.begin():
            row = self.row(s, subnet_id)
            net = ipaddress.ip_network(row.cidr)
            self._check_update(s, row, net, values)
            if values.get("segment_id"):
                self._check_segment(s, row.network_id, values["segment_id"])
            for key in ("name", "description", "enable_dhcp", "segment_id",
                        "service_types", "dns_publish_fixed_ip"):
                if key in values:
                    setattr(row, key, values[key])
            if "gateway_ip" in values:
                row.gateway_ip = values["gateway_ip"]
            if "allocation_pools" in values:
                self._write_pools(s, row.id, rules.parse_pools(values["allocation_pools"]))
            if "dns_nameservers" in values:
                self._write_dns(s, row.id, values["dns_nameservers"])
            if "host_routes" in values:
                self._write_routes(s, row.id, values["host_routes"])
            bump(row)
            bump(s.get(Network, row.network_id))
            network_id = row.network_id
        self.changed(networks=[network_id])
        return self.get(ctx, subnet_id)

    def _check_update(self, s: Session, row: Subnet, net: rules.Net,
                      values: dict[str, Any]) -> None:
        if values.get("enable_dhcp") is False and (row.ipv6_ra_mode or row.ipv6_address_mode):
            raise InvalidInput("Cannot disable enable_dhcp with ipv6 attributes set")
        if values.get("enable_dhcp") and not row.enable_dhcp:
            rules.check_cidr(net, True)
        gateway = values.get("gateway_ip", row.gateway_ip)
        if "gateway_ip" in values:
            rules.check_gateway(net, gateway)
            if gateway != row.gateway_ip:
                self._check_gateway_free(s, row)
        rules.check_dns(values.get("dns_nameservers", []), row.ip_version, row.id)
        rules.check_routes(values.get("host_routes", []), row.ip_version, row.id)
        if "allocation_pools" in values:
            pools = rules.parse_pools(values["allocation_pools"])
            rules.check_pools(pools, net)
        else:
            pools = [(ipaddress.ip_address(p.first_ip), ipaddress.ip_address(p.last_ip))
                     for p in s.scalars(select(AllocationPool)
                                        .where(AllocationPool.subnet_id == row.id))]
        if "allocation_pools" in values or gateway != row.gateway_ip:
            rules.check_gateway_out_of_pools(gateway, pools)

    def _check_gateway_free(self, s: Session, row: Subnet) -> None:
        if not row.gateway_ip:
            return
        port_id = s.scalar(select(IPAllocation.port_id).join(
            Port, Port.id == IPAllocation.port_id).where(
            IPAllocation.subnet_id == row.id, IPAllocation.ip_address == row.gateway_ip,
            Port.device_owner.in_(ROUTER_INTERFACES)))
        if port_id:
            raise InUse("GatewayIp", f"Current gateway ip {row.gateway_ip} already in use "
                                     f"by port {port_id}. Unable to update.")

    # -- delete -------------------------------------------------------------------------
    def delete(self, ctx: RequestContext, subnet_id: str) -> None:
        with self.db.session() as s, s.begin():
            row = self.row(s, subnet_id)
            owners = set(s.scalars(select(Port.device_owner).join(
                IPAllocation, IPAllocation.port_id == Port.id).where(
                IPAllocation.subnet_id == subnet_id)))
            auto = rules.is_auto_address(row.ipv6_ra_mode, row.ipv6_address_mode)
            if owners & set(ROUTER_INTERFACES) or (
                    not auto and owners - set(AUTO_DELETE_OWNERS)):
                raise InUse("Subnet", f"Unable to complete operation on subnet {subnet_id}: "
                                      "One or more ports have an IP allocation from this "
                                      "subnet.")
            for hook in self.before_delete:
                hook(s, "subnet", subnet_id)
            s.execute(delete(IPAllocation).where(IPAllocation.subnet_id == subnet_id))
            drop_tags(s, self.resource_type, subnet_id)
            network_id = row.network_id
            bump(s.get(Network, network_id))
            s.delete(row)
        self.changed(networks=[network_id])

    def drop_network_subnets(self, s: Session, kind: str, network_id: str) -> None:
        """A network's delete hook: its subnets' tags go with it (rows cascade)."""
        if kind == "network":
            for subnet_id in s.scalars(select(Subnet.id).where(Subnet.network_id == network_id)):
                drop_tags(s, self.resource_type, subnet_id)

    # -- rendering ----------------------------------------------------------------------
    def render_many(self, s: Session, rows: builtins.list[Subnet],
                    ctx: RequestContext) -> builtins.list[dict[str, Any]]:
        ids = [r.id for r in rows]
        children = _children(s, ids)
        net_ids = sorted({r.network_id for r in rows})
        networks = {n.id: n for n in s.scalars(select(Network).where(Network.id.in_(net_ids)))}
        shared = set(s.scalars(select(RbacPolicy.object_id).where(
            RbacPolicy.object_type == "network", RbacPolicy.object_id.in_(net_ids),
            RbacPolicy.action == SHARED,
            RbacPolicy.target_project.in_(["*", ctx.project_id or "*"]))))
        tags = tags_of(s, self.resource_type, ids)
        return [self._view(r, tags.get(r.id, []), children, networks[r.network_id],
                           r.network_id in shared) for r in rows]

    def _view(self, row: Subnet, tags: builtins.list[str],
              children: dict[str, dict[str, builtins.list[Any]]], network: Network,
              shared: bool) -> dict[str, Any]:
        out = standard_view(row, tags)
        mine = children.get(row.id, {})
        out.update({
            "network_id": row.network_id, "ip_version": row.ip_version,
            "subnetpool_id": row.subnetpool_id, "cidr": row.cidr,
            "gateway_ip": row.gateway_ip,
            "allocation_pools": mine.get("pools", []),
            "dns_nameservers": mine.get("dns", []), "host_routes": mine.get("routes", []),
            "enable_dhcp": row.enable_dhcp, "ipv6_ra_mode": row.ipv6_ra_mode,
            "ipv6_address_mode": row.ipv6_address_mode, "segment_id": row.segment_id,
            "service_types": list(row.service_types or []),
            "dns_publish_fixed_ip": row.dns_publish_fixed_ip,
            "router:external": network.router_external, "shared": shared,
            "network:tenant_id": network.project_id, "network:project_id": network.project_id,
        })
        return out


def host_subnets(s: Session, network_ids: builtins.list[str]) -> dict[str, builtins.list[Any]]:
    """The subnets of these networks as the agents' HostState carries them (one query per
    child table, whatever the number of networks)."""
    from nimbus.agents.network import messages

    rows = list(s.scalars(select(Subnet).where(Subnet.network_id.in_(network_ids))
                          .order_by(Subnet.ip_version, Subnet.id))) if network_ids else []
    children = _children(s, [r.id for r in rows])
    out: dict[str, builtins.list[Any]] = {}
    for row in rows:
        mine = children.get(row.id, {})
        out.setdefault(row.network_id, []).append(messages.Subnet(
            id=row.id, network_id=row.network_id, cidr=row.cidr, ip_version=row.ip_version,
            gateway_ip=row.gateway_ip, enable_dhcp=row.enable_dhcp,
            dns_nameservers=mine.get("dns", []),
            host_routes=[messages.HostRoute(**r) for r in mine.get("routes", [])],
            allocation_pools=mine.get("pools", []), ipv6_ra_mode=row.ipv6_ra_mode,
            ipv6_address_mode=row.ipv6_address_mode))
    return out


def _children(s: Session, ids: builtins.list[str]) -> dict[str, dict[str, builtins.list[Any]]]:
    """Pools, DNS servers and host routes of a page of subnets: one query each."""
    out: dict[str, dict[str, builtins.list[Any]]] = {}
    if not ids:
        return out
    for pool in s.scalars(select(AllocationPool).where(AllocationPool.subnet_id.in_(ids))
                          .order_by(AllocationPool.id)):
        out.setdefault(pool.subnet_id, {}).setdefault("pools", []).append(
            {"start": pool.first_ip, "end": pool.last_ip})
    for dns in s.scalars(select(DnsNameServer).where(DnsNameServer.subnet_id.in_(ids))
                         .order_by(DnsNameServer.order)):
        out.setdefault(dns.subnet_id, {}).setdefault("dns", []).append(dns.address)
    for route in s.scalars(select(HostRoute).where(HostRoute.subnet_id.in_(ids))):
        out.setdefault(route.subnet_id, {}).setdefault("routes", []).append(
            {"destination": route.destination, "nexthop": route.nexthop})
    return out


def _mode(value: Any) -> str | None:
    return None if value is NOT_SET else value


def _listed(value: Any) -> builtins.list[Any]:
    return [] if value is NOT_SET or value is None else list(value)


__all__ = ["Subnets", "visible_subnets", "host_subnets"]
