"""Role assignments: reading the list query, and Keystone's view of one assignment."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest
from nimbus.services.identity.errors import SchemaError
from nimbus.services.identity.service.role_assignments import AssignmentQuery

INHERITED_TO = "scope.OS-INHERIT:inherited_to"


def flag(req: ApiRequest, name: str) -> bool:
    """Keystone's key-only booleans: present and not ``0`` means true (``?effective``)."""
    return name in req.query and req.query[name] != "0"


def assignment_query(req: ApiRequest) -> AssignmentQuery:
    """The filters of GET /v3/role_assignments, refusing the combinations Keystone refuses."""
    q = req.query
    _refuse_both(req, "scope.domain.id", "scope.project.id",
                 "Specify a domain or project, not both")
    _refuse_both(req, "scope.domain.id", "scope.system", "Specify system or domain, not both")
    _refuse_both(req, "scope.project.id", "scope.system",
                 "Specify system or project, not both")
    _refuse_both(req, "user.id", "group.id", "Specify a user or group, not both")
    inherited = q[INHERITED_TO] == "projects" if INHERITED_TO in q else None
    effective = flag(req, "effective")
    if effective and q.get("group.id"):
        raise SchemaError("Combining effective and group filter will always result in an "
                          "empty list.")
    if effective and inherited and q.get("scope.domain.id"):
        raise SchemaError("Combining effective, domain and inherited filters will always "
                          "result in an empty list.")
    return AssignmentQuery(
        user_id=q.get("user.id") or None, group_id=q.get("group.id") or None,
        role_id=q.get("role.id") or None, project_id=q.get("scope.project.id") or None,
        domain_id=q.get("scope.domain.id") or None, system=q.get("scope.system") == "all",
        inherited=inherited, effective=effective, include_names=flag(req, "include_names"),
        include_subtree=flag(req, "include_subtree"),
        visible_domain_id=req.ctx.domain_id)


def _refuse_both(req: ApiRequest, first: str, second: str, message: str) -> None:
    if req.query.get(first) and req.query.get(second):
        raise SchemaError(message)


def _named(ref: dict[str, Any], kind: str) -> dict[str, Any]:
    """``{"id": ...}``, or with names: ``{"id", "name", "domain": {"id", "name"}}``."""
    if f"{kind}_name" not in ref:
        return {"id": ref[f"{kind}_id"]}
    return {"id": ref[f"{kind}_id"], "name": ref[f"{kind}_name"],
            "domain": {"id": ref[f"{kind}_domain_id"], "name": ref[f"{kind}_domain_name"]}}


def _scope(ref: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The assignment's scope and the start of the path of the grant that made it."""
    indirect = ref.get("indirect", {})
    if "project_id" in ref:
        if "domain_id" in indirect:
            return {"project": _named(ref, "project")}, f"/domains/{indirect['domain_id']}"
        if "project_id" in indirect:
            return {"project": _named(ref, "project")}, f"/projects/{indirect['project_id']}"
        return {"project": _named(ref, "project")}, f"/projects/{ref['project_id']}"
    if "domain_id" in ref:
        domain = {"id": ref["domain_id"]}
        if "domain_name" in ref:
            domain["name"] = ref["domain_name"]
        return {"domain": domain}, f"/domains/{ref['domain_id']}"
    return {"system": ref["system"]}, "/system"


def _role(ref: dict[str, Any]) -> dict[str, Any]:
    if "role_name" not in ref:
        return {"id": ref["role_id"]}
    role: dict[str, Any] = {"id": ref["role_id"], "name": ref["role_name"]}
    if "role_domain_id" in ref:
        role["domain"] = {"id": ref["role_domain_id"], "name": ref["role_domain_name"]}
    return role


def assignment_view(req: ApiRequest, ref: dict[str, Any]) -> dict[str, Any]:
    """One assignment as Keystone shows it, with ``links.assignment`` naming the grant
    behind it (and ``membership`` / ``prior_role`` when it comes from a group or a role)."""
    base = f"{req.base_url}/v3"
    indirect = ref.get("indirect", {})
    scope, link = _scope(ref)
    view: dict[str, Any] = {"scope": scope, "links": {}}
    inherited = bool(ref.get("inherited_to_projects")) or \
        ("project_id" in ref and ("domain_id" in indirect or "project_id" in indirect))
    if "user_id" in ref:
        view["user"] = _named(ref, "user")
        if "group_id" in indirect:
            view["links"]["membership"] = \
                f"{base}/groups/{indirect['group_id']}/users/{ref['user_id']}"
            link += f"/groups/{indirect['group_id']}"
        else:
            link += f"/users/{ref['user_id']}"
    else:
        view["group"] = _named(ref, "group")
        link += f"/groups/{ref['group_id']}"
    view["role"] = _role(ref)
    link += f"/roles/{indirect.get('role_id', ref['role_id'])}"
    if inherited:
        scope["OS-INHERIT:inherited_to"] = "projects"
        link = f"/OS-INHERIT{link}/inherited_to_projects"
    view["links"]["assignment"] = base + link
    if "role_id" in indirect:
        # Keystone's own order of the two ids, kept as it answers.
        view["links"]["prior_role"] = \
            f"{base}/prior_role/{ref['role_id']}/implies/{indirect['role_id']}"
    return view
