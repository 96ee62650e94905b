"""Quotas (neutron/conf/policies/quotas.py): a project reads its own limits without a rule
(the API checks that); another's takes an admin or the project's manager; changes, an admin."""
from __future__ import annotations

from nimbus.kernel.policy import RuleDefaults
from nimbus.services.network.policies.base import ADMIN, PROJECT

ADMIN_OR_PROJECT_MANAGER = f"{ADMIN} or (role:manager and project_id:%(project_id)s)"

RULES: RuleDefaults = {
    "get_quota": (ADMIN_OR_PROJECT_MANAGER, PROJECT),
    "update_quota": (ADMIN, PROJECT),
    "delete_quota": (ADMIN, PROJECT),
}
