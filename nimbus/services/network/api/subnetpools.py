"""The subnet pool actions: ``PUT /v2.0/subnetpools/{id}/add_prefixes`` and
``remove_prefixes`` (body and answer ``{"prefixes": [...]}``), and
``onboard_network_subnets`` (body ``{"network_id": ...}``, answer ``[{"id", "cidr"}]``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nimbus.kernel.web import ApiRequest, Route
from nimbus.services.network.api.resource import (
    ANY_CALLER,
    allowed,
    is_admin,
    load_visible,
    service_of,
)
from nimbus.services.network.errors import InvalidInput, PolicyNotAuthorized
from nimbus.services.network.schemas.attrs import uuid_str
from nimbus.services.network.schemas.networks import NETWORK
from nimbus.services.network.schemas.subnetpools import SUBNETPOOL, prefix_list_body


def prefix_action(action: str) -> Callable[[ApiRequest], Any]:
    def handle(req: ApiRequest) -> dict[str, Any]:
        pool_id = req.path_params["id"]
        current = load_visible(req, SUBNETPOOL, pool_id)
        if not allowed(req, action, current):
            raise PolicyNotAuthorized(action)
        prefixes = prefix_list_body(req.json())
        pools = service_of(req).subnetpools
        change = pools.add_prefixes if action == "add_prefixes" else pools.remove_prefixes
        return {"prefixes": change(req.ctx, pool_id, prefixes)}
    return handle


def onboard(req: ApiRequest) -> Any:
    pool_id = req.path_params["id"]
    current = load_visible(req, SUBNETPOOL, pool_id)
    if not allowed(req, "onboard_network_subnets", current):
        raise PolicyNotAuthorized("onboard_network_subnets")
    doc = req.json()
    network_id = doc.get("network_id") if isinstance(doc, dict) else None
    if not network_id:
        raise InvalidInput("network_id must be specified.")
    network = load_visible(req, NETWORK, uuid_str(network_id))
    if not is_admin(req) and network["project_id"] != req.ctx.project_id:
        raise PolicyNotAuthorized("onboard_network_subnets")
    return service_of(req).subnetpools.onboard_network_subnets(req.ctx, pool_id,
                                                               network["id"])


ROUTES = [
    Route("PUT", "/v2.0/subnetpools/{id}/onboard_network_subnets", onboard, ANY_CALLER),
    Route("PUT", "/v2.0/subnetpools/{id}/add_prefixes", prefix_action("add_prefixes"),
          ANY_CALLER),
    Route("PUT", "/v2.0/subnetpools/{id}/remove_prefixes", prefix_action("remove_prefixes"),
          ANY_CALLER),
]
