"""/os-aggregates: CRUD, the add_host / remove_host / set_metadata actions; ``uuid`` from
2.41. Ids in paths are the aggregates' integer ids."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.errors import BadRequest
from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.compute.api.support import (
    at_least,
    authorize,
    isotime,
    own_target,
    service_of,
)
from nimbus.services.compute.errors import AggregateNotFound
from nimbus.services.compute.policies.hosts import AGGREGATES
from nimbus.services.compute.schemas import hosts as schema
from nimbus.services.compute.schemas.common import body_of

V = "/v2.1"


def view(req: ApiRequest, aggregate: dict[str, Any], *, full: bool = True
         ) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": aggregate["id"], "name": aggregate["name"],
        "availability_zone": aggregate["availability_zone"],
        "created_at": isotime(aggregate["created_at"]),
        "updated_at": isotime(aggregate["updated_at"]), "deleted": False,
        "deleted_at": None}
    if full:
        out["hosts"] = list(aggregate["hosts"])
        out["metadata"] = dict(aggregate["metadata"])
    if at_least(req, "2.41"):
        out["uuid"] = aggregate["uuid"]
    return {"aggregate": out}


def _id(req: ApiRequest) -> int:
    text = req.path_params["aggregate_id"]
    try:
        return int(text)
    except ValueError:
        raise AggregateNotFound(text) from None


def list_aggregates(req: ApiRequest) -> dict[str, Any]:
    return {"aggregates": [view(req, a)["aggregate"]
                           for a in service_of(req).aggregates.list()]}


def create_aggregate(req: ApiRequest) -> dict[str, Any]:
    doc = body_of(schema.AGGREGATE_CREATE, req.json())["aggregate"]
    made = service_of(req).aggregates.create(doc["name"], doc.get("availability_zone"))
    # Nova's create answer has no hosts or metadata.
    return view(req, made, full=False)


def show_aggregate(req: ApiRequest) -> dict[str, Any]:
    return view(req, service_of(req).aggregates.get(_id(req)))


def update_aggregate(req: ApiRequest) -> dict[str, Any]:
    doc = body_of(schema.AGGREGATE_UPDATE, req.json())["aggregate"]
    updated = service_of(req).aggregates.update(
        _id(req), doc.get("name"), doc.get("availability_zone"), "availability_zone" in doc)
    return view(req, updated)


def delete_aggregate(req: ApiRequest) -> Reply:
    service_of(req).aggregates.delete(_id(req))
    return Reply(status=200)


def aggregate_action(req: ApiRequest) -> dict[str, Any]:
    body = req.json()
    aggregates = service_of(req).aggregates
    action = next(iter(body), None) if isinstance(body, dict) and len(body) == 1 else None
    if action == "add_host":
        authorize(req, AGGREGATES % "add_host", own_target(req))
        host = body_of(schema.ADD_HOST, body)["add_host"]["host"]
        return view(req, aggregates.add_host(_id(req), host))
    if action == "remove_host":
        authorize(req, AGGREGATES % "remove_host", own_target(req))
        host = body_of(schema.REMOVE_HOST, body)["remove_host"]["host"]
        return view(req, aggregates.remove_host(_id(req), host))
    if action == "set_metadata":
        authorize(req, AGGREGATES % "set_metadata", own_target(req))
        metadata = body_of(schema.SET_METADATA, body)["set_metadata"]["metadata"]
        return view(req, aggregates.set_metadata(_id(req), metadata))
    raise BadRequest("Invalid request body: no known aggregate action was given.")


BASE = f"{V}/os-aggregates"
ROUTES = [
    Route("GET", BASE, list_aggregates, AGGREGATES % "index", own_target),
    Route("POST", BASE, create_aggregate, AGGREGATES % "create", own_target),
    Route("GET", f"{BASE}/{{aggregate_id}}", show_aggregate, AGGREGATES % "show",
          own_target),
    Route("PUT", f"{BASE}/{{aggregate_id}}", update_aggregate, AGGREGATES % "update",
          own_target),
    Route("DELETE", f"{BASE}/{{aggregate_id}}", delete_aggregate, AGGREGATES % "delete",
          own_target),
    Route("POST", f"{BASE}/{{aggregate_id}}/action", aggregate_action, "compute_api_any"),
]
