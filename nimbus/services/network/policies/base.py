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
