"""Security groups: each project's ``default`` group (made on first need, with Neutron's
four default rules), the groups a project makes (with the two egress rules Neutron's
template gives every other group), and the checks a port's groups pass.

Rules themselves live in ``sg_rules.py``; this store renders them inside their group.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.kernel.context import RequestContext
from nimbus.services.network.errors import ConflictNeutron, InUse, security_group_not_found
from nimbus.services.network.models.core import RbacPolicy
from nimbus.services.network.models.security_groups import (
    DefaultSecurityGroup,
    PortSecurityGroup,
    SecurityGroup,
    SecurityGroupRule,
)
from nimbus.services.network.schemas.listing import ListQuery
from nimbus.services.network.service import query as q
from nimbus.services.network.service import quotas
from nimbus.services.network.service.base import ResourceStore, caller_is_admin
from nimbus.services.network.service.sg_rules import rule_view
from nimbus.services.network.service.standard import bump, drop_tags, standard_view, tags_of

DEFAULT_DESCRIPTION = "Default security group"
SHARED = "access_as_shared"
COLUMNS = {"id": SecurityGroup.id, "name": SecurityGroup.name,
           "project_id": SecurityGroup.project_id, "description": SecurityGroup.description,
           "stateful": SecurityGroup.stateful, "revision_number": SecurityGroup.revision_number,
           "created_at": SecurityGroup.created_at, "updated_at": SecurityGroup.updated_at}


def new_rule(group_id: str, project_id: str, direction: str, ethertype: str,
             remote_group_id: str | None = None) -> SecurityGroupRule:
    return SecurityGroupRule(id=str(uuid.uuid4()), project_id=project_id,
                             security_group_id=group_id, direction=direction,
                             ethertype=ethertype, remote_group_id=remote_group_id,
                             description="")


def default_rules(group_id: str, project_id: str) -> list[SecurityGroupRule]:
    """The default group's: egress anywhere, ingress from members of the group itself;
    IPv4 and IPv6 (Neutron's default rule template, used_in_default_sg)."""
    rules = template_rules(group_id, project_id)
    for ethertype in ("IPv4", "IPv6"):
        rules.append(new_rule(group_id, project_id, "ingress", ethertype, group_id))
    return rules


def template_rules(group_id: str, project_id: str) -> list[SecurityGroupRule]:
    """Every other group's: egress anywhere, IPv4 and IPv6 (used_in_non_default_sg)."""
    return [new_rule(group_id, project_id, "egress", ethertype)
            for ethertype in ("IPv4", "IPv6")]


def shared_with(object_type: str, id_column: Any, project_id: str | None) -> Any:
    """Rows an ``access_as_shared`` RBAC entry opens to ``project_id`` (or to everyone)."""
    targets = ["*"] + ([project_id] if project_id else [])
    return exists().where(RbacPolicy.object_type == object_type,
                          RbacPolicy.object_id == id_column, RbacPolicy.action == SHARED,
                          RbacPolicy.target_project.in_(targets))


def visible_groups(project_id: str | None) -> Any:
    return or_(SecurityGroup.project_id == project_id,
               shared_with("security_group", SecurityGroup.id, project_id))


# The stores' own ``list`` method shadows the builtin in annotations inside them.
Views = list[dict[str, Any]]
GroupRows = list[SecurityGroup]
Ids = list[str]


class SecurityGroups(ResourceStore):
    resource_type = "security_groups"

    # -- the default group --------------------------------------------------------------
    def default_for(self, s: Session, project_id: str) -> str:
        """The project's default group, made now if it has none (in a savepoint, so a
        concurrent first request that made it wins and this one reads it)."""
        found = s.get(DefaultSecurityGroup, project_id)
        if found is not None:
            return found.security_group_id
        group_id = str(uuid.uuid4())
        try:
            with s.begin_nested():
                s.add(SecurityGroup(id=group_id, project_id=project_id, name="default",
                                    description=DEFAULT_DESCRIPTION, stateful=True))
                s.flush()
                s.add_all(default_rules(group_id, project_id))
                s.add(DefaultSecurityGroup(project_id=project_id, security_group_id=group_id))
                s.flush()
        except IntegrityError:
            return s.get(DefaultSecurityGroup, project_id).security_group_id  # type: ignore
        return group_id

    def ensure_default(self, ctx: RequestContext, project_id: str | None) -> None:
        """Neutron's _ensure_default_security_group: for the caller's own project, or any
        project when an admin asks (never one project making another's)."""
        if not project_id or (project_id != ctx.project_id and not caller_is_admin(ctx)):
            return
        with self.db.session() as s:
            if s.get(DefaultSecurityGroup, project_id) is not None:
                return
        with self.db.session() as s, s.begin():
            self.default_for(s, project_id)

    def default_ids(self, s: Session, group_ids: Ids) -> set[str]:
        if not group_ids:
            return set()
        return set(s.scalars(select(DefaultSecurityGroup.security_group_id).where(
            DefaultSecurityGroup.security_group_id.in_(group_ids))))

    # -- ports' groups ------------------------------------------------------------------
    def check_usable(self, s: Session, ctx: RequestContext | None, project_id: str,
                     group_ids: Ids) -> None:
        """Every group exists and belongs to the port's project or is shared with it (or
        the caller is admin); stateful and stateless groups never meet on one port."""
        if not group_ids:
            return
        admin = ctx is None or caller_is_admin(ctx)
        stmt = select(SecurityGroup.id, SecurityGroup.stateful).where(
            SecurityGroup.id.in_(group_ids))
        if not admin:
            stmt = stmt.where(visible_groups(project_id))
        found = dict(s.execute(stmt).all())
        missing = [g for g in group_ids if g not in found]
        if missing:
            raise security_group_not_found(", ".join(missing))
        if len(set(found.values())) > 1:
            raise ConflictNeutron("SecurityGroupConflict", "Error Cannot apply both stateful "
                                  "and stateless security groups on the same port at the "
                                  "same time while attempting the operation.")

    def in_use(self, s: Session, group_id: str) -> bool:
        return (s.scalar(select(func.count()).select_from(PortSecurityGroup).where(
            PortSecurityGroup.security_group_id == group_id)) or 0) > 0

    # -- reading ------------------------------------------------------------------------
    def list(self, ctx: RequestContext, query: ListQuery) -> Views:
        wanted = query.filters.get("project_id") or [ctx.project_id]
        self.ensure_default(ctx, wanted[0])
        with self.db.session() as s:
            stmt = select(SecurityGroup)
            if not caller_is_admin(ctx):
                stmt = stmt.where(visible_groups(ctx.project_id))
            stmt, rest = q.apply_filters(stmt, COLUMNS, query)
            for value in rest.get("shared", []):
                cond = shared_with("security_group", SecurityGroup.id, ctx.project_id)
                stmt = stmt.where(cond if value else ~cond)
            stmt = q.apply_tags(stmt, SecurityGroup.id, self.resource_type, query.tags)
            stmt = q.apply_order_and_page(s, stmt, SecurityGroup, COLUMNS, query,
                                          "SecurityGroup")
            rows = q.finish_page(list(s.scalars(stmt)), query)
            return self.render_many(s, rows, ctx)

    def get(self, ctx: RequestContext, group_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            return self.render_many(s, [self.row(s, group_id)], ctx)[0]

    def row(self, s: Session, group_id: str) -> SecurityGroup:
        row = s.get(SecurityGroup, group_id)
        if row is None:
            raise security_group_not_found(group_id)
        return row

    def visible_row(self, s: Session, group_id: str, project_id: str,
                    admin: bool) -> SecurityGroup:
        """The group as ``project_id`` may use it (its own or shared with it), else 404."""
        stmt = select(SecurityGroup).where(SecurityGroup.id == group_id)
        if not admin:
            stmt = stmt.where(visible_groups(project_id))
        row = s.scalar(stmt)
        if row is None:
            raise security_group_not_found(group_id)
        return row

    # -- writing ------------------------------------------------------------------------
    def create(self, ctx: RequestContext, values: dict[str, Any]) -> dict[str, Any]:
        project_id = values["project_id"]
        self.ensure_default(ctx, project_id)
        group_id = str(uuid.uuid4())
        with self.db.session() as s, s.begin():
            quotas.check(s, project_id, "security_group")
            quotas.check(s, project_id, "security_group_rule", adding=2)
            s.add(SecurityGroup(id=group_id, project_id=project_id,
                                name=values.get("name") or "",
                                description=values.get("description") or "",
                                stateful=values.get("stateful", True)))
            s.flush()
            s.add_all(template_rules(group_id, project_id))
        self.changed(security_groups=[group_id])
        return self.get(ctx, group_id)

    def update(self, ctx: RequestContext, group_id: str,
               values: dict[str, Any]) -> dict[str, Any]:
        with self.db.session() as s, s.begin():
            row = self.row(s, group_id)
            if "stateful" in values and values["stateful"] != row.stateful and \
                    self.in_use(s, group_id):
                raise InUse("SecurityGroup", f"Security Group {group_id} in use.")
            if row.name == "default" and "name" in values:
                raise ConflictNeutron("SecurityGroupCannotUpdateDefault",
                                      "Updating default security group not allowed.")
            for key in ("name", "description", "stateful"):
                if key in values:
                    setattr(row, key, values[key])
            bump(row)
        self.changed(security_groups=[group_id])
        return self.get(ctx, group_id)

    def delete(self, ctx: RequestContext, group_id: str) -> None:
        with self.db.session() as s, s.begin():
            if self.in_use(s, group_id):
                raise InUse("SecurityGroup", f"Security Group {group_id} in use.")
            row = self.row(s, group_id)
            if row.name == "default" and not caller_is_admin(ctx):
                raise ConflictNeutron("SecurityGroupCannotRemoveDefault",
                                      "Insufficient rights for removing default security "
                                      "group.")
            # Rules elsewhere naming this group as their remote go with it (Neutron's
            # ON DELETE CASCADE); those groups' members must hear of it.
            referring = set(s.scalars(select(SecurityGroupRule.security_group_id).where(
                SecurityGroupRule.remote_group_id == group_id)))
            for hook in self.before_delete:
                hook(s, "security_group", group_id)
            drop_tags(s, self.resource_type, group_id)
            s.execute(delete(RbacPolicy).where(RbacPolicy.object_type == "security_group",
                                               RbacPolicy.object_id == group_id))
            s.delete(row)
        self.changed(security_groups=sorted(referring | {group_id}))

    # -- rendering ----------------------------------------------------------------------
    def render_many(self, s: Session, rows: GroupRows,
                    ctx: RequestContext) -> Views:
        ids = [r.id for r in rows]
        tags = tags_of(s, self.resource_type, ids)
        defaults = self.default_ids(s, ids)
        rules: dict[str, list[dict[str, Any]]] = {}
        shared: set[str] = set()
        for chunk in range(0, len(ids), 500):
            part = ids[chunk:chunk + 500]
            for rule in s.scalars(select(SecurityGroupRule)
                                  .where(SecurityGroupRule.security_group_id.in_(part))
                                  .order_by(SecurityGroupRule.created_at,
                                            SecurityGroupRule.id)):
                rules.setdefault(rule.security_group_id, []).append(
                    rule_view(rule, rule.security_group_id in defaults))
            shared.update(s.scalars(select(RbacPolicy.object_id).where(
                RbacPolicy.object_type == "security_group", RbacPolicy.action == SHARED,
                RbacPolicy.object_id.in_(part),
                RbacPolicy.target_project.in_(["*", ctx.project_id or "*"]))))
        return [self._view(r, tags.get(r.id, []), rules.get(r.id, []), r.id in shared)
                for r in rows]

    def _view(self, row: SecurityGroup, tags: Ids, rules: Views,
              shared: bool) -> dict[str, Any]:
        out = standard_view(row, tags)
        out.update({"stateful": row.stateful, "shared": shared,
                    "security_group_rules": rules})
        return out


__all__ = ["SecurityGroups", "default_rules", "template_rules", "visible_groups",
           "shared_with"]
