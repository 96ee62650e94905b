"""Metadata definitions as Glance renders them: unset fields are left out, times in ISO 8601."""

from __future__ import annotations

from typing import Any

from nimbus.services.image.models import (
    MetadefNamespace,
    MetadefObject,
    MetadefResourceType,
    MetadefResourceTypeAssociation,
    MetadefTag,
)
from nimbus.services.image.schemas.views import isotime

NAMESPACES = "/v2/metadefs/namespaces"


def _present(view: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in view.items() if v is not None}


def namespace_view(row: MetadefNamespace) -> dict[str, Any]:
    return _present({
        "namespace": row.namespace, "display_name": row.display_name,
        "description": row.description, "visibility": row.visibility,
        "protected": row.protected, "owner": row.owner,
        "created_at": isotime(row.created_at), "updated_at": isotime(row.updated_at),
        "self": f"{NAMESPACES}/{row.namespace}", "schema": "/v2/schemas/metadefs/namespace"})


def object_view(namespace: str, row: MetadefObject) -> dict[str, Any]:
    return _present({
        "name": row.name, "description": row.description, "required": row.required,
        "properties": row.properties or None,
        "created_at": isotime(row.created_at), "updated_at": isotime(row.updated_at),
        "self": f"{NAMESPACES}/{namespace}/objects/{row.name}",
        "schema": "/v2/schemas/metadefs/object"})


def property_view(name: str, definition: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, **definition}


def tag_view(row: MetadefTag) -> dict[str, Any]:
    return {"name": row.name, "created_at": isotime(row.created_at),
            "updated_at": isotime(row.updated_at)}


def association_view(association: MetadefResourceTypeAssociation, name: str
                     ) -> dict[str, Any]:
    return _present({"name": name, "prefix": association.prefix,
                     "properties_target": association.properties_target,
                     "created_at": isotime(association.created_at),
                     "updated_at": isotime(association.updated_at)})


def resource_type_view(row: MetadefResourceType) -> dict[str, Any]:
    return {"name": row.name, "created_at": isotime(row.created_at),
            "updated_at": isotime(row.updated_at)}


def with_prefix(detail: dict[str, Any], prefix: str) -> dict[str, Any]:
    """A namespace's detail with ``prefix`` put before every property name (and the names
    objects require), as when it is shown for one resource type."""
    if "properties" in detail:
        detail["properties"] = {prefix + k: v for k, v in detail["properties"].items()}
    for obj in detail.get("objects", []):
        if "properties" in obj:
            obj["properties"] = {prefix + k: v for k, v in obj["properties"].items()}
        if obj.get("required"):
            obj["required"] = [prefix + name for name in obj["required"]]
    return detail
