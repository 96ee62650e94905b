"""Regions, services and endpoints (/v3/regions, /v3/services, /v3/endpoints)."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.identity.api.common import identity, query_filters
from nimbus.services.identity.errors import SchemaError
from nimbus.services.identity.schemas import collection, validate
from nimbus.services.identity.schemas.catalog import (
    ENDPOINT_COLUMNS,
    ENDPOINT_CREATE,
    ENDPOINT_QUERY,
    ENDPOINT_UPDATE,
    REGION_COLUMNS,
    REGION_CREATE,
    REGION_QUERY,
    REGION_UPDATE,
    SERVICE_COLUMNS,
    SERVICE_CREATE,
    SERVICE_UPDATE,
    endpoint_view,
    normalize,
    region_view,
    service_view,
    split_extra,
)


def member_body(req: ApiRequest, key: str, schema: dict[str, Any]) -> dict[str, Any]:
    """The ``key`` object of the body, keys normalized, validated."""
    body = normalize(req.json_object(key))
    validate(schema, body)
    return body


def require_matching_id(body: dict[str, Any], path_id: str) -> None:
    if body.get("id") is not None and body["id"] != path_id:
        raise SchemaError("Cannot change ID")


# -- regions ------------------------------------------------------------------------------
def create_region(req: ApiRequest) -> Reply:
    body = member_body(req, "region", REGION_CREATE)
    region = identity(req).catalog.create_region(split_extra(body, REGION_COLUMNS))
    return Reply({"region": region_view(req, region)}, status=201)


def create_region_with_id(req: ApiRequest) -> Reply:
    body = member_body(req, "region", REGION_CREATE)
    region_id = req.path_params["region_id"]
    if "id" in body and body["id"] != region_id:
        raise SchemaError(f'Conflicting region IDs specified: "{region_id}" != "{body["id"]}"')
    body["id"] = region_id
    region = identity(req).catalog.create_region(split_extra(body, REGION_COLUMNS))
    return Reply({"region": region_view(req, region)}, status=201)


def list_regions(req: ApiRequest) -> dict[str, Any]:
    filters = query_filters(req, "parent_region_id")
    validate(REGION_QUERY, filters)
    regions = identity(req).catalog.list_regions(filters.get("parent_region_id"))
    return collection(req, "regions", (region_view(req, r) for r in regions))


def get_region(req: ApiRequest) -> dict[str, Any]:
    region = identity(req).catalog.get_region(req.path_params["region_id"])
    return {"region": region_view(req, region)}


def update_region(req: ApiRequest) -> dict[str, Any]:
    body = member_body(req, "region", REGION_UPDATE)
    require_matching_id(body, req.path_params["region_id"])
    region = identity(req).catalog.update_region(req.path_params["region_id"],
                                                 split_extra(body, REGION_COLUMNS))
    return {"region": region_view(req, region)}


def delete_region(req: ApiRequest) -> None:
    identity(req).catalog.delete_region(req.path_params["region_id"])


# -- services -----------------------------------------------------------------------------
def create_service(req: ApiRequest) -> Reply:
    body = member_body(req, "service", SERVICE_CREATE)
    service = identity(req).catalog.create_service(split_extra(body, SERVICE_COLUMNS))
    return Reply({"service": service_view(req, service)}, status=201)


def list_services(req: ApiRequest) -> dict[str, Any]:
    filters = query_filters(req, "type", "name")
    services = identity(req).catalog.list_services(filters.get("type"), filters.get("name"))
    return collection(req, "services", (service_view(req, s) for s in services))


def get_service(req: ApiRequest) -> dict[str, Any]:
    service = identity(req).catalog.get_service(req.path_params["service_id"])
    return {"service": service_view(req, service)}


def update_service(req: ApiRequest) -> dict[str, Any]:
    body = member_body(req, "service", SERVICE_UPDATE)
    require_matching_id(body, req.path_params["service_id"])
    service = identity(req).catalog.update_service(req.path_params["service_id"],
                                                   split_extra(body, SERVICE_COLUMNS))
    return {"service": service_view(req, service)}


def delete_service(req: ApiRequest) -> None:
    identity(req).catalog.delete_service(req.path_params["service_id"])


# -- endpoints ----------------------------------------------------------------------------
def create_endpoint(req: ApiRequest) -> Reply:
    body = member_body(req, "endpoint", ENDPOINT_CREATE)
    endpoint = identity(req).catalog.create_endpoint(split_extra(body, ENDPOINT_COLUMNS))
    return Reply({"endpoint": endpoint_view(req, endpoint)}, status=201)


def list_endpoints(req: ApiRequest) -> dict[str, Any]:
    filters = query_filters(req, "interface", "service_id", "region_id")
    validate(ENDPOINT_QUERY, filters)
    endpoints = identity(req).catalog.list_endpoints(filters)
    return collection(req, "endpoints", (endpoint_view(req, e) for e in endpoints))


def get_endpoint(req: ApiRequest) -> dict[str, Any]:
    endpoint = identity(req).catalog.get_endpoint(req.path_params["endpoint_id"])
    return {"endpoint": endpoint_view(req, endpoint)}


def update_endpoint(req: ApiRequest) -> dict[str, Any]:
    body = member_body(req, "endpoint", ENDPOINT_UPDATE)
    require_matching_id(body, req.path_params["endpoint_id"])
    endpoint = identity(req).catalog.update_endpoint(req.path_params["endpoint_id"],
                                                     split_extra(body, ENDPOINT_COLUMNS))
    return {"endpoint": endpoint_view(req, endpoint)}


def delete_endpoint(req: ApiRequest) -> None:
    identity(req).catalog.delete_endpoint(req.path_params["endpoint_id"])


R, S, E = "/v3/regions/{region_id}", "/v3/services/{service_id}", "/v3/endpoints/{endpoint_id}"
ROUTES = [
    Route("POST", "/v3/regions", create_region, "identity:create_region"),
    Route("GET", "/v3/regions", list_regions, "identity:list_regions"),
    Route("PUT", R, create_region_with_id, "identity:create_region"),
    Route("GET", R, get_region, "identity:get_region"),
    Route("PATCH", R, update_region, "identity:update_region"),
    Route("DELETE", R, delete_region, "identity:delete_region"),
    Route("POST", "/v3/services", create_service, "identity:create_service"),
    Route("GET", "/v3/services", list_services, "identity:list_services"),
    Route("GET", S, get_service, "identity:get_service"),
    Route("PATCH", S, update_service, "identity:update_service"),
    Route("DELETE", S, delete_service, "identity:delete_service"),
    Route("POST", "/v3/endpoints", create_endpoint, "identity:create_endpoint"),
    Route("GET", "/v3/endpoints", list_endpoints, "identity:list_endpoints"),
    Route("GET", E, get_endpoint, "identity:get_endpoint"),
    Route("PATCH", E, update_endpoint, "identity:update_endpoint"),
    Route("DELETE", E, delete_endpoint, "identity:delete_endpoint"),
]
