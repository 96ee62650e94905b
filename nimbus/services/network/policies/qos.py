"""QoS (neutron/conf/policies/qos.py): policies are read by their project's readers and by
everyone when shared; written by an admin or the project's manager; rules follow the
policy they belong to (the target is the policy)."""
from __future__ import annotations

from nimbus.kernel.policy import RuleDefaults
from nimbus.services.network.policies.base import ADMIN, ADMIN_OR_READER, PROJECT

ADMIN_OR_PROJECT_MANAGER = f"{ADMIN} or (role:manager and project_id:%(project_id)s)"
RULE_TYPES = ("bandwidth_limit_rule", "dscp_marking_rule", "minimum_bandwidth_rule")

RULES: RuleDefaults = {
    "shared_qos_policy": ("True:%(shared)s", None),
    "get_policy": (f"{ADMIN_OR_READER} or rule:shared_qos_policy", PROJECT),
    "create_policy": (ADMIN_OR_PROJECT_MANAGER, PROJECT),
    "update_policy": (ADMIN_OR_PROJECT_MANAGER, PROJECT),
    "delete_policy": (ADMIN_OR_PROJECT_MANAGER, PROJECT),
    "get_rule_type": ("role:reader", PROJECT),
}
for _rule in RULE_TYPES:
    for _prefix in ("policy", "alias"):
        RULES[f"get_{_prefix}_{_rule}"] = (f"{ADMIN_OR_READER} or rule:shared_qos_policy",
                                           PROJECT)
        for _action in ("create", "update", "delete"):
            RULES[f"{_action}_{_prefix}_{_rule}"] = (ADMIN_OR_PROJECT_MANAGER, PROJECT)
