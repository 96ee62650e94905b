"""Handlers for /v2/images: create, list, show, update, delete, tags, (de)activation."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from nimbus.kernel.web import ApiRequest, Reply
from nimbus.services.image.api.common import (
    caller_of,
    enforce,
    load_image,
    service_of,
    visibility_rule,
)
from nimbus.services.image.errors import Forbidden
from nimbus.services.image.schemas.image import parse_create
from nimbus.services.image.schemas.listing import parse_list_query
from nimbus.services.image.schemas.patch import parse_patch
from nimbus.services.image.schemas.views import image_view
from nimbus.services.image.service.patching import visibility_changes


def create_target(req: ApiRequest) -> dict[str, Any]:
    """add_image judges the image as proposed: its owner and visibility."""
    body = req.json()
    doc = body if isinstance(body, dict) else {}
    owner = doc.get("owner", req.ctx.project_id)
    return {"project_id": owner, "owner": owner,
            "visibility": doc.get("visibility", "shared")}


def create_image(req: ApiRequest) -> Reply:
    service = service_of(req)
    new = parse_create(req.json(), service.options)
    owner = new.core.get("owner", req.ctx.project_id)
    _check_visibility(req, new.core.get("visibility"),
                      {"project_id": owner, "owner": owner})
    image = service.images.create(caller_of(req), new)
    headers = {"Location": f"{req.base_url}/v2/images/{image.id}",
               "OpenStack-image-import-methods": ",".join(service.imports.methods),
               "OpenStack-image-store-ids": ",".join(service.stores.ids)}
    return Reply(image_view(image), status=201, headers=headers)


def list_images(req: ApiRequest) -> dict[str, Any]:
    service = service_of(req)
    query = parse_list_query(req.query, service.options)
    images, next_marker = service.list_images(caller_of(req), query)
    params = [(k, v) for k, v in req.query.multi_items() if k != "marker"]
    body: dict[str, Any] = {"images": [image_view(i) for i in images],
                            "first": "/v2/images" + (f"?{urlencode(params)}" if params else ""),
                            "schema": "/v2/schemas/images"}
    if next_marker is not None:
        body["next"] = "/v2/images?" + urlencode([*params, ("marker", next_marker)])
    return body


def show_image(req: ApiRequest) -> dict[str, Any]:
    return image_view(load_image(req))


def update_image(req: ApiRequest) -> dict[str, Any]:
    service = service_of(req)
    changes = parse_patch(req.headers.get("content-type"), req.body, service.options)
    image = load_image(req)
    for visibility in visibility_changes(changes):
        _check_visibility(req, visibility, image.policy_target(caller_of(req)))
    return image_view(service.images.update(caller_of(req), image.id, changes))


def _check_visibility(req: ApiRequest, visibility: str | None, target: dict[str, Any]
                      ) -> None:
    rule = visibility_rule(visibility)
    if rule is not None:
        try:
            enforce(req, rule, {**target, "visibility": visibility})
        except Forbidden:
            raise Forbidden(f"You are not authorized to set image visibility to "
                            f"{visibility}.") from None


def delete_image(req: ApiRequest) -> Reply:
    service_of(req).images.delete(caller_of(req), req.path_params["image_id"])
    return Reply(status=204)


def add_tag(req: ApiRequest) -> Reply:
    service_of(req).images.add_tag(caller_of(req), req.path_params["image_id"],
                                   req.path_params["tag"])
    return Reply(status=204)


def delete_tag(req: ApiRequest) -> Reply:
    service_of(req).images.remove_tag(caller_of(req), req.path_params["image_id"],
                                      req.path_params["tag"])
    return Reply(status=204)


def deactivate(req: ApiRequest) -> Reply:
    service_of(req).images.deactivate(caller_of(req), req.path_params["image_id"])
    return Reply(status=204)


def reactivate(req: ApiRequest) -> Reply:
    service_of(req).images.reactivate(caller_of(req), req.path_params["image_id"])
    return Reply(status=204)
