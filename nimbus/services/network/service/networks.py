"""Networks: create with a segment (a tenant VXLAN by default, or the provider attributes an
admin gives), sharing and external access through RBAC entries, MTU from the segment type."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.kernel.context import RequestContext
from nimbus.kernel.db import new_id
from nimbus.services.network.errors import InUse, InvalidInput, ResourceNotFound
from nimbus.services.network.models.core import Network, Port, RbacPolicy, Segment, Subnet
from nimbus.services.network.schemas.listing import ListQuery
from nimbus.services.network.service import qos, quotas
from nimbus.services.network.service import query as q
from nimbus.services.network.service.base import ResourceStore, caller_is_admin
from nimbus.services.network.service.standard import bump, drop_tags, standard_view, tags_of

SHARED = "access_as_shared"
EXTERNAL = "access_as_external"
COLUMNS = {"id": Network.id, "name": Network.name, "project_id": Network.project_id,
           "description": Network.description, "admin_state_up": Network.admin_state_up,
           "status": Network.status, "mtu": Network.mtu,
           "router:external": Network.router_external, "is_default": Network.is_default,
           "port_security_enabled": Network.port_security_enabled,
           "dns_domain": Network.dns_domain, "qos_policy_id": Network.qos_policy_id,
           "revision_number": Network.revision_number, "created_at": Network.created_at,
           "updated_at": Network.updated_at}
SEGMENT_FILTERS = {"provider:network_type": Segment.network_type,
                   "provider:physical_network": Segment.physical_network,
                   "provider:segmentation_id": Segment.segmentation_id}


def granted(action: str, project_id: str | None) -> Any:
    """Networks an RBAC entry opens to ``project_id`` (or to everyone) for ``action``."""
    targets = ["*"] + ([project_id] if project_id else [])
    return exists().where(RbacPolicy.object_type == "network",
                          RbacPolicy.object_id == Network.id, RbacPolicy.action == action,
                          RbacPolicy.target_project.in_(targets))


def visible_networks(ctx: RequestContext) -> Any:
    """What a project sees: its own, the shared and the external ones."""
    return or_(Network.project_id == ctx.project_id, granted(SHARED, ctx.project_id),
               granted(EXTERNAL, ctx.project_id))


def visible_network(s: Session, ctx: RequestContext | None, network_id: str) -> Network:
    """The network, or NetworkNotFound when it does not exist or the caller may not see it
    (``ctx`` None: Nimbus itself, which sees every network)."""
    stmt = select(Network).where(Network.id == network_id)
    if ctx is not None and not caller_is_admin(ctx):
        stmt = stmt.where(visible_networks(ctx))
    network = s.scalars(stmt).first()
    if network is None:
        raise ResourceNotFound("Network", network_id)
    return network


class Networks(ResourceStore):
    resource_type = "networks"

    def list(self, ctx: RequestContext, query: ListQuery) -> builtins.list[dict[str, Any]]:
        with self.db.session() as s:
            stmt = select(Network)
            if not caller_is_admin(ctx):
                stmt = stmt.where(visible_networks(ctx))
            stmt, rest = q.apply_filters(stmt, COLUMNS, query)
            stmt = self._extra_filters(stmt, rest, ctx)
            stmt = q.apply_tags(stmt, Network.id, self.resource_type, query.tags)
            stmt = q.apply_order_and_page(s, stmt, Network, COLUMNS, query, "Network")
            rows = q.finish_page(list(s.scalars(stmt)), query)
            return self.render_many(s, rows, ctx)

    def _extra_filters(self, stmt: Any, rest: dict[str, builtins.list[Any]],
                       ctx: RequestContext) -> Any:
        for name, values in rest.items():
            if name == "shared":
                cond = granted(SHARED, None)
                stmt = stmt.where(or_(*[cond if v else ~cond for v in values]))
            elif name in SEGMENT_FILTERS:
                stmt = stmt.where(exists().where(Segment.network_id == Network.id,
                                                 SEGMENT_FILTERS[name].in_(values)))
            elif name == "subnets":
                stmt = stmt.where(exists().where(Subnet.network_id == Network.id,
                                                 Subnet.id.in_(values)))
            elif name in ("availability_zone_hints", "vlan_transparent",
                          "ipv4_address_scope", "ipv6_address_scope"):
                continue
        return stmt

    def get(self, ctx: RequestContext, network_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            row = s.get(Network, network_id)
            if row is None:
                raise ResourceNotFound("Network", network_id)
            return self.render_many(s, [row], ctx)[0]

    def row(self, s: Session, network_id: str) -> Network:
        row = s.get(Network, network_id)
        if row is None:
            raise ResourceNotFound("Network", network_id)
        return row

    def create(self, ctx: RequestContext, values: dict[str, Any]) -> dict[str, Any]:
        segments = self._segments_requested(values)
        for attempt in range(8):
            try:
                with self.db.session() as s, s.begin():
                    row = self._insert(s, ctx, values, segments)
                    network_id = row.id
                break
            except IntegrityError:
                if attempt == 7 or any(seg.get("provider:segmentation_id") is not None
                                       and seg["provider:network_type"] != "flat"
                                       for seg in segments):
                    raise self.allocator.taken(segments) from None
        self.changed(networks=[network_id])
        return self.get(ctx, network_id)

    def _segments_requested(self, values: dict[str, Any]) -> builtins.list[dict[str, Any]]:
        provider = {k: values.pop(k) for k in list(values) if k.startswith("provider:")}
        segments = values.pop("segments", None)
        if segments and any(v is not None for v in provider.values()):
            raise InvalidInput("Segments and provider values cannot both be set")
        if segments:
            return segments
        if provider.get("provider:network_type") is None and any(
                v is not None for v in provider.values()):
            raise InvalidInput("provider:network_type required")
        return [provider] if provider.get("provider:network_type") else []

    def _insert(self, s: Session, ctx: RequestContext, values: dict[str, Any],
                segments: builtins.list[dict[str, Any]]) -> Network:
        quotas.check(s, values["project_id"], "network")
        qos.check_policy(s, ctx, values.get("qos_policy_id"))
        allocated = self.allocator.allocate(s, segments)
        max_mtu = min(self.allocator.mtu_of(seg["network_type"]) for seg in allocated)
        mtu = values.get("mtu") or max_mtu
        if mtu > max_mtu:
            raise InvalidInput(f"Requested MTU is too big, maximum is {max_mtu}")
        row = Network(id=new_id_uuid(), project_id=values["project_id"],
                      name=values.get("name") or "", description=values.get("description") or "",
                      admin_state_up=values["admin_state_up"], mtu=mtu,
                      router_external=values["router:external"],
                      is_default=values.get("is_default") or False,
                      port_security_enabled=values["port_security_enabled"],
                      availability_zone_hints=values.get("availability_zone_hints") or [],
                      dns_domain=values.get("dns_domain") or "",
                      qos_policy_id=values.get("qos_policy_id")
                      or qos.default_policy(s, values["project_id"]),
                      vlan_transparent=values.get("vlan_transparent"))
        s.add(row)
        s.flush()
        for index, seg in enumerate(allocated):
            s.add(Segment(id=new_id_uuid(), network_id=row.id, segment_index=index,
                          network_type=seg["network_type"],
                          physical_network=seg["physical_network"] or "",
                          segmentation_id=seg["segmentation_id"] or 0))
        if values.get("shared"):
            self._grant(s, row, SHARED, ctx)
        if values.get("router:external"):
            self._grant(s, row, EXTERNAL, ctx)
        return row

    def _grant(self, s: Session, row: Network, action: str, ctx: RequestContext) -> None:
        s.add(RbacPolicy(id=new_id_uuid(), project_id=row.project_id, object_type="network",
                         object_id=row.id, action=action, target_project="*"))

    def update(self, ctx: RequestContext, network_id: str,
               values: dict[str, Any]) -> dict[str, Any]:
        with self.db.session() as s, s.begin():
            row = self.row(s, network_id)
            if "qos_policy_id" in values:
                qos.check_policy(s, ctx, values["qos_policy_id"])
            for key, column in (("name", "name"), ("description", "description"),
                                ("admin_state_up", "admin_state_up"),
                                ("port_security_enabled", "port_security_enabled"),
                                ("dns_domain", "dns_domain"), ("qos_policy_id", "qos_policy_id"),
                                ("is_default", "is_default")):
                if key in values:
                    setattr(row, column, values[key])
            if "mtu" in values:
                max_mtu = min(self.allocator.mtu_of(seg.network_type)
                              for seg in self.segments_of(s, [row.id]).get(row.id, []))
                if values["mtu"] > max_mtu:
                    raise InvalidInput(f"Requested MTU is too big, maximum is {max_mtu}")
                row.mtu = values["mtu"]
            if "shared" in values:
                self._set_wildcard(s, row, SHARED, values["shared"], ctx)
            if "router:external" in values:
                row.router_external = values["router:external"]
                self._set_wildcard(s, row, EXTERNAL, values["router:external"], ctx)
            bump(row)
        self.changed(networks=[network_id])
        return self.get(ctx, network_id)

    def _set_wildcard(self, s: Session, row: Network, action: str, on: bool,
                      ctx: RequestContext) -> None:
        wildcard = and_(RbacPolicy.object_type == "network", RbacPolicy.object_id == row.id,
                        RbacPolicy.action == action, RbacPolicy.target_project == "*")
        present = (s.scalar(select(func.count()).where(wildcard)) or 0) > 0
        if on and not present:
            self._grant(s, row, action, ctx)
        elif not on and present:
            if action == SHARED and self._used_by_others(s, row):
                raise InUse("Network", f"Unable to reconfigure sharing settings for network "
                                       f"{row.id}. Multiple tenants are using it.")
            s.execute(delete(RbacPolicy).where(wildcard))

    def _used_by_others(self, s: Session, row: Network) -> bool:
        return (s.scalar(select(func.count()).select_from(Port).where(
            Port.network_id == row.id, Port.project_id != row.project_id,
            ~Port.device_owner.like("network:%"))) or 0) > 0

    def delete(self, ctx: RequestContext, network_id: str) -> None:
        with self.db.session() as s, s.begin():
            row = self.row(s, network_id)
            busy = s.scalar(select(func.count()).select_from(Port).where(
                Port.network_id == network_id,
                ~Port.device_owner.in_(("network:dhcp", "network:router_ha_interface"))))
            if busy:
                raise InUse("Network", f"Unable to complete operation on network "
                                       f"{network_id}. There are one or more ports still in "
                                       "use on the network.")
            for hook in self.before_delete:
                hook(s, "network", network_id)
            s.execute(delete(Port).where(Port.network_id == network_id))
            s.execute(delete(RbacPolicy).where(RbacPolicy.object_type == "network",
                                               RbacPolicy.object_id == network_id))
            drop_tags(s, self.resource_type, network_id)
            s.delete(row)
        self.changed(networks=[network_id])

    # -- rendering ----------------------------------------------------------------------
    def segments_of(self, s: Session, ids: builtins.list[str]) -> dict[str, builtins.list[Segment]]:
        found: dict[str, builtins.list[Segment]] = {}
        if ids:
            for seg in s.scalars(select(Segment).where(Segment.network_id.in_(ids))
                                 .order_by(Segment.segment_index)):
                found.setdefault(seg.network_id, []).append(seg)
        return found

    def render_many(self, s: Session, rows: builtins.list[Network],
                    ctx: RequestContext) -> builtins.list[dict[str, Any]]:
        ids = [r.id for r in rows]
        tags = tags_of(s, self.resource_type, ids)
        segments = self.segments_of(s, ids)
        subnets: dict[str, builtins.list[str]] = {}
        rbac: dict[str, set[str]] = {}
        if ids:
            for net_id, subnet_id in s.execute(select(Subnet.network_id, Subnet.id)
                                               .where(Subnet.network_id.in_(ids))):
                subnets.setdefault(net_id, []).append(subnet_id)
            for net_id, action, target in s.execute(
                    select(RbacPolicy.object_id, RbacPolicy.action, RbacPolicy.target_project)
                    .where(RbacPolicy.object_type == "network",
                           RbacPolicy.object_id.in_(ids))):
                if target == "*" or target == ctx.project_id:
                    rbac.setdefault(net_id, set()).add(action if target == "*"
                                                       else action + ":project")
        views = [self._view(r, tags.get(r.id, []), segments.get(r.id, []),
                            subnets.get(r.id, []), rbac.get(r.id, set())) for r in rows]
        # The address scopes of the pools the network's subnets came from.
        scopes = self.services.subnetpools.scopes_of_networks(s, ids)
        for view in views:
            found = scopes.get(view["id"], {})
            view["ipv4_address_scope"], view["ipv6_address_scope"] = found.get(4), found.get(6)
        return views

    def _view(self, row: Network, tags: builtins.list[str], segments: builtins.list[Segment],
              subnets: builtins.list[str], rbac: set[str]) -> dict[str, Any]:
        out = standard_view(row, tags)
        out.update({
            "admin_state_up": row.admin_state_up, "status": row.status,
            # Shared with the caller (to all, or to its project), as Neutron shows it.
            "subnets": sorted(subnets),
            "shared": SHARED in rbac or f"{SHARED}:project" in rbac,
            "router:external": row.router_external, "is_default": row.is_default,
            "mtu": row.mtu, "port_security_enabled": row.port_security_enabled,
            "availability_zone_hints": row.availability_zone_hints or [],
            "availability_zones": ["nova"], "dns_domain": row.dns_domain,
            "qos_policy_id": row.qos_policy_id, "ipv4_address_scope": None,
            "ipv6_address_scope": None, "l2_adjacency": True,
        })
        if row.vlan_transparent is not None:
            out["vlan_transparent"] = row.vlan_transparent
        if len(segments) > 1:
            out["segments"] = [self.allocator.segment_view(seg) for seg in segments]
        elif segments:
            out.update(self.allocator.segment_view(segments[0]))
        return out


def new_id_uuid() -> str:
    import uuid

    return str(uuid.uuid4())


__all__ = ["Networks", "new_id", "visible_networks", "granted"]
