"""Limits, quota sets and quota classes (nova/policies/limits.py, quota_sets.py,
quota_class_sets.py), and the usage views (simple_tenant_usage.py, migrations.py)."""

from __future__ import annotations

from nimbus.kernel.policy import RuleDefaults
from nimbus.services.compute.policies.base import ADMIN, ANY, PROJECT, PROJECT_READER_OR_ADMIN

LIMITS = "os_compute_api:limits"
QUOTAS = "os_compute_api:os-quota-sets:%s"
CLASSES = "os_compute_api:os-quota-class-sets:%s"
USAGE = "os_compute_api:os-simple-tenant-usage:%s"
MIGRATIONS = "os_compute_api:os-migrations:%s"
PROJECT_MANAGER_OR_ADMIN = f"(role:manager and project_id:%(project_id)s) or {ADMIN}"

RULES: RuleDefaults = {
    LIMITS: (ANY, PROJECT),
    LIMITS + ":other_project": (ADMIN, PROJECT),
    QUOTAS % "show": (PROJECT_READER_OR_ADMIN, PROJECT),
    QUOTAS % "detail": (PROJECT_READER_OR_ADMIN, PROJECT),
    QUOTAS % "defaults": (ANY, PROJECT),
    QUOTAS % "update": (ADMIN, PROJECT),
    QUOTAS % "delete": (ADMIN, PROJECT),
    CLASSES % "show": (ADMIN, PROJECT),
    CLASSES % "update": (ADMIN, PROJECT),
    USAGE % "show": (PROJECT_READER_OR_ADMIN, PROJECT),
    USAGE % "list": (ADMIN, PROJECT),
    MIGRATIONS % "index": (PROJECT_MANAGER_OR_ADMIN, PROJECT),
    MIGRATIONS % "index:all_projects": (ADMIN, PROJECT),
    MIGRATIONS % "index:host": (ADMIN, PROJECT),
}
