"""Handlers for image locations (v2.17): add one to a queued image, list an image's.

Glance's order: the body is checked first (400), then the image (404), its status (409),
the policy (403) and, as Glance without an http store, the service role (403).
"""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply
from nimbus.services.image.api.common import (
    allowed,
    caller_of,
    image_target,
    load_image,
    service_of,
)
from nimbus.services.image.errors import Conflict, Forbidden
from nimbus.services.image.schemas.locations import (
    NewLocation,
    check_hash_value,
    parse_add_location,
)


def _new_location(req: ApiRequest) -> NewLocation:
    new: NewLocation | None = req.memo.get("image.new_location")
    if new is None:
        new = req.memo["image.new_location"] = parse_add_location(req.json())
    return new


def add_location_target(req: ApiRequest) -> dict[str, Any]:
    _new_location(req)
    image = load_image(req)
    if image.status != "queued":
        raise Conflict(f"It's not allowed to add locations if image status is "
                       f"{image.status}.")
    return image_target(req)


def add_location(req: ApiRequest) -> Reply:
    new = _new_location(req)
    if not allowed(req, "service_api", {}):
        # Glance lets other callers add only http locations, and runs no http store here.
        raise Forbidden("http store must be enabled to use location API by normal user.")
    check_hash_value(new.validation)
    service = service_of(req)
    service.locations.add(caller_of(req), load_image(req).id, new)
    return Reply(status=202)


def list_locations(req: ApiRequest) -> Reply:
    return Reply(service_of(req).locations.of(load_image(req)))
