"""The image service: one facade over a module per concern.

Other services call the facade's public methods (``images.get``, ``data.download``...),
never the image tables.
"""

from __future__ import annotations

from typing import Any

from nimbus.kernel.runtime import Runtime
from nimbus.services.image.options import ImageOptions, image_cache_dir, image_dir
from nimbus.services.image.service.cache import ImageCache
from nimbus.services.image.service.copies import StoreCopies
from nimbus.services.image.service.data import ImageData
from nimbus.services.image.service.images import Images
from nimbus.services.image.service.imports import Imports
from nimbus.services.image.service.legacy_tasks import LegacyTasks
from nimbus.services.image.service.listing import ListQuery, list_rows
from nimbus.services.image.service.locations import Locations
from nimbus.services.image.service.members import Members
from nimbus.services.image.service.metadefs import Metadefs
from nimbus.services.image.service.quotas import LimitLookup, Quotas, identity_limits
from nimbus.services.image.service.reconcile import node_name, reconcile_transfers
from nimbus.services.image.service.records import Caller, ImageRecord, load_records
from nimbus.services.image.service.stores import Stores
from nimbus.services.image.service.tasks import Tasks
from nimbus.services.image.store import ImageStore
from nimbus.services.image.store.filesystem import FilesystemStore


class ImageService:
    def __init__(self, runtime: Runtime, options: ImageOptions | None = None,
                 limits: LimitLookup | None = None) -> None:
        self.runtime = runtime
        self.db = runtime.db
        self.options = options or ImageOptions.from_settings(runtime.settings)
        root = image_dir(runtime.settings)
        self.stores = Stores(self.options, runtime.settings.data_dir, root)
        # Where data goes when a request names no store.
        self.store: ImageStore = self.stores.default
        self.staging = FilesystemStore("staging", root / "staging")
        self.node = node_name(runtime.settings.data_dir)
        self.quotas = Quotas(limits or identity_limits(runtime))
        self.images = Images(self)
        self.data = ImageData(self)
        self.imports = Imports(self)
        self.tasks = Tasks(self)
        self.copies = StoreCopies(self)
        self.legacy_tasks = LegacyTasks(self)
        self.members = Members(self)
        self.metadefs = Metadefs(self.db)
        self.locations = Locations(self)
        self.cache = ImageCache(self, image_cache_dir(runtime.settings, self.options),
                                self.options.image_cache_max_size)
        self._sweep()
        reconcile_transfers(self)
        self.cache.sweep()
        self.cache.resume_queue()

    def list_images(self, caller: Caller, query: ListQuery
                    ) -> tuple[list[ImageRecord], str | None]:
        with self.db.session() as s:
            rows, next_marker = list_rows(s, caller, query)
            return load_records(s, rows), next_marker

    def usage(self, caller: Caller) -> dict[str, Any]:
        with self.db.session() as s:
            return self.quotas.report(s, caller.project_id or "")

    def _sweep(self) -> None:
        """Drop writes a dead process left half done (each store's own partial files)."""
        for store in (*self.stores.all(), self.staging):
            sweep = getattr(store, "sweep_partials", None)
            if sweep is not None:
                sweep(self.options.stale_upload_age)


def image_of(runtime: Runtime) -> ImageService:
    """The process's image service, built once."""
    service = runtime.services.get("image")
    if service is None:
        service = ImageService(runtime)
        runtime.services["image"] = service
    return service
