"""Address groups' two actions: PUT /v2.0/address-groups/{id}/add_addresses and
/remove_addresses, each with ``{"addresses": [...]}``, answering the whole group."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Route
from nimbus.services.network.api.resource import (
    ANY_CALLER,
    PolicyNotAuthorized,
    allowed,
    load_visible,
    service_of,
    view,
)
from nimbus.services.network.schemas.address_groups import ADDRESS_GROUP


def _action(name: str, *, adding: bool) -> Any:
    def handle(req: ApiRequest) -> dict[str, Any]:
        item = load_visible(req, ADDRESS_GROUP, req.path_params["id"])
        if not allowed(req, name, item):
            raise PolicyNotAuthorized(name)
        updated = service_of(req).address_groups.change_addresses(
            req.ctx, req.path_params["id"], req.json(), adding=adding)
        return {"address_group": view(req, ADDRESS_GROUP, updated)}
    return handle


ROUTES = [
    Route("PUT", "/v2.0/address-groups/{id}/add_addresses",
          _action("add_addresses", adding=True), ANY_CALLER),
    Route("PUT", "/v2.0/address-groups/{id}/remove_addresses",
          _action("remove_addresses", adding=False), ANY_CALLER),
]
