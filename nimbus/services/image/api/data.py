"""Handlers for image data: upload, download, staging and import (streamed both ways)."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.errors import UnsupportedMediaType
from nimbus.kernel.web import ApiRequest, Reply
from nimbus.services.image.api.common import (
    caller_of,
    declared_size,
    enforce,
    image_target,
    load_image,
    service_of,
)
from nimbus.services.image.schemas.views import task_view
from nimbus.services.image.service.imports import COPY_IMAGE

OCTET_STREAM = "application/octet-stream"
# The store a client asks data to go to (Glance's multi-store header).
STORE_HEADER = "x-image-meta-store"


def _require_octet_stream(req: ApiRequest) -> None:
    media = (req.headers.get("content-type") or OCTET_STREAM).split(";", 1)[0].strip()
    if media.lower() != OCTET_STREAM:
        raise UnsupportedMediaType(f"Content type {media} is not supported")


def upload(req: ApiRequest) -> Reply:
    _require_octet_stream(req)
    service_of(req).data.upload(caller_of(req), req.path_params["image_id"], req.stream,
                                declared_size(req), req.headers.get(STORE_HEADER))
    return Reply(status=204)


def stage(req: ApiRequest) -> Reply:
    _require_octet_stream(req)
    service_of(req).data.stage(caller_of(req), req.path_params["image_id"], req.stream,
                               declared_size(req))
    return Reply(status=204)


def download(req: ApiRequest) -> Reply:
    image = load_image(req)
    got = service_of(req).data.download(caller_of(req), image, req.headers.get("range"))
    if got.chunks is None:
        return Reply(status=204)
    return Reply(got.chunks, status=got.status, headers=got.headers,
                 content_type="application/octet-stream")


def import_image(req: ApiRequest) -> Reply:
    body = req.json()
    imports = service_of(req).imports
    request = imports.parse(body, req.headers.get(STORE_HEADER))
    if request.method == COPY_IMAGE:
        # Copying an image is for admins by default (Glance's copy_image rule), beyond the
        # modify_image the route checks.
        enforce(req, "copy_image", image_target(req))
    imports.start(caller_of(req), req.path_params["image_id"], body,
                  req.headers.get(STORE_HEADER))
    return Reply(status=202)


def list_tasks(req: ApiRequest) -> dict[str, Any]:
    tasks = service_of(req).tasks.of_image(caller_of(req), req.path_params["image_id"])
    return {"tasks": [task_view(t) for t in tasks]}
