"""POST /v2/tasks (admins only by default, Glance's tasks_api_access): the legacy ``import``
task, which makes an image from ``image_properties`` and fetches its data from
``import_from`` through the same allow-list and checks as a web-download import."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from nimbus.services.image.errors import BadRequest
from nimbus.services.image.schemas.image import parse_create
from nimbus.services.image.service.imports import WEB_DOWNLOAD, ImportRequest
from nimbus.services.image.service.records import Caller, TaskRecord

if TYPE_CHECKING:
    from nimbus.services.image.service import ImageService

LEGACY_IMPORT = "import"


class LegacyTasks:
    def __init__(self, service: ImageService) -> None:
        self.service = service

    def create(self, caller: Caller, body: dict[str, Any]) -> TaskRecord:
        if body["type"] != LEGACY_IMPORT:
            raise BadRequest(f"Tasks of type '{body['type']}' are made by the image import "
                             "call, not created directly.")
        task_input = body["input"] or {}
        uri = task_input.get("import_from")
        self._check_source(uri)
        new = parse_create(task_input.get("image_properties") or {}, self.service.options)
        image = self.service.images.create(caller, new)
        request = ImportRequest(WEB_DOWNLOAD, {"method": {"name": WEB_DOWNLOAD, "uri": uri}},
                                None, uri, task_type=LEGACY_IMPORT, task_input=task_input)
        task_id = self.service.imports.run(caller, image.id, request)
        assert task_id is not None
        return self.service.tasks.get(caller, task_id)

    def _check_source(self, uri: Any) -> None:
        if not isinstance(uri, str) or not uri:
            raise BadRequest("Task 'import_from' is required")
        if urlsplit(uri).scheme == "file":
            raise BadRequest("File based imports are not allowed. Please use a non-local "
                             "source of image data.")
        if not self.service.imports.url_filter.allows(uri):
            raise BadRequest(f"URI for legacy import task does not pass filtering: {uri}")
