"""Address scopes: the address space subnet pools belong to (no overlap inside one scope);
shared through RBAC entries like networks and pools."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from nimbus.kernel.context import RequestContext
from nimbus.services.network.errors import InUse, ResourceNotFound
from nimbus.services.network.models.core import RbacPolicy
from nimbus.services.network.models.subnetpools import AddressScope, SubnetPool
from nimbus.services.network.schemas.listing import ListQuery
from nimbus.services.network.service import query as q
from nimbus.services.network.service.base import ResourceStore, caller_is_admin
from nimbus.services.network.service.subnet_rules import BadRequestTyped
from nimbus.services.network.service.subnetpools import SHARED, shared_to

COLUMNS = {"id": AddressScope.id, "name": AddressScope.name,
           "project_id": AddressScope.project_id, "ip_version": AddressScope.ip_version}


class AddressScopes(ResourceStore):
    resource_type = "address_scopes"

    def list(self, ctx: RequestContext, query: ListQuery) -> list[dict[str, Any]]:
        with self.db.session() as s:
            stmt = select(AddressScope)
            if not caller_is_admin(ctx):
                stmt = stmt.where(or_(AddressScope.project_id == ctx.project_id,
                                      shared_to("address_scope", AddressScope.id,
                                                ctx.project_id)))
            stmt, rest = q.apply_filters(stmt, COLUMNS, query)
            for value in rest.get("shared", []):
                cond = shared_to("address_scope", AddressScope.id, None)
                stmt = stmt.where(cond if value else ~cond)
            stmt = q.apply_order_and_page(s, stmt, AddressScope, COLUMNS, query,
                                          "AddressScope")
            return self.render_many(s, q.finish_page(list(s.scalars(stmt)), query))

    def get(self, ctx: RequestContext, scope_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            return self.render_many(s, [self.row(s, scope_id)])[0]

    def row(self, s: Session, scope_id: str) -> AddressScope:
        row = s.get(AddressScope, scope_id)
        if row is None:
            raise ResourceNotFound("AddressScope", scope_id, label="Address scope")
        return row

    def create(self, ctx: RequestContext, values: dict[str, Any]) -> dict[str, Any]:
        scope_id = str(uuid.uuid4())
        with self.db.session() as s, s.begin():
            s.add(AddressScope(id=scope_id, project_id=values["project_id"],
                               name=values.get("name") or "", ip_version=values["ip_version"]))
            if values.get("shared"):
                self._share(s, scope_id, values["project_id"])
        return self.get(ctx, scope_id)

    def _share(self, s: Session, scope_id: str, project_id: str) -> None:
        s.add(RbacPolicy(id=str(uuid.uuid4()), project_id=project_id,
                         object_type="address_scope", object_id=scope_id, action=SHARED,
                         target_project="*"))

    def update(self, ctx: RequestContext, scope_id: str,
               values: dict[str, Any]) -> dict[str, Any]:
        with self.db.session() as s, s.begin():
            row = self.row(s, scope_id)
            shared = self._is_shared(s, scope_id)
            if shared and values.get("shared") is False:
                raise BadRequestTyped("AddressScopeUpdateError",
                                      f"Unable to update address scope {scope_id} : Shared "
                                      "address scope can't be unshared.")
            if values.get("shared") and not shared:
                self._share(s, scope_id, row.project_id)
            if "name" in values:
                row.name = values["name"]
        return self.get(ctx, scope_id)

    def _is_shared(self, s: Session, scope_id: str) -> bool:
        return s.scalar(select(RbacPolicy.id).where(
            RbacPolicy.object_type == "address_scope", RbacPolicy.object_id == scope_id,
            RbacPolicy.action == SHARED, RbacPolicy.target_project == "*")) is not None

    def delete(self, ctx: RequestContext, scope_id: str) -> None:
        with self.db.session() as s, s.begin():
            row = self.row(s, scope_id)
            if s.scalar(select(SubnetPool.id).where(SubnetPool.address_scope_id == scope_id)):
                raise InUse("AddressScope", f"Unable to complete operation on address scope "
                                            f"{scope_id}. There are one or more subnet pools "
                                            "in use on the address scope.")
            s.execute(delete(RbacPolicy).where(RbacPolicy.object_type == "address_scope",
                                               RbacPolicy.object_id == scope_id))
            s.delete(row)

    def render_many(self, s: Session, rows: list[AddressScope]) -> list[dict[str, Any]]:
        ids = [r.id for r in rows]
        shared = set(s.scalars(select(RbacPolicy.object_id).where(
            RbacPolicy.object_type == "address_scope", RbacPolicy.object_id.in_(ids),
            RbacPolicy.action == SHARED, RbacPolicy.target_project == "*"))) if ids else set()
        return [{"id": r.id, "name": r.name, "tenant_id": r.project_id,
                 "project_id": r.project_id, "shared": r.id in shared,
                 "ip_version": r.ip_version} for r in rows]
