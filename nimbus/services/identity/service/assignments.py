"""Roles, implied roles and role assignments (grants) on projects, domains and the system."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from nimbus.services.identity.errors import ResourceNotFound
from nimbus.services.identity.models import (
    Assignment,
    GroupMembership,
    ImpliedRole,
    Project,
    Role,
)

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService

SYSTEM_TARGET = "system"


class Assignments:
    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self.db = identity.db

    def role(self, s: Session, role_id: str | None) -> Role:
        found = s.get(Role, role_id) if role_id else None
        if found is None:
            raise ResourceNotFound("role", str(role_id))
        return found

    def role_by_name(self, s: Session, name: str, domain_id: str = "") -> Role:
        found = s.scalars(select(Role).where(Role.name == name,
                                             Role.domain_id == (domain_id or ""))).first()
        if found is None:
            raise ResourceNotFound("role", name)
        return found

    def expand_implied(self, s: Session, role_ids: set[str]) -> set[str]:
        """The roles given plus everything they imply, transitively."""
        seen = set(role_ids)
        frontier = set(role_ids)
        while frontier:
            implied = set(s.scalars(select(ImpliedRole.implied_role_id)
                                    .where(ImpliedRole.prior_role_id.in_(frontier))))
            frontier = implied - seen
            seen |= frontier
        return seen

    def actor_ids(self, s: Session, user_id: str) -> list[str]:
        groups = s.scalars(select(GroupMembership.group_id)
                           .where(GroupMembership.user_id == user_id))
        return [user_id, *groups]

    def direct_role_ids(self, s: Session, user_id: str, kind: str | None,
                        target_id: str | None) -> set[str]:
        """Role ids granted to the user (directly or by group) on the target, including
        grants inherited from the target's domain and ancestor projects."""
        if kind is None or target_id is None:
            return set()
        actors = self.actor_ids(s, user_id)
        conditions = []
        if kind == "system":
            conditions.append(Assignment.target_id == SYSTEM_TARGET)
        else:
            conditions.append((Assignment.target_id == target_id)
                              & Assignment.inherited.is_(False))
        if kind == "project":
            project = self.identity.resources.project(s, target_id)
            parents = [p.id for p in self.identity.resources.ancestors(s, project)]
            conditions.append(Assignment.target_id.in_([project.domain_id, *parents])
                              & Assignment.inherited.is_(True))
        q = select(Assignment.role_id).where(Assignment.actor_id.in_(actors), or_(*conditions))
        if kind == "system":
            q = q.where(Assignment.type.in_(("UserSystem", "GroupSystem")))
        else:
            q = q.where(Assignment.type.notin_(("UserSystem", "GroupSystem")))
        return set(s.scalars(q))

    def roles_for_scope(self, s: Session, user_id: str, kind: str | None,
                        target_id: str | None) -> list[Role]:
        """Effective roles for a token: granted roles plus the roles they imply."""
        granted = self.direct_role_ids(s, user_id, kind, target_id)
        if not granted:
            return []
        ids = self.expand_implied(s, granted)
        # Domain-specific roles never appear in a token; only the global roles they imply.
        rows = s.scalars(select(Role).where(Role.id.in_(ids)).order_by(Role.name))
        return [r for r in rows if not r.domain_id]

    # -- what a user can scope to -------------------------------------------------------------
    def _targets_with_roles(self, s: Session, user_id: str) -> set[str]:
        actors = self.actor_ids(s, user_id)
        return set(s.scalars(select(Assignment.target_id)
                             .where(Assignment.actor_id.in_(actors),
                                    Assignment.type.notin_(("UserSystem", "GroupSystem")))))

    def projects_for_user(self, user_id: str | None) -> list[tuple[Any, list[str]]]:
        """Enabled projects where the user has a role (directly, by group or inherited)."""
        if user_id is None:
            return []
        resources = self.identity.resources
        with self.db.session() as s:
            targets = self._targets_with_roles(s, user_id)
            candidates = set(targets)
            for target in targets:
                row = s.get(Project, target)
                if row is not None:
                    source = (select(Project.id).where(Project.domain_id == row.id)
                              if row.is_domain else None)
                    if source is not None:
                        candidates |= set(s.scalars(source))
                    else:
                        candidates |= {p.id for p in resources.subtree(s, row.id)}
            out = []
            for pid in sorted(candidates):
                row = s.get(Project, pid)
                if row is None or row.is_domain or not row.enabled:
                    continue
                if self.roles_for_scope(s, user_id, "project", pid):
                    out.append((row, resources.tags(s, pid)))
            return out

    def domains_for_user(self, user_id: str | None) -> list[tuple[Any, list[str]]]:
        if user_id is None:
            return []
        resources = self.identity.resources
        with self.db.session() as s:
            out = []
            for target in sorted(self._targets_with_roles(s, user_id)):
                row = s.get(Project, target)
                if row is not None and row.is_domain and row.enabled and \
                        self.roles_for_scope(s, user_id, "domain", row.id):
                    out.append((row, resources.tags(s, row.id)))
            return out

    def has_system_roles(self, user_id: str | None) -> bool:
        if user_id is None:
            return False
        with self.db.session() as s:
            return bool(self.roles_for_scope(s, user_id, "system", "all"))
