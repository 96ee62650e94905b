"""Removing an image's data from one of its stores (DELETE /v2/stores/{store}/{image})."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nimbus.kernel.db import utcnow
from nimbus.services.image.errors import Conflict, Forbidden, NotFound
from nimbus.services.image.service.access import visible_row
from nimbus.services.image.service.records import Caller
from nimbus.services.image.service.stores import join_stores, split_stores

if TYPE_CHECKING:
    from nimbus.services.image.service import ImageService


class StoreCopies:
    def __init__(self, service: ImageService) -> None:
        self.service = service
        self.db = service.db

    def remove(self, caller: Caller, store_id: str, image_id: str) -> None:
        """Checks in Glance's order; the data goes once the image no longer lists it."""
        with self.db.session() as s:
            row = visible_row(s, caller, image_id, lock=True)
            if row.status != "active":
                raise Conflict("It's not allowed to remove image data from store if image "
                               "status is not 'active'")
            held = split_stores(row.store)
            if len(held) <= 1:
                raise Forbidden("Cannot delete image data from the only store containing "
                                "it. Consider deleting the image instead.")
            if store_id not in held:
                raise NotFound(f"Image {image_id} is not stored in store {store_id}.")
            row.store = join_stores((s for s in held if s != store_id),
                                    self.service.stores.weights)
            row.updated_at = utcnow()
            location = row.location
        if location:
            self.service.stores.get(store_id).delete(location)
