"""Floating IP, floating IP pool and port forwarding rules (neutron/conf/policies/
floatingip.py, floatingip_pools.py, floatingip_port_forwarding.py). A port forwarding has no
project of its own: it belongs to its floating IP's (``ext_parent_owner``)."""
from __future__ import annotations

from nimbus.kernel.policy import RuleDefaults
from nimbus.services.network.policies.base import ADMIN, ADMIN_OR_MEMBER, ADMIN_OR_READER, PROJECT

PARENT_OWNER = "rule:ext_parent_owner"

RULES: RuleDefaults = {
    "create_floatingip": (ADMIN_OR_MEMBER, PROJECT),
    "create_floatingip:floating_ip_address": (
        f"{ADMIN} or (role:manager and project_id:%(project_id)s)", PROJECT),
    "get_floatingip": (ADMIN_OR_READER, PROJECT),
    "get_floatingip:floating_ip_address": ("", None),
    "update_floatingip": (ADMIN_OR_MEMBER, PROJECT),
    "delete_floatingip": (ADMIN_OR_MEMBER, PROJECT),
    "get_floatingip_pool": (ADMIN_OR_READER, PROJECT),
    "ext_parent_owner": ("project_id:%(ext_parent_project_id)s", None),
    "create_floatingip_port_forwarding": (
        f"{ADMIN} or (role:member and {PARENT_OWNER})", PROJECT),
    "get_floatingip_port_forwarding": (f"{ADMIN} or (role:reader and {PARENT_OWNER})",
                                       PROJECT),
    "update_floatingip_port_forwarding": (
        f"{ADMIN} or (role:member and {PARENT_OWNER})", PROJECT),
    "delete_floatingip_port_forwarding": (
        f"{ADMIN} or (role:member and {PARENT_OWNER})", PROJECT),
}
