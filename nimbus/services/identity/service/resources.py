"""Domains and projects (one table, as in Keystone), their hierarchy and tags."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from nimbus.kernel.db import new_id
from nimbus.kernel.errors import BadRequest, Forbidden
from nimbus.services.identity.errors import Duplicate, ResourceNotFound, TokenNotFound
from nimbus.services.identity.models import (
    ROOT_DOMAIN,
    Assignment,
    Group,
    Project,
    ProjectTag,
    Role,
    User,
)
from nimbus.services.identity.service.common import GenerationCache, bump_generation

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService

DEFAULT_DOMAIN_ID = "default"


class Resources:
    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self.db = identity.db
        self._listings: GenerationCache[list[tuple[Any, list[str]]]] = GenerationCache(
            lambda: identity.tokens_generation(), size=1000)

    # -- lookups used by tokens and other families ----------------------------------------
    def domain(self, s: Session, domain_id: str | None) -> Project:
        found = s.get(Project, domain_id) if domain_id else None
        if found is None or not found.is_domain:
            raise ResourceNotFound("domain", str(domain_id))
        return found

    def project(self, s: Session, project_id: str | None) -> Project:
        found = s.get(Project, project_id) if project_id else None
        if found is None or found.is_domain:
            raise ResourceNotFound("project", str(project_id))
        return found

    def domain_by_name(self, s: Session, name: str | None) -> Project:
        found = s.scalars(select(Project).where(Project.domain_id == ROOT_DOMAIN,
                                                Project.name == name)).first()
        if found is None:
            raise ResourceNotFound("domain", str(name))
        return found

    def project_by_name(self, s: Session, name: str, domain_id: str) -> Project:
        found = s.scalars(select(Project).where(Project.domain_id == domain_id,
                                                Project.name == name,
                                                Project.is_domain.is_(False))).first()
        if found is None:
            raise ResourceNotFound("project", name)
        return found

    def enabled_domain(self, s: Session, domain_id: str | None) -> Project:
        try:
            domain = self.domain(s, domain_id)
        except ResourceNotFound:
            raise TokenNotFound() from None
        if not domain.enabled:
            raise TokenNotFound()
        return domain

    def enabled_project(self, s: Session, project_id: str | None) -> Project:
        """A project a token may be scoped to: it, and every ancestor, enabled."""
        try:
            project = self.project(s, project_id)
        except ResourceNotFound:
            raise TokenNotFound() from None
        node: Project | None = project
        while node is not None and not node.is_domain:
            if not node.enabled:
                raise TokenNotFound()
            node = s.get(Project, node.parent_id) if node.parent_id else None
        return project

    def tags(self, s: Session, project_id: str) -> list[str]:
        return list(s.scalars(select(ProjectTag.name).where(ProjectTag.project_id == project_id)
                              .order_by(ProjectTag.name)))

    def ancestors(self, s: Session, project: Project) -> list[Project]:
        """Parents up to (not including) the domain, nearest first."""
        out: list[Project] = []
        node = project
        while node.parent_id and node.parent_id != node.domain_id:
            parent = s.get(Project, node.parent_id)
            if parent is None or parent.is_domain:
                break
            out.append(parent)
            node = parent
        return out

    def subtree(self, s: Session, project_id: str) -> list[Project]:
        out: list[Project] = []
        frontier = [project_id]
        while frontier:
            children = list(s.scalars(select(Project).where(Project.parent_id.in_(frontier),
                                                            Project.is_domain.is_(False))))
            out.extend(children)
            frontier = [c.id for c in children]
        return out

    def parents_view(self, project_id: str) -> list[dict[str, Any]]:
        with self.db.session() as s:
            project = self._any(s, project_id)
            return [{"project": {"id": p.id, "name": p.name, "domain_id": p.domain_id,
                                 "parent_id": p.parent_id, "enabled": p.enabled}}
                    for p in self.ancestors(s, project)]

    def subtree_view(self, project_id: str) -> list[dict[str, Any]]:
        with self.db.session() as s:
            return [{"project": {"id": p.id, "name": p.name, "domain_id": p.domain_id,
                                 "parent_id": p.parent_id, "enabled": p.enabled}}
                    for p in self.subtree(s, project_id)]

    # -- domains ----------------------------------------------------------------------------
    def create_domain(self, fields: dict[str, Any]) -> tuple[Project, list[str]]:
        with self.db.session() as s:
            self._check_domain_name_free(s, fields["name"])
            domain_id = fields.get("explicit_domain_id") or None
            if domain_id and s.get(Project, domain_id) is not None:
                raise Duplicate("project", f"Duplicate entry found with ID {domain_id}")
            domain = Project(id=domain_id or new_id(), name=fields["name"], domain_id=ROOT_DOMAIN,
                             parent_id=None, is_domain=True,
                             enabled=fields.get("enabled", True),
                             description=fields.get("description") or "",
                             options=fields.get("options") or {},
                             extra=fields.get("extra") or {})
            s.add(domain)
            s.flush()
            tags = self._set_tags(s, domain.id, fields.get("tags") or [])
            return domain, tags

    def list_domains(self, name: str | None = None,
                     enabled: bool | None = None) -> list[tuple[Project, list[str]]]:
        with self.db.session() as s:
            q = select(Project).where(Project.is_domain.is_(True))
            if name is not None:
                q = q.where(Project.name == name)
            if enabled is not None:
                q = q.where(Project.enabled.is_(enabled))
            return [(d, self.tags(s, d.id)) for d in s.scalars(q.order_by(Project.name))]

    def get_domain(self, domain_id: str) -> tuple[Project, list[str]]:
        with self.db.session() as s:
            domain = self.domain(s, domain_id)
            return domain, self.tags(s, domain.id)

    def update_domain(self, domain_id: str, fields: dict[str, Any]) -> tuple[Project, list[str]]:
        with self.db.session() as s:
            domain = self.domain(s, domain_id)
            self._check_mutable(domain, fields)
            if "name" in fields and fields["name"] != domain.name:
                self._check_domain_name_free(s, fields["name"])
            self._apply(domain, fields)
            tags = self._set_tags(s, domain.id, fields["tags"]) if "tags" in fields else \
                self.tags(s, domain.id)
            bump_generation(s)
            return domain, tags

    def delete_domain(self, domain_id: str) -> None:
        with self.db.session() as s:
            domain = self.domain(s, domain_id)
            self._check_mutable(domain)
            if domain.enabled:
                raise Forbidden("Cannot delete a domain that is enabled, please disable it "
                                "first.")
            projects = list(s.scalars(select(Project.id).where(Project.domain_id == domain_id)))
            users = list(s.scalars(select(User.id).where(User.domain_id == domain_id)))
            groups = list(s.scalars(select(Group.id).where(Group.domain_id == domain_id)))
            targets = projects + [domain_id]
            self._delete_dependents(s, targets)
            s.execute(delete(Assignment).where(Assignment.target_id.in_(targets)))
            s.execute(delete(Assignment).where(Assignment.actor_id.in_(users + groups)))
            s.execute(delete(Role).where(Role.domain_id == domain_id))
            for user_id in users:
                self.identity.revoke_events.for_user(s, user_id)
            s.execute(delete(User).where(User.domain_id == domain_id))
            s.execute(delete(Group).where(Group.domain_id == domain_id))
            s.execute(delete(ProjectTag).where(ProjectTag.project_id.in_(targets)))
            s.execute(delete(Project).where(Project.id.in_(projects)))
            self.identity.federation.delete_for_domain(s, domain_id)
            self.identity.domain_configs.delete_for_domain(s, domain_id)
            self.identity.directory.forget_domain(s, domain_id)
            s.delete(domain)
            bump_generation(s)

    # -- projects ---------------------------------------------------------------------------
    def create_project(self, fields: dict[str, Any]) -> tuple[Project, list[str]]:
        if fields.get("is_domain"):
            if fields.get("parent_id") or fields.get("domain_id"):
                raise BadRequest("only root projects are allowed to act as domains.")
            return self.create_domain(fields)
        project_id = new_id()
        with self.db.session() as s:
            parent_id = fields.get("parent_id")
            domain_id = fields.get("domain_id")
            if parent_id:
                parent = s.get(Project, parent_id)
                if parent is None:
                    raise BadRequest(f"Could not find project: {parent_id}.")
                parent_domain = parent.id if parent.is_domain else parent.domain_id
                if domain_id and domain_id != parent_domain:
                    raise BadRequest("Cannot create project, the parent is in a different "
                                     "domain.")
                domain_id = parent_domain
            try:
                domain = self.domain(s, domain_id)
            except ResourceNotFound:
                raise BadRequest(f"Could not find domain: {domain_id}.") from None
            if s.scalars(select(Project.id).where(Project.domain_id == domain.id,
                                                  Project.name == fields["name"])).first():
                raise ProjectNameTaken(fields["name"], project_id)
            project = Project(id=project_id, name=fields["name"], domain_id=domain.id,
                              parent_id=parent_id or domain.id, is_domain=False,
                              enabled=fields.get("enabled", True),
                              description=fields.get("description") or "",
                              options=fields.get("options") or {},
                              extra=fields.get("extra") or {})
            s.add(project)
            s.flush()
            tags = self._set_tags(s, project.id, fields.get("tags") or [])
            return project, tags

    def list_projects(self, filters: dict[str, Any]) -> list[tuple[Any, list[str]]]:
        """Projects (or domains) matching the filters, with their tags, kept for one
        identity generation (every write to projects or their tags bumps it)."""
        key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                           for k, v in filters.items() if v is not None))
        return self._listings.get(key, lambda: self._list_projects(filters))

    def _list_projects(self, filters: dict[str, Any]) -> list[tuple[Any, list[str]]]:
        """Rows, not entities: the views read the same attributes at a third of the cost."""
        keys = tuple(k for k in _LIST_FILTERS if filters.get(k) is not None)
        params = {k: filters[k] for k in keys}
        params["is_domain"] = bool(filters.get("is_domain"))
        projects_q, tags_q = _list_statements(keys)
        with self.db.engine.connect() as conn:
            rows: list[Any] = list(conn.execute(projects_q, params))
            tag_map: dict[str, list[str]] = {}
            if rows:
                for pid, tag in conn.execute(tags_q, params):
                    tag_map.setdefault(pid, []).append(tag)
        out = [(p, tag_map.get(p.id, [])) for p in rows]
        return [item for item in out if _tags_match(item[1], filters)]

    def get_project(self, project_id: str) -> tuple[Project, list[str]]:
        """A project, or a project acting as a domain (Keystone's get_project)."""
        with self.db.session() as s:
            project = self._any(s, project_id)
            return project, self.tags(s, project.id)

    def update_project(self, project_id: str,
                       fields: dict[str, Any]) -> tuple[Project, list[str]]:
        with self.db.session() as s:
            project = self._any(s, project_id)
            self._check_mutable(project, fields)
            shown = _as_shown(project)
            for immutable in ("domain_id", "parent_id", "is_domain"):
                if immutable in fields and fields[immutable] != shown[immutable]:
                    # Keystone refuses a new parent with a 403, the others with a 400.
                    error = Forbidden if immutable == "parent_id" else BadRequest
                    raise error(f"Update of `{immutable}` is not allowed.")
            if "name" in fields and fields["name"] != project.name:
                if project.is_domain:
                    self._check_domain_name_free(s, fields["name"])
                elif s.scalars(select(Project.id).where(
                        Project.domain_id == project.domain_id,
                        Project.name == fields["name"])).first():
                    raise ProjectNameTaken(fields["name"], project.id)
            self._apply(project, fields)
            tags = self._set_tags(s, project.id, fields["tags"]) if "tags" in fields else \
                self.tags(s, project.id)
            bump_generation(s)
            return project, tags

    def delete_project(self, project_id: str, cascade: bool = False) -> None:
        with self.db.session() as s:
            is_domain = self._any(s, project_id).is_domain
        if is_domain:  # Keystone deletes a project acting as a domain as the domain
            self.delete_domain(project_id)
            return
        with self.db.session() as s:
            project = self.project(s, project_id)
            self._check_mutable(project)
            children = self.subtree(s, project.id)
            if children and not cascade:
                raise Forbidden(f"Cannot delete the project {project.id} since it is not a "
                                "leaf in the hierarchy. Use the cascade option if you want "
                                "to delete a subtree.")
            ids = [project.id] + [c.id for c in children]
            self._delete_dependents(s, ids)
            s.execute(delete(Assignment).where(Assignment.target_id.in_(ids)))
            s.execute(delete(ProjectTag).where(ProjectTag.project_id.in_(ids)))
            for child in reversed(children):
                s.delete(child)
            s.delete(project)
            bump_generation(s)

    # -- tags -------------------------------------------------------------------------------
    def list_tags(self, project_id: str) -> list[str]:
        with self.db.session() as s:
            self._any(s, project_id)
            return self.tags(s, project_id)

    def replace_tags(self, project_id: str, tags: list[str]) -> list[str]:
        with self.db.session() as s:
            self._any(s, project_id)
            return self._set_tags(s, project_id, tags)

    def add_tag(self, project_id: str, tag: str) -> None:
        with self.db.session() as s:
            self._any(s, project_id)
            current = self.tags(s, project_id)
            if tag not in current:
                if len(current) >= 80:
                    raise BadRequest("The number of tags is limited to 80.")
                s.add(ProjectTag(project_id=project_id, name=tag))
                bump_generation(s)

    def has_tag(self, project_id: str, tag: str) -> None:
        with self.db.session() as s:
            self._any(s, project_id)
            if s.get(ProjectTag, (project_id, tag)) is None:
                raise ResourceNotFound("tag", tag)

    def remove_tag(self, project_id: str, tag: str) -> None:
        with self.db.session() as s:
            self._any(s, project_id)
            found = s.get(ProjectTag, (project_id, tag))
            if found is None:
                raise ResourceNotFound("tag", tag)
            bump_generation(s)
            s.delete(found)

    # -- helpers ----------------------------------------------------------------------------
    def _delete_dependents(self, s: Session, project_ids: list[str]) -> None:
        """What other families keep per project: credentials and limits."""
        for project_id in project_ids:
            self.identity.credentials.delete_for_project(s, project_id)
            self.identity.limits.delete_for_project(s, project_id)
            self.identity.trusts.delete_for_project(s, project_id)
            self.identity.ep_filter.delete_for_project(s, project_id)
            self.identity.revoke_events.record(s, project_id=project_id)

    @staticmethod
    def _check_domain_name_free(s: Session, name: str) -> None:
        if s.scalars(select(Project.id).where(Project.domain_id == ROOT_DOMAIN,
                                              Project.name == name)).first():
            raise Duplicate("project", "it is not permitted to have two projects acting as "
                                       f"domains with the same name: {name}")

    def _any(self, s: Session, project_id: str) -> Project:
        found = s.get(Project, project_id)
        if found is None:
            raise ResourceNotFound("project", project_id)
        return found

    @staticmethod
    def _check_mutable(row: Project, fields: dict[str, Any] | None = None) -> None:
        """Keystone's ``immutable`` option: only unsetting it is allowed."""
        if not (row.options or {}).get("immutable"):
            return
        if fields is not None and set(fields) == {"options"} and \
                "immutable" in (fields["options"] or {}):
            return
        kind = "domain" if row.is_domain else "project"
        raise Forbidden(f"Resource {kind} {row.id} is immutable: unset the immutable option "
                        "first.")

    @staticmethod
    def _apply(row: Project, fields: dict[str, Any]) -> None:
        for key in ("name", "enabled"):
            if key in fields:
                setattr(row, key, fields[key])
        if "options" in fields:
            merged = {**(row.options or {}), **(fields["options"] or {})}
            row.options = {k: v for k, v in merged.items() if v is not None}
        if "description" in fields:
            row.description = fields["description"] or ""
        if fields.get("extra"):
            row.extra = {**(row.extra or {}), **fields["extra"]}

    def _set_tags(self, s: Session, project_id: str, tags: list[str]) -> list[str]:
        bump_generation(s)  # new projects and new tags change what listings show
        s.execute(delete(ProjectTag).where(ProjectTag.project_id == project_id))
        unique = sorted(set(tags))
        for tag in unique:
            s.add(ProjectTag(project_id=project_id, name=tag))
        return unique


class ProjectNameTaken(Duplicate):
    def __init__(self, name: str, project_id: str | None) -> None:
        super().__init__("project", "it is not permitted to have two projects with either the "
                                    f"same name or same id in the same domain: name is {name}, "
                                    f"project id {project_id}")


def _as_shown(project: Project) -> dict[str, Any]:
    """The hierarchy attributes as the API shows them (a domain has neither)."""
    if project.is_domain:
        return {"domain_id": None, "parent_id": None, "is_domain": True}
    return {"domain_id": project.domain_id, "parent_id": project.parent_id, "is_domain": False}


_LIST_FILTERS = ("name", "domain_id", "parent_id", "enabled", "ids")


@functools.lru_cache(maxsize=64)
def _list_statements(keys: tuple[str, ...]) -> tuple[Any, Any]:
    """The project and tag queries for one set of filters, built once: building and keying
    a statement costs more than running it."""
    c = Project.__table__.c
    q = select(Project.__table__).where(c.is_domain == bindparam("is_domain"))
    for key in keys:
        q = q.where(c.id.in_(bindparam("ids", expanding=True)) if key == "ids"
                    else c[key] == bindparam(key))
    tags = (select(ProjectTag.project_id, ProjectTag.name)
            .where(ProjectTag.project_id.in_(q.with_only_columns(c.id)))
            .order_by(ProjectTag.name))
    return q.order_by(c.name), tags


def _tags_match(tags: list[str], filters: dict[str, Any]) -> bool:
    have = set(tags)
    if filters.get("tags") and not set(filters["tags"]) <= have:
        return False
    if filters.get("tags-any") and not set(filters["tags-any"]) & have:
        return False
    if filters.get("not-tags") and set(filters["not-tags"]) <= have:
        return False
    if filters.get("not-tags-any") and set(filters["not-tags-any"]) & have:
        return False
    return True
