"""Key pairs (nova/policies/keypairs.py): a user's own, or any user's for an admin."""

from __future__ import annotations

from nimbus.kernel.policy import RuleDefaults
from nimbus.services.compute.policies.base import ADMIN, PROJECT

KEYPAIRS = "os_compute_api:os-keypairs:%s"
OWNER_OR_ADMIN = f"({ADMIN}) or user_id:%(user_id)s"

RULES: RuleDefaults = {KEYPAIRS % op: (OWNER_OR_ADMIN, PROJECT)
                       for op in ("index", "create", "delete", "show")}
