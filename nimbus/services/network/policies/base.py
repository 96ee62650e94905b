"""Base rules and the network resource's (see the package docstring)."""
from __future__ import annotations

from nimbus.kernel.policy import RuleDefaults

PROJECT = ("project",)
ADMIN = "rule:context_is_admin"
OWNER_MEMBER = "role:member and project_id:%(project_id)s"
OWNER_READER = "role:reader and project_id:%(project_id)s"
ADMIN_OR_MEMBER = f"{ADMIN} or ({OWNER_MEMBER})"
ADMIN_OR_READER = f"{ADMIN} or ({OWNER_READER})"
SHARED = "True:%(shared)s"
EXTERNAL = "True:%(router:external)s"

RULES: RuleDefaults = {
    "default": (ADMIN, None),
    "context_is_admin": ("role:admin", None),
    "admin_only": (ADMIN, None),
    "network_api": ("", None),
    "shared": (SHARED, None),
    "external": (EXTERNAL, None),
    "create_network": (ADMIN_OR_MEMBER, PROJECT),
    "get_network": (f"{ADMIN_OR_READER} or rule:shared or rule:external", PROJECT),
    "update_network": (ADMIN_OR_MEMBER, PROJECT),
    "delete_network": (ADMIN_OR_MEMBER, PROJECT),
}


def admin_attrs(resource: str, attrs: list[str], actions: tuple[str, ...] = (
        "create", "update", "get")) -> RuleDefaults:
    """``<action>_<resource>:<attr>`` rules that only an admin passes."""
    return {f"{action}_{resource}:{attr}": (ADMIN, PROJECT)
            for action in actions for attr in attrs}


RULES.update(admin_attrs("network", ["provider:network_type", "provider:physical_network",
                                     "provider:segmentation_id", "segments"]))
RULES.update(admin_attrs("network", ["shared", "router:external", "is_default"],
                         ("create", "update")))
RULES.update({"get_network:shared": ("", None), "get_network:router:external": ("", None),
              "get_network:is_default": ("", None)})

NETWORK_OWNER = "project_id:%(network:project_id)s"
RULES.update({
    "network_owner": (NETWORK_OWNER, None),
    "create_port": (f"{ADMIN_OR_MEMBER} or (role:member and rule:network_owner)", PROJECT),
    "get_port": (f"{ADMIN_OR_READER} or (role:reader and rule:network_owner)", PROJECT),
    "update_port": (f"{ADMIN_OR_MEMBER} or (role:member and rule:network_owner)", PROJECT),
    "delete_port": (f"{ADMIN_OR_MEMBER} or (role:member and rule:network_owner)", PROJECT),
    # Only the network's owner (or an admin) picks a MAC, an owner or a port's security.
    "create_port:mac_address": (f"{ADMIN} or rule:network_owner", PROJECT),
    "update_port:mac_address": (ADMIN, PROJECT),
    "create_port:device_owner": (f"not rule:network_device or {ADMIN} or "
                                 "rule:network_owner", PROJECT),
    "update_port:device_owner": (f"not rule:network_device or {ADMIN} or "
                                 "rule:network_owner", PROJECT),
    "network_device": ("field:port:device_owner=~^network:", None),
    "create_port:port_security_enabled": (f"{ADMIN} or rule:network_owner", PROJECT),
    "update_port:port_security_enabled": (f"{ADMIN} or rule:network_owner", PROJECT),
    "get_port:device_owner": ("", None), "get_port:mac_address": ("", None),
    "get_port:port_security_enabled": ("", None),
})
RULES.update(admin_attrs("port", ["binding:host_id", "binding:profile", "binding:vif_type",
                                  "binding:vif_details"]))
RULES.update({"create_port:binding:vnic_type": ("rule:admin_or_owner", PROJECT),
              "update_port:binding:vnic_type": ("rule:admin_or_owner", PROJECT),
              "get_port:binding:vnic_type": ("rule:admin_or_owner", PROJECT),
              "admin_or_owner": (f"{ADMIN} or project_id:%(project_id)s", None)})
