"""/limits, /os-quota-sets (show, defaults, detail, update, delete; per user with user_id)
and /os-quota-class-sets, with the resources each version shows."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.compute.api.support import (
    at_least,
    authorize,
    own_target,
    service_of,
    strict_query,
    verify_project,
    version,
)
from nimbus.services.compute.policies.quotas import CLASSES, LIMITS, QUOTAS
from nimbus.services.compute.schemas import quotas as schema
from nimbus.services.compute.schemas.common import as_bool, body_of
from nimbus.services.compute.service.quotas import detail

V = "/v2.1"
# limits' absolute names -> (quota resource, the version that dropped it or None).
ABSOLUTE = [
    ("maxImageMeta", "metadata_items", "2.39"), ("maxPersonality", "injected_files", "2.57"),
    ("maxPersonalitySize", "injected_file_content_bytes", "2.57"),
    ("maxSecurityGroupRules", "security_group_rules", "2.36"),
    ("maxSecurityGroups", "security_groups", "2.36"), ("maxServerMeta", "metadata_items", None),
    ("maxTotalCores", "cores", None), ("maxTotalFloatingIps", "floating_ips", "2.36"),
    ("maxTotalInstances", "instances", None), ("maxTotalKeypairs", "key_pairs", None),
    ("maxTotalRAMSize", "ram", None), ("maxServerGroups", "server_groups", None),
    ("maxServerGroupMembers", "server_group_members", None),
]
USED = [("totalCoresUsed", "cores", None), ("totalInstancesUsed", "instances", None),
        ("totalRAMUsed", "ram", None),
        ("totalSecurityGroupsUsed", "security_groups", "2.36"),
        ("totalFloatingIpsUsed", "floating_ips", "2.36"),
        ("totalServerGroupsUsed", "server_groups", None)]


def _shown(req: ApiRequest, dropped_at: str | None) -> bool:
    return dropped_at is None or not at_least(req, dropped_at)


def show_limits(req: ApiRequest) -> dict[str, Any]:
    strict_query(req, {"tenant_id"}, "2.75")
    project_id = req.ctx.project_id or ""
    if "tenant_id" in req.query:
        project_id = req.query["tenant_id"]
        authorize(req, LIMITS + ":other_project", {"project_id": project_id})
    quotas = service_of(req).quotas
    limits = quotas.limits(project_id)
    used = quotas.in_use(project_id)
    absolute = {name: limits[r] for name, r, gone in ABSOLUTE if _shown(req, gone)}
    absolute.update({name: used[r] if r not in ("security_groups", "floating_ips") else 0
                     for name, r, gone in USED if _shown(req, gone)})
    return {"limits": {"rate": [], "absolute": absolute}}


def _quota_set(req: ApiRequest, values: dict[str, Any]) -> dict[str, Any]:
    return {r: values[r] for r in schema.quota_set_resources(version(req))}


def _target(req: ApiRequest) -> tuple[str, str | None]:
    strict_query(req, {"user_id"})
    return req.path_params["project_id"], req.query.get("user_id") or None


def show_quotas(req: ApiRequest) -> dict[str, Any]:
    project_id, user_id = _target(req)
    limits = service_of(req).quotas.limits(project_id, user_id)
    return {"quota_set": {"id": project_id, **_quota_set(req, limits)}}


def show_details(req: ApiRequest) -> dict[str, Any]:
    project_id, user_id = _target(req)
    quotas = service_of(req).quotas
    full = detail(quotas.limits(project_id, user_id), quotas.in_use(project_id, user_id))
    return {"quota_set": {"id": project_id, **_quota_set(req, full)}}


def show_defaults(req: ApiRequest) -> dict[str, Any]:
    strict_query(req, set(), "2.75")
    project_id = req.path_params["project_id"]
    return {"quota_set": {"id": project_id,
                          **_quota_set(req, service_of(req).quotas.defaults())}}


def update_quotas(req: ApiRequest) -> dict[str, Any]:
    project_id, user_id = _target(req)
    resources = schema.quota_set_resources(version(req))
    doc = body_of(schema.update_schema("quota_set", resources, force=True),
                  req.json())["quota_set"]
    verify_project(req, project_id)
    force = as_bool(doc.pop("force", False))
    values = {k: int(v) for k, v in doc.items()}
    limits = service_of(req).quotas.update(project_id, user_id, values, force)
    return {"quota_set": _quota_set(req, limits)}


def delete_quotas(req: ApiRequest) -> Reply:
    project_id, user_id = _target(req)
    service_of(req).quotas.reset(project_id, user_id)
    return Reply(status=202)


def _class_set(req: ApiRequest, values: dict[str, int]) -> dict[str, int]:
    return {r: values[r] for r in schema.quota_class_resources(version(req))}


def show_class(req: ApiRequest) -> dict[str, Any]:
    name = req.path_params["class_name"]
    limits = service_of(req).quotas.class_limits(name)
    return {"quota_class_set": {"id": name, **_class_set(req, limits)}}


def update_class(req: ApiRequest) -> dict[str, Any]:
    resources = schema.quota_class_resources(version(req), for_update=True)
    doc = body_of(schema.update_schema("quota_class_set", resources, force=False),
                  req.json())["quota_class_set"]
    limits = service_of(req).quotas.update_class(req.path_params["class_name"],
                                                 {k: int(v) for k, v in doc.items()})
    return {"quota_class_set": _class_set(req, limits)}


def _project_target(req: ApiRequest) -> dict[str, Any]:
    return {"project_id": req.path_params["project_id"]}


QS = f"{V}/os-quota-sets/{{project_id}}"
ROUTES = [
    Route("GET", f"{V}/limits", show_limits, LIMITS, own_target),
    Route("GET", f"{QS}/defaults", show_defaults, QUOTAS % "defaults", _project_target),
    Route("GET", f"{QS}/detail", show_details, QUOTAS % "detail", _project_target),
    Route("GET", QS, show_quotas, QUOTAS % "show", _project_target),
    Route("PUT", QS, update_quotas, QUOTAS % "update", _project_target),
    Route("DELETE", QS, delete_quotas, QUOTAS % "delete", _project_target),
    Route("GET", f"{V}/os-quota-class-sets/{{class_name}}", show_class, CLASSES % "show",
          own_target),
    Route("PUT", f"{V}/os-quota-class-sets/{{class_name}}", update_class,
          CLASSES % "update", own_target),
]
