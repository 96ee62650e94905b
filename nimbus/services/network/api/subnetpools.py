"""The subnet pool actions: ``PUT /v2.0/subnetpools/{id}/add_prefixes`` and
``remove_prefixes`` (body and answer ``{"prefixes": [...]}``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nimbus.kernel.web import ApiRequest, Route
from nimbus.services.network.api.resource import (
    ANY_CALLER,
    allowed,
    load_visible,
    service_of,
)
from nimbus.services.network.errors import PolicyNotAuthorized
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


ROUTES = [
    Route("PUT", "/v2.0/subnetpools/{id}/add_prefixes", prefix_action("add_prefixes"),
          ANY_CALLER),
    Route("PUT", "/v2.0/subnetpools/{id}/remove_prefixes", prefix_action("remove_prefixes"),
          ANY_CALLER),
]
