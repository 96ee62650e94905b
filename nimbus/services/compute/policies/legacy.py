"""Nova's older admin APIs (nova/policies/hosts.py, instance_usage_audit_log.py,
extensions.py, tenant_networks.py)."""

from __future__ import annotations

from nimbus.kernel.policy import RuleDefaults
from nimbus.services.compute.policies.base import ADMIN, ANY, PROJECT, PROJECT_READER_OR_ADMIN

HOSTS = "os_compute_api:os-hosts:%s"
AUDIT = "os_compute_api:os-instance-usage-audit-log:%s"
EXTENSIONS = "os_compute_api:extensions"
TENANT_NETWORKS = "os_compute_api:os-tenant-networks:%s"

RULES: RuleDefaults = {
    **{HOSTS % op: (ADMIN, PROJECT) for op in
       ("list", "show", "update", "reboot", "shutdown", "start")},
    AUDIT % "list": (ADMIN, PROJECT),
    AUDIT % "show": (ADMIN, PROJECT),
    EXTENSIONS: (ANY, PROJECT),
    TENANT_NETWORKS % "list": (PROJECT_READER_OR_ADMIN, PROJECT),
    TENANT_NETWORKS % "show": (PROJECT_READER_OR_ADMIN, PROJECT),
}
