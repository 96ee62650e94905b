"""Version discovery, the published schemas, and /v2/info (import methods, stores, usage)."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply
from nimbus.services.image.api.common import caller_of, service_of
from nimbus.services.image.schemas.image import MEMBER_SCHEMA, collection_schema, image_schema

# 2.17 brings the locations API, 2.14-2.16 the cache API, 2.12 the image tasks call,
# 2.8-2.11 multiple stores, 2.6 import.
CURRENT = "2.17"
SUPPORTED = ("2.16", "2.15", "2.14", "2.13", "2.12", "2.11", "2.10", "2.9", "2.8", "2.7",
             "2.6", "2.5", "2.4", "2.3", "2.2", "2.1", "2.0")


def _versions(req: ApiRequest) -> dict[str, Any]:
    href = f"{req.base_url}/v2/"
    return {"versions": [
        {"id": f"v{number}", "status": "CURRENT" if number == CURRENT else "SUPPORTED",
         "links": [{"rel": "self", "href": href}]}
        for number in (CURRENT, *SUPPORTED)]}


def list_versions(req: ApiRequest) -> Reply:
    """The service root answers 300 Multiple Choices, as Glance does."""
    return Reply(_versions(req), status=300)


def show_versions(req: ApiRequest) -> dict[str, Any]:
    return _versions(req)


def image_schema_doc(req: ApiRequest) -> dict[str, Any]:
    return image_schema(service_of(req).options)


def images_schema_doc(req: ApiRequest) -> dict[str, Any]:
    return collection_schema("images", image_schema(service_of(req).options))


def member_schema_doc(req: ApiRequest) -> dict[str, Any]:
    return MEMBER_SCHEMA


def members_schema_doc(req: ApiRequest) -> dict[str, Any]:
    return collection_schema("members", MEMBER_SCHEMA)


def import_info(req: ApiRequest) -> dict[str, Any]:
    return {"import-methods": {"description": "Import methods available.", "type": "array",
                               "value": service_of(req).imports.methods}}


def stores_info(req: ApiRequest) -> dict[str, Any]:
    return {"stores": service_of(req).stores.info()}


def stores_detail(req: ApiRequest) -> dict[str, Any]:
    return {"stores": service_of(req).stores.detail()}


def usage_info(req: ApiRequest) -> dict[str, Any]:
    return {"usage": service_of(req).usage(caller_of(req))}
