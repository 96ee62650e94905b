"""Handlers for the cache API (v2.14): list, queue, remove and clear this node's cache.

As Glance's: the image of the path is looked up before the policy check (404 first), and
DELETE may name an image that is gone as long as the cache still holds it.
"""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply
from nimbus.services.image.api.common import load_image, service_of
from nimbus.services.image.errors import BadRequest, ImageNotFound, NotFound
from nimbus.services.image.service.cache import CLEAR_TARGETS

CLEAR_TARGET_HEADER = "x-image-cache-clear-target"


class CachedImageNotFound(NotFound):
    def __init__(self, image_id: str) -> None:
        super().__init__(f"Image {image_id} not found.")


def cached_image_target(req: ApiRequest) -> dict[str, Any]:
    """The image to queue: one the caller can see, else 404 (Glance's message)."""
    image_id = req.path_params["image_id"]
    try:
        image = load_image(req)
    except ImageNotFound:
        raise CachedImageNotFound(image_id) from None
    return {"project_id": image.owner, "owner": image.owner}


def cache_entry_target(req: ApiRequest) -> dict[str, Any]:
    """The image to remove from the cache, or nothing if it is gone but still cached."""
    image_id = req.path_params["image_id"]
    try:
        return cached_image_target(req)
    except CachedImageNotFound:
        if service_of(req).cache.holds(image_id):
            return {}
        raise


def cache_state(req: ApiRequest) -> dict[str, Any]:
    state = service_of(req).cache.state()
    return {"cached_images": [{"image_id": c.image_id, "hits": c.hits,
                               "last_accessed": c.last_accessed,
                               "last_modified": c.last_modified, "size": c.size}
                              for c in state.cached],
            "queued_images": state.queued}


def queue_image(req: ApiRequest) -> Reply:
    image = load_image(req)
    if image.status != "active":
        raise BadRequest("Only images with status active can be targeted for queueing")
    service_of(req).cache.queue_image(image.id)
    return Reply(status=202)


def delete_cache_entry(req: ApiRequest) -> Reply:
    service_of(req).cache.delete(req.path_params["image_id"])
    return Reply(status=204)


def clear_cache(req: ApiRequest) -> Reply:
    target = (req.headers.get(CLEAR_TARGET_HEADER) or "").strip().lower()
    if target not in ("", *CLEAR_TARGETS):
        raise BadRequest("If provided 'x-image-cache-clear-target' must be 'cache', "
                         "'queue' or empty string.")
    service_of(req).cache.clear(target or "both")
    return Reply(status=204)
