"""DELETE /v2/stores/{store_id}/{image_id}: an image's data out of one of its stores."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply
from nimbus.services.image.api.common import caller_of, image_target, service_of
from nimbus.services.image.errors import Conflict, ImageNotFound, NotFound


def store_image_target(req: ApiRequest) -> dict[str, Any]:
    """Glance's order: an unknown store is a 409 before the image is even looked for."""
    store_id = req.path_params["store_id"]
    if store_id not in service_of(req).stores.ids:
        raise Conflict(f"The selected store {store_id} is not available on this node.")
    try:
        return image_target(req)
    except ImageNotFound:
        raise NotFound(f"Failed to find image {req.path_params['image_id']}") from None


def delete_from_store(req: ApiRequest) -> Reply:
    service_of(req).copies.remove(caller_of(req), req.path_params["store_id"],
                                  req.path_params["image_id"])
    return Reply(status=204)
