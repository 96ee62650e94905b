"""Floating IPs: an address on an external network (held by a ``network:floatingip`` port)
and its association with a fixed IP of a port that a router with a gateway on that network
reaches (Neutron's ``l3_db`` rules and messages)."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session, aliased

from nimbus.kernel.context import RequestContext
from nimbus.services.network import l3_errors as l3
from nimbus.services.network.errors import BadRequestNeutron, ResourceNotFound
from nimbus.services.network.models.core import IPAllocation, Network, Port, Subnet
from nimbus.services.network.models.routers import FloatingIp, PortForwarding, RouterPort
from nimbus.services.network.schemas.listing import ListQuery
from nimbus.services.network.service import query as q
from nimbus.services.network.service import quotas
from nimbus.services.network.service.base import ResourceStore, caller_is_admin
from nimbus.services.network.service.networks import visible_networks
from nimbus.services.network.service.standard import bump, drop_tags, standard_view, tags_of

FLOATINGIP_OWNER = "network:floatingip"
GATEWAY = "network:router_gateway"
INTERFACE_OWNERS = ("network:router_interface", "network:router_interface_distributed",
                    "network:ha_router_replicated_interface")
COLUMNS = {"id": FloatingIp.id, "project_id": FloatingIp.project_id,
           "description": FloatingIp.description,
           "floating_ip_address": FloatingIp.floating_ip_address,
           "floating_network_id": FloatingIp.floating_network_id,
           "router_id": FloatingIp.router_id, "port_id": FloatingIp.fixed_port_id,
           "fixed_ip_address": FloatingIp.fixed_ip_address, "status": FloatingIp.status,
           "dns_name": FloatingIp.dns_name, "dns_domain": FloatingIp.dns_domain,
           "revision_number": FloatingIp.revision_number,
           "created_at": FloatingIp.created_at, "updated_at": FloatingIp.updated_at}


def is_fip_serviced(device_owner: str) -> bool:
    """Ports a floating IP may point at: guests, bare metal, load balancers, unowned."""
    return not device_owner.startswith("network:") or device_owner in (
        "network:distributed",)


def router_for(s: Session, port: Port, subnet: Subnet, external_network_id: str) -> str:
    """The router joining ``subnet`` (through an interface) with the external network
    (through its gateway); one whose interface is the subnet's gateway IP first."""
    gw = aliased(Port)
    rows = s.execute(
        select(RouterPort.router_id, IPAllocation.ip_address)
        .join(IPAllocation, IPAllocation.port_id == RouterPort.port_id)
        .where(RouterPort.port_type.in_(INTERFACE_OWNERS), IPAllocation.subnet_id == subnet.id,
               IPAllocation.network_id == port.network_id,
               exists().where(gw.device_id == RouterPort.router_id,
                              gw.network_id == external_network_id,
                              gw.device_owner == GATEWAY))
        .order_by(RouterPort.router_id)).all()
    for router_id, address in rows:
        if address == subnet.gateway_ip:
            return str(router_id)
    if rows:
        return str(rows[0][0])
    raise l3.gateway_unreachable(external_network_id, subnet.id, port.id)


def ipv4_fixed_ips(s: Session, port_id: str) -> list[tuple[str, str]]:
    """(subnet_id, address) of a port's IPv4 addresses, in a stable order."""
    rows = s.execute(select(IPAllocation.subnet_id, IPAllocation.ip_address)
                     .where(IPAllocation.port_id == port_id)
                     .order_by(IPAllocation.ip_address)).all()
    return [(sub, ip) for sub, ip in rows if ipaddress.ip_address(ip).version == 4]



# Module-level names for annotations inside classes that define ``list``.
Items = list[dict[str, Any]]
Ids = list[str]

class FloatingIps(ResourceStore):
    resource_type = "floatingips"

    # -- reading ------------------------------------------------------------------------
    def list(self, ctx: RequestContext, query: ListQuery) -> Items:
        with self.db.session() as s:
            stmt = select(FloatingIp)
            if not caller_is_admin(ctx):
                stmt = stmt.where(FloatingIp.project_id == ctx.project_id)
            stmt, _rest = q.apply_filters(stmt, COLUMNS, query)
            stmt = q.apply_tags(stmt, FloatingIp.id, self.resource_type, query.tags)
            stmt = q.apply_order_and_page(s, stmt, FloatingIp, COLUMNS, query, "FloatingIP")
            rows = q.finish_page(list(s.scalars(stmt)), query)
            return self.render_many(s, rows)

    def get(self, ctx: RequestContext, fip_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            return self.render_many(s, [self.row(s, fip_id)])[0]

    def row(self, s: Session, fip_id: str) -> FloatingIp:
        row = s.get(FloatingIp, fip_id)
        if row is None:
            raise l3.floatingip_not_found(fip_id)
        return row

    def pools(self, ctx: RequestContext) -> Items:
        """floatingip-pools: the IPv4 subnets of the external networks the caller sees."""
        with self.db.session() as s:
            stmt = select(Subnet).join(Network, Network.id == Subnet.network_id).where(
                Network.router_external.is_(True), Subnet.ip_version == 4)
            if not caller_is_admin(ctx):
                stmt = stmt.where(visible_networks(ctx))
            return [{"subnet_id": sub.id, "subnet_name": sub.name, "network_id": sub.network_id,
                     "cidr": sub.cidr, "project_id": sub.project_id,
                     "tenant_id": sub.project_id}
                    for sub in s.scalars(stmt.order_by(Subnet.network_id, Subnet.id))]

    # -- writing ------------------------------------------------------------------------
    def create(self, ctx: RequestContext, values: dict[str, Any]) -> dict[str, Any]:
        fip_id = str(uuid.uuid4())

        def work(s: Session) -> str | None:
            quotas.check(s, values["project_id"], "floatingip")
            net = self._external_network(s, ctx, values["floating_network_id"])
            fixed: dict[str, Any] = {}
            if values.get("subnet_id"):
                fixed["subnet_id"] = values["subnet_id"]
            if values.get("floating_ip_address"):
                fixed["ip_address"] = values["floating_ip_address"]
            port = self.services.ports.create_internal(
                s, network_id=net.id, project_id="", device_owner=FLOATINGIP_OWNER,
                device_id=fip_id, fixed_ips=[fixed] if fixed else None)
            v4 = ipv4_fixed_ips(s, port.id)
            if not v4:
                raise l3.external_ip_exhausted(net.id)
            row = FloatingIp(id=fip_id, project_id=values["project_id"],
                             description=values.get("description") or "",
                             floating_network_id=net.id, floating_ip_address=v4[0][1],
                             floating_port_id=port.id, status="DOWN",
                             dns_name=values.get("dns_name") or "",
                             dns_domain=values.get("dns_domain") or "")
            s.add(row)
            self.associate(s, ctx, row, values)
            s.flush()
            return row.router_id
        router_id = self.services.ports._retrying(work)
        self.changed(routers=[router_id] if router_id else [],
                     networks=[values["floating_network_id"]])
        return self.get(ctx, fip_id)

    def _external_network(self, s: Session, ctx: RequestContext, network_id: str) -> Network:
        net = s.get(Network, network_id)
        if net is not None and not caller_is_admin(ctx) and net.project_id != ctx.project_id \
                and s.scalar(select(Network.id).where(Network.id == network_id,
                                                      visible_networks(ctx))) is None:
            net = None
        if net is None:
            raise ResourceNotFound("Network", network_id)
        if not net.router_external:
            raise BadRequestNeutron("floatingip", f"Network {network_id} is not a valid "
                                                  "external network")
        if s.scalar(select(Subnet.id).where(Subnet.network_id == network_id,
                                            Subnet.ip_version == 4)) is None:
            raise BadRequestNeutron("floatingip", f"Network {network_id} does not contain "
                                                  "any IPv4 subnet")
        return net

    def update(self, ctx: RequestContext, fip_id: str,
               values: dict[str, Any]) -> dict[str, Any]:
        def work(s: Session) -> Ids:
            row = self.row(s, fip_id)
            before = row.router_id
            if "description" in values:
                row.description = values["description"]
            self.associate(s, ctx, row, values)
            bump(row)
            return [r for r in {before, row.router_id} if r]
        routers = self.services.ports._retrying(work)
        self.changed(routers=routers)
        return self.get(ctx, fip_id)

    def delete(self, ctx: RequestContext, fip_id: str) -> None:
        self._delete(fip_id)

    def _delete(self, fip_id: str) -> None:
        with self.db.session() as s, s.begin():
            row = self.row(s, fip_id)
            router_id, network_id = row.router_id, row.floating_network_id
            drop_tags(s, self.resource_type, fip_id)
            # The address's port goes, and the floating IP (and its forwardings) with it.
            s.execute(delete(PortForwarding).where(PortForwarding.floatingip_id == fip_id))
            port_id = row.floating_port_id
            s.delete(row)
            s.flush()
            s.execute(delete(Port).where(Port.id == port_id))
        self.changed(routers=[router_id] if router_id else [], networks=[network_id])

    def delete_disassociated(self, network_id: str) -> None:
        """An external network's delete takes its unassociated floating IPs with it."""
        with self.db.session() as s:
            ids = list(s.scalars(select(FloatingIp.id).where(
                FloatingIp.floating_network_id == network_id,
                FloatingIp.fixed_port_id.is_(None))))
        for fip_id in ids:
            try:
                self._delete(fip_id)
            except l3.L3NotFound:
                continue  # deleted meanwhile

    # -- association --------------------------------------------------------------------
    def associate(self, s: Session, ctx: RequestContext, row: FloatingIp,
                  values: dict[str, Any]) -> None:
        """Point the floating IP at ``port_id`` (and ``fixed_ip_address``), or at nothing
        with ``port_id: null``; without ``port_id`` the association stays."""
        port_id, fixed_ip = values.get("port_id"), values.get("fixed_ip_address")
        if fixed_ip and not port_id:
            raise BadRequestNeutron("floatingip", "fixed_ip_address cannot be specified "
                                                  "without a port_id")
        if "port_id" not in values:
            return
        if port_id is None:
            has_forwardings = s.scalar(select(PortForwarding.id).where(
                PortForwarding.floatingip_id == row.id)) is not None
            row.fixed_port_id = row.fixed_ip_address = None
            if not has_forwardings:
                row.router_id = None
            row.status = "DOWN"
            return
        if s.scalar(select(PortForwarding.id).where(PortForwarding.floatingip_id == row.id)):
            raise l3.fip_in_use_by_pf(row.id)
        port, subnet, address = self._internal(s, ctx, row, port_id, fixed_ip)
        router_id = router_for(s, port, subnet, row.floating_network_id)
        if port_id != row.fixed_port_id:
            taken = s.scalar(select(FloatingIp.id).where(
                FloatingIp.fixed_port_id == port_id, FloatingIp.id != row.id,
                FloatingIp.floating_network_id == row.floating_network_id,
                FloatingIp.fixed_ip_address == address))
            if taken:
                raise l3.fip_port_already_associated(row.floating_ip_address, row.id,
                                                     port_id, address,
                                                     row.floating_network_id)
        row.fixed_port_id, row.fixed_ip_address, row.router_id = port_id, address, router_id
        row.status = "ACTIVE"

    def _internal(self, s: Session, ctx: RequestContext, row: FloatingIp, port_id: str,
                  fixed_ip: str | None) -> tuple[Port, Subnet, str]:
        port = s.get(Port, port_id)
        admin = caller_is_admin(ctx)
        if port is None or (not admin and port.project_id != ctx.project_id and
                            s.scalar(select(Network.project_id).where(
                                Network.id == port.network_id)) != ctx.project_id):
            raise ResourceNotFound("Port", port_id)
        if port.project_id != row.project_id and not admin:
            raise BadRequestNeutron("floatingip", "Cannot process floating IP association "
                                                  f"with Port {port_id}, since that port is "
                                                  "owned by a different project")
        if not is_fip_serviced(port.device_owner):
            raise BadRequestNeutron("floatingip", f"Port {port_id} is unable to be assigned "
                                                  "a floating IP")
        v4 = ipv4_fixed_ips(s, port_id)
        if fixed_ip:
            if ipaddress.ip_address(fixed_ip).version != 4:
                raise BadRequestNeutron("floatingip", "Cannot process floating IP "
                                                      f"association with {fixed_ip}, since "
                                                      "that is not an IPv4 address")
            chosen = [(sub, ip) for sub, ip in v4 if ip == fixed_ip]
            if not chosen:
                raise BadRequestNeutron("floatingip", f"Port {port_id} does not have fixed "
                                                      f"ip {fixed_ip}")
        else:
            if not v4:
                raise BadRequestNeutron("floatingip", "Cannot add floating IP to port "
                                                      f"{port_id} that has no fixed IPv4 "
                                                      "addresses")
            if len(v4) > 1:
                raise BadRequestNeutron("floatingip", f"Port {port_id} has multiple fixed "
                                                      "IPv4 addresses.  Must provide a "
                                                      "specific IPv4 address when assigning "
                                                      "a floating IP")
            chosen = v4
        subnet = s.get(Subnet, chosen[0][0])
        assert subnet is not None
        return port, subnet, chosen[0][1]

    # -- rendering ----------------------------------------------------------------------
    def render_many(self, s: Session, rows: Sequence[FloatingIp]) -> Items:
        ids = [r.id for r in rows]
        tags = tags_of(s, self.resource_type, ids)
        port_ids = sorted({r.fixed_port_id for r in rows if r.fixed_port_id})
        ports = {p.id: p for p in s.scalars(select(Port).where(Port.id.in_(port_ids)))} \
            if port_ids else {}
        forwardings: dict[str, Items] = {}
        if ids:
            for pf in s.scalars(select(PortForwarding).where(
                    PortForwarding.floatingip_id.in_(ids)).order_by(PortForwarding.id)):
                forwardings.setdefault(pf.floatingip_id, []).append(exposed_forwarding(pf))
        return [self._view(r, tags.get(r.id, []), ports.get(r.fixed_port_id or ""),
                           forwardings.get(r.id, [])) for r in rows]

    def _view(self, row: FloatingIp, tags: Ids, port: Port | None,
              forwardings: Items) -> dict[str, Any]:
        out = standard_view(row, tags, name=False)
        details = None if port is None else {
            "name": port.name, "network_id": port.network_id,
            "mac_address": port.mac_address, "admin_state_up": port.admin_state_up,
            "status": port.status, "device_id": port.device_id,
            "device_owner": port.device_owner}
        out.update({
            "floating_ip_address": row.floating_ip_address,
            "floating_network_id": row.floating_network_id, "router_id": row.router_id,
            "port_id": row.fixed_port_id, "fixed_ip_address": row.fixed_ip_address,
            "status": row.status, "port_details": details, "port_forwardings": forwardings,
            "dns_name": row.dns_name, "dns_domain": row.dns_domain,
        })
        return out


def exposed_forwarding(pf: PortForwarding) -> dict[str, Any]:
    """A port forwarding as a floating IP shows it (expose-port-forwarding-in-fip)."""
    out: dict[str, Any] = {"id": pf.id, "internal_ip_address": pf.internal_ip_address,
                           "protocol": pf.protocol, "internal_port_id": pf.internal_port_id}
    if pf.internal_port_start == pf.internal_port_end:
        out["internal_port"] = pf.internal_port_start
    if pf.external_port_start == pf.external_port_end:
        out["external_port"] = pf.external_port_start
    return out
