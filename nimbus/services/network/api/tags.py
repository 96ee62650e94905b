"""/v2.0/{resources}/{id}/tags: Neutron's tag extension, for every taggable resource."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.network.api.resource import (
    ANY_CALLER,
    PolicyNotAuthorized,
    allowed,
    load_visible,
    service_of,
)
from nimbus.services.network.errors import BadRequestNeutron, ResourceNotFound
from nimbus.services.network.schemas.attrs import ResourceDef

MAX_TAG = 255


def _check_tag(tag: Any) -> str:
    if not isinstance(tag, str) or not tag or len(tag) > MAX_TAG or "," in tag:
        raise BadRequestNeutron("resource", f"Invalid input for tags: '{tag}' is not a valid "
                                            "tag")
    return tag


def tag_routes(rd: ResourceDef) -> list[Route]:
    base = f"/v2.0/{rd.collection}/{{id}}/tags"

    def may_update(req: ApiRequest) -> dict[str, Any]:
        item = load_visible(req, rd, req.path_params["id"])
        rule = f"update_{rd.singular}"
        if not allowed(req, rule, item):
            raise PolicyNotAuthorized(rule)
        return item

    def tags(req: ApiRequest) -> Any:
        return service_of(req).tags

    def list_tags(req: ApiRequest) -> dict[str, Any]:
        item = load_visible(req, rd, req.path_params["id"])
        return {"tags": sorted(item.get("tags") or [])}

    def check_tag(req: ApiRequest) -> Reply:
        item = load_visible(req, rd, req.path_params["id"])
        if req.path_params["tag"] not in (item.get("tags") or []):
            raise ResourceNotFound("Tag", req.path_params["tag"])
        return Reply(status=204)

    def replace_tags(req: ApiRequest) -> dict[str, Any]:
        may_update(req)
        body = req.json()
        if not isinstance(body, dict) or not isinstance(body.get("tags"), list):
            raise BadRequestNeutron("resource", "Invalid input for tags")
        new = sorted({_check_tag(t) for t in body["tags"]})
        tags(req).replace(rd.plural, req.path_params["id"], new)
        return {"tags": new}

    def add_tag(req: ApiRequest) -> Reply:
        may_update(req)
        tags(req).add(rd.plural, req.path_params["id"], _check_tag(req.path_params["tag"]))
        return Reply(status=201)

    def remove_all(req: ApiRequest) -> Reply:
        may_update(req)
        tags(req).replace(rd.plural, req.path_params["id"], [])
        return Reply(status=204)

    def remove_tag(req: ApiRequest) -> Reply:
        item = may_update(req)
        if req.path_params["tag"] not in (item.get("tags") or []):
            raise ResourceNotFound("Tag", req.path_params["tag"])
        tags(req).remove(rd.plural, req.path_params["id"], req.path_params["tag"])
        return Reply(status=204)

    return [Route("GET", base, list_tags, ANY_CALLER),
            Route("PUT", base, replace_tags, ANY_CALLER),
            Route("DELETE", base, remove_all, ANY_CALLER),
            Route("GET", f"{base}/{{tag}}", check_tag, ANY_CALLER),
            Route("PUT", f"{base}/{{tag}}", add_tag, ANY_CALLER),
            Route("DELETE", f"{base}/{{tag}}", remove_tag, ANY_CALLER)]
