"""What the L3 family asks of the others' writes (Neutron's L3 callbacks):

* a router's or a floating IP's own port is not deleted through the port API (409);
* a port deleted takes its floating IPs' association and its port forwardings with it;
* a port's fixed IP a floating IP points at is not taken away from it (400);
* a subnet a router has an address on is not deleted (409).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.services.network import l3_errors as l3
from nimbus.services.network.errors import BadRequestNeutron
from nimbus.services.network.models.core import IPAllocation, Port
from nimbus.services.network.models.routers import FloatingIp, PortForwarding, Router
from nimbus.services.network.service.routers import after_commit
from nimbus.services.network.service.standard import bump

ROUTER_OWNERS = ("network:router_interface", "network:router_gateway",
                 "network:router_interface_distributed",
                 "network:ha_router_replicated_interface", "network:router_ha_interface")
FLOATINGIP_OWNER = "network:floatingip"


def register(services: Any) -> None:
    services.ports.before_delete.append(lambda s, _kind, pid: port_deleting(services, s, pid))
    _delete_floating_ips_first(services)
    _keep_external_while_gateways(services)
    services.ports.after_write.append(
        lambda s, row, values: keep_floating_fixed_ip(services, s, row, values))
    subnets = getattr(services, "subnets", None)
    if subnets is not None and hasattr(subnets, "before_delete"):
        subnets.before_delete.append(lambda s, _kind, sid: subnet_deleting(s, sid))


def port_deleting(services: Any, s: Session, port_id: str) -> None:
    port = s.get(Port, port_id)
    if port is None:
        return
    owner = port.device_owner
    if owner in ROUTER_OWNERS and s.get(Router, port.device_id) is not None:
        raise l3.service_port_in_use(port_id, owner)
    if owner == FLOATINGIP_OWNER and s.get(FloatingIp, port.device_id) is not None:
        raise l3.service_port_in_use(port_id, owner)
    routers: set[str] = set()
    for fip in s.scalars(select(FloatingIp).where(FloatingIp.fixed_port_id == port_id)):
        if fip.router_id:
            routers.add(fip.router_id)
        fip.fixed_port_id = fip.fixed_ip_address = fip.router_id = None
        fip.status = "DOWN"
        bump(fip)
    routers |= _drop_forwardings(s, select(PortForwarding).where(
        PortForwarding.internal_port_id == port_id))
    if routers:
        after_commit(s, lambda: services.changed(routers=sorted(routers)))


def _drop_forwardings(s: Session, stmt: Any) -> set[str]:
    """Delete these forwardings; a floating IP left with none leaves its router."""
    routers: set[str] = set()
    for pf in list(s.scalars(stmt)):
        fip = s.get(FloatingIp, pf.floatingip_id)
        s.delete(pf)
        s.flush()
        if fip is None:
            continue
        if fip.router_id:
            routers.add(fip.router_id)
        if s.scalar(select(PortForwarding.id).where(
                PortForwarding.floatingip_id == fip.id)) is None and not fip.fixed_port_id:
            fip.router_id = None
        bump(fip)
    return routers


def keep_floating_fixed_ip(services: Any, s: Session, row: Port,
                           values: dict[str, Any]) -> None:
    """A port's new fixed IPs must keep the address its floating IP points at; forwardings
    to an address the port no longer has are dropped (as Neutron does)."""
    if "fixed_ips" not in values:
        return
    addresses = set(s.scalars(select(IPAllocation.ip_address)
                              .where(IPAllocation.port_id == row.id)))
    for fip in s.scalars(select(FloatingIp).where(FloatingIp.fixed_port_id == row.id)):
        if fip.fixed_ip_address and fip.fixed_ip_address not in addresses:
            raise BadRequestNeutron("port", f"Cannot update the fixed_ips of the port "
                                            f"{row.id}, because its original fixed_ip has "
                                            "been associated to a floating ip")
    routers = _drop_forwardings(s, select(PortForwarding).where(
        PortForwarding.internal_port_id == row.id,
        PortForwarding.internal_ip_address.not_in(addresses or {""})))
    if routers:
        after_commit(s, lambda: services.changed(routers=sorted(routers)))


def subnet_deleting(s: Session, subnet_id: str) -> None:
    used = s.scalar(select(IPAllocation.port_id)
                    .join(Port, Port.id == IPAllocation.port_id)
                    .where(IPAllocation.subnet_id == subnet_id,
                           Port.device_owner.in_((*ROUTER_OWNERS, FLOATINGIP_OWNER))))
    if used is not None:
        raise l3.subnet_in_use(subnet_id)



def _delete_floating_ips_first(services: Any) -> None:
    """Neutron's network delete first deletes the network's unassociated floating IPs
    (``_process_l3_delete``), before it looks for ports still in use; the networks store
    checks ports before its hooks run, so its ``delete`` is wrapped."""
    networks = services.networks
    plain_delete = networks.delete

    def delete(ctx: Any, network_id: str) -> None:
        services.floatingips.delete_disassociated(network_id)
        plain_delete(ctx, network_id)

    networks.delete = delete


def _keep_external_while_gateways(services: Any) -> None:
    """``router:external`` stays True while routers have their gateway on the network
    (Neutron's ExternalNetworkInUse); the networks store has no update hook, so its
    ``update`` is wrapped."""
    networks = services.networks
    plain_update = networks.update

    def update(ctx: Any, network_id: str, values: dict[str, Any]) -> Any:
        if values.get("router:external") is False:
            with services.db.session() as s:
                gateway = s.scalar(select(Port.id).where(
                    Port.network_id == network_id, Port.device_owner == "network:router_gateway"))
            if gateway is not None:
                raise l3.L3Conflict("ExternalNetworkInUse", f"External network {network_id} "
                                    "cannot be updated to be made non-external, since it has "
                                    "existing gateway ports.")
        return plain_update(ctx, network_id, values)

    networks.update = update
