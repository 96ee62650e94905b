"""Trunks: a parent port with VLAN subports. Subports follow their parent's binding; the
parent's view carries ``trunk_details`` and the agent gets ``subports`` (port -> VLAN)."""

from __future__ import annotations

import builtins
import uuid
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from nimbus.kernel.context import RequestContext
from nimbus.services.network.errors import ConflictNeutron, ResourceNotFound
from nimbus.services.network.models.core import Port
from nimbus.services.network.models.trunks import SubPort, Trunk
from nimbus.services.network.schemas.listing import ListQuery
from nimbus.services.network.service import query as q
from nimbus.services.network.service import quotas
from nimbus.services.network.service.base import ResourceStore, caller_is_admin
from nimbus.services.network.service.standard import bump, drop_tags, standard_view, tags_of

COLUMNS = {"id": Trunk.id, "name": Trunk.name, "project_id": Trunk.project_id,
           "description": Trunk.description, "port_id": Trunk.port_id,
           "admin_state_up": Trunk.admin_state_up, "status": Trunk.status,
           "revision_number": Trunk.revision_number, "created_at": Trunk.created_at,
           "updated_at": Trunk.updated_at}
SUBPORT_OWNER = "trunk:subport"


class Conflict(ConflictNeutron):
    pass


class Trunks(ResourceStore):
    resource_type = "trunks"

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        ports = self.services.ports
        ports.before_delete.append(self._port_deleting)
        ports.render_hooks.append(self._port_details)

    def list(self, ctx: RequestContext, query: ListQuery) -> builtins.list[dict[str, Any]]:
        with self.db.session() as s:
            stmt = select(Trunk)
            if not caller_is_admin(ctx):
                stmt = stmt.where(Trunk.project_id == ctx.project_id)
            stmt, _rest = q.apply_filters(stmt, COLUMNS, query)
            stmt = q.apply_tags(stmt, Trunk.id, self.resource_type, query.tags)
            stmt = q.apply_order_and_page(s, stmt, Trunk, COLUMNS, query, "Trunk")
            return self.render_many(s, q.finish_page(list(s.scalars(stmt)), query))

    def get(self, ctx: RequestContext, trunk_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            return self.render_many(s, [self.row(s, trunk_id)])[0]

    def row(self, s: Session, trunk_id: str) -> Trunk:
        row = s.get(Trunk, trunk_id)
        if row is None:
            raise ResourceNotFound("Trunk", trunk_id)
        return row

    def create(self, ctx: RequestContext, values: dict[str, Any]) -> dict[str, Any]:
        with self.db.session() as s, s.begin():
            quotas.check(s, values["project_id"], "trunk")
            parent = self._port(s, ctx, values["port_id"])
            self._check_free(s, parent.id, as_parent=True)
            row = Trunk(id=str(uuid.uuid4()), project_id=values["project_id"],
                        name=values.get("name") or "", port_id=parent.id,
                        description=values.get("description") or "",
                        admin_state_up=values["admin_state_up"],
                        status="ACTIVE" if parent.binding_host_id else "DOWN")
            s.add(row)
            s.flush()
            self._add(s, ctx, row, parent, values.get("sub_ports") or [])
            trunk_id, network_id = row.id, parent.network_id
        self.changed(networks=[network_id])
        return self.get(ctx, trunk_id)

    def update(self, ctx: RequestContext, trunk_id: str,
               values: dict[str, Any]) -> dict[str, Any]:
        with self.db.session() as s, s.begin():
            row = self.row(s, trunk_id)
            for key in ("name", "description", "admin_state_up"):
                if key in values:
                    setattr(row, key, values[key])
            bump(row)
        return self.get(ctx, trunk_id)

    def delete(self, ctx: RequestContext, trunk_id: str) -> None:
        with self.db.session() as s, s.begin():
            row = self.row(s, trunk_id)
            parent = s.get(Port, row.port_id)
            if parent is not None and parent.binding_host_id and parent.device_id:
                raise Conflict("TrunkInUse", f"Trunk {trunk_id} is currently in use.")
            self._release(s, [sp.port_id for sp in self._subports(s, trunk_id)])
            drop_tags(s, self.resource_type, trunk_id)
            s.delete(row)
            network_id = parent.network_id if parent else None
        if network_id:
            self.changed(networks=[network_id])

    # -- subports -----------------------------------------------------------------------
    def add_subports(self, ctx: RequestContext, trunk_id: str,
                     sub_ports: builtins.list[dict[str, Any]]) -> dict[str, Any]:
        with self.db.session() as s, s.begin():
            row = self._enabled(s, trunk_id)
            parent = s.get(Port, row.port_id)
            self._add(s, ctx, row, parent, sub_ports)
            bump(row)
        self.changed(networks=self._networks(trunk_id))
        return self.get(ctx, trunk_id)

    def remove_subports(self, ctx: RequestContext, trunk_id: str,
                        sub_ports: builtins.list[dict[str, Any]]) -> dict[str, Any]:
        with self.db.session() as s, s.begin():
            row = self._enabled(s, trunk_id)
            present = {sp.port_id for sp in self._subports(s, trunk_id)}
            wanted = [sp["port_id"] for sp in sub_ports]
            for port_id in wanted:
                if port_id not in present:
                    raise ResourceNotFound("SubPort", port_id, label=f"SubPort on trunk "
                                           f"{trunk_id} with port")
            self._release(s, wanted)
            bump(row)
        self.changed(networks=self._networks(trunk_id))
        return self.get(ctx, trunk_id)

    def get_subports(self, ctx: RequestContext, trunk_id: str) -> builtins.list[dict[str, Any]]:
        return list(self.get(ctx, trunk_id)["sub_ports"])

    def _add(self, s: Session, ctx: RequestContext, row: Trunk, parent: Port | None,
             sub_ports: builtins.list[dict[str, Any]]) -> None:
        taken = {sp.segmentation_id for sp in self._subports(s, row.id)}
        for sub in sub_ports:
            if sub["segmentation_id"] in taken:
                raise Conflict("DuplicateSubPort", f"segmentation_type "
                               f"{sub['segmentation_type']} and segmentation_id "
                               f"{sub['segmentation_id']} already in use on trunk {row.id}.")
            taken.add(sub["segmentation_id"])
            port = self._port(s, ctx, sub["port_id"])
            if parent is not None and port.id == parent.id:
                raise Conflict("PortInUseAsTrunkParent", f"Port {port.id} is currently a "
                               f"parent port for trunk {row.id}.")
            self._check_free(s, port.id, as_parent=False)
            s.add(SubPort(port_id=port.id, trunk_id=row.id,
                          segmentation_type=sub["segmentation_type"],
                          segmentation_id=sub["segmentation_id"]))
            port.device_owner, port.device_id = SUBPORT_OWNER, row.id
            if parent is not None:
                port.binding_host_id = parent.binding_host_id
        s.flush()

    def _release(self, s: Session, port_ids: builtins.list[str]) -> None:
        if not port_ids:
            return
        s.execute(delete(SubPort).where(SubPort.port_id.in_(port_ids)))
        for port in s.scalars(select(Port).where(Port.id.in_(port_ids))):
            port.device_owner, port.device_id, port.binding_host_id = "", "", ""

    def _port(self, s: Session, ctx: RequestContext, port_id: str) -> Port:
        port = s.get(Port, port_id)
        if port is None or (not caller_is_admin(ctx) and port.project_id != ctx.project_id):
            raise ResourceNotFound("Port", port_id)
        return port

    def _check_free(self, s: Session, port_id: str, *, as_parent: bool) -> None:
        parent_of = s.scalar(select(Trunk.id).where(Trunk.port_id == port_id))
        if parent_of:
            raise Conflict("TrunkPortInUse" if as_parent else "PortInUseAsTrunkParent",
                           f"Port {port_id} is in use by another trunk." if as_parent else
                           f"Port {port_id} is currently a parent port for trunk {parent_of}.")
        sub_of = s.scalar(select(SubPort.trunk_id).where(SubPort.port_id == port_id))
        if sub_of:
            raise Conflict("PortInUseAsSubPort", f"Port {port_id} is currently a subport for "
                           f"trunk {sub_of}.")

    def _enabled(self, s: Session, trunk_id: str) -> Trunk:
        row = self.row(s, trunk_id)
        if not row.admin_state_up:
            raise Conflict("TrunkDisabled", f"Trunk {trunk_id} is currently disabled.")
        return row

    def _subports(self, s: Session, trunk_id: str) -> builtins.list[SubPort]:
        return list(s.scalars(select(SubPort).where(SubPort.trunk_id == trunk_id)
                              .order_by(SubPort.segmentation_id)))

    def _networks(self, trunk_id: str) -> builtins.list[str]:
        with self.db.session() as s:
            ids = select(SubPort.port_id).where(SubPort.trunk_id == trunk_id)
            parent = select(Trunk.port_id).where(Trunk.id == trunk_id)
            return sorted(set(s.scalars(select(Port.network_id).where(
                or_(Port.id.in_(ids), Port.id.in_(parent))))))

    # -- hooks on ports -----------------------------------------------------------------
    def _port_deleting(self, s: Session, kind: str, port_id: str) -> None:
        trunk_id = s.scalar(select(Trunk.id).where(Trunk.port_id == port_id))
        if trunk_id:
            raise Conflict("PortInUseAsTrunkParent", f"Port {port_id} is currently a parent "
                           f"port for trunk {trunk_id}.")
        sub_of = s.scalar(select(SubPort.trunk_id).where(SubPort.port_id == port_id))
        if sub_of:
            raise Conflict("PortInUseAsSubPort", f"Port {port_id} is currently a subport for "
                           f"trunk {sub_of}.")

    def _port_details(self, s: Session, rows: builtins.list[Port]) -> dict[str, dict[str, Any]]:
        ids = [r.id for r in rows]
        trunks = dict(s.execute(select(Trunk.port_id, Trunk.id)
                                .where(Trunk.port_id.in_(ids))).all()) if ids else {}
        if not trunks:
            return {}
        subs: dict[str, builtins.list[dict[str, Any]]] = {}
        for sp, mac in s.execute(select(SubPort, Port.mac_address)
                                 .join(Port, Port.id == SubPort.port_id)
                                 .where(SubPort.trunk_id.in_(list(trunks.values())))):
            subs.setdefault(sp.trunk_id, []).append({
                "segmentation_id": sp.segmentation_id,
                "segmentation_type": sp.segmentation_type, "port_id": sp.port_id,
                "mac_address": mac})
        return {port_id: {"trunk_details": {"trunk_id": trunk_id,
                                            "sub_ports": subs.get(trunk_id, [])},
                          "trunk_subports": {x["port_id"]: x["segmentation_id"]
                                             for x in subs.get(trunk_id, [])}}
                for port_id, trunk_id in trunks.items()}

    def render_many(self, s: Session, rows: builtins.list[Trunk]) -> builtins.list[dict[str, Any]]:
        ids = [r.id for r in rows]
        tags = tags_of(s, self.resource_type, ids)
        subs: dict[str, builtins.list[dict[str, Any]]] = {}
        if ids:
            for sp in s.scalars(select(SubPort).where(SubPort.trunk_id.in_(ids))
                                .order_by(SubPort.segmentation_id)):
                subs.setdefault(sp.trunk_id, []).append({
                    "segmentation_id": sp.segmentation_id,
                    "segmentation_type": sp.segmentation_type, "port_id": sp.port_id})
        out = []
        for r in rows:
            view = standard_view(r, tags.get(r.id, []))
            view.update({"port_id": r.port_id, "admin_state_up": r.admin_state_up,
                         "status": r.status, "sub_ports": subs.get(r.id, [])})
            out.append(view)
        return out


__all__ = ["Trunks"]
