"""Handlers for /v2/images/{image_id}/members."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply
from nimbus.services.image.api.common import allowed, caller_of, load_image, service_of
from nimbus.services.image.errors import BadRequest, MemberNotFound
from nimbus.services.image.schemas.views import member_view


def list_members(req: ApiRequest) -> dict[str, Any]:
    members = service_of(req).members.list(caller_of(req), req.path_params["image_id"])
    return {"members": [member_view(m) for m in members], "schema": "/v2/schemas/members"}


def show_member(req: ApiRequest) -> dict[str, Any]:
    """Anything that would refuse this is a 404, as in Glance."""
    caller = caller_of(req)
    image = load_image(req)
    member_id = req.path_params["member_id"]
    if not allowed(req, "get_member", image.policy_target(caller)):
        raise MemberNotFound(member_id, image.id)
    return member_view(service_of(req).members.get(caller, image.id, member_id))


def add_member(req: ApiRequest) -> dict[str, Any]:
    body = req.json()
    if not isinstance(body, dict):
        raise BadRequest('Expected a member in the form: {"member": "image_id"}')
    if "member" not in body:
        raise BadRequest("Member to be added not specified")
    member_id = body["member"]
    if not member_id:
        raise BadRequest("Member can't be empty")
    if not isinstance(member_id, str) or len(member_id) > 255:
        raise BadRequest("Member must be a project id (a string of at most 255 characters)")
    member = service_of(req).members.add(caller_of(req), req.path_params["image_id"],
                                         member_id)
    return member_view(member)


def update_member(req: ApiRequest) -> dict[str, Any]:
    body = req.json()
    if not isinstance(body, dict):
        raise BadRequest('Expected a status in the form: {"status": "status"}')
    if "status" not in body:
        raise BadRequest("Status not specified")
    member = service_of(req).members.update(caller_of(req), req.path_params["image_id"],
                                            req.path_params["member_id"], body["status"])
    return member_view(member)


def delete_member(req: ApiRequest) -> Reply:
    service_of(req).members.delete(caller_of(req), req.path_params["image_id"],
                                   req.path_params["member_id"])
    return Reply(status=204)
