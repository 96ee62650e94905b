"""Server groups (nova/policies/server_groups.py)."""

from __future__ import annotations

from nimbus.kernel.policy import RuleDefaults
from nimbus.services.compute.policies.base import (
    ADMIN,
    PROJECT,
    PROJECT_MEMBER_OR_ADMIN,
    PROJECT_READER_OR_ADMIN,
)

GROUPS = "os_compute_api:os-server-groups:%s"

RULES: RuleDefaults = {
    GROUPS % "create": (PROJECT_MEMBER_OR_ADMIN, PROJECT),
    GROUPS % "delete": (PROJECT_MEMBER_OR_ADMIN, PROJECT),
    GROUPS % "index": (PROJECT_READER_OR_ADMIN, PROJECT),
    GROUPS % "index:all_projects": (ADMIN, PROJECT),
    GROUPS % "show": (PROJECT_READER_OR_ADMIN, PROJECT),
}
