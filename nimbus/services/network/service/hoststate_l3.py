"""The routers an L3 host must serve, as the agent contract's ``Router`` messages.

Each router is served by one L3 host, recorded on its row (``host``): one that is still
alive keeps it; otherwise the alive L3 host with the fewest routers takes it. In the
all-in-one there is one L3 host and it takes every router.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.agents.network import messages
from nimbus.services.network.models.core import IPAllocation, Port, Subnet
from nimbus.services.network.models.routers import (
    FloatingIp,
    PortForwarding,
    Router,
    RouterPort,
    RouterRoute,
)

GATEWAY = "network:router_gateway"


def schedule(s: Session, alive: list[str]) -> list[str]:
    """Give every router whose host is gone (or that has none) to the least loaded alive
    L3 host, and bind its ports there (flushed, committed by the caller); returns the
    routers that moved."""
    if not alive:
        return []
    load = Counter({h: 0 for h in alive})
    orphans = []
    for row in s.scalars(select(Router).order_by(Router.created_at, Router.id)):
        if row.host in load:
            load[row.host] += 1
        else:
            orphans.append(row)
    for row in orphans:
        row.host = min(alive, key=lambda h: (load[h], h))
        load[row.host] += 1
        bind_router_ports(s, row)
    s.flush()
    return [row.id for row in orphans]


def bind_router_ports(s: Session, row: Router) -> None:
    """The router's qr-/qg- ports live on its L3 host (binding:host_id, as Neutron's)."""
    for port in s.scalars(select(Port).join(RouterPort, RouterPort.port_id == Port.id)
                          .where(RouterPort.router_id == row.id)):
        port.binding_host_id = row.host
        port.binding_vif_type = "bridge" if row.host else "unbound"
        port.binding_vif_details = {"port_filter": True, "connectivity": "l2",
                                    "bridge_name": f"brq{port.network_id[:11]}"} \
            if row.host else {}


def routers_for_host(s: Session, host: str,
                     l3_hosts: list[str] | None = None) -> list[messages.Router]:
    """The routers ``host`` serves; ``l3_hosts`` are the alive L3 agents' hosts (None:
    the all-in-one, where ``host`` is the only one; empty: none alive, so nothing moves)."""
    schedule(s, sorted(set([host] if l3_hosts is None else l3_hosts)))
    return hosted_routers(s, host)


def hosted_routers(s: Session, host: str) -> list[messages.Router]:
    """The routers recorded on ``host``, as the agent contract's messages."""
    rows = list(s.scalars(select(Router).where(Router.host == host).order_by(Router.id)))
    ids = [r.id for r in rows]
    if not ids:
        return []
    ports = _router_ports(s, ids)
    routes = _routes(s, ids)
    fips, forwardings = _floating(s, ids)
    out = []
    for row in rows:
        mine = ports.get(row.id, [])
        gateway_ips = [p for owner, p, _gw in mine if owner == GATEWAY]
        v4 = [p for p in gateway_ips if ipaddress.ip_address(p.ip_address).version == 4]
        gateway = (v4 or gateway_ips or [None])[0]  # type: ignore[list-item]
        ext_gw = next((gw for owner, p, gw in mine if owner == GATEWAY and p is gateway), None)
        out.append(messages.Router(
            id=row.id, project_id=row.project_id, admin_state_up=row.admin_state_up,
            gateway=gateway, gateway_ips=gateway_ips, external_gateway_ip=ext_gw,
            enable_snat=row.enable_snat,
            interfaces=[p for owner, p, _gw in mine if owner != GATEWAY],
            routes=routes.get(row.id, []), floating_ips=fips.get(row.id, []),
            port_forwardings=forwardings.get(row.id, [])))
    return out


def _router_ports(s: Session, ids: list[str]
                  ) -> dict[str, list[tuple[str, messages.RouterPort, str | None]]]:
    """router id -> (role, one RouterPort per fixed IP, that subnet's gateway IP)."""
    found: dict[str, list[tuple[str, messages.RouterPort, str | None]]] = {}
    rows = s.execute(
        select(RouterPort.router_id, RouterPort.port_type, Port.id, Port.network_id,
               Port.mac_address, IPAllocation.subnet_id, IPAllocation.ip_address,
               Subnet.cidr, Subnet.gateway_ip, Subnet.ipv6_ra_mode, Subnet.ipv6_address_mode)
        .join(Port, Port.id == RouterPort.port_id)
        .join(IPAllocation, IPAllocation.port_id == Port.id)
        .join(Subnet, Subnet.id == IPAllocation.subnet_id)
        .where(RouterPort.router_id.in_(ids))
        .order_by(RouterPort.router_id, Port.id, IPAllocation.ip_address))
    for router_id, role, port_id, net_id, mac, subnet_id, ip, cidr, gw, ra, am in rows:
        port = messages.RouterPort(port_id=port_id, network_id=net_id, subnet_id=subnet_id,
                                   mac_address=mac, ip_address=ip,
                                   prefixlen=ipaddress.ip_network(cidr).prefixlen,
                                   ipv6_ra_mode=ra, ipv6_address_mode=am)
        found.setdefault(router_id, []).append((role, port, gw))
    return found


def _routes(s: Session, ids: list[str]) -> dict[str, list[messages.HostRoute]]:
    found: dict[str, list[messages.HostRoute]] = {}
    for route in s.scalars(select(RouterRoute).where(RouterRoute.router_id.in_(ids))
                           .order_by(RouterRoute.destination, RouterRoute.nexthop)):
        found.setdefault(route.router_id, []).append(
            messages.HostRoute(destination=route.destination, nexthop=route.nexthop))
    return found


def _floating(s: Session, ids: list[str]) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    fips: dict[str, list[messages.FloatingIp]] = {}
    forwardings: dict[str, list[messages.PortForwarding]] = {}
    for fip in s.scalars(select(FloatingIp).where(FloatingIp.router_id.in_(ids))
                         .order_by(FloatingIp.id)):
        if fip.fixed_port_id and fip.fixed_ip_address:
            fips.setdefault(fip.router_id or "", []).append(messages.FloatingIp(
                id=fip.id, floating_ip_address=fip.floating_ip_address,
                fixed_ip_address=fip.fixed_ip_address, port_id=fip.fixed_port_id))
    rows = s.execute(select(PortForwarding, FloatingIp.floating_ip_address, FloatingIp.router_id)
                     .join(FloatingIp, FloatingIp.id == PortForwarding.floatingip_id)
                     .where(FloatingIp.router_id.in_(ids)).order_by(PortForwarding.id))
    for pf, address, router_id in rows:
        ranged = pf.external_port_start != pf.external_port_end
        forwardings.setdefault(router_id or "", []).append(messages.PortForwarding(
            id=pf.id, floating_ip_address=address, external_port=pf.external_port_start,
            internal_ip_address=pf.internal_ip_address, internal_port=pf.internal_port_start,
            protocol=pf.protocol,
            external_port_range=f"{pf.external_port_start}:{pf.external_port_end}"
            if ranged else "",
            internal_port_range=f"{pf.internal_port_start}:{pf.internal_port_end}"
            if ranged or pf.internal_port_start != pf.internal_port_end else ""))
    return fips, forwardings
