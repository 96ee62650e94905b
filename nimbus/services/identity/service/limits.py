"""Unified limits: registered (default) limits per service and resource, and project or
domain limits that override them, under Keystone's flat enforcement model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from nimbus.kernel.errors import Forbidden, NotFound
from nimbus.services.identity.errors import Duplicate
from nimbus.services.identity.models import (
    CatalogService,
    Project,
    ProjectLimit,
    Region,
    RegisteredLimit,
)
from nimbus.services.identity.service.catalog import ReferenceNotFound

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService


class LimitNotFound(NotFound):
    def __init__(self, ident: str) -> None:
        super().__init__(f"Could not find limit for {ident}.")


class RegisteredLimitNotFound(NotFound):
    def __init__(self, ident: str) -> None:
        super().__init__(f"Could not find registered limit for {ident}.")


class NoLimitReference(Forbidden):
    def __init__(self) -> None:
        super().__init__("Unable to create a limit that has no corresponding registered "
                         "limit.")


class RegisteredLimitInUse(Forbidden):
    def __init__(self, ident: str) -> None:
        super().__init__(f"Unable to update or delete registered limit {ident} because there "
                         "are project limits associated with it.")


Triple = tuple[str, str | None, str]  # (service_id, region_id, resource_name)


def _triple(row: RegisteredLimit | ProjectLimit | dict[str, Any]) -> Triple:
    if isinstance(row, dict):
        return row["service_id"], row.get("region_id"), row["resource_name"]
    return row.service_id, row.region_id, row.resource_name


class Limits:
    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self.db = identity.db

    # -- checks -----------------------------------------------------------------------------
    def _check_refs(self, s: Session, fields: dict[str, Any], target: str) -> None:
        """Keystone's _assert_resource_exist: every id named must exist (400 otherwise)."""
        if fields.get("service_id") is not None and \
                s.get(CatalogService, fields["service_id"]) is None:
            raise ReferenceNotFound("service_id", target)
        if fields.get("region_id") is not None and s.get(Region, fields["region_id"]) is None:
            raise ReferenceNotFound("region_id", target)

    def _owner(self, s: Session, fields: dict[str, Any]) -> dict[str, Any]:
        """A limit's project_id or domain_id, checked; a project that is a domain counts
        as the domain."""
        fields = dict(fields)
        project_id = fields.get("project_id")
        if project_id is not None:
            found = s.get(Project, project_id)
            if found is None:
                raise ReferenceNotFound("project_id", "limit")
            if found.is_domain:
                fields["domain_id"], fields["project_id"] = fields.pop("project_id"), None
        if fields.get("domain_id") is not None:
            found = s.get(Project, fields["domain_id"])
            if found is None or not found.is_domain:
                raise ReferenceNotFound("domain_id", "limit")
        return fields

    def _registered_for(self, s: Session, triple: Triple) -> RegisteredLimit | None:
        service_id, region_id, resource_name = triple
        q = select(RegisteredLimit).where(RegisteredLimit.service_id == service_id,
                                          RegisteredLimit.resource_name == resource_name)
        q = q.where(RegisteredLimit.region_id.is_(None) if region_id is None
                    else RegisteredLimit.region_id == region_id)
        return s.scalars(q).first()

    def _limits_for(self, s: Session, triple: Triple) -> list[ProjectLimit]:
        service_id, region_id, resource_name = triple
        q = select(ProjectLimit).where(ProjectLimit.service_id == service_id,
                                       ProjectLimit.resource_name == resource_name)
        q = q.where(ProjectLimit.region_id.is_(None) if region_id is None
                    else ProjectLimit.region_id == region_id)
        return list(s.scalars(q))

    # -- registered limits ------------------------------------------------------------------
    def registered_limit(self, s: Session, ident: str) -> RegisteredLimit:
        found = s.get(RegisteredLimit, ident)
        if found is None:
            raise RegisteredLimitNotFound(ident)
        return found

    def create_registered_limits(self, items: list[dict[str, Any]]) -> list[RegisteredLimit]:
        """All or none: a duplicate (in the database or in the batch) is a 409."""
        with self.db.session() as s:
            made: list[RegisteredLimit] = []
            seen: set[Triple] = set()
            for fields in items:
                self._check_refs(s, fields, "registered_limit")
                triple = _triple(fields)
                if triple in seen or self._registered_for(s, triple) is not None:
                    raise Duplicate("registered_limit", "Duplicate entry")
                seen.add(triple)
                row = RegisteredLimit(service_id=triple[0], region_id=triple[1],
                                      resource_name=triple[2],
                                      default_limit=fields["default_limit"],
                                      description=fields.get("description"))
                s.add(row)
                made.append(row)
            s.flush()
            return made

    def list_registered_limits(self, filters: dict[str, Any]) -> list[RegisteredLimit]:
        with self.db.session() as s:
            q = select(RegisteredLimit).order_by(RegisteredLimit.service_id,
                                                 RegisteredLimit.resource_name,
                                                 RegisteredLimit.id)
            for key in ("service_id", "region_id", "resource_name"):
                if filters.get(key) is not None:
                    q = q.where(getattr(RegisteredLimit, key) == filters[key])
            return list(s.scalars(q))

    def get_registered_limit(self, ident: str) -> RegisteredLimit:
        with self.db.session() as s:
            return self.registered_limit(s, ident)

    def update_registered_limit(self, ident: str, fields: dict[str, Any]) -> RegisteredLimit:
        with self.db.session() as s:
            row = self.registered_limit(s, ident)
            if self._limits_for(s, _triple(row)):
                raise RegisteredLimitInUse(ident)
            self._check_refs(s, fields, "registered_limit")
            new = {"service_id": row.service_id, "region_id": row.region_id,
                   "resource_name": row.resource_name}
            new.update({k: v for k, v in fields.items() if k in new})
            triple = _triple(new)
            if triple != _triple(row):
                if self._registered_for(s, triple) is not None:
                    raise Duplicate("registered_limit", "Duplicate entry")
                row.service_id, row.region_id, row.resource_name = triple
            if "default_limit" in fields:
                row.default_limit = fields["default_limit"]
            if "description" in fields:
                row.description = fields["description"]
            return row

    def delete_registered_limit(self, ident: str) -> None:
        with self.db.session() as s:
            row = self.registered_limit(s, ident)
            if self._limits_for(s, _triple(row)):
                raise RegisteredLimitInUse(ident)
            s.delete(row)

    # -- project and domain limits ----------------------------------------------------------
    def limit(self, s: Session, ident: str) -> ProjectLimit:
        found = s.get(ProjectLimit, ident)
        if found is None:
            raise LimitNotFound(ident)
        return found

    def create_limits(self, items: list[dict[str, Any]]) -> list[ProjectLimit]:
        """All or none. Each needs a registered limit for its service, region and resource;
        one limit per project (or domain) and registered limit."""
        with self.db.session() as s:
            made: list[ProjectLimit] = []
            seen: set[tuple[Triple, str | None, str | None]] = set()
            for fields in items:
                self._check_refs(s, fields, "limit")
                fields = self._owner(s, fields)
                triple = _triple(fields)
                if self._registered_for(s, triple) is None:
                    raise NoLimitReference()
                key = (triple, fields.get("project_id"), fields.get("domain_id"))
                if key in seen or self._owned_limit(s, triple, key[1], key[2]) is not None:
                    raise Duplicate("limit", "Duplicate entry")
                seen.add(key)
                row = ProjectLimit(project_id=key[1], domain_id=key[2], service_id=triple[0],
                                   region_id=triple[1], resource_name=triple[2],
                                   resource_limit=fields["resource_limit"],
                                   description=fields.get("description"))
                s.add(row)
                made.append(row)
            s.flush()
            return made

    def _owned_limit(self, s: Session, triple: Triple, project_id: str | None,
                     domain_id: str | None) -> ProjectLimit | None:
        for row in self._limits_for(s, triple):
            if row.project_id == project_id and row.domain_id == domain_id:
                return row
        return None

    def list_limits(self, filters: dict[str, Any],
                    in_domain: str | None = None) -> list[ProjectLimit]:
        """Limits matching the filters; with ``in_domain``, only that domain's own limits
        and those of its projects (what a domain-scoped token sees)."""
        with self.db.session() as s:
            q = select(ProjectLimit).order_by(ProjectLimit.service_id,
                                              ProjectLimit.resource_name, ProjectLimit.id)
            for key in ("service_id", "region_id", "resource_name", "project_id", "domain_id"):
                if filters.get(key) is not None:
                    q = q.where(getattr(ProjectLimit, key) == filters[key])
            if in_domain is not None:
                projects = select(Project.id).where(Project.domain_id == in_domain)
                q = q.where(or_(ProjectLimit.project_id.in_(projects),
                                ProjectLimit.domain_id == in_domain))
            return list(s.scalars(q))

    def get_limit(self, ident: str) -> ProjectLimit:
        with self.db.session() as s:
            return self.limit(s, ident)

    def limit_target(self, ident: str) -> dict[str, Any]:
        """What the get_limit rule reads: the limit with its project (or domain)."""
        with self.db.session() as s:
            row = s.get(ProjectLimit, ident)
            if row is None:
                return {}
            target: dict[str, Any] = {"id": row.id, "project_id": row.project_id,
                                      "domain_id": row.domain_id}
            if row.project_id is not None:
                project = s.get(Project, row.project_id)
                if project is not None:
                    target["project"] = {"id": project.id, "domain_id": project.domain_id}
            elif row.domain_id is not None:
                target["domain"] = {"id": row.domain_id}
            return {"limit": target}

    def update_limit(self, ident: str, fields: dict[str, Any]) -> ProjectLimit:
        with self.db.session() as s:
            row = self.limit(s, ident)
            if "resource_limit" in fields:
                row.resource_limit = fields["resource_limit"]
            if "description" in fields:
                row.description = fields["description"]
            return row

    def delete_limit(self, ident: str) -> None:
        with self.db.session() as s:
            s.delete(self.limit(s, ident))

    def delete_for_project(self, s: Session, project_id: str) -> None:
        """For the family that deletes projects and domains, inside its transaction."""
        s.execute(delete(ProjectLimit).where(ProjectLimit.project_id == project_id))
        s.execute(delete(ProjectLimit).where(ProjectLimit.domain_id == project_id))

    # -- for other services -----------------------------------------------------------------
    def effective_limit(self, project_id: str, service_type_or_id: str, resource_name: str,
                        region_id: str | None = None) -> int | None:
        """The limit on ``resource_name`` for a project: its own limit, else the registered
        default; None when neither exists. -1 means unlimited, as in Keystone. A limit for
        the region asked wins over one for no region; with no region asked, a region-less
        limit wins over any region's. The service is named by id or by type."""
        with self.db.session() as s:
            service = self.identity.catalog.find_service(s, service_type_or_id)
            if service is None:
                return None
            regions: list[str | None] = [region_id, None] if region_id else [None]
            own = [r for r in self._for_service(s, ProjectLimit, service.id, resource_name)
                   if r.project_id == project_id]
            found = _pick(own, regions, any_region=region_id is None)
            if found is not None:
                return int(found.resource_limit)
            defaults = self._for_service(s, RegisteredLimit, service.id, resource_name)
            default = _pick(defaults, regions, any_region=region_id is None)
            return int(default.default_limit) if default is not None else None

    @staticmethod
    def _for_service(s: Session, model: Any, service_id: str, resource_name: str) -> list[Any]:
        return list(s.scalars(select(model).where(model.service_id == service_id,
                                                  model.resource_name == resource_name)
                              .order_by(model.id)))


def _pick(rows: list[Any], regions: list[str | None], any_region: bool) -> Any:
    for region in regions:
        for row in rows:
            if row.region_id == region:
                return row
    return rows[0] if any_region and rows else None

