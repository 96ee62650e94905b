"""Allocations, usages and the reshaper (placement/handlers/allocation.py, usage.py,
reshaper.py)."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from nimbus.kernel.microversion import Version
from nimbus.kernel.web import ApiRequest
from nimbus.services.placement.api.common import (
    empty,
    extract_json,
    reply,
    validate_query,
)
from nimbus.services.placement.api.providers import svc
from nimbus.services.placement.errors import (
    PlacementBadRequest,
    PlacementConflict,
    PlacementNotFound,
    ProviderNotFound,
)
from nimbus.services.placement.schemas import bodies
from nimbus.services.placement.service.allocations import UnknownClass
from nimbus.services.placement.service.inventories import check_capacity, make_inventory
from nimbus.services.placement.service.types import ConsumerWrite

# Placement's [placement] incomplete_consumer_project_id / _user_id defaults.
INCOMPLETE_CONSUMER = "00000000-0000-0000-0000-000000000000"


def _render_consumer(req: ApiRequest, consumer_uuid: str, v: Version) -> Any:
    held = svc(req).allocations.for_consumer(consumer_uuid)
    body: dict[str, Any] = {"allocations": held.allocations if v.matches("1.12") else {
        p: {"generation": e["generation"], "resources": e["resources"]}
        for p, e in held.allocations.items()}}
    if held.allocations and v.matches("1.12"):
        body["project_id"] = held.project_id
        body["user_id"] = held.user_id
        if v.matches("1.28"):
            body["consumer_generation"] = held.consumer_generation
        if v.matches("1.38"):
            body["consumer_type"] = held.consumer_type or "unknown"
    return reply(body, v, modified=held.updated_at)


def list_for_consumer(req: ApiRequest, v: Version) -> Any:
    return _render_consumer(req, req.path_params["consumer_uuid"], v)


def list_for_provider(req: ApiRequest, v: Version) -> Any:
    uuid = req.path_params["uuid"]
    try:
        provider, allocs = svc(req).allocations.for_provider(uuid)
    except ProviderNotFound as err:
        raise PlacementNotFound(f"Resource provider '{uuid}' not found: "
                                f"{err.message}") from None
    if not v.matches("1.28"):
        allocs = {c: {"resources": e["resources"]} for c, e in allocs.items()}
    return reply({"allocations": allocs,
                  "resource_provider_generation": provider.generation}, v, modified=None)


def _write_for(consumer_uuid: str, data: dict[str, Any], v: Version) -> ConsumerWrite:
    """One consumer's body (1.12 shape, or the 1.0 list turned into it)."""
    allocations = data["allocations"]
    if not v.matches("1.12"):
        allocations = {a["resource_provider"]["uuid"]: {"resources": a["resources"]}
                       for a in allocations}
    project_id = data.get("project_id")
    user_id = data.get("user_id")
    if project_id is None:
        project_id = user_id = INCOMPLETE_CONSUMER
    return ConsumerWrite(consumer_uuid,
                         {p: dict(e["resources"]) for p, e in allocations.items()},
                         project_id, user_id or INCOMPLETE_CONSUMER,
                         data.get("consumer_generation"), data.get("consumer_type"),
                         check_generation=v.matches("1.28"))


def put_allocations(req: ApiRequest, v: Version) -> Any:
    consumer_uuid = req.path_params["consumer_uuid"]
    try:
        consumer_uuid = str(uuidlib.UUID(consumer_uuid))
    except ValueError:
        raise PlacementBadRequest(f"Malformed consumer_uuid: {consumer_uuid}") from None
    data = extract_json(req, bodies.put_allocation_schema((v.major, v.minor)))
    write = _write_for(consumer_uuid, data, v)
    try:
        svc(req).allocations.write([write])
    except UnknownClass as err:
        raise PlacementBadRequest(f"Unable to allocate inventory for consumer "
                                  f"{consumer_uuid}: {err.message}") from None
    return empty(204, v)


def post_allocations(req: ApiRequest, v: Version) -> Any:
    data = extract_json(req, bodies.post_allocations_schema((v.major, v.minor)))
    writes = [_write_for(c, body, max(v, Version(1, 12))) for c, body in data.items()]
    for w in writes:
        w.check_generation = v.matches("1.28")
    try:
        svc(req).allocations.write(writes)
    except UnknownClass as err:
        raise PlacementBadRequest(f"Unable to allocate inventory {err.message}") from None
    return empty(204, v)


def delete_allocations(req: ApiRequest, v: Version) -> Any:
    svc(req).allocations.delete(req.path_params["consumer_uuid"])
    return empty(204, v)


# -- usages ------------------------------------------------------------------------------
def provider_usages(req: ApiRequest, v: Version) -> Any:
    uuid = req.path_params["uuid"]
    try:
        provider, usages = svc(req).allocations.provider_usages(uuid)
    except ProviderNotFound as err:
        raise PlacementNotFound(f"No resource provider with uuid {uuid} found: "
                                f"{err.message}") from None
    return reply({"resource_provider_generation": provider.generation, "usages": usages}, v,
                 modified=None)


def usages_target(req: ApiRequest) -> dict[str, Any]:
    return {"project_id": req.query.get("project_id")}


def total_usages(req: ApiRequest, v: Version) -> Any:
    by_type = v.matches("1.38")
    params = validate_query(req, bodies.USAGES_QUERY_1_38 if by_type else bodies.USAGES_QUERY)
    allocations = svc(req).allocations
    if by_type:
        usages: Any = allocations.usages_by_type(params["project_id"], params.get("user_id"),
                                                 params.get("consumer_type"))
    else:
        usages = allocations.total_usages(params["project_id"], params.get("user_id"))
    return reply({"usages": usages}, v, modified=None)


# -- reshaper ------------------------------------------------------------------------------
def reshape(req: ApiRequest, v: Version) -> Any:
    data = extract_json(req, bodies.reshaper_schema((v.major, v.minor)))
    plan = {}
    for uuid, body in data["inventories"].items():
        invs = {rc: make_inventory(rc, raw) for rc, raw in body["inventories"].items()}
        problem = check_capacity(uuid, list(invs.values()), True)
        if problem:
            raise PlacementBadRequest(f"malformed reshaper data: {problem}")
        plan[uuid] = (body["resource_provider_generation"], invs)
    writes = [_write_for(c, body, v) for c, body in data["allocations"].items()]
    try:
        svc(req).reshape(plan, writes)
    except UnknownClass as err:
        raise PlacementBadRequest(f"malformed reshaper data: {err.message}") from None
    except PlacementConflict:
        raise
    return empty(204, v)
