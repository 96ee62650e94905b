"""Flavors, their extra specs and the projects a private flavor is shared with.

A flavor is handed around as a dict of Nova's internal names (``flavorid``, ``memory_mb``,
``root_gb``, ``ephemeral_gb``, ``swap``, ``rxtx_factor``, ``is_public``, ``disabled``,
``description``, ``extra_specs``); the API views rename them."""

from __future__ import annotations

import builtins
import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.kernel.context import RequestContext
from nimbus.kernel.db import Database, utcnow
from nimbus.kernel.errors import BadRequest
from nimbus.services.compute.errors import (
    FlavorAccessConflict,
    FlavorAccessNotFound,
    FlavorExists,
    FlavorExtraSpecNotFound,
    FlavorNotFound,
)
from nimbus.services.compute.models.flavors import Flavor, FlavorExtraSpec, FlavorProject

COLUMNS = ("flavorid", "name", "memory_mb", "vcpus", "root_gb", "ephemeral_gb", "swap",
           "rxtx_factor", "is_public", "disabled", "description")


def is_admin(ctx: RequestContext | None) -> bool:
    return ctx is None or ctx.has_role("admin")


def _as_dict(s: Session, row: Flavor) -> dict[str, Any]:
    specs = s.scalars(select(FlavorExtraSpec).where(FlavorExtraSpec.flavor_id ==
                                                    row.internal_id)).all()
    out = {c: getattr(row, c) for c in COLUMNS}
    out.update(internal_id=row.internal_id, created_at=row.created_at,
               updated_at=row.updated_at, extra_specs={e.key: e.value for e in specs})
    return out


class Flavors:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- public functions (servers, scheduler) --------------------------------------------
    def get(self, flavor_id: str, ctx: RequestContext | None = None) -> dict[str, Any]:
        """The flavor ``flavor_id`` as ``ctx`` may see it (None: any flavor), with its
        extra specs; FlavorNotFound otherwise."""
        with self.db.session() as s:
            row = self._visible_row(s, ctx, flavor_id)
            return _as_dict(s, row)

    def _visible_row(self, s: Session, ctx: RequestContext | None, flavor_id: str) -> Flavor:
        row = s.scalar(select(Flavor).where(Flavor.flavorid == str(flavor_id)))
        if row is None:
            raise FlavorNotFound(flavor_id)
        if not row.is_public and not is_admin(ctx):
            shared = s.get(FlavorProject, (row.internal_id, ctx.project_id if ctx else ""))
            if shared is None:
                raise FlavorNotFound(flavor_id)
        return row

    # -- listing --------------------------------------------------------------------------
    def list(self, ctx: RequestContext | None, *, is_public: bool | None, min_ram: int | None,
             min_disk: int | None, sort_key: str, sort_dir: str) -> list[dict[str, Any]]:
        """Nova's filters: public flavors and those shared with the caller's project when
        ``is_public`` is True, every flavor when None, only private ones when False."""
        with self.db.session() as s:
            query = select(Flavor)
            if not is_admin(ctx):
                query = query.where(Flavor.disabled.is_(False))
            if min_ram is not None:
                query = query.where(Flavor.memory_mb >= min_ram)
            if min_disk is not None:
                query = query.where(Flavor.root_gb >= min_disk)
            rows = s.scalars(query).all()
            shared = set(s.scalars(select(FlavorProject.flavor_id).where(
                FlavorProject.project_id == ((ctx and ctx.project_id) or ""))).all())
            picked = [r for r in rows if _public_filter(r, is_public, shared)]
            flavors = [_as_dict(s, r) for r in picked]
        flavors.sort(key=lambda f: (_sortable(f.get(sort_key)), f["internal_id"]),
                     reverse=sort_dir == "desc")
        return flavors

    # -- changes --------------------------------------------------------------------------
    def create(self, values: dict[str, Any]) -> dict[str, Any]:
        flavorid = values.get("flavorid")
        flavorid = str(uuid.uuid4()) if flavorid is None else str(flavorid)
        try:
            return self._insert(values, flavorid)
        except IntegrityError:
            # Another request made the same name or id in between.
            raise FlavorExists(f"Flavor with name {values['name']} or ID {flavorid} "
                               "already exists.") from None

    def _insert(self, values: dict[str, Any], flavorid: str) -> dict[str, Any]:
        with self.db.session() as s:
            if s.scalar(select(Flavor.internal_id).where(Flavor.name == values["name"])):
                raise FlavorExists(f"Flavor with name {values['name']} already exists.")
            if s.scalar(select(Flavor.internal_id).where(Flavor.flavorid == flavorid)):
                raise FlavorExists(f"Flavor with ID {flavorid} already exists.")
            row = Flavor(**{**{c: values[c] for c in COLUMNS if c in values},
                            "flavorid": flavorid})
            s.add(row)
            s.flush()
            for key, value in (values.get("extra_specs") or {}).items():
                s.add(FlavorExtraSpec(flavor_id=row.internal_id, key=key, value=str(value)))
            s.flush()
            return _as_dict(s, row)

    def update_description(self, ctx: RequestContext, flavor_id: str,
                           description: str | None) -> dict[str, Any]:
        with self.db.session() as s:
            row = self._visible_row(s, ctx, flavor_id)
            row.description = description
            row.updated_at = utcnow()
            s.flush()
            return _as_dict(s, row)

    def delete(self, ctx: RequestContext | None, flavor_id: str) -> None:
        with self.db.session() as s:
            row = self._visible_row(s, ctx, flavor_id)
            s.execute(delete(FlavorExtraSpec).where(
                FlavorExtraSpec.flavor_id == row.internal_id))
            s.execute(delete(FlavorProject).where(FlavorProject.flavor_id == row.internal_id))
            s.delete(row)

    # -- extra specs ----------------------------------------------------------------------
    def extra_specs(self, ctx: RequestContext, flavor_id: str) -> dict[str, str]:
        return dict(self.get(flavor_id, ctx)["extra_specs"])

    def set_extra_specs(self, ctx: RequestContext, flavor_id: str,
                        specs: dict[str, str]) -> None:
        with self.db.session() as s:
            row = self._visible_row(s, ctx, flavor_id)
            for key, value in specs.items():
                found = s.get(FlavorExtraSpec, (row.internal_id, key))
                if found is None:
                    s.add(FlavorExtraSpec(flavor_id=row.internal_id, key=key, value=value))
                else:
                    found.value = value
            row.updated_at = utcnow()

    def delete_extra_spec(self, ctx: RequestContext, flavor_id: str, key: str) -> None:
        with self.db.session() as s:
            row = self._visible_row(s, ctx, flavor_id)
            found = s.get(FlavorExtraSpec, (row.internal_id, key))
            if found is None:
                raise FlavorExtraSpecNotFound(flavor_id, key)
            s.delete(found)

    # -- access ---------------------------------------------------------------------------
    def access(self, ctx: RequestContext, flavor_id: str) -> builtins.list[str]:
        with self.db.session() as s:
            row = self._visible_row(s, ctx, flavor_id)
            if row.is_public:
                raise FlavorAccessNotFound("Access list not available for public flavors.")
            return sorted(s.scalars(select(FlavorProject.project_id).where(
                FlavorProject.flavor_id == row.internal_id)).all())

    def add_access(self, ctx: RequestContext, flavor_id: str,
                   project_id: str) -> builtins.list[str]:
        with self.db.session() as s:
            row = self._visible_row(s, ctx, flavor_id)
            if row.is_public:
                raise FlavorAccessConflict("Can not add access to a public flavor.")
            if s.get(FlavorProject, (row.internal_id, project_id)) is not None:
                raise FlavorAccessConflict(
                    f"Flavor access already exists for flavor {flavor_id} and project "
                    f"{project_id} combination.")
            s.add(FlavorProject(flavor_id=row.internal_id, project_id=project_id))
        return self.access(ctx, flavor_id)

    def remove_access(self, ctx: RequestContext, flavor_id: str,
                      project_id: str) -> builtins.list[str]:
        with self.db.session() as s:
            row = self._visible_row(s, ctx, flavor_id)
            found = s.get(FlavorProject, (row.internal_id, project_id))
            if found is None:
                raise FlavorAccessNotFound(
                    f"Flavor access not found for {flavor_id} / {project_id} combination.")
            s.delete(found)
        return self.access(ctx, flavor_id)


def _public_filter(row: Flavor, is_public: bool | None, shared: set[int]) -> bool:
    if is_public is None:
        return True
    if is_public:
        return row.is_public or row.internal_id in shared
    return not row.is_public


def _sortable(value: Any) -> Any:
    return (value is None, "" if value is None else value)


def marker_index(flavors: list[dict[str, Any]], marker: str | None) -> int:
    """Where the page after ``marker`` starts; Nova's 400 for a marker it can't find."""
    if marker is None:
        return 0
    for i, flavor in enumerate(flavors):
        if flavor["flavorid"] == marker:
            return i + 1
    raise BadRequest(f"marker [{marker}] not found")
