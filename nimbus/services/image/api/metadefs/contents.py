"""Handlers for a namespace's objects, properties, tags and resource type associations, the
resource type list, and the published metadef schemas."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply
from nimbus.services.image.api.common import allowed, caller_of
from nimbus.services.image.api.metadefs.common import (
    body_of,
    enforce_on_namespace,
    is_true,
    limit_of,
    metadefs_of,
    namespace_name,
    namespace_target,
    sort_dir_of,
)
from nimbus.services.image.errors import NotFound
from nimbus.services.image.schemas.metadefs import (
    check_tag_name,
    collection_schemas,
    parse_association,
    parse_object,
    parse_property,
    parse_tag,
    parse_tags,
)
from nimbus.services.image.service.metadefs import TagQuery


# -- objects -------------------------------------------------------------------------------
def list_objects(req: ApiRequest) -> dict[str, Any]:
    objects = metadefs_of(req).objects.list(caller_of(req), namespace_name(req))
    if not allowed(req, "get_metadef_object", namespace_target(req)):
        objects = []
    # Glance's link here has no leading slash.
    return {"objects": objects, "schema": "v2/schemas/metadefs/objects"}


def create_object(req: ApiRequest) -> Reply:
    fields = parse_object(body_of(req))
    view = metadefs_of(req).objects.create(caller_of(req), namespace_name(req), fields)
    return Reply(view, status=201)


def show_object(req: ApiRequest) -> dict[str, Any]:
    return metadefs_of(req).objects.get(caller_of(req), namespace_name(req),
                                        req.path_params["object_name"])


def update_object(req: ApiRequest) -> dict[str, Any]:
    fields = parse_object(body_of(req))
    return metadefs_of(req).objects.update(caller_of(req), namespace_name(req),
                                           req.path_params["object_name"], fields)


def delete_object(req: ApiRequest) -> Reply:
    metadefs_of(req).objects.delete(caller_of(req), namespace_name(req),
                                    req.path_params["object_name"])
    return Reply(status=204)


# -- properties ----------------------------------------------------------------------------
def list_properties(req: ApiRequest) -> dict[str, Any]:
    return {"properties": metadefs_of(req).properties.list(caller_of(req),
                                                           namespace_name(req))}


def create_property(req: ApiRequest) -> Reply:
    name, definition = parse_property(body_of(req))
    view = metadefs_of(req).properties.create(caller_of(req), namespace_name(req), name,
                                              definition)
    return Reply(view, status=201)


def show_property(req: ApiRequest) -> dict[str, Any]:
    resource_type = req.query.get("resource_type") or None
    if resource_type:
        enforce_on_namespace(req, "get_metadef_resource_type")
    return metadefs_of(req).properties.get(caller_of(req), namespace_name(req),
                                           req.path_params["property_name"], resource_type)


def update_property(req: ApiRequest) -> dict[str, Any]:
    new_name, definition = parse_property(body_of(req))
    return metadefs_of(req).properties.update(caller_of(req), namespace_name(req),
                                              req.path_params["property_name"], new_name,
                                              definition)


def delete_property(req: ApiRequest) -> Reply:
    metadefs_of(req).properties.delete(caller_of(req), namespace_name(req),
                                       req.path_params["property_name"])
    return Reply(status=204)


# -- tags ----------------------------------------------------------------------------------
def list_tags(req: ApiRequest) -> dict[str, Any]:
    params = req.query
    query = TagQuery(limit=limit_of(params, None, 1 << 31), marker=params.get("marker") or None,
                     sort_key=params.get("sort_key", "created_at"),
                     sort_dir=sort_dir_of(params))
    return {"tags": metadefs_of(req).tags.list(caller_of(req), namespace_name(req), query)}


def create_tags(req: ApiRequest) -> Reply:
    names = parse_tags(body_of(req))
    append = is_true(req.headers.get("x-openstack-append"))
    tags = metadefs_of(req).tags.create_many(caller_of(req), namespace_name(req), names,
                                             append=append)
    return Reply({"tags": tags}, status=201)


def create_tag(req: ApiRequest) -> Reply:
    name = req.path_params["tag_name"]
    check_tag_name(name)
    view = metadefs_of(req).tags.create(caller_of(req), namespace_name(req), name)
    return Reply(view, status=201)


def show_tag(req: ApiRequest) -> dict[str, Any]:
    return metadefs_of(req).tags.get(caller_of(req), namespace_name(req),
                                     req.path_params["tag_name"])


def update_tag(req: ApiRequest) -> dict[str, Any]:
    new_name = parse_tag(body_of(req))
    return metadefs_of(req).tags.update(caller_of(req), namespace_name(req),
                                        req.path_params["tag_name"], new_name)


def delete_tag(req: ApiRequest) -> Reply:
    metadefs_of(req).tags.delete(caller_of(req), namespace_name(req),
                                 req.path_params["tag_name"])
    return Reply(status=204)


# -- resource types ------------------------------------------------------------------------
def list_resource_types(req: ApiRequest) -> dict[str, Any]:
    return {"resource_types": metadefs_of(req).resource_types.list()}


def list_associations(req: ApiRequest) -> dict[str, Any]:
    found = metadefs_of(req).resource_types.associations(caller_of(req), namespace_name(req))
    if not allowed(req, "get_metadef_resource_type", namespace_target(req)):
        found = []
    return {"resource_type_associations": found}


def create_association(req: ApiRequest) -> Reply:
    fields = parse_association(body_of(req))
    view = metadefs_of(req).resource_types.associate(caller_of(req), namespace_name(req),
                                                     fields)
    return Reply(view, status=201)


def delete_association(req: ApiRequest) -> Reply:
    metadefs_of(req).resource_types.dissociate(caller_of(req), namespace_name(req),
                                               req.path_params["resource_type"])
    return Reply(status=204)


# -- schemas -------------------------------------------------------------------------------
def schema_doc(req: ApiRequest) -> dict[str, Any]:
    found = collection_schemas().get(req.path_params["schema_name"])
    if found is None:
        raise NotFound()
    return found
