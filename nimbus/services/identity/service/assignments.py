"""Roles, implied roles and role assignments (grants) on projects, domains and the system."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from nimbus.kernel.errors import BadRequest, Forbidden, NotFound
from nimbus.services.identity.errors import Duplicate, ResourceNotFound
from nimbus.services.identity.models import (
    Assignment,
    Group,
    GroupMembership,
    ImpliedRole,
    Project,
    Role,
    User,
)
from nimbus.services.identity.service.common import GenerationCache, bump_generation
from nimbus.services.identity.service.role_assignments import AssignmentLister, AssignmentQuery

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService


class RoleRef(NamedTuple):
    """A role as a token carries it."""

    id: str
    name: str

SYSTEM_TARGET = "system"
SYSTEM_TYPES = ("UserSystem", "GroupSystem")
# Keystone's [assignment] prohibited_implied_role default.
PROHIBITED_IMPLIED_ROLES = ("admin",)
IMMUTABLE = "immutable"

__all__ = ["AssignmentQuery", "Assignments", "Grant", "SYSTEM_TARGET"]


# -- errors, in Keystone's words ------------------------------------------------------------
class RoleAssignmentNotFound(NotFound):
    def __init__(self, role_id: str, actor_id: str, target_id: str) -> None:
        super().__init__(f"Could not find role assignment with role: {role_id}, user or "
                         f"group: {actor_id}, project, domain, or system: {target_id}.")


class ImpliedRoleNotFound(NotFound):
    def __init__(self, prior_role_id: str, implied_role_id: str) -> None:
        super().__init__(f"{prior_role_id} does not imply {implied_role_id}.")


class InvalidImpliedRole(Forbidden):
    def __init__(self, role_id: str) -> None:
        super().__init__(f"{role_id} cannot be an implied roles.")


class DomainSpecificRoleMismatch(Forbidden):
    def __init__(self, project_id: str, role_id: str) -> None:
        super().__init__(f"Project {project_id} must be in the same domain as the role "
                         f"{role_id} being assigned.")


class ImmutableRole(Forbidden):
    def __init__(self, action: str, role_id: str) -> None:
        super().__init__(f"Unable to {action} immutable role resource: `{role_id}. Set "
                         "resource option \"immutable\" to false first.")


@dataclass(frozen=True)
class Grant:
    """Who gets a role where: a user or group on a project, a domain or the system."""

    actor: str  # "user" or "group"
    actor_id: str
    target: str  # "project", "domain" or "system"
    target_id: str  # project or domain id; "system" for the system
    inherited: bool = False

    @property
    def type(self) -> str:
        return self.actor.capitalize() + self.target.capitalize()


class Assignments:
    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self.db = identity.db
        self._roles: GenerationCache[list[RoleRef]] = GenerationCache(
            identity.tokens_generation)

    # -- lookups ----------------------------------------------------------------------------
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

    def actor(self, s: Session, kind: str, actor_id: str) -> User | Group:
        found: User | Group | None = (s.get(User, actor_id) if kind == "user"
                                      else s.get(Group, actor_id))
        if found is None:
            raise ResourceNotFound(kind, actor_id)
        return found

    def policy_refs(self, refs: dict[str, str | None], *, optional: tuple[str, ...] = (),
                    lenient: bool = False) -> dict[str, Any]:
        """What the grant policy rules read about the entities a request names
        (``{"role": role_id, "user": user_id, "project": project_id}`` ...).

        A missing entity is a 404, unless it is ``optional`` (left out) or the lookup is
        ``lenient`` (left empty, for the rule to judge; the handler reports it later).
        """
        loaders = {"role": self._role_ref, "user": self._user_ref, "group": self._group_ref,
                   "project": self._project_ref, "domain": self._domain_ref}
        out: dict[str, Any] = {}
        with self.db.session() as s:
            for kind, ident in refs.items():
                found = loaders[kind](s, ident) if ident else None
                if found is not None:
                    out[kind] = found
                elif lenient:
                    out[kind] = {}
                elif kind not in optional:
                    raise ResourceNotFound(kind, str(ident))
        return out

    @staticmethod
    def _role_ref(s: Session, ident: str) -> dict[str, Any] | None:
        role = s.get(Role, ident)
        return None if role is None else {
            "id": role.id, "name": role.name, "domain_id": role.domain_id or None,
            "description": role.description, "options": role.options or {}}

    @staticmethod
    def _user_ref(s: Session, ident: str) -> dict[str, Any] | None:
        user = s.get(User, ident)
        return None if user is None else {"id": user.id, "name": user.name,
                                          "domain_id": user.domain_id, "enabled": user.enabled}

    @staticmethod
    def _group_ref(s: Session, ident: str) -> dict[str, Any] | None:
        group = s.get(Group, ident)
        return None if group is None else {"id": group.id, "name": group.name,
                                           "domain_id": group.domain_id}

    @staticmethod
    def _project_ref(s: Session, ident: str) -> dict[str, Any] | None:
        project = s.get(Project, ident)
        if project is None or project.is_domain:
            return None
        return {"id": project.id, "name": project.name, "domain_id": project.domain_id,
                "parent_id": project.parent_id, "is_domain": False,
                "enabled": project.enabled}

    @staticmethod
    def _domain_ref(s: Session, ident: str) -> dict[str, Any] | None:
        domain = s.get(Project, ident)
        if domain is None or not domain.is_domain:
            return None
        return {"id": domain.id, "name": domain.name, "enabled": domain.enabled}

    # -- roles ------------------------------------------------------------------------------
    def list_roles(self, name: str | None = None, domain_id: str | None = None) -> list[Role]:
        """Global roles, or the roles of one domain when ``domain_id`` is given."""
        with self.db.session() as s:
            q = select(Role).where(Role.domain_id == (domain_id or ""))
            if name is not None:
                q = q.where(Role.name == name)
            return list(s.scalars(q.order_by(Role.name)))

    def get_role(self, role_id: str) -> Role:
        with self.db.session() as s:
            return self.role(s, role_id)

    def create_role(self, fields: dict[str, Any]) -> Role:
        with self.db.session() as s:
            domain_id = fields.get("domain_id") or ""
            if domain_id:
                try:
                    self.identity.resources.domain(s, domain_id)
                except ResourceNotFound:
                    raise BadRequest(f"Could not find domain: {domain_id}.") from None
            self._check_unique_name(s, fields["name"], domain_id)
            options = {k: v for k, v in (fields.get("options") or {}).items() if v is not None}
            role = Role(name=fields["name"], domain_id=domain_id,
                        description=fields.get("description"), options=options,
                        extra=fields.get("extra") or {})
            s.add(role)
            s.flush()
            return role

    def update_role(self, role_id: str, fields: dict[str, Any]) -> Role:
        with self.db.session() as s:
            role = self.role(s, role_id)
            if (role.options or {}).get(IMMUTABLE) and not _only_clears_immutable(fields):
                raise ImmutableRole("update", role.id)
            if "domain_id" in fields and (fields["domain_id"] or "") != role.domain_id:
                raise BadRequest("Update of `domain_id` is not allowed.")
            if "name" in fields and fields["name"] != role.name:
                self._check_unique_name(s, fields["name"], role.domain_id)
                role.name = fields["name"]
            if "description" in fields:
                role.description = fields["description"]
            if "options" in fields:
                merged = {**(role.options or {}), **fields["options"]}
                role.options = {k: v for k, v in merged.items() if v is not None}
            if fields.get("extra"):
                role.extra = {**(role.extra or {}), **fields["extra"]}
            bump_generation(s)
            return role

    def delete_role(self, role_id: str) -> None:
        """Delete a role with every assignment of it and every implication naming it."""
        with self.db.session() as s:
            role = self.role(s, role_id)
            if (role.options or {}).get(IMMUTABLE):
                raise ImmutableRole("delete", role.id)
            s.execute(delete(Assignment).where(Assignment.role_id == role.id))
            s.execute(delete(ImpliedRole).where(or_(ImpliedRole.prior_role_id == role.id,
                                                    ImpliedRole.implied_role_id == role.id)))
            s.delete(role)
            bump_generation(s)

    def _check_unique_name(self, s: Session, name: str, domain_id: str) -> None:
        taken = s.scalars(select(Role.id).where(Role.name == name,
                                                Role.domain_id == domain_id)).first()
        if taken:
            where = f" at domain ID {domain_id}" if domain_id else ""
            raise Duplicate("role", f"Duplicate entry found with name {name}{where}")

    # -- implied roles ----------------------------------------------------------------------
    def create_implied_role(self, prior_id: str, implied_id: str) -> tuple[Role, Role]:
        with self.db.session() as s:
            implied = self.role(s, implied_id)
            prior = self.role(s, prior_id)
            if implied.name in PROHIBITED_IMPLIED_ROLES:
                raise InvalidImpliedRole(implied.id)
            if not prior.domain_id and implied.domain_id:
                # A global role cannot imply a domain-specific one.
                raise InvalidImpliedRole(implied.id)
            if s.get(ImpliedRole, (prior.id, implied.id)) is not None:
                raise Duplicate("implied_role", "Duplicate entry")
            s.add(ImpliedRole(prior_role_id=prior.id, implied_role_id=implied.id))
            bump_generation(s)
            return prior, implied

    def get_implied_role(self, prior_id: str, implied_id: str) -> tuple[Role, Role]:
        with self.db.session() as s:
            prior = self.role(s, prior_id)
            implied = self.role(s, implied_id)
            if s.get(ImpliedRole, (prior.id, implied.id)) is None:
                raise ImpliedRoleNotFound(prior.id, implied.id)
            return prior, implied

    def delete_implied_role(self, prior_id: str, implied_id: str) -> None:
        with self.db.session() as s:
            found = s.get(ImpliedRole, (prior_id, implied_id))
            if found is None:
                raise ImpliedRoleNotFound(prior_id, implied_id)
            s.delete(found)
            bump_generation(s)

    def list_implied_roles(self, prior_id: str) -> tuple[Role, list[Role]]:
        with self.db.session() as s:
            prior = self.role(s, prior_id)
            implied = s.scalars(select(Role).join(ImpliedRole,
                                                  ImpliedRole.implied_role_id == Role.id)
                                .where(ImpliedRole.prior_role_id == prior.id)
                                .order_by(Role.name))
            return prior, list(implied)

    def list_role_inferences(self) -> list[tuple[Role, list[Role]]]:
        with self.db.session() as s:
            roles = {r.id: r for r in s.scalars(select(Role))}
            rules: dict[str, list[Role]] = {}
            for rule in s.scalars(select(ImpliedRole)):
                rules.setdefault(rule.prior_role_id, []).append(roles[rule.implied_role_id])
            return [(roles[prior], sorted(implied, key=lambda r: r.name))
                    for prior, implied in sorted(rules.items(),
                                                 key=lambda kv: roles[kv[0]].name)]

    # -- grants -----------------------------------------------------------------------------
    def _grant_target(self, s: Session, grant: Grant) -> Project | None:
        if grant.target == "project":
            return self.identity.resources.project(s, grant.target_id)
        if grant.target == "domain":
            return self.identity.resources.domain(s, grant.target_id)
        return None

    def _grant_query(self, grant: Grant, role_id: str) -> Any:
        return select(Assignment).where(Assignment.type == grant.type,
                                        Assignment.actor_id == grant.actor_id,
                                        Assignment.target_id == grant.target_id,
                                        Assignment.role_id == role_id,
                                        Assignment.inherited.is_(grant.inherited))

    def create_grant(self, grant: Grant, role_id: str) -> None:
        """Grant a role; granting one that exists already is not an error (as in Keystone)."""
        with self.db.session() as s:
            role = self.role(s, role_id)
            self.actor(s, grant.actor, grant.actor_id)
            target = self._grant_target(s, grant)
            if grant.target == "system" and role.domain_id:
                raise BadRequest(f"Role {role.id} is a domain-specific role. Unable to use a "
                                 "domain-specific role in a system assignment.")
            if grant.target == "project" and target is not None and role.domain_id and \
                    role.domain_id != target.domain_id:
                raise DomainSpecificRoleMismatch(target.id, role.id)
            if s.scalars(self._grant_query(grant, role.id)).first() is None:
                s.add(Assignment(type=grant.type, actor_id=grant.actor_id,
                                 target_id=grant.target_id, role_id=role.id,
                                 inherited=grant.inherited))
                bump_generation(s)

    def check_grant(self, grant: Grant, role_id: str) -> None:
        with self.db.session() as s:
            if grant.target != "system":
                self.role(s, role_id)
                self._grant_target(s, grant)
            if s.scalars(self._grant_query(grant, role_id)).first() is None:
                raise RoleAssignmentNotFound(role_id, grant.actor_id, grant.target_id)

    def revoke_grant(self, grant: Grant, role_id: str) -> None:
        with self.db.session() as s:
            if grant.target != "system":
                self.role(s, role_id)
            found = s.scalars(self._grant_query(grant, role_id)).first()
            if found is None:
                raise RoleAssignmentNotFound(role_id, grant.actor_id, grant.target_id)
            s.delete(found)
            bump_generation(s)

    def list_grants(self, grant: Grant) -> list[Role]:
        """The roles granted to the actor on the target (``grant`` without a role)."""
        with self.db.session() as s:
            self.actor(s, grant.actor, grant.actor_id)
            self._grant_target(s, grant)
            ids = s.scalars(select(Assignment.role_id).where(
                Assignment.type == grant.type, Assignment.actor_id == grant.actor_id,
                Assignment.target_id == grant.target_id,
                Assignment.inherited.is_(grant.inherited)))
            return list(s.scalars(select(Role).where(Role.id.in_(list(ids)))
                                  .order_by(Role.name)))

    def delete_actor_assignments(self, s: Session, actor_id: str) -> None:
        """For user and group deletion: drop every assignment of the actor."""
        s.execute(delete(Assignment).where(Assignment.actor_id == actor_id))
        bump_generation(s)

    # -- GET /v3/role_assignments -------------------------------------------------------------
    def list_role_assignments(self, query: AssignmentQuery) -> list[dict[str, Any]]:
        with self.db.session() as s:
            return AssignmentLister(self.identity, s, query).run()

    # -- what tokens carry --------------------------------------------------------------------
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

    def actor_ids(self, s: Session, user_id: str, groups: tuple[str, ...] = ()) -> list[str]:
        """The user and its groups; ``groups`` are those a federated token carries."""
        members = s.scalars(select(GroupMembership.group_id)
                            .where(GroupMembership.user_id == user_id))
        return list(dict.fromkeys([user_id, *members, *groups]))

    def direct_role_ids(self, s: Session, user_id: str, kind: str | None,
                        target_id: str | None, groups: tuple[str, ...] = ()) -> set[str]:
        """Role ids granted to the user (directly or by group) on the target, including
        grants inherited from the target's domain and ancestor projects."""
        if kind is None or target_id is None:
            return set()
        actors = self.actor_ids(s, user_id, groups)
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
            q = q.where(Assignment.type.in_(SYSTEM_TYPES))
        else:
            q = q.where(Assignment.type.notin_(SYSTEM_TYPES))
        return set(s.scalars(q))

    def roles_for_scope(self, s: Session, user_id: str, kind: str | None,
                        target_id: str | None, groups: tuple[str, ...] = ()) -> list[RoleRef]:
        """Effective roles for a token: granted roles plus the roles they imply."""
        return self._roles.get((user_id, kind, target_id, groups),
                               lambda: self._load_roles(s, user_id, kind, target_id, groups))

    def _load_roles(self, s: Session, user_id: str, kind: str | None,
                    target_id: str | None, groups: tuple[str, ...] = ()) -> list[RoleRef]:
        granted = self.direct_role_ids(s, user_id, kind, target_id, groups)
        if not granted:
            return []
        ids = self.expand_implied(s, granted)
        # Domain-specific roles never appear in a token; only the global roles they imply.
        rows = s.execute(select(Role.id, Role.name, Role.domain_id)
                         .where(Role.id.in_(ids)).order_by(Role.name))
        return [RoleRef(r.id, r.name) for r in rows if not r.domain_id]

    # -- what a user can scope to -------------------------------------------------------------
    def _targets_with_roles(self, s: Session, user_id: str,
                            groups: tuple[str, ...] = ()) -> set[str]:
        actors = self.actor_ids(s, user_id, groups)
        return set(s.scalars(select(Assignment.target_id)
                             .where(Assignment.actor_id.in_(actors),
                                    Assignment.type.notin_(SYSTEM_TYPES))))

    def projects_for_user(self, user_id: str | None,
                          groups: tuple[str, ...] = ()) -> list[tuple[Any, list[str]]]:
        """Enabled projects where the user has a role (directly, by group or inherited)."""
        if user_id is None:
            return []
        resources = self.identity.resources
        with self.db.session() as s:
            targets = self._targets_with_roles(s, user_id, groups)
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
                if self.roles_for_scope(s, user_id, "project", pid, groups):
                    out.append((row, resources.tags(s, pid)))
            return out

    def domains_for_user(self, user_id: str | None,
                         groups: tuple[str, ...] = ()) -> list[tuple[Any, list[str]]]:
        if user_id is None:
            return []
        resources = self.identity.resources
        with self.db.session() as s:
            out = []
            for target in sorted(self._targets_with_roles(s, user_id, groups)):
                row = s.get(Project, target)
                if row is not None and row.is_domain and row.enabled and \
                        self.roles_for_scope(s, user_id, "domain", row.id, groups):
                    out.append((row, resources.tags(s, row.id)))
            return out

    def has_system_roles(self, user_id: str | None, groups: tuple[str, ...] = ()) -> bool:
        if user_id is None:
            return False
        with self.db.session() as s:
            return bool(self.roles_for_scope(s, user_id, "system", "all", groups))


def _only_clears_immutable(fields: dict[str, Any]) -> bool:
    """An immutable role accepts one update only: turning ``immutable`` off."""
    options = fields.get("options") or {}
    return set(fields) == {"options"} and IMMUTABLE in options and \
        options[IMMUTABLE] in (False, None)
