"""Ports: a MAC and fixed IPs on a network (IPAM in ``ipam.py``), the security groups it
is in, and its binding to a host. ``create_internal`` makes the ports Nimbus itself needs
(DHCP, router interfaces and gateways, floating IPs) without the API's checks."""

from __future__ import annotations

import builtins
import random
import uuid
from typing import Any

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.kernel.context import RequestContext
from nimbus.services.network.errors import ConflictNeutron, InvalidInput, ResourceNotFound
from nimbus.services.network.models.core import IPAllocation, Network, Port
from nimbus.services.network.models.security_groups import PortSecurityGroup
from nimbus.services.network.schemas.listing import ListQuery
from nimbus.services.network.service import port_extras, qos, quotas
from nimbus.services.network.service import query as q
from nimbus.services.network.service.base import ResourceStore, caller_is_admin
from nimbus.services.network.service.ipam import Ipam
from nimbus.services.network.service.networks import visible_network
from nimbus.services.network.service.standard import bump, drop_tags, standard_view, tags_of

COLUMNS = {"id": Port.id, "name": Port.name, "project_id": Port.project_id,
           "description": Port.description, "network_id": Port.network_id,
           "mac_address": Port.mac_address, "admin_state_up": Port.admin_state_up,
           "status": Port.status, "device_id": Port.device_id,
           "device_owner": Port.device_owner,
           "port_security_enabled": Port.port_security_enabled,
           "binding:host_id": Port.binding_host_id, "binding:vnic_type": Port.binding_vnic_type,
           "binding:vif_type": Port.binding_vif_type, "dns_name": Port.dns_name,
           "dns_domain": Port.dns_domain, "qos_policy_id": Port.qos_policy_id,
           "propagate_uplink_status": Port.propagate_uplink_status,
           "revision_number": Port.revision_number, "created_at": Port.created_at,
           "updated_at": Port.updated_at}
# Ports Nimbus makes for itself: no security groups, no port security.
SERVICE_OWNERS = ("network:dhcp", "network:router_interface", "network:router_gateway",
                  "network:floatingip", "network:router_interface_distributed",
                  "network:ha_router_replicated_interface", "network:router_ha_interface")
RETRIES = 10


def is_service_port(device_owner: str) -> bool:
    return device_owner.startswith("network:")


class Ports(ResourceStore):
    resource_type = "ports"

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.ipam = Ipam()

    # -- reading ------------------------------------------------------------------------
    def list(self, ctx: RequestContext, query: ListQuery) -> builtins.list[dict[str, Any]]:
        with self.db.session() as s:
            # Plain rows, not ORM objects: a page of ports is read, never changed.
            stmt = select(*Port.__table__.columns)
            if not caller_is_admin(ctx):
                stmt = stmt.where(or_(Port.project_id == ctx.project_id,
                                      exists().where(Network.id == Port.network_id,
                                                     Network.project_id == ctx.project_id)))
            stmt, rest = q.apply_filters(stmt, COLUMNS, query)
            stmt = self._extra_filters(stmt, rest)
            stmt = q.apply_tags(stmt, Port.id, self.resource_type, query.tags)
            stmt = q.apply_order_and_page(s, stmt, Port, COLUMNS, query, "Port")
            rows = q.finish_page(list(s.execute(stmt)), query)
            return self.render_many(s, rows)

    def _extra_filters(self, stmt: Any, rest: dict[str, builtins.list[Any]]) -> Any:
        for name, values in rest.items():
            if name == "fixed_ips":
                for value in values:
                    stmt = stmt.where(self._fixed_ip_filter(value))
            elif name == "security_groups":
                stmt = stmt.where(exists().where(
                    PortSecurityGroup.port_id == Port.id,
                    PortSecurityGroup.security_group_id.in_(values)))
        return stmt

    def _fixed_ip_filter(self, value: Any) -> Any:
        """``fixed_ips=ip_address=10.0.0.5`` / ``subnet_id=...`` / ``ip_address_substr=``."""
        key, _, wanted = str(value).partition("=")
        column = {"ip_address": IPAllocation.ip_address,
                  "subnet_id": IPAllocation.subnet_id}.get(key)
        if key == "ip_address_substr":
            return exists().where(IPAllocation.port_id == Port.id,
                                  IPAllocation.ip_address.contains(wanted))
        if column is None:
            raise InvalidInput(f"'{value}' is not a valid fixed_ips filter")
        return exists().where(IPAllocation.port_id == Port.id, column == wanted)

    def get(self, ctx: RequestContext, port_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            return self.render_many(s, [self.row(s, port_id)])[0]

    def row(self, s: Session, port_id: str) -> Port:
        row = s.get(Port, port_id)
        if row is None:
            raise ResourceNotFound("Port", port_id)
        return row

    def policy_target(self, ctx: RequestContext, values: dict[str, Any]) -> dict[str, Any]:
        """The network's owner for ``create_port`` and its attribute rules."""
        with self.db.session() as s:
            net = visible_network(s, ctx, values["network_id"])
            return {"network:tenant_id": net.project_id, "network:project_id": net.project_id}

    # -- writing ------------------------------------------------------------------------
    def create(self, ctx: RequestContext, values: dict[str, Any]) -> dict[str, Any]:
        port_id = self._retrying(lambda s: self._insert(s, ctx, values).id)
        self.changed(networks=[values["network_id"]])
        return self.get(ctx, port_id)

    def create_internal(self, s: Session, *, network_id: str, project_id: str,
                        device_owner: str, device_id: str = "",
                        fixed_ips: builtins.list[dict[str, Any]] | None = None,
                        host: str = "", name: str = "") -> Port:
        """A port for Nimbus' own use, in the caller's transaction (the caller retries on
        IntegrityError, as ``create`` does)."""
        values = {"project_id": project_id, "network_id": network_id, "name": name,
                  "device_owner": device_owner, "device_id": device_id,
                  "fixed_ips": fixed_ips, "binding:host_id": host,
                  "port_security_enabled": False, "admin_state_up": True}
        return self._insert(s, None, values)

    def _retrying(self, work: Any) -> Any:
        for attempt in range(RETRIES):
            try:
                with self.db.session() as s, s.begin():
                    result = work(s)
                break
            except IntegrityError:
                if attempt == RETRIES - 1:
                    raise ConflictNeutron("IpAddressGenerationFailure", "No more IP addresses "
                                          "available (concurrent requests).") from None
        return result

    def _insert(self, s: Session, ctx: RequestContext | None, values: dict[str, Any]) -> Port:
        net = visible_network(s, ctx, values["network_id"])
        if ctx is not None:
            quotas.check(s, values["project_id"], "port")
            qos.check_policy(s, ctx, values.get("qos_policy_id"))
        owner = values.get("device_owner") or ""
        security = values.get("port_security_enabled")
        if security is None:
            security = net.port_security_enabled
        row = Port(id=str(uuid.uuid4()), project_id=values["project_id"],
                   network_id=net.id, name=values.get("name") or "",
                   description=values.get("description") or "",
                   mac_address=values.get("mac_address") or self._new_mac(s, net.id),
                   admin_state_up=values.get("admin_state_up", True),
                   device_id=values.get("device_id") or "", device_owner=owner,
                   port_security_enabled=security,
                   binding_vnic_type=values.get("binding:vnic_type") or "normal",
                   binding_profile=values.get("binding:profile") or {},
                   dns_name=values.get("dns_name") or "",
                   dns_domain=values.get("dns_domain") or "",
                   qos_policy_id=values.get("qos_policy_id"),
                   propagate_uplink_status=values.get("propagate_uplink_status") or False)
        self._bind(row, values.get("binding:host_id") or "")
        if s.scalar(select(Port.id).where(Port.network_id == net.id,
                                          Port.mac_address == row.mac_address)):
            raise ConflictNeutron("MacAddressInUse", f"Unable to complete operation for network "
                                  f"{net.id}. The mac address {row.mac_address} is in use.")
        s.add(row)
        s.flush()
        self.ipam.allocate(s, net.id, row.id, row.mac_address, values.get("fixed_ips"))
        self._set_groups(s, row, values.get("security_groups"), ctx)
        port_extras.set_address_pairs(s, row, values.get("allowed_address_pairs"))
        port_extras.set_dhcp_opts(s, row, values.get("extra_dhcp_opts"), creating=True)
        for hook in self.after_write:
            hook(s, row, values)
        return row

    def _new_mac(self, s: Session, network_id: str) -> str:
        base = self.options.base_mac.split(":")[:3]
        for _ in range(16):
            mac = ":".join(base + [f"{random.randint(0, 255):02x}" for _ in range(3)])
            if s.scalar(select(Port.id).where(Port.network_id == network_id,
                                              Port.mac_address == mac)) is None:
                return mac
        raise ConflictNeutron("MacAddressGenerationFailure", "Unable to generate unique mac on "
                              f"network {network_id}.")

    def _bind(self, row: Port, host: str) -> None:
        row.binding_host_id = host
        if host and row.binding_vnic_type == "normal":
            row.binding_vif_type = "bridge"
            row.binding_vif_details = {"port_filter": True, "connectivity": "l2",
                                       "bridge_name": f"brq{row.network_id[:11]}"}
        else:
            row.binding_vif_type = "unbound"
            row.binding_vif_details = {}

    def _set_groups(self, s: Session, row: Port, groups: builtins.list[str] | None,
                    ctx: RequestContext | None) -> None:
        s.execute(delete(PortSecurityGroup).where(PortSecurityGroup.port_id == row.id))
        if is_service_port(row.device_owner) and not groups:
            return
        if groups is None:
            if not row.port_security_enabled:
                return
            groups = [self.services.security_groups.default_for(s, row.project_id)]
        if groups and not row.port_security_enabled:
            raise ConflictNeutron("PortSecurityAndIPRequiredForSecurityGroups", "Port security "
                                  "must be enabled and port must have an IP address in order "
                                  "to use security groups.")
        self.services.security_groups.check_usable(s, ctx, row.project_id, groups)
        for group_id in groups:
            s.add(PortSecurityGroup(port_id=row.id, security_group_id=group_id))

    def update(self, ctx: RequestContext, port_id: str,
               values: dict[str, Any]) -> dict[str, Any]:
        def work(s: Session) -> None:
            row = self.row(s, port_id)
            self._apply(s, ctx, row, values)
            bump(row)
        self._retrying(work)
        with self.db.session() as s:
            network_id = self.row(s, port_id).network_id
        self.changed(networks=[network_id])
        return self.get(ctx, port_id)

    def _apply(self, s: Session, ctx: RequestContext, row: Port, values: dict[str, Any]) -> None:
        simple = {"name": "name", "description": "description",
                  "admin_state_up": "admin_state_up", "device_id": "device_id",
                  "device_owner": "device_owner", "dns_name": "dns_name",
                  "dns_domain": "dns_domain", "qos_policy_id": "qos_policy_id",
                  "binding:vnic_type": "binding_vnic_type",
                  "binding:profile": "binding_profile",
                  "propagate_uplink_status": "propagate_uplink_status"}
        if values.get("qos_policy_id"):
            qos.check_policy(s, ctx, values["qos_policy_id"])
        for key, column in simple.items():
            if key in values:
                setattr(row, column, values[key] if values[key] is not None else
                        ({} if key == "binding:profile" else values[key]))
        if "mac_address" in values and values["mac_address"] != row.mac_address:
            if row.binding_vif_type not in ("unbound", "binding_failed"):
                raise ConflictNeutron("PortBound", f"Unable to complete operation on port "
                                      f"{row.id}, port is already bound, port type: "
                                      f"{row.binding_vif_type}, old_mac {row.mac_address}, "
                                      f"new_mac {values['mac_address']}.")
            row.mac_address = values["mac_address"]
        if "port_security_enabled" in values:
            row.port_security_enabled = values["port_security_enabled"]
        if "binding:host_id" in values:
            self._bind(row, values["binding:host_id"] or "")
        if "fixed_ips" in values:
            self._replace_ips(s, row, values["fixed_ips"] or [])
        if "security_groups" in values or (
                "port_security_enabled" in values and not row.port_security_enabled):
            groups = values.get("security_groups")
            if groups is None and "security_groups" not in values:
                groups = [] if not row.port_security_enabled else None
            self._set_groups(s, row, groups if groups is not None else [], ctx)
        if "port_security_enabled" in values and not row.port_security_enabled and \
                "allowed_address_pairs" not in values and self._has_pairs(s, row):
            raise ConflictNeutron("AddressPairAndPortSecurityRequired", "Port Security must be "
                                  "enabled in order to have allowed address pairs on a port.")
        port_extras.set_address_pairs(s, row, values.get("allowed_address_pairs"))
        port_extras.set_dhcp_opts(s, row, values.get("extra_dhcp_opts"), creating=False)
        for hook in self.after_write:
            hook(s, row, values)

    def _has_pairs(self, s: Session, row: Port) -> bool:
        return bool(port_extras.extras_of(s, [row.id]).get(row.id, {})
                    .get("allowed_address_pairs"))

    def _replace_ips(self, s: Session, row: Port, wanted: builtins.list[dict[str, Any]]) -> None:
        current = {(a.subnet_id, a.ip_address) for a in s.scalars(
            select(IPAllocation).where(IPAllocation.port_id == row.id))}
        keep = {(w.get("subnet_id"), w.get("ip_address")) for w in wanted}
        kept = [c for c in current if c in keep or (None, c[1]) in keep or
                (c[0], None) in keep and not any(w.get("ip_address") for w in wanted
                                                 if w.get("subnet_id") == c[0])]
        s.execute(delete(IPAllocation).where(IPAllocation.port_id == row.id))
        s.flush()
        for subnet_id, address in kept:
            s.add(IPAllocation(subnet_id=subnet_id, ip_address=address, port_id=row.id,
                               network_id=row.network_id))
        s.flush()
        kept_ips = {ip for _, ip in kept}
        kept_subnets = {sub for sub, _ in kept}
        new = [w for w in wanted if w.get("ip_address") not in kept_ips and not (
            "ip_address" not in w and w.get("subnet_id") in kept_subnets)]
        if new:
            self.ipam.allocate(s, row.network_id, row.id, row.mac_address, new)

    def delete(self, ctx: RequestContext, port_id: str) -> None:
        with self.db.session() as s, s.begin():
            row = self.row(s, port_id)
            network_id = row.network_id
            for hook in self.before_delete:
                hook(s, "port", port_id)
            drop_tags(s, self.resource_type, port_id)
            s.delete(row)
        self.changed(networks=[network_id])

    def set_status(self, port_id: str, status: str) -> bool:
        with self.db.session() as s, s.begin():
            row = s.get(Port, port_id)
            if row is None or row.status == status:
                return False
            row.status = status
            bump(row)
            return True

    # -- rendering ----------------------------------------------------------------------
    def render_many(self, s: Session, rows: builtins.list[Port]) -> builtins.list[dict[str, Any]]:
        ids = [r.id for r in rows]
        tags = tags_of(s, self.resource_type, ids)
        ips: dict[str, builtins.list[dict[str, str]]] = {}
        groups: dict[str, builtins.list[str]] = {}
        nets: dict[str, str] = {}
        net_qos: dict[str, str | None] = {}
        for chunk in range(0, len(ids), 500):
            part = ids[chunk:chunk + 500]
            for port_id, subnet_id, address in s.execute(
                    select(IPAllocation.port_id, IPAllocation.subnet_id, IPAllocation.ip_address)
                    .where(IPAllocation.port_id.in_(part))):
                ips.setdefault(port_id, []).append({"subnet_id": subnet_id,
                                                    "ip_address": address})
            for port_id, group_id in s.execute(
                    select(PortSecurityGroup.port_id, PortSecurityGroup.security_group_id)
                    .where(PortSecurityGroup.port_id.in_(part))):
                groups.setdefault(port_id, []).append(group_id)
        net_ids = sorted({r.network_id for r in rows})
        if net_ids:
            for net_id, owner, policy in s.execute(
                    select(Network.id, Network.project_id, Network.qos_policy_id)
                    .where(Network.id.in_(net_ids))):
                nets[net_id] = owner
                net_qos[net_id] = policy
        extra = [port_extras.extras_of(s, ids), *[hook(s, rows) for hook in self.render_hooks]]
        out = []
        for r in rows:
            view = self._view(r, tags.get(r.id, []), ips.get(r.id, []),
                              groups.get(r.id, []), nets.get(r.network_id, ""),
                              net_qos.get(r.network_id))
            for found in extra:
                view.update(found.get(r.id, {}))
            out.append(view)
        return out

    def _view(self, r: Port, tags: builtins.list[str], ips: builtins.list[dict[str, str]],
              groups: builtins.list[str], network_owner: str,
              network_qos: str | None = None) -> dict[str, Any]:
        out = standard_view(r, tags)
        out.update({
            "network_id": r.network_id, "admin_state_up": r.admin_state_up,
            "mac_address": r.mac_address, "fixed_ips": ips, "device_id": r.device_id,
            "device_owner": r.device_owner, "status": r.status,
            "port_security_enabled": r.port_security_enabled,
            "security_groups": sorted(groups), "allowed_address_pairs": [],
            "extra_dhcp_opts": [], "binding:host_id": r.binding_host_id,
            "binding:vnic_type": r.binding_vnic_type,
            "binding:profile": r.binding_profile or {},
            "binding:vif_type": r.binding_vif_type,
            "binding:vif_details": r.binding_vif_details or {},
            "dns_name": r.dns_name, "dns_domain": r.dns_domain,
            "dns_assignment": port_extras.dns_assignment(r.dns_name, self.options.dns_domain,
                                                         ips),
            "qos_policy_id": r.qos_policy_id,
            "qos_network_policy_id": network_qos if not r.device_owner.startswith("network:")
            else None,
            "propagate_uplink_status": r.propagate_uplink_status,
            "ip_allocation": "immediate", "resource_request": None,
            # For policy only (the network owner may see and manage its ports):
            "network:project_id": network_owner, "network:tenant_id": network_owner,
        })
        return out
