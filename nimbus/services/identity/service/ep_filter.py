"""OS-EP-FILTER: endpoint groups, project-endpoint associations, and the catalog a project
sees (only its associated endpoints, once it has any, as Keystone filters)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.kernel.db import new_id
from nimbus.kernel.errors import NotFound
from nimbus.services.identity.errors import Duplicate, ResourceNotFound
from nimbus.services.identity.models import (
    Endpoint,
    EndpointGroup,
    Project,
    ProjectEndpoint,
    ProjectEndpointGroup,
)
from nimbus.services.identity.service.common import GenerationCache, bump_generation

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService

FILTER_KEYS = ("service_id", "region_id", "interface")


class EndpointNotInProject(NotFound):
    def __init__(self, endpoint_id: str, project_id: str) -> None:
        super().__init__(f"Endpoint {endpoint_id} not found in project {project_id}")


class GroupNotInProject(NotFound):
    def __init__(self) -> None:
        super().__init__("Endpoint Group Project Association not found")


def matches(endpoint: Endpoint, filters: dict[str, Any]) -> bool:
    return all(getattr(endpoint, key, None) == value for key, value in filters.items())


class EndpointFilter:
    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self.db = identity.db
        self._project_endpoints: GenerationCache[frozenset[str]] = GenerationCache(
            identity.tokens_generation)

    # -- lookups ------------------------------------------------------------------------------
    def group(self, s: Session, group_id: str) -> EndpointGroup:
        found = s.get(EndpointGroup, group_id)
        if found is None:
            raise ResourceNotFound("Endpoint Group", group_id)
        return found

    @staticmethod
    def _project(s: Session, project_id: str) -> Project:
        """Keystone's get_project: a project or a project acting as a domain."""
        found = s.get(Project, project_id)
        if found is None:
            raise ResourceNotFound("project", project_id)
        return found

    def _endpoint(self, s: Session, endpoint_id: str) -> Endpoint:
        return self.identity.catalog.endpoint(s, endpoint_id)

    def _projects_with_tags(self, s: Session, ids: list[str]) -> list[tuple[Project, list[str]]]:
        rows = s.scalars(select(Project).where(Project.id.in_(ids)).order_by(Project.name))
        return [(p, self.identity.resources.tags(s, p.id)) for p in rows]

    # -- endpoint groups ----------------------------------------------------------------------
    def create_group(self, fields: dict[str, Any]) -> EndpointGroup:
        with self.db.session() as s:
            group = EndpointGroup(id=new_id(), name=fields["name"],
                                  description=fields.get("description"),
                                  filters=fields["filters"])
            s.add(group)
            s.flush()
            return group

    def list_groups(self, name: str | None = None) -> list[EndpointGroup]:
        with self.db.session() as s:
            q = select(EndpointGroup).order_by(EndpointGroup.name, EndpointGroup.id)
            if name is not None:
                q = q.where(EndpointGroup.name == name)
            return list(s.scalars(q))

    def get_group(self, group_id: str) -> EndpointGroup:
        with self.db.session() as s:
            return self.group(s, group_id)

    def update_group(self, group_id: str, fields: dict[str, Any]) -> EndpointGroup:
        with self.db.session() as s:
            group = self.group(s, group_id)
            for key in ("name", "description", "filters"):
                if key in fields:
                    setattr(group, key, fields[key])
            bump_generation(s)
            return group

    def delete_group(self, group_id: str) -> None:
        with self.db.session() as s:
            group = self.group(s, group_id)
            s.execute(delete(ProjectEndpointGroup)
                      .where(ProjectEndpointGroup.endpoint_group_id == group.id))
            s.delete(group)
            bump_generation(s)

    def endpoints_in_group(self, group_id: str) -> list[Endpoint]:
        with self.db.session() as s:
            return self._group_endpoints(s, self.group(s, group_id).filters or {})

    @staticmethod
    def _group_endpoints(s: Session, filters: dict[str, Any]) -> list[Endpoint]:
        endpoints = s.scalars(select(Endpoint).order_by(Endpoint.service_id,
                                                        Endpoint.interface, Endpoint.id))
        return [e for e in endpoints if matches(e, filters)]

    # -- endpoint groups and projects ---------------------------------------------------------
    def _group_and_project(self, s: Session, group_id: str, project_id: str) -> None:
        """Keystone looks up the project first, then the group."""
        self._project(s, project_id)
        self.group(s, group_id)

    def add_group_to_project(self, group_id: str, project_id: str) -> None:
        with self.db.session() as s:
            self._group_and_project(s, group_id, project_id)
            if s.get(ProjectEndpointGroup, (group_id, project_id)) is not None:
                raise Duplicate("project_endpoint_group", "Duplicate entry")
            s.add(ProjectEndpointGroup(endpoint_group_id=group_id, project_id=project_id))
            _flush_or_duplicate(s, "project_endpoint_group")
            bump_generation(s)

    def group_in_project(self, group_id: str, project_id: str) -> ProjectEndpointGroup:
        with self.db.session() as s:
            self._group_and_project(s, group_id, project_id)
            found = s.get(ProjectEndpointGroup, (group_id, project_id))
            if found is None:
                raise GroupNotInProject()
            return found

    def remove_group_from_project(self, group_id: str, project_id: str) -> None:
        with self.db.session() as s:
            self._group_and_project(s, group_id, project_id)
            found = s.get(ProjectEndpointGroup, (group_id, project_id))
            if found is None:
                raise GroupNotInProject()
            s.delete(found)
            bump_generation(s)

    def projects_of_group(self, group_id: str) -> list[tuple[Project, list[str]]]:
        """Keystone does not look the group up here: an unknown one has no projects."""
        with self.db.session() as s:
            ids = list(s.scalars(select(ProjectEndpointGroup.project_id)
                                 .where(ProjectEndpointGroup.endpoint_group_id == group_id)))
            return self._projects_with_tags(s, ids)

    def groups_of_project(self, project_id: str) -> list[EndpointGroup]:
        with self.db.session() as s:
            self._project(s, project_id)
            ids = select(ProjectEndpointGroup.endpoint_group_id).where(
                ProjectEndpointGroup.project_id == project_id)
            return list(s.scalars(select(EndpointGroup).where(EndpointGroup.id.in_(ids))
                                  .order_by(EndpointGroup.name, EndpointGroup.id)))

    # -- endpoints and projects ---------------------------------------------------------------
    def add_endpoint_to_project(self, endpoint_id: str, project_id: str) -> None:
        with self.db.session() as s:
            self._endpoint(s, endpoint_id)
            self._project(s, project_id)
            if s.get(ProjectEndpoint, (endpoint_id, project_id)) is not None:
                raise Duplicate("project_endpoint", "Duplicate entry")
            s.add(ProjectEndpoint(endpoint_id=endpoint_id, project_id=project_id))
            _flush_or_duplicate(s, "project_endpoint")
            bump_generation(s)

    def check_endpoint_in_project(self, endpoint_id: str, project_id: str) -> None:
        with self.db.session() as s:
            self._endpoint(s, endpoint_id)
            self._project(s, project_id)
            if s.get(ProjectEndpoint, (endpoint_id, project_id)) is None:
                raise EndpointNotInProject(endpoint_id, project_id)

    def remove_endpoint_from_project(self, endpoint_id: str, project_id: str) -> None:
        """Keystone checks neither the endpoint nor the project, only the association."""
        with self.db.session() as s:
            found = s.get(ProjectEndpoint, (endpoint_id, project_id))
            if found is None:
                raise EndpointNotInProject(endpoint_id, project_id)
            s.delete(found)
            bump_generation(s)

    def projects_of_endpoint(self, endpoint_id: str) -> list[tuple[Project, list[str]]]:
        with self.db.session() as s:
            self._endpoint(s, endpoint_id)
            ids = list(s.scalars(select(ProjectEndpoint.project_id)
                                 .where(ProjectEndpoint.endpoint_id == endpoint_id)))
            return self._projects_with_tags(s, ids)

    def endpoints_of_project(self, project_id: str) -> list[Endpoint]:
        """Endpoints associated directly and through the project's endpoint groups."""
        with self.db.session() as s:
            self._project(s, project_id)
            return self._endpoints_of_project(s, project_id)

    def _endpoints_of_project(self, s: Session, project_id: str) -> list[Endpoint]:
        direct = select(ProjectEndpoint.endpoint_id).where(
            ProjectEndpoint.project_id == project_id)
        found = {e.id: e for e in s.scalars(select(Endpoint).where(Endpoint.id.in_(direct)))}
        groups = s.scalars(select(EndpointGroup).join(
            ProjectEndpointGroup, ProjectEndpointGroup.endpoint_group_id == EndpointGroup.id)
            .where(ProjectEndpointGroup.project_id == project_id))
        for group in groups:
            for endpoint in self._group_endpoints(s, group.filters or {}):
                found.setdefault(endpoint.id, endpoint)
        return sorted(found.values(), key=lambda e: (e.service_id, e.interface, e.id))

    # -- the catalog --------------------------------------------------------------------------
    def endpoint_ids_for_catalog(self, project_id: str) -> frozenset[str]:
        """The endpoints a project's catalog is limited to; empty when it has no
        associations (then it sees every endpoint). Cached per identity generation."""
        def load() -> frozenset[str]:
            with self.db.session() as s:
                return frozenset(e.id for e in self._endpoints_of_project(s, project_id))

        return self._project_endpoints.get(project_id, load)

    def filter_catalog(self, project_id: str | None,
                       catalog: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Keystone's catalog filtering: a project with associations sees only those
        endpoints, and services left without endpoints drop out."""
        if not project_id:
            return catalog
        allowed = self.endpoint_ids_for_catalog(project_id)
        if not allowed:
            return catalog
        out = []
        for service in catalog:
            endpoints = [e for e in service["endpoints"] if e["id"] in allowed]
            if endpoints:
                out.append({**service, "endpoints": endpoints})
        return out

    # -- cleanup when what they name goes -------------------------------------------------
    @staticmethod
    def delete_for_project(s: Session, project_id: str) -> None:
        s.execute(delete(ProjectEndpoint).where(ProjectEndpoint.project_id == project_id))
        s.execute(delete(ProjectEndpointGroup)
                  .where(ProjectEndpointGroup.project_id == project_id))

    @staticmethod
    def delete_for_endpoints(s: Session, endpoint_ids: list[str]) -> None:
        if endpoint_ids:
            s.execute(delete(ProjectEndpoint)
                      .where(ProjectEndpoint.endpoint_id.in_(endpoint_ids)))


def _flush_or_duplicate(s: Session, kind: str) -> None:
    """A concurrent writer's row becomes Keystone's 409, as handle_conflicts does."""
    try:
        s.flush()
    except IntegrityError:
        raise Duplicate(kind, "Duplicate entry") from None
