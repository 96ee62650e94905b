"""Users, a user's password, projects and groups."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.errors import BadRequest
from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.identity.api.common import identity, query_filters
from nimbus.services.identity.api.domain_config import within_list_limit
from nimbus.services.identity.schemas import collection, truthy, validate
from nimbus.services.identity.schemas.groups import group_view
from nimbus.services.identity.schemas.resources import project_view
from nimbus.services.identity.schemas.users import (
    PASSWORD_CHANGE,
    USER_CREATE,
    USER_UPDATE,
    expiry_filter,
    user_fields,
    user_view,
)
from nimbus.services.identity.service.resources import DEFAULT_DOMAIN_ID

NAME_FILTERS = ("name", "name__contains", "name__icontains", "name__startswith",
                "name__istartswith", "name__endswith", "name__iendswith")


def default_domain_id(req: ApiRequest) -> str:
    """Keystone's domain for a create that names none: a domain-scoped token's domain,
    else the default domain (even for a project-scoped token)."""
    return req.ctx.domain_id or DEFAULT_DOMAIN_ID


def user_list_filters(req: ApiRequest) -> dict[str, Any]:
    """Keystone's user list filters: domain_id, enabled, name[__comparator],
    password_expires_at=<op>:<time>."""
    expires = req.query.get("password_expires_at")
    return {"query": query_filters(req, "domain_id", *NAME_FILTERS),
            "enabled": truthy(req.query.get("enabled")),
            "expiry": expiry_filter(expires) if expires is not None else None}


def in_token_domain(req: ApiRequest, rows: list[Any], domain_of: Any) -> list[Any]:
    """A domain-scoped token sees only its own domain's entries (Keystone's rule)."""
    if not req.ctx.domain_id:
        return rows
    return [row for row in rows if domain_of(row) == req.ctx.domain_id]


# -- policy targets -----------------------------------------------------------------------
def user_target(req: ApiRequest) -> dict[str, Any]:
    found = identity(req).users.target(req.path_params["user_id"])
    return {"user": found} if found else {}


def new_user_target(req: ApiRequest) -> dict[str, Any]:
    """Keystone judges the body as sent, before it fills in a missing domain: a domain
    manager has to name its domain (a cloud admin need not)."""
    body = req.json_object("user")
    return {"user": {"domain_id": body["domain_id"]}} if "domain_id" in body else {"user": {}}


def user_list_target(req: ApiRequest) -> dict[str, Any]:
    return {"domain_id": req.ctx.domain_id} if req.ctx.domain_id else {}


# -- users --------------------------------------------------------------------------------
def create_user(req: ApiRequest) -> Reply:
    body = req.json_object("user")
    validate(USER_CREATE, body)
    fields = user_fields(body)
    fields["domain_id"] = fields.get("domain_id") or default_domain_id(req)
    user, expires_at = identity(req).users.create_user(fields)
    return Reply({"user": user_view(req, user, expires_at)}, status=201)


def list_users(req: ApiRequest) -> dict[str, Any]:
    rows = identity(req).users.list_users(**user_list_filters(req))
    rows = in_token_domain(req, rows, lambda row: row[0].domain_id)
    listed = collection(req, "users", (user_view(req, u, at) for u, at in rows))
    return within_list_limit(req, listed, "users", req.query.get("domain_id"))


def get_user(req: ApiRequest) -> dict[str, Any]:
    user, expires_at = identity(req).users.get_user(req.path_params["user_id"])
    return {"user": user_view(req, user, expires_at)}


def update_user(req: ApiRequest) -> dict[str, Any]:
    user_id = req.path_params["user_id"]
    body = req.json_object("user")
    validate(USER_UPDATE, body)
    if "id" in body and body["id"] != user_id:
        raise BadRequest("Cannot change user ID")
    user, expires_at = identity(req).users.update_user(user_id, user_fields(body))
    return {"user": user_view(req, user, expires_at)}


def delete_user(req: ApiRequest) -> None:
    identity(req).users.delete_user(req.path_params["user_id"])


def change_password(req: ApiRequest) -> None:
    """Self-service; Keystone guards it with the original password, not with policy."""
    body = req.json_object("user")
    validate(PASSWORD_CHANGE, body)
    identity(req).users.change_password(req.path_params["user_id"],
                                        body["original_password"], body["password"])


# -- what a user has ----------------------------------------------------------------------
def list_user_projects(req: ApiRequest) -> dict[str, Any]:
    rows = identity(req).users.projects_of(req.path_params["user_id"])
    enabled = truthy(req.query.get("enabled"))
    wanted = query_filters(req, "domain_id", "name")
    rows = [(p, tags) for p, tags in rows
            if all(getattr(p, k) == v for k, v in wanted.items())
            and (enabled is None or p.enabled == enabled)]
    return collection(req, "projects", (project_view(req, p, tags) for p, tags in rows))


def list_user_groups(req: ApiRequest) -> dict[str, Any]:
    groups = identity(req).groups.groups_of_user(req.path_params["user_id"],
                                                 query_filters(req, *NAME_FILTERS))
    groups = in_token_domain(req, groups, lambda g: g.domain_id)
    views = ({**group_view(req, g), "membership_expires_at": None} for g in groups)
    return collection(req, "groups", views)


U = "/v3/users/{user_id}"
ROUTES = [
    Route("POST", "/v3/users", create_user, "identity:create_user", new_user_target),
    Route("GET", "/v3/users", list_users, "identity:list_users", user_list_target),
    Route("GET", U, get_user, "identity:get_user", user_target),
    Route("PATCH", U, update_user, "identity:update_user", user_target),
    Route("DELETE", U, delete_user, "identity:delete_user", user_target),
    Route("POST", U + "/password", change_password),
    Route("GET", U + "/projects", list_user_projects, "identity:list_user_projects",
          user_target),
    Route("GET", U + "/groups", list_user_groups, "identity:list_groups_for_user",
          user_target),
]
