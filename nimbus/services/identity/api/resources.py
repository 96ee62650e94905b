"""Domains, projects and project tags."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.identity.api.common import (
    identity,
    query_filters,
    require_matching_id,
    scoped_domain_id,
)
from nimbus.services.identity.errors import ResourceNotFound
from nimbus.services.identity.schemas import collection, truthy, validate
from nimbus.services.identity.schemas.resources import (
    DOMAIN_CREATE,
    DOMAIN_UPDATE,
    PROJECT_CREATE,
    PROJECT_UPDATE,
    TAG_NAME,
    TAGS_REPLACE,
    domain_view,
    project_view,
    split_extra,
)


# -- policy targets -----------------------------------------------------------------------
# Keystone leaves the target of a missing domain or project empty, so the rule refuses
# whoever it would refuse anyway (403) and only those it lets through learn of the 404.
def domain_target(req: ApiRequest) -> dict[str, Any]:
    try:
        return existing_domain_target(req)
    except ResourceNotFound:
        return {}


def existing_domain_target(req: ApiRequest) -> dict[str, Any]:
    """PATCH and DELETE of a domain load it before the rule: missing is a 404 for anyone."""
    domain, _ = identity(req).resources.get_domain(req.path_params["domain_id"])
    return {"domain": {"id": domain.id}}


def project_target(req: ApiRequest) -> dict[str, Any]:
    try:
        project, _ = identity(req).resources.get_project(req.path_params["project_id"])
    except ResourceNotFound:
        return {}
    return {"project": {"id": project.id, "domain_id": project.domain_id}}


def new_project_target(req: ApiRequest) -> dict[str, Any]:
    """Keystone judges the body as sent, before it fills in a missing domain: a domain
    manager has to name its domain (a cloud admin need not)."""
    body = req.json_object("project")
    return {"project": {"domain_id": body["domain_id"]} if "domain_id" in body else {}}


def project_list_target(req: ApiRequest) -> dict[str, Any]:
    """The filter being asked for, or a domain-scoped token's own domain (as Keystone)."""
    domain_id = req.ctx.domain_id or req.query.get("domain_id")
    return {"domain_id": domain_id} if domain_id else {}


def domain_list_target(req: ApiRequest) -> dict[str, Any]:
    return {"domain": {"id": req.ctx.domain_id}}


# -- domains ------------------------------------------------------------------------------
def create_domain(req: ApiRequest) -> Reply:
    body = req.json_object("domain")
    validate(DOMAIN_CREATE, body)
    domain, tags = identity(req).resources.create_domain(split_extra(body))
    return Reply({"domain": domain_view(req, domain, tags)}, status=201)


def list_domains(req: ApiRequest) -> dict[str, Any]:
    rows = identity(req).resources.list_domains(req.query.get("name"),
                                                truthy(req.query.get("enabled")))
    if req.ctx.domain_id:  # a domain-scoped token sees its own domain, even an admin's
        rows = [r for r in rows if r[0].id == req.ctx.domain_id]
    return collection(req, "domains", (domain_view(req, d, t) for d, t in rows))


def get_domain(req: ApiRequest) -> dict[str, Any]:
    domain, tags = identity(req).resources.get_domain(req.path_params["domain_id"])
    return {"domain": domain_view(req, domain, tags)}


def update_domain(req: ApiRequest) -> dict[str, Any]:
    body = req.json_object("domain")
    validate(DOMAIN_UPDATE, body)
    domain, tags = identity(req).resources.update_domain(req.path_params["domain_id"],
                                                         split_extra(body))
    return {"domain": domain_view(req, domain, tags)}


def delete_domain(req: ApiRequest) -> None:
    identity(req).resources.delete_domain(req.path_params["domain_id"])


# -- projects -----------------------------------------------------------------------------
def create_project(req: ApiRequest) -> Reply:
    body = req.json_object("project")
    validate(PROJECT_CREATE, body)
    fields = split_extra(body)
    if not fields.get("domain_id") and not fields.get("parent_id") and \
            not fields.get("is_domain"):
        fields["domain_id"] = scoped_domain_id(req)
    project, tags = identity(req).resources.create_project(fields)
    # A project acting as a domain is shown as a project (is_domain, no domain or parent).
    return Reply({"project": project_view(req, project, tags)}, status=201)


def list_projects(req: ApiRequest) -> dict[str, Any]:
    filters: dict[str, Any] = query_filters(req, "name", "domain_id", "parent_id")
    filters["enabled"] = truthy(req.query.get("enabled"))
    filters["is_domain"] = truthy(req.query.get("is_domain")) or False
    for key in ("tags", "tags-any", "not-tags", "not-tags-any"):
        if key in req.query:
            filters[key] = [t for t in req.query[key].split(",") if t]
    if req.ctx.domain_id:
        filters["domain_id"] = req.ctx.domain_id
    rows = identity(req).resources.list_projects(filters)
    return collection(req, "projects", (project_view(req, p, t) for p, t in rows))


def get_project(req: ApiRequest) -> dict[str, Any]:
    resources = identity(req).resources
    project, tags = resources.get_project(req.path_params["project_id"])
    view = project_view(req, project, tags)
    if "parents_as_ids" in req.query or "parents_as_list" in req.query:
        view["parents"] = resources.parents_view(project.id)
    if "subtree_as_ids" in req.query or "subtree_as_list" in req.query:
        view["subtree"] = resources.subtree_view(project.id)
    return {"project": view}


def update_project(req: ApiRequest) -> dict[str, Any]:
    body = req.json_object("project")
    validate(PROJECT_UPDATE, body)
    require_matching_id(body, req.path_params["project_id"])
    project, tags = identity(req).resources.update_project(req.path_params["project_id"],
                                                           split_extra(body))
    return {"project": project_view(req, project, tags)}


def delete_project(req: ApiRequest) -> None:
    identity(req).resources.delete_project(req.path_params["project_id"],
                                           cascade="cascade" in req.query)


# -- tags ---------------------------------------------------------------------------------
def list_tags(req: ApiRequest) -> dict[str, Any]:
    return {"tags": identity(req).resources.list_tags(req.path_params["project_id"])}


def replace_tags(req: ApiRequest) -> dict[str, Any]:
    body = req.json_object()
    validate(TAGS_REPLACE, body)
    tags = identity(req).resources.replace_tags(req.path_params["project_id"], body["tags"])
    return {"tags": tags}


def delete_tags(req: ApiRequest) -> None:
    identity(req).resources.replace_tags(req.path_params["project_id"], [])


def check_tag(req: ApiRequest) -> None:
    identity(req).resources.has_tag(req.path_params["project_id"], req.path_params["tag"])


def add_tag(req: ApiRequest) -> Reply:
    project_id, tag = req.path_params["project_id"], req.path_params["tag"]
    validate(TAG_NAME, tag)
    identity(req).resources.add_tag(project_id, tag)
    # Percent-encoded: a header is Latin-1, a tag may be any unicode.
    location = f"{req.base_url}/v3/projects/{project_id}/tags/{quote(tag, safe='')}"
    return Reply(status=201, headers={"Location": location})


def delete_tag(req: ApiRequest) -> None:
    identity(req).resources.remove_tag(req.path_params["project_id"], req.path_params["tag"])


D, P, T = "/v3/domains/{domain_id}", "/v3/projects/{project_id}", "/{tag}"
ROUTES = [
    Route("POST", "/v3/domains", create_domain, "identity:create_domain"),
    Route("GET", "/v3/domains", list_domains, "identity:list_domains", domain_list_target),
    Route("GET", D, get_domain, "identity:get_domain", domain_target),
    Route("PATCH", D, update_domain, "identity:update_domain", existing_domain_target),
    Route("DELETE", D, delete_domain, "identity:delete_domain", existing_domain_target),
    Route("POST", "/v3/projects", create_project, "identity:create_project",
          new_project_target),
    Route("GET", "/v3/projects", list_projects, "identity:list_projects", project_list_target),
    Route("GET", P, get_project, "identity:get_project", project_target),
    Route("PATCH", P, update_project, "identity:update_project", project_target),
    Route("DELETE", P, delete_project, "identity:delete_project", project_target),
    Route("GET", P + "/tags", list_tags, "identity:list_project_tags", project_target),
    Route("PUT", P + "/tags", replace_tags, "identity:update_project_tags", project_target),
    Route("DELETE", P + "/tags", delete_tags, "identity:delete_project_tags", project_target),
    Route("GET", P + "/tags" + T, check_tag, "identity:get_project_tag", project_target),
    Route("PUT", P + "/tags" + T, add_tag, "identity:create_project_tag", project_target),
    Route("DELETE", P + "/tags" + T, delete_tag, "identity:delete_project_tag",
          project_target),
]
