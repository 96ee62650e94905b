"""Router interfaces: ``add_router_interface`` / ``remove_router_interface`` by subnet or by
port, with Neutron's checks (a gateway IP on the subnet, one port per subnet on a router,
no overlapping CIDRs, nothing a floating IP or an extra route still needs)."""

from __future__ import annotations

import ipaddress
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nimbus.kernel.context import RequestContext
from nimbus.services.network import l3_errors as l3
from nimbus.services.network.errors import BadRequestNeutron, InvalidInput, ResourceNotFound
from nimbus.services.network.models.core import IPAllocation, Network, Port, RbacPolicy, Subnet
from nimbus.services.network.models.routers import (
    FloatingIp,
    PortForwarding,
    Router,
    RouterPort,
    RouterRoute,
)
from nimbus.services.network.schemas.attrs import uuid_str
from nimbus.services.network.service.base import ResourceStore, caller_is_admin
from nimbus.services.network.service.standard import bump

GATEWAY = "network:router_gateway"
INTERFACE = "network:router_interface"
Net = ipaddress.IPv4Network | ipaddress.IPv6Network


def subnet_cidrs(s: Session, router_id: str) -> tuple[list[Net], set[str]]:
    """The CIDRs of the subnets the router has addresses on, and those addresses."""
    rows = s.execute(select(Subnet.cidr, IPAllocation.ip_address)
                     .join(IPAllocation, IPAllocation.subnet_id == Subnet.id)
                     .join(RouterPort, RouterPort.port_id == IPAllocation.port_id)
                     .where(RouterPort.router_id == router_id)).all()
    return [ipaddress.ip_network(c) for c, _ in rows], {ip for _, ip in rows}


def interface_info(port: Port, subnet_ids: list[str], router_id: str) -> dict[str, Any]:
    return {"id": router_id, "tenant_id": port.project_id, "project_id": port.project_id,
            "port_id": port.id, "network_id": port.network_id,
            "subnet_id": subnet_ids[-1] if subnet_ids else None, "subnet_ids": subnet_ids}


def _interface_body(body: Any, *, removing: bool) -> tuple[str | None, str | None]:
    if not isinstance(body, dict) or not ({"port_id", "subnet_id"} & set(body)):
        raise BadRequestNeutron("router", "Either subnet_id or port_id must be specified")
    ids: dict[str, str | None] = {"port_id": None, "subnet_id": None}
    for key in ids:
        if key in body:
            try:
                ids[key] = uuid_str(body[key])
            except InvalidInput:
                raise BadRequestNeutron("router", f"'{body[key]}' is not a valid "
                                                  "UUID") from None
    if not removing and ids["port_id"] and ids["subnet_id"]:
        raise BadRequestNeutron("router", "Cannot specify both subnet-id and port-id")
    return ids["port_id"], ids["subnet_id"]


class RouterInterfaces(ResourceStore):
    """The interface half of ``Routers`` (which gives ``row``)."""

    def row(self, s: Session, router_id: str) -> Router:
        raise NotImplementedError

    def add_interface(self, ctx: RequestContext, router_id: str,
                      body: Any) -> dict[str, Any]:
        port_id, subnet_id = _interface_body(body, removing=False)

        def work(s: Session) -> dict[str, Any]:
            row = self.row(s, router_id)
            if port_id:
                port, subnets = self._attach_port(s, ctx, row, port_id)
            else:
                port, subnets = self._attach_subnet(s, ctx, row, subnet_id or "")
            self._check_no_overlap(s, row)
            bump(row)
            return interface_info(port, [x.id for x in subnets], row.id)
        info = self.services.ports._retrying(work)
        self.changed(routers=[router_id], networks=[info["network_id"]])
        return info  # type: ignore[no-any-return]

    def _visible_subnet(self, s: Session, ctx: RequestContext,
                        subnet_id: str) -> Subnet:
        subnet = s.get(Subnet, subnet_id)
        if subnet is not None and not caller_is_admin(ctx) and \
                subnet.project_id != ctx.project_id:
            from nimbus.services.network.service.networks import visible_networks

            if s.scalar(select(Network.id).where(Network.id == subnet.network_id,
                                                 visible_networks(ctx))) is None:
                subnet = None
        if subnet is None:
            raise ResourceNotFound("Subnet", subnet_id)
        return subnet

    def _attach_subnet(self, s: Session, ctx: RequestContext, row: Router,
                       subnet_id: str) -> tuple[Port, list[Subnet]]:
        subnet = self._visible_subnet(s, ctx, subnet_id)
        if not subnet.gateway_ip:
            raise BadRequestNeutron("router", "Subnet for router interface must have a "
                                              "gateway IP")
        if not caller_is_admin(ctx) and subnet.project_id != ctx.project_id and \
                not self._shared_to(s, subnet.network_id, ctx.project_id):
            raise BadRequestNeutron("router", "Cannot add interface to router because "
                                              f"subnet {subnet_id} is not owned by project "
                                              "making the request")
        self.check_router_subnets(s, row, [subnet])
        fixed = {"subnet_id": subnet.id, "ip_address": subnet.gateway_ip}
        if subnet.ip_version == 6:
            existing = self._ipv6_interface_on(s, row, subnet.network_id)
            if existing is not None:
                self.services.ports.ipam.allocate(s, existing.network_id, existing.id,
                                                  existing.mac_address, [fixed])
                return existing, [subnet]
        port = self.services.ports.create_internal(
            s, network_id=subnet.network_id, project_id=row.project_id,
            device_owner=INTERFACE, device_id=row.id, fixed_ips=[fixed], host=row.host)
        s.add(RouterPort(router_id=row.id, port_id=port.id, port_type=INTERFACE))
        s.flush()
        return port, [subnet]

    def _shared_to(self, s: Session, network_id: str, project_id: str | None) -> bool:
        return s.scalar(select(RbacPolicy.id).where(
            RbacPolicy.object_type == "network", RbacPolicy.object_id == network_id,
            RbacPolicy.action == "access_as_shared",
            RbacPolicy.target_project == project_id)) is not None

    def _ipv6_interface_on(self, s: Session, row: Router, network_id: str) -> Port | None:
        for port in s.scalars(select(Port).join(RouterPort, RouterPort.port_id == Port.id)
                              .where(RouterPort.router_id == row.id,
                                     RouterPort.port_type == INTERFACE,
                                     Port.network_id == network_id)):
            ips = s.scalars(select(IPAllocation.ip_address)
                            .where(IPAllocation.port_id == port.id))
            if any(ipaddress.ip_address(ip).version == 6 for ip in ips):
                return port
        return None

    def _attach_port(self, s: Session, ctx: RequestContext, row: Router,
                     port_id: str) -> tuple[Port, list[Subnet]]:
        port = s.get(Port, port_id)
        if port is None or (not caller_is_admin(ctx) and port.project_id != ctx.project_id
                            and s.scalar(select(Network.project_id).where(
                                Network.id == port.network_id)) != ctx.project_id):
            raise ResourceNotFound("Port", port_id)
        if port.device_id:
            raise l3.port_in_use(port.id, port.network_id, port.device_id)
        subnets = list(s.scalars(select(Subnet).join(
            IPAllocation, IPAllocation.subnet_id == Subnet.id)
            .where(IPAllocation.port_id == port.id)))
        if not subnets:
            raise BadRequestNeutron("router", "Router port must have at least one fixed IP")
        if any(x.ip_version == 6 for x in subnets) and \
                self._ipv6_interface_on(s, row, port.network_id) is not None:
            raise BadRequestNeutron("router", "Router already contains IPv6 port belonging "
                                              f"to network id {port.network_id}. Only one "
                                              "IPv6 port from the same network subnet can "
                                              "be connected to a router.")
        self.check_router_subnets(s, row, subnets)
        if len([x for x in subnets if x.ip_version == 4]) > 1:
            raise BadRequestNeutron("router", "Cannot have multiple IPv4 subnets on router "
                                              "port")
        port.device_id, port.device_owner = row.id, INTERFACE
        if row.host:
            self.services.ports._bind(port, row.host)
        bump(port)
        s.add(RouterPort(router_id=row.id, port_id=port.id, port_type=INTERFACE))
        s.flush()
        return port, subnets

    def check_router_subnets(self, s: Session, row: Router, new: list[Subnet]) -> None:
        """No second port of the router on a subnet; no CIDR overlapping the router's."""
        new_ids = {x.id for x in new}
        mine: list[Subnet] = []
        for port_type, port_id in s.execute(select(RouterPort.port_type, RouterPort.port_id)
                                            .where(RouterPort.router_id == row.id)):
            subnets = list(s.scalars(select(Subnet).join(
                IPAllocation, IPAllocation.subnet_id == Subnet.id)
                .where(IPAllocation.port_id == port_id)))
            for subnet in subnets:
                if subnet.id in new_ids:
                    raise BadRequestNeutron("router", "Router already has a port on subnet "
                                                      f"{subnet.id}")
            if port_type == GATEWAY and subnets:
                subnets = list(s.scalars(select(Subnet).where(
                    Subnet.network_id == subnets[0].network_id)))
            mine.extend(subnets)
        for old in mine:
            for subnet in new:
                _raise_on_overlap(old, subnet)

    def _check_no_overlap(self, s: Session, row: Router) -> None:
        """Again after the write: two requests racing must not both win."""
        subnets = list(s.scalars(select(Subnet).join(
            IPAllocation, IPAllocation.subnet_id == Subnet.id)
            .join(RouterPort, RouterPort.port_id == IPAllocation.port_id)
            .where(RouterPort.router_id == row.id, RouterPort.port_type == INTERFACE)))
        for i, first in enumerate(subnets):
            for second in subnets[i + 1:]:
                if first.id != second.id:
                    _raise_on_overlap(first, second)

    # -- removing -----------------------------------------------------------------------
    def remove_interface(self, ctx: RequestContext, router_id: str,
                         body: Any) -> dict[str, Any]:
        port_id, subnet_id = _interface_body(body, removing=True)

        def work(s: Session) -> dict[str, Any]:
            row = self.row(s, router_id)
            if port_id:
                port, subnets = self._detach_port(s, row, port_id, subnet_id)
            else:
                port, subnets = self._detach_subnet(s, ctx, row, subnet_id or "")
            bump(row)
            info = interface_info(port, [x.id for x in subnets], row.id)
            info["subnet_id"] = subnets[0].id if subnets else None
            return info
        info = self.services.ports._retrying(work)
        self.changed(routers=[router_id], networks=[info["network_id"]])
        return info  # type: ignore[no-any-return]

    def _detach_port(self, s: Session, row: Router, port_id: str,
                     subnet_id: str | None) -> tuple[Port, list[Subnet]]:
        link = s.get(RouterPort, (row.id, port_id))
        port = s.get(Port, port_id)
        if link is None or link.port_type != INTERFACE or port is None:
            raise l3.interface_not_found(row.id, port_id)
        subnets = list(s.scalars(select(Subnet).join(
            IPAllocation, IPAllocation.subnet_id == Subnet.id)
            .where(IPAllocation.port_id == port_id)))
        if subnet_id and subnet_id not in {x.id for x in subnets}:
            raise l3.subnet_mismatch(port_id, subnet_id)
        for subnet in subnets:
            self._confirm_not_in_use(s, row, subnet)
        s.expunge(port)
        s.execute(delete(Port).where(Port.id == port_id))
        return port, subnets

    def _detach_subnet(self, s: Session, ctx: RequestContext, row: Router,
                       subnet_id: str) -> tuple[Port, list[Subnet]]:
        subnet = self._visible_subnet(s, ctx, subnet_id)
        ports = list(s.scalars(select(Port).join(RouterPort, RouterPort.port_id == Port.id)
                               .where(RouterPort.router_id == row.id,
                                      RouterPort.port_type == INTERFACE,
                                      Port.network_id == subnet.network_id)))
        for port in ports:
            on = set(s.scalars(select(IPAllocation.subnet_id)
                               .where(IPAllocation.port_id == port.id)))
            if subnet_id not in on:
                continue
            self._confirm_not_in_use(s, row, subnet)
            if len(on) > 1:
                s.execute(delete(IPAllocation).where(IPAllocation.port_id == port.id,
                                                     IPAllocation.subnet_id == subnet_id))
                bump(port)
            else:
                s.expunge(port)
                s.execute(delete(Port).where(Port.id == port.id))
            return port, [subnet]
        raise l3.interface_not_found_for_subnet(row.id, subnet_id)

    def _confirm_not_in_use(self, s: Session, row: Router, subnet: Subnet) -> None:
        net = ipaddress.ip_network(subnet.cidr)
        on_subnet = select(IPAllocation.port_id).where(IPAllocation.subnet_id == subnet.id)
        for fixed_ip in s.scalars(select(FloatingIp.fixed_ip_address).where(
                FloatingIp.router_id == row.id, FloatingIp.fixed_port_id.in_(on_subnet))):
            if fixed_ip and ipaddress.ip_address(fixed_ip) in net:
                raise l3.interface_in_use_by_fip(row.id, subnet.id)
        for internal in s.scalars(select(PortForwarding.internal_ip_address)
                                  .join(FloatingIp, FloatingIp.id == PortForwarding.floatingip_id)
                                  .where(FloatingIp.router_id == row.id,
                                         PortForwarding.internal_port_id.in_(on_subnet))):
            if ipaddress.ip_address(internal) in net:
                raise l3.interface_in_use_by_fip(row.id, subnet.id)
        for hop in s.scalars(select(RouterRoute.nexthop).where(RouterRoute.router_id == row.id)):
            hop_ip = ipaddress.ip_address(hop)
            if hop_ip.version == net.version and hop_ip in net:
                raise l3.interface_in_use_by_route(row.id, subnet.id)


def _raise_on_overlap(first: Subnet, second: Subnet) -> None:
    a, b = ipaddress.ip_network(first.cidr), ipaddress.ip_network(second.cidr)
    if a.version == b.version and a.overlaps(b):
        raise BadRequestNeutron("router", f"Cidr {second.cidr} of subnet {second.id} "
                                          f"overlaps with cidr {first.cidr} of subnet "
                                          f"{first.id}")
