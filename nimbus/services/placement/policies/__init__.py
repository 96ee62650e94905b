"""Placement's default policy (placement/policies/*.py): nearly everything is for an admin
or the service role (``role:admin or role:service``); the reshaper is for the service role
alone; a project reader may read its own total usages. Overridden by
``policy/placement.yaml`` in the data dir."""

from __future__ import annotations

from nimbus.kernel.policy import RuleDefaults

PROJECT = ("project",)
ADMIN_OR_SERVICE = "rule:admin_or_service_api"
ADMIN_OR_PROJECT_READER_OR_SERVICE = "rule:admin_or_project_reader_or_service_api"

RULES: RuleDefaults = {
    "placement:authenticated": ("", None),
    "admin_api": ("role:admin", PROJECT),
    "service_api": ("role:service", PROJECT),
    "admin_or_service_api": ("role:admin or role:service", PROJECT),
    "project_reader_api": ("role:reader and project_id:%(project_id)s", None),
    "admin_or_project_reader_or_service_api": (
        "role:admin or rule:project_reader_api or role:service", PROJECT),
    "placement:usages": (ADMIN_OR_PROJECT_READER_OR_SERVICE, PROJECT),
    "placement:reshaper:reshape": ("rule:service_api", PROJECT),
}

_ADMIN_OR_SERVICE_RULES = [
    *(f"placement:resource_providers:{a}" for a in ("list", "create", "show", "update",
                                                     "delete")),
    *(f"placement:resource_providers:inventories:{a}" for a in ("list", "create", "show",
                                                                 "update", "delete")),
    *(f"placement:resource_classes:{a}" for a in ("list", "create", "show", "update",
                                                   "delete")),
    *(f"placement:traits:{a}" for a in ("list", "show", "update", "delete")),
    *(f"placement:resource_providers:traits:{a}" for a in ("list", "update", "delete")),
    *(f"placement:resource_providers:aggregates:{a}" for a in ("list", "update")),
    *(f"placement:allocations:{a}" for a in ("list", "manage", "update", "delete")),
    "placement:resource_providers:allocations:list",
    "placement:resource_providers:usages",
    "placement:allocation_candidates:list",
]
RULES.update({name: (ADMIN_OR_SERVICE, PROJECT) for name in _ADMIN_OR_SERVICE_RULES})
