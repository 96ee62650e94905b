"""/v2.0/trunks/{id}/add_subports, remove_subports, get_subports."""

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
from nimbus.services.network.errors import BadRequestNeutron, InvalidInput
from nimbus.services.network.schemas.trunks import TRUNK, sub_ports_value

BASE = "/v2.0/trunks/{id}"


def _sub_ports(req: ApiRequest, *, need_segment: bool) -> list[dict[str, Any]]:
    body = req.json()
    if not isinstance(body, dict) or "sub_ports" not in body:
        raise BadRequestNeutron("trunk", "Unable to find 'sub_ports' in request body")
    try:
        return sub_ports_value(body["sub_ports"], need_segment=need_segment)
    except InvalidInput as e:
        raise InvalidInput(e.message.removeprefix("Invalid input for operation: ")
                           .rstrip(".")) from None


def _authorized(req: ApiRequest, rule: str) -> dict[str, Any]:
    trunk = load_visible(req, TRUNK, req.path_params["id"])
    if not allowed(req, rule, trunk):
        raise PolicyNotAuthorized(rule)
    return trunk


def add_subports(req: ApiRequest) -> dict[str, Any]:
    _authorized(req, "add_subports")
    subs = _sub_ports(req, need_segment=True)
    trunk = service_of(req).trunks.add_subports(req.ctx, req.path_params["id"], subs)
    return view(req, TRUNK, trunk)


def remove_subports(req: ApiRequest) -> dict[str, Any]:
    _authorized(req, "remove_subports")
    subs = _sub_ports(req, need_segment=False)
    trunk = service_of(req).trunks.remove_subports(req.ctx, req.path_params["id"], subs)
    return view(req, TRUNK, trunk)


def get_subports(req: ApiRequest) -> dict[str, Any]:
    _authorized(req, "get_subports")
    return {"sub_ports": service_of(req).trunks.get_subports(req.ctx, req.path_params["id"])}


ROUTES = [
    Route("PUT", f"{BASE}/add_subports", add_subports, ANY_CALLER),
    Route("PUT", f"{BASE}/remove_subports", remove_subports, ANY_CALLER),
    Route("GET", f"{BASE}/get_subports", get_subports, ANY_CALLER),
]
