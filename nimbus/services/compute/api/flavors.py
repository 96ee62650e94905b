"""/flavors: list, detail, show, create, update (2.55), delete; extra specs (os-extra_specs)
and access lists (os-flavor-access) in flavor_specs.py."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.errors import BadRequest
from nimbus.kernel.microversion import ByVersion
from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.compute.api.support import (
    allowed,
    at_least,
    links,
    next_link,
    own_target,
    service_of,
    strict_query,
)
from nimbus.services.compute.policies.flavors import ANY_CALLER, MANAGE, SPECS
from nimbus.services.compute.schemas import flavors as schema
from nimbus.services.compute.schemas.common import as_bool, body_of, int_param
from nimbus.services.compute.service.flavors import is_admin, marker_index

V = "/v2.1"
MAX_LIMIT = 1000
_NONE_WORDS = {"none"}


def view(req: ApiRequest, flavor: dict[str, Any], *, detail: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"id": flavor["flavorid"], "name": flavor["name"],
                           "links": links(req, "flavors", flavor["flavorid"])}
    if at_least(req, "2.55"):
        out["description"] = flavor["description"]
    if not detail:
        return out
    swap = flavor["swap"]
    out.update({
        "ram": flavor["memory_mb"], "disk": flavor["root_gb"], "vcpus": flavor["vcpus"],
        "OS-FLV-EXT-DATA:ephemeral": flavor["ephemeral_gb"],
        "OS-FLV-DISABLED:disabled": flavor["disabled"],
        "os-flavor-access:is_public": flavor["is_public"],
        "swap": swap if swap or at_least(req, "2.75") else "",
        "rxtx_factor": flavor["rxtx_factor"]})
    if at_least(req, "2.61") and allowed(req, SPECS % "index", own_target(req)):
        out["extra_specs"] = dict(flavor["extra_specs"])
    return out


def _is_public_filter(req: ApiRequest) -> bool | None:
    if not is_admin(req.ctx):
        return True
    text = req.query.get("is_public")
    if text is None:
        return True
    if text.strip().lower() in _NONE_WORDS:
        return None
    lowered = text.strip().lower()
    if lowered in {"true", "1", "t", "on", "y", "yes"}:
        return True
    if lowered in {"false", "0", "f", "off", "n", "no"}:
        return False
    raise BadRequest(f"Invalid is_public filter [{text}]")


def _int_filter(req: ApiRequest, key: str) -> int | None:
    text = req.query.get(key)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise BadRequest(f"Invalid {key} filter [{text}]") from None


def _listing(req: ApiRequest, detail: bool) -> dict[str, Any]:
    strict_query(req, schema.INDEX_QUERY)
    sort_key = req.query.get("sort_key") or "flavorid"
    sort_dir = req.query.get("sort_dir") or "asc"
    if sort_key not in schema.SORT_KEYS or sort_dir not in ("asc", "desc"):
        raise BadRequest(f"Invalid input for query parameters sort_key/sort_dir. Value: "
                         f"{sort_key}/{sort_dir}.")
    limit = int_param(req.query, "limit")
    limit = MAX_LIMIT if limit is None else min(limit, MAX_LIMIT)
    flavors = service_of(req).flavors.list(
        req.ctx, is_public=_is_public_filter(req), min_ram=_int_filter(req, "minRam"),
        min_disk=_int_filter(req, "minDisk"), sort_key=schema.SORT_COLUMNS[sort_key],
        sort_dir=sort_dir)
    start = marker_index(flavors, req.query.get("marker"))
    page = flavors[start:start + limit]
    out: dict[str, Any] = {"flavors": [view(req, f, detail=detail) for f in page]}
    if page and len(page) == limit:
        path = "flavors/detail" if detail else "flavors"
        out["flavors_links"] = [next_link(req, path, page[-1]["flavorid"])]
    return out


def list_flavors(req: ApiRequest) -> dict[str, Any]:
    return _listing(req, detail=False)


def list_details(req: ApiRequest) -> dict[str, Any]:
    return _listing(req, detail=True)


def show_flavor(req: ApiRequest) -> dict[str, Any]:
    flavor = service_of(req).flavors.get(req.path_params["flavor_id"], req.ctx)
    return {"flavor": view(req, flavor)}


def create_flavor(req: ApiRequest) -> dict[str, Any]:
    doc = body_of(schema.create_for(req.version), req.json())["flavor"]
    values: dict[str, Any] = {
        "flavorid": doc.get("id"), "name": doc["name"], "memory_mb": int(doc["ram"]),
        "vcpus": int(doc["vcpus"]), "root_gb": int(doc["disk"]),
        "ephemeral_gb": int(doc.get("OS-FLV-EXT-DATA:ephemeral", 0)),
        "swap": int(doc.get("swap", 0)), "rxtx_factor": float(doc.get("rxtx_factor", 1.0)),
        "is_public": as_bool(doc.get("os-flavor-access:is_public", True)),
        "description": doc.get("description")}
    flavor = service_of(req).flavors.create(values)
    return {"flavor": view(req, flavor)}


def update_flavor(req: ApiRequest) -> dict[str, Any]:
    doc = body_of(schema.UPDATE, req.json())["flavor"]
    flavor = service_of(req).flavors.update_description(
        req.ctx, req.path_params["flavor_id"], doc["description"])
    return {"flavor": view(req, flavor)}


def delete_flavor(req: ApiRequest) -> Reply:
    service_of(req).flavors.delete(req.ctx, req.path_params["flavor_id"])
    return Reply(status=202)


ROUTES = [
    Route("GET", f"{V}/flavors", list_flavors, ANY_CALLER),
    Route("POST", f"{V}/flavors", create_flavor, MANAGE % "create", own_target),
    Route("GET", f"{V}/flavors/detail", list_details, ANY_CALLER),
    Route("GET", f"{V}/flavors/{{flavor_id}}", show_flavor, ANY_CALLER),
    Route("PUT", f"{V}/flavors/{{flavor_id}}", ByVersion([("2.55", None, update_flavor)]),
          MANAGE % "update", own_target),
    Route("DELETE", f"{V}/flavors/{{flavor_id}}", delete_flavor, MANAGE % "delete",
          own_target),
]
