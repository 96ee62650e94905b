"""Port forwardings of a floating IP (Neutron's ``pf_plugin``): an external port (or range)
of the floating IP to a port (or range) of an internal port's IPv4 address, over the router
that reaches it. A floating IP with forwardings is not associated with a port, and the
other way round."""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.kernel.context import RequestContext
from nimbus.services.network import l3_errors as l3
from nimbus.services.network.errors import BadRequestNeutron, ResourceNotFound
from nimbus.services.network.models.core import Network, Port, Subnet
from nimbus.services.network.models.routers import FloatingIp, PortForwarding
from nimbus.services.network.schemas.listing import ListQuery
from nimbus.services.network.service import query as q
from nimbus.services.network.service.base import ResourceStore, caller_is_admin
from nimbus.services.network.service.floatingips import ipv4_fixed_ips, router_for
from nimbus.services.network.service.standard import bump, iso

RES = "port_forwarding"
COLUMNS = {"id": PortForwarding.id, "protocol": PortForwarding.protocol,
           "internal_port_id": PortForwarding.internal_port_id,
           "description": PortForwarding.description,
           "external_port": PortForwarding.external_port_start}
NOT_FILTERS = ("internal_ip_address", "internal_port")


def _span(rng: str) -> tuple[int, int]:
    first, _, last = rng.partition(":")
    return int(first), int(last or first)


def _ranges(values: dict[str, Any], current: PortForwarding | None) -> tuple[str, str]:
    """(internal "a:b", external "a:b") from the single ports or the ranges given."""
    def pick(single: str, rng: str, start: int | None, end: int | None) -> str | None:
        if values.get(rng):
            return str(values[rng])
        if values.get(single) is not None:
            return f"{values[single]}:{values[single]}"
        return None if start is None else f"{start}:{end}"

    internal = pick("internal_port", "internal_port_range",
                    current.internal_port_start if current else None,
                    current.internal_port_end if current else None)
    external = pick("external_port", "external_port_range",
                    current.external_port_start if current else None,
                    current.external_port_end if current else None)
    for a, b in (("internal_port", "internal_port_range"),
                 ("external_port", "external_port_range")):
        if values.get(a) is not None and values.get(b):
            raise BadRequestNeutron(RES, f"Cannot specify both {a} and {b}")
    if internal is None or external is None:
        raise BadRequestNeutron(RES, "Both internal and external ports (or port ranges) "
                                     "must be specified")
    (i_lo, i_hi), (e_lo, e_hi) = _span(internal), _span(external)
    if i_hi - i_lo > 0 and i_hi - i_lo != e_hi - e_lo:
        raise BadRequestNeutron(RES, "Invalid ranges of internal and/or external ports. The "
                                     "relation between internal and external ports must be "
                                     "N-N or 1-N")
    return internal, external


def view(pf: PortForwarding) -> dict[str, Any]:
    single_in = pf.internal_port_start == pf.internal_port_end
    single_ex = pf.external_port_start == pf.external_port_end
    return {
        "id": pf.id, "protocol": pf.protocol, "internal_ip_address": pf.internal_ip_address,
        "internal_port": pf.internal_port_start if single_in else None,
        "external_port": pf.external_port_start if single_ex else None,
        "internal_port_id": pf.internal_port_id, "description": pf.description,
        "internal_port_range": f"{pf.internal_port_start}:{pf.internal_port_end}",
        "external_port_range": f"{pf.external_port_start}:{pf.external_port_end}",
        "revision_number": pf.revision_number, "created_at": iso(pf.created_at),
        "updated_at": iso(pf.updated_at),
    }



# Module-level names for annotations inside classes that define ``list``.
Items = list[dict[str, Any]]

class PortForwardings(ResourceStore):
    resource_type = "port_forwardings"

    def list(self, ctx: RequestContext, fip_id: str, query: ListQuery) -> Items:
        for name in query.filters:
            if name in NOT_FILTERS:
                raise l3.L3BadRequest("PortForwardingNotSupportFilterField",
                                      f"Port Forwarding filter {name} is not supported.")
        with self.db.session() as s:
            stmt = select(PortForwarding).where(PortForwarding.floatingip_id == fip_id)
            stmt, rest = q.apply_filters(stmt, COLUMNS, query)
            for rng in rest.get("external_port_range", []):
                lo, hi = _span(str(rng))
                stmt = stmt.where(PortForwarding.external_port_start == lo,
                                  PortForwarding.external_port_end == hi)
            stmt = q.apply_order_and_page(s, stmt, PortForwarding, COLUMNS, query,
                                          "PortForwarding")
            return [view(pf) for pf in q.finish_page(list(s.scalars(stmt)), query)]

    def get(self, ctx: RequestContext, fip_id: str, pf_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            return view(self.row(s, fip_id, pf_id))

    def row(self, s: Session, fip_id: str, pf_id: str) -> PortForwarding:
        pf = s.get(PortForwarding, pf_id)
        if pf is None or pf.floatingip_id != fip_id:
            raise l3.port_forwarding_not_found(pf_id)
        return pf

    def create(self, ctx: RequestContext, fip_id: str, values: dict[str, Any]) -> dict[str, Any]:
        pf_id = str(uuid.uuid4())
        with self._writing(values):
            with self.db.session() as s, s.begin():
                fip = self.services.floatingips.row(s, fip_id)
                internal, external = _ranges(values, None)
                pf = PortForwarding(id=pf_id, floatingip_id=fip_id,
                                    description=values.get("description") or "")
                self._apply(s, ctx, fip, pf, values, internal, external, creating=True)
                s.add(pf)
                s.flush()
                router_id = fip.router_id
        self.changed(routers=[router_id] if router_id else [])
        with self.db.session() as s:
            return view(self.row(s, fip_id, pf_id))

    def update(self, ctx: RequestContext, fip_id: str, pf_id: str,
               values: dict[str, Any]) -> dict[str, Any]:
        with self._writing(values):
            with self.db.session() as s, s.begin():
                fip = self.services.floatingips.row(s, fip_id)
                pf = self.row(s, fip_id, pf_id)
                internal, external = _ranges(values, pf)
                if "description" in values:
                    pf.description = values["description"]
                self._apply(s, ctx, fip, pf, values, internal, external, creating=False)
                bump(pf)
                s.flush()
                router_id = fip.router_id
        self.changed(routers=[router_id] if router_id else [])
        return self.get(ctx, fip_id, pf_id)

    def delete(self, ctx: RequestContext, fip_id: str, pf_id: str) -> None:
        with self.db.session() as s, s.begin():
            fip = self.services.floatingips.row(s, fip_id)
            pf = self.row(s, fip_id, pf_id)
            router_id = fip.router_id
            s.delete(pf)
            s.flush()
            if s.scalar(select(PortForwarding.id).where(
                    PortForwarding.floatingip_id == fip_id)) is None:
                fip.router_id = None
            bump(fip)
        self.changed(routers=[router_id] if router_id else [])

    # -- checks -------------------------------------------------------------------------
    class _writing:
        """IntegrityError on the unique keys -> Neutron's duplicate entry message."""

        def __init__(self, values: dict[str, Any]) -> None:
            self.values = values

        def __enter__(self) -> None:
            return None

        def __exit__(self, kind: Any, err: Any, tb: Any) -> None:
            if isinstance(err, IntegrityError):
                raise BadRequestNeutron(RES, "A duplicate port forwarding entry with same "
                                             "attributes already exists, conflicting values "
                                             f"are {self.values}") from None

    def _apply(self, s: Session, ctx: RequestContext, fip: FloatingIp, pf: PortForwarding,
               values: dict[str, Any], internal: str, external: str, *, creating: bool) -> None:
        port_id = values.get("internal_port_id") or pf.internal_port_id
        protocol = values.get("protocol") or pf.protocol
        address = values.get("internal_ip_address") or pf.internal_ip_address
        if fip.fixed_port_id:
            raise l3.fip_port_already_associated(fip.floating_ip_address, fip.id, port_id,
                                                 str(address), fip.floating_network_id)
        bound = s.scalar(select(FloatingIp).where(FloatingIp.fixed_port_id == port_id))
        if bound is not None:
            raise l3.port_has_binding_fip(bound.floating_ip_address, bound.id, port_id,
                                          str(address))
        port = self._internal_port(s, ctx, port_id)
        subnet_id = self._internal_subnet(s, port, address)
        subnet = s.get(Subnet, subnet_id)
        assert subnet is not None
        try:
            router_id = router_for(s, port, subnet, fip.floating_network_id)
        except l3.L3NotFound:
            raise BadRequestNeutron(RES, f"External network {fip.floating_network_id} is not "
                                         f"reachable from subnet {subnet_id}. Cannot set Port "
                                         f"forwarding for port {port_id} with Floating IP "
                                         f"{fip.id}") from None
        if fip.router_id and fip.router_id != router_id:
            raise BadRequestNeutron(RES, f"The Floating IP {fip.id} had been set on router "
                                         f"{fip.router_id}, the internal Neutron port "
                                         f"{port_id} can not reach it")
        self._collisions(s, fip.id, pf.id, protocol, port_id, address, internal, external)
        pf.internal_port_id, pf.protocol, pf.internal_ip_address = port_id, protocol, address
        pf.internal_port_start, pf.internal_port_end = _span(internal)
        pf.external_port_start, pf.external_port_end = _span(external)
        fip.router_id = router_id

    def _internal_port(self, s: Session, ctx: RequestContext, port_id: str) -> Port:
        port = s.get(Port, port_id)
        if port is None or (not caller_is_admin(ctx) and port.project_id != ctx.project_id
                            and s.scalar(select(Network.project_id).where(
                                Network.id == port.network_id)) != ctx.project_id):
            raise ResourceNotFound("Port", port_id)
        return port

    def _internal_subnet(self, s: Session, port: Port, address: str | None) -> str:
        v4 = ipv4_fixed_ips(s, port.id)
        if not v4:
            raise BadRequestNeutron(RES, f"Requested internal port {port.id} must allocate "
                                         "an IPv4 address at least")
        for subnet_id, ip in v4:
            if address and ipaddress.ip_address(ip) == ipaddress.ip_address(address):
                return subnet_id
        fixed = [{"subnet_id": sub, "ip_address": ip} for sub, ip in v4]
        raise BadRequestNeutron(RES, f"Requested internal IP address {address} is not "
                                     f"suitable for internal neutron port {port.id}, as its "
                                     f"fixed_ips are {fixed}")

    def _collisions(self, s: Session, fip_id: str, pf_id: str | None, protocol: str,
                    port_id: str, address: str, internal: str, external: str) -> None:
        def collide(rng: str, lo: int, hi: int) -> bool:
            a, b = _span(rng)
            return max(a, lo) <= min(b, hi)

        for other in s.scalars(select(PortForwarding).where(
                PortForwarding.protocol == protocol, PortForwarding.id != (pf_id or ""))):
            if other.floatingip_id == fip_id and collide(
                    external, other.external_port_start, other.external_port_end):
                self._collision("external_port_range", other.external_port_start,
                                other.external_port_end, external)
            if other.internal_port_id == port_id and other.internal_ip_address == address \
                    and collide(internal, other.internal_port_start, other.internal_port_end):
                self._collision("internal_port_range", other.internal_port_start,
                                other.internal_port_end, internal)

    @staticmethod
    def _collision(key: str, lo: int, hi: int, rng: str) -> None:
        raise BadRequestNeutron(RES, f"There is a port collision with the {key}. The "
                                     f"following ranges collide: {lo}:{hi} and {rng}")
