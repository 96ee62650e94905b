"""Groups and their members."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.errors import BadRequest
from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.identity.api.common import identity, query_filters
from nimbus.services.identity.api.domain_config import within_list_limit
from nimbus.services.identity.api.users import (
    NAME_FILTERS,
    default_domain_id,
    in_token_domain,
    user_list_filters,
)
from nimbus.services.identity.errors import ResourceNotFound
from nimbus.services.identity.schemas import collection, validate
from nimbus.services.identity.schemas.groups import (
    GROUP_CREATE,
    GROUP_UPDATE,
    group_fields,
    group_view,
)
from nimbus.services.identity.schemas.users import user_view


# -- policy targets -----------------------------------------------------------------------
def group_target(req: ApiRequest) -> dict[str, Any]:
    found = identity(req).groups.target(req.path_params["group_id"])
    return {"group": found} if found else {}


def existing_group_target(req: ApiRequest) -> dict[str, Any]:
    """DELETE loads the group before the rule (Keystone's member lookup): missing is a 404
    for anyone, where GET and PATCH leave the target empty for the rule to refuse."""
    target = group_target(req)
    if not target:
        raise ResourceNotFound("group", req.path_params["group_id"])
    return target


def membership_target(req: ApiRequest) -> dict[str, Any]:
    target = group_target(req)
    user = identity(req).users.target(req.path_params["user_id"])
    return {**target, "user": user} if user else target


def new_group_target(req: ApiRequest) -> dict[str, Any]:
    """Keystone judges the body as sent, before it fills in a missing domain: a domain
    manager has to name its domain (a cloud admin need not)."""
    body = req.json_object("group")
    return {"group": {"domain_id": body["domain_id"]} if "domain_id" in body else {}}


def group_list_target(req: ApiRequest) -> dict[str, Any]:
    return {"group": {"domain_id": req.ctx.domain_id}} if req.ctx.domain_id else {}


# -- groups -------------------------------------------------------------------------------
def create_group(req: ApiRequest) -> Reply:
    body = req.json_object("group")
    validate(GROUP_CREATE, body)
    fields = group_fields(body)
    fields["domain_id"] = fields.get("domain_id") or default_domain_id(req)
    group = identity(req).groups.create_group(fields)
    return Reply({"group": group_view(req, group)}, status=201)


def list_groups(req: ApiRequest) -> dict[str, Any]:
    groups = identity(req).groups.list_groups(query_filters(req, "domain_id", *NAME_FILTERS))
    groups = in_token_domain(req, groups, lambda g: g.domain_id)
    listed = collection(req, "groups", (group_view(req, g) for g in groups))
    return within_list_limit(req, listed, "groups", req.query.get("domain_id"))


def get_group(req: ApiRequest) -> dict[str, Any]:
    return {"group": group_view(req, identity(req).groups.get_group(req.path_params["group_id"]))}


def update_group(req: ApiRequest) -> dict[str, Any]:
    group_id = req.path_params["group_id"]
    body = req.json_object("group")
    validate(GROUP_UPDATE, body)
    if "id" in body and body["id"] != group_id:
        raise BadRequest("Cannot change group ID")
    group = identity(req).groups.update_group(group_id, group_fields(body))
    return {"group": group_view(req, group)}


def delete_group(req: ApiRequest) -> None:
    identity(req).groups.delete_group(req.path_params["group_id"])


# -- members ------------------------------------------------------------------------------
def list_members(req: ApiRequest) -> dict[str, Any]:
    rows = identity(req).users.list_users(**user_list_filters(req),
                                          group_id=req.path_params["group_id"])
    rows = in_token_domain(req, rows, lambda row: row[0].domain_id)
    return collection(req, "users", (user_view(req, u, at) for u, at in rows))


def check_member(req: ApiRequest) -> None:
    identity(req).groups.check_member(req.path_params["group_id"], req.path_params["user_id"])


def add_member(req: ApiRequest) -> None:
    identity(req).groups.add_member(req.path_params["group_id"], req.path_params["user_id"])


def remove_member(req: ApiRequest) -> None:
    identity(req).groups.remove_member(req.path_params["group_id"], req.path_params["user_id"])


G = "/v3/groups/{group_id}"
M = G + "/users/{user_id}"
ROUTES = [
    Route("POST", "/v3/groups", create_group, "identity:create_group", new_group_target),
    Route("GET", "/v3/groups", list_groups, "identity:list_groups", group_list_target),
    Route("GET", G, get_group, "identity:get_group", group_target),
    Route("PATCH", G, update_group, "identity:update_group", group_target),
    Route("DELETE", G, delete_group, "identity:delete_group", existing_group_target),
    Route("GET", G + "/users", list_members, "identity:list_users_in_group", group_target),
    Route("GET", M, check_member, "identity:check_user_in_group", membership_target),
    Route("PUT", M, add_member, "identity:add_user_to_group", membership_target),
    Route("DELETE", M, remove_member, "identity:remove_user_from_group", membership_target),
]
