"""Trunk rules (neutron/conf/policies/trunk.py, secure RBAC)."""

from __future__ import annotations

from nimbus.kernel.policy import RuleDefaults
from nimbus.services.network.policies.base import ADMIN_OR_MEMBER, ADMIN_OR_READER, PROJECT

RULES: RuleDefaults = {
    "create_trunk": (ADMIN_OR_MEMBER, PROJECT),
    "get_trunk": (ADMIN_OR_READER, PROJECT),
    "update_trunk": (ADMIN_OR_MEMBER, PROJECT),
    "delete_trunk": (ADMIN_OR_MEMBER, PROJECT),
    "get_subports": (ADMIN_OR_READER, PROJECT),
    "add_subports": (ADMIN_OR_MEMBER, PROJECT),
    "remove_subports": (ADMIN_OR_MEMBER, PROJECT),
}
