"""Address groups: named sets of CIDRs (stored normalised, as Neutron stores them) that
security group rules name as their remote; ``add_addresses`` / ``remove_addresses`` change
the set, and the groups whose rules use it are told to the agents."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from nimbus.kernel.context import RequestContext
from nimbus.services.network.errors import (
    BadRequestNeutron,
    InUse,
    InvalidNeutron,
    NotFoundNeutron,
    address_group_not_found,
)
from nimbus.services.network.models.address_groups import AddressAssociation, AddressGroup
from nimbus.services.network.models.core import RbacPolicy
from nimbus.services.network.models.security_groups import SecurityGroupRule
from nimbus.services.network.schemas.address_groups import action_addresses, normalized
from nimbus.services.network.schemas.listing import ListQuery
from nimbus.services.network.service import query as q
from nimbus.services.network.service.base import ResourceStore, caller_is_admin
from nimbus.services.network.service.security_groups import shared_with
from nimbus.services.network.service.standard import bump, standard_view

A = AddressGroup
COLUMNS = {"id": A.id, "name": A.name, "project_id": A.project_id,
           "description": A.description, "revision_number": A.revision_number,
           "created_at": A.created_at, "updated_at": A.updated_at}


def visible_address_groups(project_id: str | None) -> Any:
    return or_(A.project_id == project_id, shared_with("address_group", A.id, project_id))


# The stores' own ``list`` method shadows the builtin in annotations inside them.
Views = list[dict[str, Any]]
GroupRows = list[AddressGroup]
Ids = list[str]


class AddressGroups(ResourceStore):
    resource_type = "address_groups"

    def list(self, ctx: RequestContext, query: ListQuery) -> Views:
        with self.db.session() as s:
            stmt = select(A)
            if not caller_is_admin(ctx):
                stmt = stmt.where(visible_address_groups(ctx.project_id))
            stmt, _rest = q.apply_filters(stmt, COLUMNS, query)
            stmt = q.apply_order_and_page(s, stmt, A, COLUMNS, query, "AddressGroup")
            rows = q.finish_page(list(s.scalars(stmt)), query)
            return self.render_many(s, rows)

    def get(self, ctx: RequestContext, group_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            return self.render_many(s, [self.row(s, group_id)])[0]

    def row(self, s: Session, group_id: str) -> AddressGroup:
        row = s.get(A, group_id)
        if row is None:
            raise address_group_not_found(group_id)
        return row

    def visible_row(self, s: Session, group_id: str, project_id: str,
                    admin: bool) -> AddressGroup:
        """The group as ``project_id`` may name it in a rule (its own or shared), else 404."""
        stmt = select(A).where(A.id == group_id)
        if not admin:
            stmt = stmt.where(visible_address_groups(project_id))
        row = s.scalar(stmt)
        if row is None:
            raise address_group_not_found(group_id)
        return row

    def addresses_of(self, s: Session, ids: Ids) -> dict[str, Ids]:
        found: dict[str, Ids] = {}
        for chunk in range(0, len(ids), 500):
            for group_id, address in s.execute(
                    select(AddressAssociation.address_group_id, AddressAssociation.address)
                    .where(AddressAssociation.address_group_id.in_(ids[chunk:chunk + 500]))
                    .order_by(AddressAssociation.address)):
                found.setdefault(group_id, []).append(address)
        return found

    def render_many(self, s: Session, rows: GroupRows) -> Views:
        addresses = self.addresses_of(s, [r.id for r in rows])
        out = []
        for row in rows:
            view = standard_view(row, [])
            view.pop("tags")
            view.update({"addresses": addresses.get(row.id, []), "shared": False})
            out.append(view)
        return out

    # -- writing ------------------------------------------------------------------------
    def create(self, ctx: RequestContext, values: dict[str, Any]) -> dict[str, Any]:
        group_id = str(uuid.uuid4())
        with self.db.session() as s, s.begin():
            s.add(A(id=group_id, project_id=values["project_id"],
                    name=values.get("name") or "", description=values.get("description") or ""))
            s.flush()
            for address in sorted({normalized(a) for a in values.get("addresses") or []}):
                s.add(AddressAssociation(address_group_id=group_id, address=address))
        return self.get(ctx, group_id)

    def update(self, ctx: RequestContext, group_id: str,
               values: dict[str, Any]) -> dict[str, Any]:
        with self.db.session() as s, s.begin():
            row = self.row(s, group_id)
            for key in ("name", "description"):
                if key in values:
                    setattr(row, key, values[key])
            bump(row)
        return self.get(ctx, group_id)

    def delete(self, ctx: RequestContext, group_id: str) -> None:
        with self.db.session() as s, s.begin():
            used = s.scalar(select(func.count()).select_from(SecurityGroupRule).where(
                SecurityGroupRule.remote_address_group_id == group_id))
            if used:
                raise InUse("AddressGroup", f"Address group {group_id} is in use on one or "
                                            "more security group rules.")
            s.execute(delete(RbacPolicy).where(RbacPolicy.object_type == "address_group",
                                               RbacPolicy.object_id == group_id))
            s.delete(self.row(s, group_id))

    def change_addresses(self, ctx: RequestContext, group_id: str, body: Any,
                         *, adding: bool) -> dict[str, Any]:
        """``add_addresses`` / ``remove_addresses``: all or nothing, as Neutron does."""
        if not isinstance(body, dict) or "addresses" not in body:
            raise BadRequestNeutron("address_group", "Unrecognized request body: addresses "
                                    "required")
        wanted = action_addresses(body["addresses"])
        with self.db.session() as s, s.begin():
            row = self.row(s, group_id)
            present: set[str] = set(self.addresses_of(s, [group_id]).get(group_id, []))
            clash = sorted(wanted & present) if adding else sorted(wanted - present)
            if clash and adding:
                raise InvalidNeutron("AddressesAlreadyExist", f"Addresses {clash} already "
                                     f"exist in the address group {group_id}.")
            if clash:
                raise NotFoundNeutron("AddressesNotFound", f"Addresses {clash} not found in "
                                      f"the address group {group_id}.")
            if adding:
                s.add_all(AddressAssociation(address_group_id=group_id, address=a)
                          for a in sorted(wanted))
            else:
                s.execute(delete(AddressAssociation).where(
                    AddressAssociation.address_group_id == group_id,
                    AddressAssociation.address.in_(wanted)))
            bump(row)
            users = sorted(set(s.scalars(select(SecurityGroupRule.security_group_id).where(
                SecurityGroupRule.remote_address_group_id == group_id))))
        if users:
            self.changed(security_groups=users)
        return self.get(ctx, group_id)


__all__ = ["AddressGroups", "visible_address_groups"]
