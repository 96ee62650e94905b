"""Regions, services and endpoints, and the catalog tokens carry."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.kernel.errors import BadRequest, Forbidden
from nimbus.services.identity.errors import Duplicate
from nimbus.services.identity.models import CatalogService, Endpoint, Region
from nimbus.services.identity.service.common import bump_generation, get_or_404

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService

INTERFACES = ("public", "internal", "admin")


class Catalog:
    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self.db = identity.db
        self._cached: tuple[int | None, list[dict[str, Any]]] | None = None
        self._lock = threading.Lock()

    # -- the token catalog -------------------------------------------------------------------
    def token_catalog(self) -> list[dict[str, Any]]:
        """Every enabled service with its enabled endpoints; cached per generation."""
        generation = self.identity.tokens.cache.generation
        cached = self._cached
        if cached is not None and cached[0] == generation and generation is not None:
            return cached[1]
        with self.db.session() as s:
            services = list(s.scalars(select(CatalogService)
                                      .where(CatalogService.enabled.is_(True))
                                      .order_by(CatalogService.type)))
            endpoints = list(s.scalars(select(Endpoint).where(Endpoint.enabled.is_(True))
                                       .order_by(Endpoint.interface)))
        by_service: dict[str, list[dict[str, Any]]] = {}
        for ep in endpoints:
            by_service.setdefault(ep.service_id, []).append(
                {"id": ep.id, "interface": ep.interface, "region": ep.region_id,
                 "region_id": ep.region_id, "url": ep.url})
        catalog = [{"endpoints": by_service.get(svc.id, []), "id": svc.id, "type": svc.type,
                    "name": svc.name} for svc in services]
        with self._lock:
            self._cached = (generation, catalog)
        return catalog

    # -- regions ----------------------------------------------------------------------------
    def region(self, s: Session, region_id: str) -> Region:
        return get_or_404(s, Region, region_id, "region")

    def create_region(self, fields: dict[str, Any]) -> Region:
        with self.db.session() as s:
            if fields.get("id") and s.get(Region, fields["id"]) is not None:
                raise Duplicate("region", f"Duplicate ID, {fields['id']}")
            parent = fields.get("parent_region_id")
            if parent:
                if s.get(Region, parent) is None:
                    raise BadRequest(f"Could not find region: {parent}.")
                if parent == fields.get("id"):
                    raise BadRequest("Circular reference in the region hierarchy.")
            region = Region(description=fields.get("description") or "",
                            parent_region_id=parent, extra=fields.get("extra") or {})
            if fields.get("id"):
                region.id = fields["id"]
            s.add(region)
            s.flush()
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
                node = parent
                while node:
                    if node == region.id:
                        raise BadRequest("Circular reference in the region hierarchy.")
                    found = s.get(Region, node)
                    if found is None:
                        raise BadRequest(f"Could not find region: {node}.")
                    node = found.parent_region_id
                region.parent_region_id = parent
            if "description" in fields:
                region.description = fields["description"] or ""
            if fields.get("extra"):
                region.extra = {**(region.extra or {}), **fields["extra"]}
            bump_generation(s)
            return region

    def delete_region(self, region_id: str) -> None:
        with self.db.session() as s:
            region = self.region(s, region_id)
            if s.scalars(select(Region.id).where(Region.parent_region_id == region_id)).first():
                raise Forbidden("Unable to delete region because it or its child regions have "
                                "associated endpoints.")
            if s.scalars(select(Endpoint.id).where(Endpoint.region_id == region_id)).first():
                raise Forbidden("Unable to delete region because it or its child regions have "
                                "associated endpoints.")
            s.delete(region)
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
            q = select(CatalogService).order_by(CatalogService.type)
            if type is not None:
                q = q.where(CatalogService.type == type)
            if name is not None:
                q = q.where(CatalogService.name == name)
            return list(s.scalars(q))

    def get_service(self, service_id: str) -> CatalogService:
        with self.db.session() as s:
            return self.service(s, service_id)

    def update_service(self, service_id: str, fields: dict[str, Any]) -> CatalogService:
        with self.db.session() as s:
            svc = self.service(s, service_id)
            for key in ("type", "name", "description", "enabled"):
                if key in fields:
                    setattr(svc, key, fields[key])
            if fields.get("extra"):
                svc.extra = {**(svc.extra or {}), **fields["extra"]}
            bump_generation(s)
            return svc

    def delete_service(self, service_id: str) -> None:
        with self.db.session() as s:
            s.delete(self.service(s, service_id))
            bump_generation(s)

    # -- endpoints --------------------------------------------------------------------------
    def endpoint(self, s: Session, endpoint_id: str) -> Endpoint:
        return get_or_404(s, Endpoint, endpoint_id, "endpoint")

    def _check_refs(self, s: Session, fields: dict[str, Any]) -> None:
        if "service_id" in fields and s.get(CatalogService, fields["service_id"]) is None:
            raise BadRequest(f"Could not find service: {fields['service_id']}.")
        region = fields.get("region_id")
        if region and s.get(Region, region) is None:
            raise BadRequest(f"Could not find region: {region}.")

    def create_endpoint(self, fields: dict[str, Any]) -> Endpoint:
        with self.db.session() as s:
            fields = dict(fields)
            if not fields.get("region_id") and fields.get("region"):
                fields["region_id"] = fields["region"]
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
            q = select(Endpoint)
            for key in ("service_id", "interface", "region_id"):
                if filters.get(key) is not None:
                    q = q.where(getattr(Endpoint, key) == filters[key])
            return list(s.scalars(q))

    def get_endpoint(self, endpoint_id: str) -> Endpoint:
        with self.db.session() as s:
            return self.endpoint(s, endpoint_id)

    def update_endpoint(self, endpoint_id: str, fields: dict[str, Any]) -> Endpoint:
        with self.db.session() as s:
            ep = self.endpoint(s, endpoint_id)
            fields = dict(fields)
            if "region" in fields and "region_id" not in fields:
                fields["region_id"] = fields["region"]
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
            bump_generation(s)

    # -- bootstrap --------------------------------------------------------------------------
    def ensure_service(self, s: Session, type: str, name: str, region_id: str,
                       url: str, description: str = "") -> None:
        """Create or correct a service and its three endpoints (idempotent)."""
        svc = s.scalars(select(CatalogService).where(CatalogService.type == type,
                                                     CatalogService.name == name)).first()
        if svc is None:
            svc = CatalogService(type=type, name=name, description=description, enabled=True)
            s.add(svc)
            s.flush()
        existing = {ep.interface: ep for ep in s.scalars(
            select(Endpoint).where(Endpoint.service_id == svc.id,
                                   Endpoint.region_id == region_id))}
        for interface in INTERFACES:
            ep = existing.get(interface)
            if ep is None:
                s.add(Endpoint(service_id=svc.id, interface=interface, region_id=region_id,
                               url=url, enabled=True))
            elif ep.url != url:
                ep.url = url
        bump_generation(s)
