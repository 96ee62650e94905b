"""GET /v3/role_assignments: direct assignments, or effective ones (groups expanded into
their members, inherited grants onto the projects below, implied roles added), as Keystone
computes them.

An assignment travels as Keystone's dict: ``user_id`` or ``group_id``; ``project_id``,
``domain_id`` or ``system``; ``role_id``; ``inherited_to_projects`` when inherited; and an
``indirect`` dict saying where an effective one came from (group, parent, prior role).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.services.identity.models import (
    Assignment,
    Group,
    GroupMembership,
    ImpliedRole,
    Project,
    Role,
    User,
)

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService

Ref = dict[str, Any]

_ACTOR_TYPES = {"user": ("UserProject", "UserDomain"), "group": ("GroupProject", "GroupDomain")}
_TARGET_TYPES = {"project": ("UserProject", "GroupProject"),
                 "domain": ("UserDomain", "GroupDomain")}
_ALL_TYPES = ("UserProject", "UserDomain", "GroupProject", "GroupDomain")
_SYSTEM_TYPES = ("UserSystem", "GroupSystem")


@dataclass(frozen=True)
class AssignmentQuery:
    user_id: str | None = None
    group_id: str | None = None
    role_id: str | None = None
    project_id: str | None = None
    domain_id: str | None = None
    system: bool = False
    # None: both; True: only inherited (to projects); False: only not inherited.
    inherited: bool | None = None
    effective: bool = False
    include_names: bool = False
    include_subtree: bool = False
    # A domain-scoped caller sees only assignments on its domain and the domain's projects.
    visible_domain_id: str | None = None


class AssignmentLister:
    def __init__(self, identity: IdentityService, s: Session, query: AssignmentQuery) -> None:
        self.identity = identity
        self.s = s
        self.q = query

    def run(self) -> list[Ref]:
        q = self.q
        subtree: list[str] = []
        if q.project_id and q.include_subtree:
            subtree = [p.id for p in self.identity.resources.subtree(self.s, q.project_id)]
        refs = self._effective(subtree) if q.effective else self._direct(subtree)
        if q.visible_domain_id:
            refs = [r for r in refs if self._in_domain(r, q.visible_domain_id)]
        if q.include_names:
            names = _Names(self.s)
            refs = [names.add(r) for r in refs]
        return refs

    # -- rows ---------------------------------------------------------------------------------
    def _rows(self, actor: str | None, actor_ids: list[str] | None,
              project_ids: list[str] | None, domain_id: str | None,
              inherited: bool | None, role_id: str | None = None) -> list[Ref]:
        """Project and domain assignments matching the filters given (Keystone's driver)."""
        types = set(_ACTOR_TYPES[actor]) if actor else set(_ALL_TYPES)
        if project_ids:
            types &= set(_TARGET_TYPES["project"])
        elif domain_id:
            types &= set(_TARGET_TYPES["domain"])
        q = select(Assignment).where(Assignment.type.in_(sorted(types)))
        if role_id:
            q = q.where(Assignment.role_id == role_id)
        if actor_ids:
            q = q.where(Assignment.actor_id.in_(actor_ids))
        if project_ids:
            q = q.where(Assignment.target_id.in_(project_ids))
        elif domain_id:
            q = q.where(Assignment.target_id == domain_id)
        if inherited is not None:
            q = q.where(Assignment.inherited.is_(inherited))
        return [_ref_of(row) for row in self.s.scalars(q)]

    def _system_rows(self) -> list[Ref]:
        q = self.q
        query = select(Assignment).where(Assignment.type.in_(_SYSTEM_TYPES))
        if q.user_id:
            query = query.where(Assignment.type == "UserSystem",
                                Assignment.actor_id == q.user_id)
        elif q.group_id:
            query = query.where(Assignment.type == "GroupSystem",
                                Assignment.actor_id == q.group_id)
        if q.role_id:
            query = query.where(Assignment.role_id == q.role_id)
        return [_ref_of(row) for row in self.s.scalars(query)]

    # -- direct -------------------------------------------------------------------------------
    def _direct(self, subtree: list[str]) -> list[Ref]:
        q = self.q
        refs: list[Ref] = []
        if not q.system:
            actor = "user" if q.user_id else "group" if q.group_id else None
            actor_id = q.user_id or q.group_id
            projects = [q.project_id, *subtree] if q.project_id else None
            refs += self._rows(actor, [actor_id] if actor_id else None, projects,
                               q.domain_id, q.inherited, q.role_id)
        # System assignments are never inherited.
        if (q.system or not (q.project_id or q.domain_id)) and q.inherited is not True:
            refs += self._system_rows()
        return refs

    # -- effective ----------------------------------------------------------------------------
    def _effective(self, subtree: list[str]) -> list[Ref]:
        q = self.q
        if q.group_id or (q.domain_id and q.inherited):
            return []
        if q.system:
            refs = self._effective_system_refs()
        else:
            refs = self._effective_refs(subtree)
        expanded: list[Ref] = []
        for ref in refs:
            expanded += self._expand(ref, subtree)
        expanded = self._add_implied(expanded)
        global_roles = set(self.s.scalars(select(Role.id).where(Role.domain_id == "")))
        expanded = [r for r in expanded if r["role_id"] in global_roles]
        if q.role_id:
            expanded = [r for r in expanded if r["role_id"] == q.role_id]
        return expanded

    def _effective_refs(self, subtree: list[str]) -> list[Ref]:
        q = self.q
        # Domains inherit nothing, so a domain filter means direct domain assignments only.
        inherited = False if q.domain_id else q.inherited
        refs = self._for_actor(inherited, subtree, "user" if q.user_id else None,
                               [q.user_id] if q.user_id else None)
        groups = self._groups_of_user()
        if groups:
            refs += self._for_actor(inherited, subtree, "group", groups)
        return refs

    def _effective_system_refs(self) -> list[Ref]:
        """Keystone leaves system grants out of effective lists; asked for explicitly,
        we give the user's own and those of its groups."""
        query = select(Assignment).where(Assignment.type.in_(_SYSTEM_TYPES))
        if self.q.user_id:
            query = query.where(Assignment.actor_id.in_([self.q.user_id,
                                                         *self._groups_of_user()]))
        return [_ref_of(row) for row in self.s.scalars(query)]

    def _groups_of_user(self) -> list[str]:
        if not self.q.user_id:
            return []
        return list(self.s.scalars(select(GroupMembership.group_id)
                                   .where(GroupMembership.user_id == self.q.user_id)))

    def _for_actor(self, inherited: bool | None, subtree: list[str], actor: str | None,
                   actor_ids: list[str] | None) -> list[Ref]:
        """Every assignment of the actor(s) that can affect the targets asked about."""
        q = self.q
        projects = [q.project_id, *subtree] if q.project_id else None
        refs: list[Ref] = []
        if inherited is not True:
            refs += self._rows(actor, actor_ids, projects, q.domain_id, False)
        if inherited is False:
            return refs
        if not q.project_id:
            return refs + self._rows(actor, actor_ids, None, None, True)
        resources = self.identity.resources
        project = resources.project(self.s, q.project_id)
        refs += self._rows(actor, actor_ids, None, project.domain_id, True)
        sources = [p.id for p in resources.ancestors(self.s, project)]
        if subtree and projects:
            sources += projects
        if sources:
            refs += self._rows(actor, actor_ids, sources, None, True)
        return refs

    def _members(self, group_id: str) -> list[str]:
        if self.q.user_id:
            return [self.q.user_id]
        return list(self.s.scalars(select(GroupMembership.user_id)
                                   .where(GroupMembership.group_id == group_id)
                                   .order_by(GroupMembership.user_id)))

    def _expand(self, ref: Ref, subtree: list[str]) -> list[Ref]:
        if ref.get("inherited_to_projects"):
            bases = [_as_member(ref, uid) for uid in self._members(ref["group_id"])] \
                if "group_id" in ref else [ref]
            projects = self._inheriting_projects(ref, subtree)
            return [_onto_project(base, pid) for base in bases for pid in projects]
        if "group_id" in ref:
            return [_as_member(ref, uid) for uid in self._members(ref["group_id"])]
        return [ref]

    def _inheriting_projects(self, ref: Ref, subtree: list[str]) -> list[str]:
        """The projects an inherited assignment reaches, within those asked about."""
        q = self.q
        resources = self.identity.resources
        if q.project_id:
            ids = [q.project_id, *subtree]
            if subtree and ref.get("project_id") in ids:
                ids = [p.id for p in resources.subtree(self.s, ref["project_id"])]
            return ids
        if ref.get("domain_id"):
            return list(self.s.scalars(select(Project.id).where(
                Project.domain_id == ref["domain_id"], Project.is_domain.is_(False))
                .order_by(Project.name)))
        return [p.id for p in resources.subtree(self.s, ref["project_id"])]

    def _add_implied(self, refs: list[Ref]) -> list[Ref]:
        """Each assignment of a prior role also counts for the roles it implies."""
        implies: dict[str, list[str]] = {}
        for rule in self.s.scalars(select(ImpliedRole)):
            implies.setdefault(rule.prior_role_id, []).append(rule.implied_role_id)
        results = list(refs)
        pending = list(refs)
        checked: set[str] = set()
        while pending:
            ref = pending.pop()
            checked.add(_key(ref))
            for implied_id in implies.get(ref["role_id"], ()):
                implied = copy.deepcopy(ref)
                implied["role_id"] = implied_id
                implied.setdefault("indirect", {})["role_id"] = ref["role_id"]
                if _key(implied) in checked:
                    continue  # a cycle of implications
                results.append(implied)
                pending.append(implied)
        return results

    def _in_domain(self, ref: Ref, domain_id: str) -> bool:
        if ref.get("domain_id") == domain_id:
            return True
        if ref.get("project_id"):
            project = self.s.get(Project, ref["project_id"])
            return project is not None and project.domain_id == domain_id
        return False


def _ref_of(row: Assignment) -> Ref:
    actor = "user_id" if row.type.startswith("User") else "group_id"
    ref: Ref = {actor: row.actor_id, "role_id": row.role_id}
    if row.type.endswith("Project"):
        ref["project_id"] = row.target_id
    elif row.type.endswith("Domain"):
        ref["domain_id"] = row.target_id
    else:
        ref["system"] = {"all": True}
    if row.inherited:
        ref["inherited_to_projects"] = "projects"
    return ref


def _as_member(ref: Ref, user_id: str) -> Ref:
    out = copy.deepcopy(ref)
    out["user_id"] = user_id
    out.setdefault("indirect", {})["group_id"] = out.pop("group_id")
    return out


def _onto_project(ref: Ref, project_id: str) -> Ref:
    out = copy.deepcopy(ref)
    indirect = out.setdefault("indirect", {})
    if out.get("project_id"):
        indirect["project_id"] = out.pop("project_id")
    else:
        indirect["domain_id"] = out.pop("domain_id")
    out["project_id"] = project_id
    out.pop("inherited_to_projects", None)
    return out


def _key(ref: Ref) -> str:
    return json.dumps(ref, sort_keys=True)


class _Names:
    """Adds the names of what an assignment names (``include_names``), looked up once."""

    def __init__(self, s: Session) -> None:
        self.s = s
        self._domains: dict[str, str] = {}

    def domain_name(self, domain_id: str | None) -> str:
        if not domain_id:
            return ""
        if domain_id not in self._domains:
            row = self.s.get(Project, domain_id)
            self._domains[domain_id] = row.name if row is not None else ""
        return self._domains[domain_id]

    def add(self, ref: Ref) -> Ref:
        out = dict(ref)
        if "domain_id" in ref:
            out["domain_name"] = self.domain_name(ref["domain_id"])
        if "project_id" in ref:
            project = self.s.get(Project, ref["project_id"])
            out["project_name"] = project.name if project else ""
            out["project_domain_id"] = project.domain_id if project else ""
            out["project_domain_name"] = self.domain_name(out["project_domain_id"])
        for kind in ("user", "group"):
            if f"{kind}_id" in ref:
                ident = ref[f"{kind}_id"]
                actor: User | Group | None = (self.s.get(User, ident) if kind == "user"
                                              else self.s.get(Group, ident))
                out[f"{kind}_name"] = actor.name if actor else ""
                out[f"{kind}_domain_id"] = actor.domain_id if actor else ""
                out[f"{kind}_domain_name"] = self.domain_name(out[f"{kind}_domain_id"])
        role = self.s.get(Role, ref["role_id"])
        out["role_name"] = role.name if role else ""
        if role is not None and role.domain_id:
            out["role_domain_id"] = role.domain_id
            out["role_domain_name"] = self.domain_name(role.domain_id)
        return out
