"""Nova's deprecated Networking proxies (nova/policies/networks.py, security_groups.py,
floating_ip_pools.py)."""

from __future__ import annotations

from nimbus.kernel.policy import RuleDefaults
from nimbus.services.compute.policies.base import ANY, PROJECT, PROJECT_READER_OR_ADMIN

NETWORKS = "os_compute_api:os-networks:%s"
SECURITY_GROUPS = "os_compute_api:os-security-groups:%s"
POOLS = "os_compute_api:os-floating-ip-pools"

RULES: RuleDefaults = {
    NETWORKS % "list": (PROJECT_READER_OR_ADMIN, PROJECT),
    NETWORKS % "view": (PROJECT_READER_OR_ADMIN, PROJECT),
    SECURITY_GROUPS % "get": (PROJECT_READER_OR_ADMIN, PROJECT),
    SECURITY_GROUPS % "show": (PROJECT_READER_OR_ADMIN, PROJECT),
    POOLS: (ANY, PROJECT),
}
