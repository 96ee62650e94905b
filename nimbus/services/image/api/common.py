"""What every image handler shares: the caller, the service, and Glance's policy targets.

A target loader first checks ``get_image``: an image the caller may not see is a 404, so
the route's own rule only ever answers 403 about images the caller can see (Glance's rule).
"""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest
from nimbus.services.image.errors import BadRequest, ImageNotFound
from nimbus.services.image.service import ImageService
from nimbus.services.image.service.records import Caller, ImageRecord


def service_of(req: ApiRequest) -> ImageService:
    return req.api.service  # type: ignore[attr-defined, no-any-return]


def caller_of(req: ApiRequest) -> Caller:
    caller: Caller | None = req.memo.get("image.caller")
    if caller is None:
        ctx = req.ctx
        is_admin = req.api.enforcer.authorize("context_is_admin", ctx.policy_credentials())
        caller = req.memo["image.caller"] = Caller(
            project_id=ctx.project_id, user_id=ctx.user_id, is_admin=is_admin,
            request_id=req.request_id)
    return caller


def allowed(req: ApiRequest, rule: str, target: dict[str, Any]) -> bool:
    return req.api.enforcer.authorize(rule, req.ctx.policy_credentials(), target)


def enforce(req: ApiRequest, rule: str, target: dict[str, Any]) -> None:
    req.api.enforcer.enforce(rule, req.ctx.policy_credentials(), target)


def load_image(req: ApiRequest) -> ImageRecord:
    """The image of the path, if the caller may see it, by visibility and by policy. Read
    once a request: the route's target loader reads it, the handler reuses it."""
    image: ImageRecord | None = req.memo.get("image.record")
    if image is None:
        caller = caller_of(req)
        image = service_of(req).images.get(caller, req.path_params["image_id"])
        if not allowed(req, "get_image", image.policy_target(caller)):
            raise ImageNotFound(image.id)
        req.memo["image.record"] = image
    return image


def image_target(req: ApiRequest) -> dict[str, Any]:
    return load_image(req).policy_target(caller_of(req))


def project_target(req: ApiRequest) -> dict[str, Any]:
    return {"project_id": req.ctx.project_id}


def visibility_rule(visibility: str | None) -> str | None:
    """The extra rule a visibility needs: only admins publicize, members communitize."""
    return {"public": "publicize_image", "community": "communitize_image"}.get(
        visibility or "")


def declared_size(req: ApiRequest) -> int | None:
    """The size a client announces (x-openstack-image-size, else Content-Length)."""
    raw = req.headers.get("x-openstack-image-size") or req.headers.get("content-length")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise BadRequest("Invalid or missing image size in request headers.") from None
