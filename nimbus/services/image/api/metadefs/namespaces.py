"""Handlers for /v2/metadefs/namespaces and /v2/metadefs/namespaces/{namespace}."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from nimbus.kernel.web import ApiRequest, Reply
from nimbus.services.image.api.common import allowed, caller_of, enforce, service_of
from nimbus.services.image.api.metadefs.common import (
    body_of,
    enforce_on_namespace,
    limit_of,
    metadefs_of,
    namespace_name,
    sort_dir_of,
    target_of,
)
from nimbus.services.image.errors import BadRequest
from nimbus.services.image.schemas.metadefs import parse_namespace
from nimbus.services.image.service.metadefs import NamespaceQuery
from nimbus.services.image.service.metadefs.access import NamespaceRef

LIST_PATH = "/v2/metadefs/namespaces"
# The rule each kind of content of a new namespace needs besides add_metadef_namespace.
CONTENT_RULES = {"resource_type_associations": "add_metadef_resource_type_association",
                 "objects": "add_metadef_object", "properties": "add_metadef_property",
                 "tags": "add_metadef_tag"}


def list_namespaces(req: ApiRequest) -> dict[str, Any]:
    enforce(req, "list_metadef_resource_types", {"project_id": req.ctx.project_id})
    options = service_of(req).options
    params = req.query
    visibility = params.get("visibility") or None
    if visibility is not None and visibility not in ("public", "private"):
        raise BadRequest(f"Invalid visibility value: {visibility}")
    query = NamespaceQuery(
        limit=limit_of(params, options.limit_param_default, options.api_limit_max) or 0,
        marker=params.get("marker"), sort_key=params.get("sort_key", "created_at"),
        sort_dir=sort_dir_of(params), visibility=visibility,
        resource_types=[t.strip() for t in params.get("resource_types", "").split(",")
                        if t.strip()])

    def may_see(ref: NamespaceRef) -> bool:
        return allowed(req, "get_metadef_namespace", target_of(ref))

    views, next_marker = metadefs_of(req).namespaces.list(caller_of(req), query, may_see)
    kept = [(k, v) for k, v in params.multi_items() if k != "marker"]
    body: dict[str, Any] = {"namespaces": views, "schema": "/v2/schemas/metadefs/namespaces",
                            "first": LIST_PATH + (f"?{urlencode(kept)}" if kept else "")}
    if next_marker is not None:
        body["next"] = f"{LIST_PATH}?{urlencode([*kept, ('marker', next_marker)])}"
    return body


def create_namespace(req: ApiRequest) -> Reply:
    parsed = parse_namespace(body_of(req))
    for key, rule in CONTENT_RULES.items():
        if parsed[key]:
            enforce(req, rule, {"project_id": req.ctx.project_id})
    view = metadefs_of(req).namespaces.create(caller_of(req), parsed)
    location = f"{req.base_url}{LIST_PATH}/{quote(view['namespace'], safe=':')}"
    return Reply(view, status=201, headers={"Location": location})


def show_namespace(req: ApiRequest) -> dict[str, Any]:
    enforce_on_namespace(req, "list_metadef_resource_types", "get_metadef_objects",
                         "get_metadef_properties", "get_metadef_tags")
    return metadefs_of(req).namespaces.show(caller_of(req), namespace_name(req),
                                            req.query.get("resource_type") or None)


def update_namespace(req: ApiRequest) -> dict[str, Any]:
    parsed = parse_namespace(body_of(req))
    return metadefs_of(req).namespaces.update(caller_of(req), namespace_name(req), parsed)


def delete_namespace(req: ApiRequest) -> Reply:
    metadefs_of(req).namespaces.delete(caller_of(req), namespace_name(req))
    return Reply(status=204)


def delete_objects(req: ApiRequest) -> Reply:
    metadefs_of(req).namespaces.delete_contents(caller_of(req), namespace_name(req),
                                                "objects")
    return Reply(status=204)


def delete_properties(req: ApiRequest) -> Reply:
    metadefs_of(req).namespaces.delete_contents(caller_of(req), namespace_name(req),
                                                "properties")
    return Reply(status=204)


def delete_tags(req: ApiRequest) -> Reply:
    enforce_on_namespace(req, "delete_metadef_tags")
    metadefs_of(req).namespaces.delete_contents(caller_of(req), namespace_name(req), "tags")
    return Reply(status=204)
