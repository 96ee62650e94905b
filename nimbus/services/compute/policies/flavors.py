"""Flavors (nova/policies/flavor_manage.py, flavor_extra_specs.py, flavor_access.py):
anyone reads flavors; only an admin changes them or their access lists."""

from __future__ import annotations

from nimbus.kernel.policy import RuleDefaults
from nimbus.services.compute.policies.base import ADMIN, ANY, PROJECT, PROJECT_READER_OR_ADMIN

# Any caller with a token (list and show flavors have no rule in Nova).
ANY_CALLER = "compute_api_any"
MANAGE = "os_compute_api:os-flavor-manage:%s"
SPECS = "os_compute_api:os-flavor-extra-specs:%s"
ACCESS = "os_compute_api:os-flavor-access"

RULES: RuleDefaults = {
    ANY_CALLER: (ANY, PROJECT),
    MANAGE % "create": (ADMIN, PROJECT),
    MANAGE % "update": (ADMIN, PROJECT),
    MANAGE % "delete": (ADMIN, PROJECT),
    SPECS % "index": (PROJECT_READER_OR_ADMIN, PROJECT),
    SPECS % "show": (PROJECT_READER_OR_ADMIN, PROJECT),
    SPECS % "create": (ADMIN, PROJECT),
    SPECS % "update": (ADMIN, PROJECT),
    SPECS % "delete": (ADMIN, PROJECT),
    ACCESS: (ADMIN, PROJECT),
    ACCESS + ":add_tenant_access": (ADMIN, PROJECT),
    ACCESS + ":remove_tenant_access": (ADMIN, PROJECT),
}
