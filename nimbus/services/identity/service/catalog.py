"""Regions, services and endpoints, and the catalog tokens carry."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.kernel.db import new_id
from nimbus.kernel.errors import BadRequest, Forbidden
from nimbus.services.identity.errors import Duplicate
from nimbus.services.identity.models import (
    CatalogService,
    Endpoint,
    Region,
)
from nimbus.services.identity.service.common import bump_generation, get_or_404

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService

log = logging.getLogger(__name__)

INTERFACES = ("public", "internal", "admin")
# The names an endpoint URL may substitute, as $(project_id)s (Keystone's whitelist).
URL_SUBSTITUTIONS = ("tenant_id", "project_id", "user_id", "compute_host", "public_endpoint")


# -- errors, in Keystone's words ------------------------------------------------------------
class ReferenceNotFound(BadRequest):
    """Keystone's ValidationError(attribute, target): a reference to nothing."""

    def __init__(self, attribute: str, target: str) -> None:
        super().__init__(f"Expecting to find {attribute} in {target}. The server could not "
                         "comply with the request since it is either malformed or otherwise "
                         "incorrect. The client is assumed to be in error.")


class CircularRegionHierarchy(BadRequest):
    def __init__(self, parent_region_id: str) -> None:
        super().__init__(f"The specified parent region {parent_region_id} would create a "
                         "circular region hierarchy.")


class RegionInUse(Forbidden):
    def __init__(self, region_id: str) -> None:
        super().__init__(f"Unable to delete region {region_id} because it or its child "
                         "regions have associated endpoints.")


class InvalidEndpointURL(BadRequest):
    def __init__(self, url: str) -> None:
        super().__init__(f"Cannot create an endpoint with an invalid URL: {url}.")


# -- endpoint URL substitution ------------------------------------------------------------
def _substitutes(url: str) -> bool:
    return "$(" in url or "%(" in url


def check_endpoint_url(url: str) -> None:
    """Refuse a URL whose $(name)s substitutions are not on the whitelist."""
    if not _substitutes(url):
        return
    try:
        url.replace("$(", "%(") % dict.fromkeys(URL_SUBSTITUTIONS, "")
    except (KeyError, TypeError, ValueError):
        raise InvalidEndpointURL(url) from None


def format_url(url: str, values: dict[str, str]) -> str | None:
    """The URL with its substitutions made; None when one of them has no value."""
    if not _substitutes(url):
        return url
    try:
        return url.replace("$(", "%(") % values
    except KeyError:
        return None
    except (TypeError, ValueError):
        log.error("malformed endpoint URL %s; left out of the catalog", url)
        return None


class Catalog:
    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self.db = identity.db
        self._cached: tuple[int | None, list[dict[str, Any]]] | None = None
        self._lock = threading.Lock()

    # -- the token catalog ------------------------------------------------------------------
    def token_catalog(self, project_id: str | None = None,
                      user_id: str | None = None) -> list[dict[str, Any]]:
        """Every enabled service with its enabled endpoints, URLs substituted for the
        token's scope (an endpoint naming $(project_id)s is left out of unscoped ones)."""
        values = {"user_id": user_id} if user_id else {}
        if project_id:
            values.update(project_id=project_id, tenant_id=project_id)
        out = []
        for svc in self._raw_catalog():
            endpoints = []
            for ep in svc["endpoints"]:
                url = format_url(ep["url"], values)
                if url is not None:
                    endpoints.append({**ep, "url": url})
            out.append({**svc, "endpoints": endpoints})
        return self.identity.ep_filter.filter_catalog(project_id, out)

    def _raw_catalog(self) -> list[dict[str, Any]]:
        """The catalog as stored, cached per identity generation."""
        generation = self.identity.tokens.cache.generation
        cached = self._cached
        if cached is not None and cached[0] == generation and generation is not None:
            return cached[1]
        with self.db.session() as s:
            services = list(s.scalars(select(CatalogService)
                                      .where(CatalogService.enabled.is_(True))
                                      .order_by(CatalogService.type, CatalogService.id)))
            endpoints = list(s.scalars(select(Endpoint).where(Endpoint.enabled.is_(True))
                                       .order_by(Endpoint.interface, Endpoint.id)))
        by_service: dict[str, list[dict[str, Any]]] = {}
        for ep in endpoints:
            by_service.setdefault(ep.service_id, []).append(
                {"id": ep.id, "interface": ep.interface, "region": ep.region_id,
                 "region_id": ep.region_id, "url": ep.url})
        catalog = [{"endpoints": by_service.get(svc.id, []), "id": svc.id, "type": svc.type,
                    "name": svc.name or ""} for svc in services]
        with self._lock:
            self._cached = (generation, catalog)
        return catalog

    # -- regions ----------------------------------------------------------------------------
    def region(self, s: Session, region_id: str) -> Region:
        return get_or_404(s, Region, region_id, "region")

    def create_region(self, fields: dict[str, Any]) -> Region:
        with self.db.session() as s:
            region_id = fields.get("id") or new_id()
            if s.get(Region, region_id) is not None:
                raise Duplicate("region", f"Duplicate ID, {region_id}")
            parent = fields.get("parent_region_id")
            if parent is not None:
                self.region(s, parent)
            region = Region(id=region_id, description=fields.get("description") or "",
                            parent_region_id=parent, extra=fields.get("extra") or {})
            s.add(region)
            _flush_or_duplicate(s, "region", f"Duplicate ID, {region_id}")
            bump_generation(s)
            return region

    def list_regions(self, parent_region_id: str | None = None) -> list[Region]:
        with self.db.session() as s:
            q = select(Region).order_by(Region.id)
            if parent_region_id is not None:
                q = q.where(Region.parent_region_id == parent_region_id)
            return list(s.scalars(q))

    def get_region(self, region_id: str) -> Region:
        with self.db.session() as s:
            return self.region(s, region_id)

    def update_region(self, region_id: str, fields: dict[str, Any]) -> Region:
        with self.db.session() as s:
            region = self.region(s, region_id)
            if "parent_region_id" in fields:
                parent = fields["parent_region_id"]
                if parent is not None:
                    self._check_parent(s, region.id, parent)
                region.parent_region_id = parent
            if "description" in fields:
                region.description = fields["description"] or ""
            if fields.get("extra"):
                region.extra = {**(region.extra or {}), **fields["extra"]}
            bump_generation(s)
            return region

    def _check_parent(self, s: Session, region_id: str, parent_id: str) -> None:
        """The parent exists and is not the region or one of its descendants."""
        self.region(s, parent_id)
        node: str | None = parent_id
        seen: set[str] = set()
        while node is not None and node not in seen:
            if node == region_id:
                raise CircularRegionHierarchy(parent_id)
            seen.add(node)
            found = s.get(Region, node)
            node = found.parent_region_id if found is not None else None

    def _subtree(self, s: Session, region_id: str) -> list[str]:
        """The region and every region below it."""
        ids, frontier = [region_id], [region_id]
        while frontier:
            children = [c for c in s.scalars(select(Region.id).where(
                Region.parent_region_id.in_(frontier))) if c not in ids]
            ids.extend(children)
            frontier = children
        return ids

    def delete_region(self, region_id: str) -> None:
        """Deletes the region and its children unless an endpoint uses one: Keystone's only
        check (limits naming the region stay)."""
        with self.db.session() as s:
            region = self.region(s, region_id)
            ids = self._subtree(s, region.id)
            if s.scalars(select(Endpoint.id).where(Endpoint.region_id.in_(ids))).first():
                raise RegionInUse(region_id)
            s.execute(delete(Region).where(Region.id.in_(ids)))
            self.identity.endpoint_policies.delete_for(s, region_ids=ids)
            bump_generation(s)

    # -- services ---------------------------------------------------------------------------
    def service(self, s: Session, service_id: str) -> CatalogService:
        return get_or_404(s, CatalogService, service_id, "service")

    def create_service(self, fields: dict[str, Any]) -> CatalogService:
        with self.db.session() as s:
            svc = CatalogService(type=fields["type"], name=fields.get("name") or "",
                                 description=fields.get("description"),
                                 enabled=fields.get("enabled", True),
                                 extra=fields.get("extra") or {})
            s.add(svc)
            s.flush()
            bump_generation(s)
            return svc

    def list_services(self, type: str | None = None, name: str | None = None
                      ) -> list[CatalogService]:
        with self.db.session() as s:
            q = select(CatalogService).order_by(CatalogService.type, CatalogService.id)
            if type is not None:
                q = q.where(CatalogService.type == type)
            if name is not None:
                q = q.where(CatalogService.name == name)
            return list(s.scalars(q))

    def get_service(self, service_id: str) -> CatalogService:
        with self.db.session() as s:
            return self.service(s, service_id)

    def find_service(self, s: Session, service_id_or_type: str) -> CatalogService | None:
        """A service by id, else the first by type (how other services name their own)."""
        found = s.get(CatalogService, service_id_or_type)
        if found is not None:
            return found
        return s.scalars(select(CatalogService)
                         .where(CatalogService.type == service_id_or_type)
                         .order_by(CatalogService.enabled.desc(), CatalogService.id)).first()

    def update_service(self, service_id: str, fields: dict[str, Any]) -> CatalogService:
        with self.db.session() as s:
            svc = self.service(s, service_id)
            for key in ("type", "enabled"):
                if key in fields:
                    setattr(svc, key, fields[key])
            if "name" in fields:
                svc.name = fields["name"] or ""
            if "description" in fields:
                svc.description = fields["description"]
            if fields.get("extra"):
                svc.extra = {**(svc.extra or {}), **fields["extra"]}
            bump_generation(s)
            return svc

    def delete_service(self, service_id: str) -> None:
        """Deletes the service with its endpoints; limits naming it stay, as in Keystone."""
        with self.db.session() as s:
            svc = self.service(s, service_id)
            endpoint_ids = list(s.scalars(select(Endpoint.id)
                                          .where(Endpoint.service_id == svc.id)))
            self.identity.ep_filter.delete_for_endpoints(s, endpoint_ids)
            self.identity.endpoint_policies.delete_for(s, endpoint_ids=endpoint_ids,
                                                       service_id=svc.id)
            s.execute(delete(Endpoint).where(Endpoint.service_id == svc.id))
            s.delete(svc)
            bump_generation(s)

    # -- endpoints --------------------------------------------------------------------------
    def endpoint(self, s: Session, endpoint_id: str) -> Endpoint:
        return get_or_404(s, Endpoint, endpoint_id, "endpoint")

    def _resolve_region(self, s: Session, fields: dict[str, Any]) -> dict[str, Any]:
        """Keystone's legacy ``region``: used when ``region_id`` is absent, and the region
        is created if it does not exist yet."""
        fields = dict(fields)
        legacy = fields.pop("region", None)
        if fields.get("region_id") is None and legacy is not None:
            fields["region_id"] = legacy
            if s.get(Region, legacy) is None:
                s.add(Region(id=legacy, description="", extra={}))
                _flush_or_duplicate(s, "region", f"Duplicate ID, {legacy}")
        return fields

    def _check_refs(self, s: Session, fields: dict[str, Any]) -> None:
        region = fields.get("region_id")
        if region is not None and s.get(Region, region) is None:
            raise ReferenceNotFound("endpoint region_id", "region table")
        service = fields.get("service_id")
        if service is not None and s.get(CatalogService, service) is None:
            raise ReferenceNotFound("endpoint service_id", "service table")

    def create_endpoint(self, fields: dict[str, Any]) -> Endpoint:
        check_endpoint_url(fields["url"])
        with self.db.session() as s:
            fields = self._resolve_region(s, fields)
            self._check_refs(s, fields)
            ep = Endpoint(service_id=fields["service_id"], interface=fields["interface"],
                          region_id=fields.get("region_id"), url=fields["url"],
                          enabled=fields.get("enabled", True), extra=fields.get("extra") or {})
            s.add(ep)
            s.flush()
            bump_generation(s)
            return ep

    def list_endpoints(self, filters: dict[str, Any]) -> list[Endpoint]:
        with self.db.session() as s:
            q = select(Endpoint).order_by(Endpoint.service_id, Endpoint.interface, Endpoint.id)
            for key in ("service_id", "interface", "region_id"):
                if filters.get(key) is not None:
                    q = q.where(getattr(Endpoint, key) == filters[key])
            return list(s.scalars(q))

    def get_endpoint(self, endpoint_id: str) -> Endpoint:
        with self.db.session() as s:
            return self.endpoint(s, endpoint_id)

    def update_endpoint(self, endpoint_id: str, fields: dict[str, Any]) -> Endpoint:
        if "url" in fields:
            check_endpoint_url(fields["url"])
        with self.db.session() as s:
            ep = self.endpoint(s, endpoint_id)
            fields = self._resolve_region(s, fields)
            self._check_refs(s, fields)
            for key in ("service_id", "interface", "region_id", "url", "enabled"):
                if key in fields:
                    setattr(ep, key, fields[key])
            if fields.get("extra"):
                ep.extra = {**(ep.extra or {}), **fields["extra"]}
            bump_generation(s)
            return ep

    def delete_endpoint(self, endpoint_id: str) -> None:
        with self.db.session() as s:
            s.delete(self.endpoint(s, endpoint_id))
            self.identity.ep_filter.delete_for_endpoints(s, [endpoint_id])
            self.identity.endpoint_policies.delete_for(s, endpoint_ids=[endpoint_id])
            bump_generation(s)

    # -- bootstrap --------------------------------------------------------------------------
    def ensure_service(self, s: Session, type: str, name: str, region_id: str,
                       url: str, description: str = "") -> None:
        """Create or correct a service and its three endpoints (idempotent)."""
        svc = s.scalars(select(CatalogService).where(CatalogService.type == type,
                                                     CatalogService.name == name)).first()
        if svc is None:
            svc = CatalogService(type=type, name=name, description=description, enabled=True,
                                 extra={})
            s.add(svc)
            s.flush()
        existing = {ep.interface: ep for ep in s.scalars(
            select(Endpoint).where(Endpoint.service_id == svc.id,
                                   Endpoint.region_id == region_id))}
        for interface in INTERFACES:
            ep = existing.get(interface)
            if ep is None:
                s.add(Endpoint(service_id=svc.id, interface=interface, region_id=region_id,
                               url=url, enabled=True, extra={}))
            elif ep.url != url:
                ep.url = url
        bump_generation(s)


def _flush_or_duplicate(s: Session, kind: str, detail: str) -> None:
    """Flush; a unique-key race with another writer becomes Keystone's 409."""
    try:
        s.flush()
    except IntegrityError:
        raise Duplicate(kind, detail) from None
