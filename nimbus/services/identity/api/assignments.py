"""Grants (a role for a user or group on a project, a domain or the system, optionally
inherited to projects below) and the role assignment list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nimbus.kernel.errors import BadRequest
from nimbus.kernel.web import ApiRequest, Route, TargetLoader
from nimbus.services.identity.api.common import identity
from nimbus.services.identity.api.roles import enforce
from nimbus.services.identity.schemas import collection
from nimbus.services.identity.schemas.assignments import (
    assignment_query,
    assignment_view,
    flag,
)
from nimbus.services.identity.schemas.roles import role_view
from nimbus.services.identity.service.assignments import SYSTEM_TARGET, Grant

Handler = Callable[[ApiRequest], Any]


def grant_of(req: ApiRequest, inherited: bool) -> Grant:
    """The grant a path names: /projects/{p}/users/{u}/roles/..., /system/groups/{g}/..."""
    p = req.path_params
    actor = "user" if "user_id" in p else "group"
    if "project_id" in p:
        target, target_id = "project", p["project_id"]
    elif "domain_id" in p:
        target, target_id = "domain", p["domain_id"]
    else:
        target, target_id = "system", SYSTEM_TARGET
    return Grant(actor, p[f"{actor}_id"], target, target_id, inherited)


# -- policy targets -----------------------------------------------------------------------
def grant_target(*, optional_actor: bool = False, lenient: bool = False) -> TargetLoader:
    """What the grant rules read: the role, the user or group, the project or domain.

    ``optional_actor``: revoking a grant of a deleted user or group stays possible.
    ``lenient``: missing entities stay empty for the rule to judge (Keystone's OS-INHERIT).
    """
    def load(req: ApiRequest) -> dict[str, Any]:
        p = req.path_params
        refs = {kind: p.get(f"{kind}_id") for kind in ("role", "user", "group", "project",
                                                       "domain") if f"{kind}_id" in p}
        optional = ("user", "group") if optional_actor else ()
        return identity(req).assignments.policy_refs(refs, optional=optional,
                                                     lenient=lenient)
    return load


def assignments_target(req: ApiRequest) -> dict[str, Any]:
    project_id = req.query.get("scope.project.id")
    if flag(req, "include_subtree") and project_id:
        project = identity(req).assignments.policy_refs({"project": project_id})["project"]
        return {"project": project, "domain_id": project["domain_id"]}
    # A domain-scoped caller gets the assignments of its own domain (filtered later).
    return {"domain_id": req.ctx.domain_id} if req.ctx.domain_id else {}


# -- handlers -----------------------------------------------------------------------------
def check_grant(inherited: bool) -> Handler:
    def handler(req: ApiRequest) -> None:
        identity(req).assignments.check_grant(grant_of(req, inherited),
                                              req.path_params["role_id"])
    return handler


def create_grant(inherited: bool) -> Handler:
    def handler(req: ApiRequest) -> None:
        identity(req).assignments.create_grant(grant_of(req, inherited),
                                               req.path_params["role_id"])
    return handler


def revoke_grant(inherited: bool) -> Handler:
    def handler(req: ApiRequest) -> None:
        identity(req).assignments.revoke_grant(grant_of(req, inherited),
                                               req.path_params["role_id"])
    return handler


def list_grants(inherited: bool) -> Handler:
    def handler(req: ApiRequest) -> dict[str, Any]:
        roles = identity(req).assignments.list_grants(grant_of(req, inherited))
        return collection(req, "roles", (role_view(req, r) for r in roles))
    return handler


def list_role_assignments(req: ApiRequest) -> dict[str, Any]:
    if flag(req, "include_subtree"):
        enforce(req, "identity:list_role_assignments_for_tree", assignments_target(req))
        if not req.query.get("scope.project.id"):
            raise BadRequest("scope.project.id must be specified if include_subtree is also "
                             "specified")
    refs = identity(req).assignments.list_role_assignments(assignment_query(req))
    return collection(req, "role_assignments", (assignment_view(req, r) for r in refs))


# -- the route table ----------------------------------------------------------------------
def grant_routes(base: str, inherited: bool = False, with_list: bool = True) -> list[Route]:
    """check/create/revoke (and list) for one actor on one kind of target."""
    suffix = "/inherited_to_projects" if inherited else ""
    one = f"{base}/roles/{{role_id}}{suffix}"
    lenient = inherited
    routes = [
        Route("GET", one, check_grant(inherited), "identity:check_grant",
              grant_target(lenient=lenient)),
        Route("PUT", one, create_grant(inherited), "identity:create_grant",
              grant_target(lenient=lenient)),
        Route("DELETE", one, revoke_grant(inherited), "identity:revoke_grant",
              grant_target(optional_actor=True, lenient=lenient)),
    ]
    if with_list:
        routes.append(Route("GET", f"{base}/roles{suffix}", list_grants(inherited),
                            "identity:list_grants", grant_target(lenient=lenient)))
    return routes


def system_grant_routes(actor: str) -> list[Route]:
    base = f"/v3/system/{actor}s/{{{actor}_id}}/roles"
    return [
        Route("GET", base, list_grants(False), f"identity:list_system_grants_for_{actor}",
              grant_target()),
        Route("GET", base + "/{role_id}", check_grant(False),
              f"identity:check_system_grant_for_{actor}", grant_target()),
        Route("PUT", base + "/{role_id}", create_grant(False),
              f"identity:create_system_grant_for_{actor}", grant_target()),
        Route("DELETE", base + "/{role_id}", revoke_grant(False),
              f"identity:revoke_system_grant_for_{actor}", grant_target(optional_actor=True)),
    ]


P, D = "/v3/projects/{project_id}", "/v3/domains/{domain_id}"
INHERIT_P, INHERIT_D = "/v3/OS-INHERIT/projects/{project_id}", "/v3/OS-INHERIT/domains/{domain_id}"
U, G = "/users/{user_id}", "/groups/{group_id}"
ROUTES = [
    *grant_routes(P + U), *grant_routes(P + G),
    *grant_routes(D + U), *grant_routes(D + G),
    *grant_routes(INHERIT_D + U, inherited=True), *grant_routes(INHERIT_D + G, inherited=True),
    # Keystone has no list of inherited grants on a project.
    *grant_routes(INHERIT_P + U, inherited=True, with_list=False),
    *grant_routes(INHERIT_P + G, inherited=True, with_list=False),
    *system_grant_routes("user"), *system_grant_routes("group"),
    Route("GET", "/v3/role_assignments", list_role_assignments,
          "identity:list_role_assignments", assignments_target),
]
