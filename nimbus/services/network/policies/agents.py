"""Agents and availability zones (neutron/conf/policies/agent.py,
availability_zone.py): agents are an admin's; zones are read by any reader."""
from __future__ import annotations

from nimbus.kernel.policy import RuleDefaults
from nimbus.services.network.policies.base import ADMIN, PROJECT

RULES: RuleDefaults = {
    "get_agent": (ADMIN, PROJECT),
    "update_agent": (ADMIN, PROJECT),
    "delete_agent": (ADMIN, PROJECT),
    "get_dhcp-networks": (ADMIN, PROJECT),
    "create_dhcp-network": (ADMIN, PROJECT),
    "delete_dhcp-network": (ADMIN, PROJECT),
    "get_dhcp-agents": (ADMIN, PROJECT),
    "get_availability_zone": ("role:reader", PROJECT),
}
