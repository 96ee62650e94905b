"""Subnets, subnet pools, address scopes, RBAC policies and IP availability
(neutron/conf/policies/{subnet,subnetpool,address_scope,rbac,network_ip_availability}.py,
secure-RBAC defaults). Subnet targets carry their network's owner as ``network:tenant_id``
and its sharing as ``shared`` / ``router:external``."""

from __future__ import annotations

from nimbus.kernel.policy import RuleDefaults
from nimbus.services.network.policies.base import (
    ADMIN,
    ADMIN_OR_MEMBER,
    ADMIN_OR_READER,
    OWNER_MEMBER,
    OWNER_READER,
    PROJECT,
    admin_attrs,
)

NET_OWNER_MEMBER = "role:member and rule:network_owner"
NET_OWNER_READER = "role:reader and rule:network_owner"
ADMIN_OR_NET_OWNER_MEMBER = f"{ADMIN} or ({NET_OWNER_MEMBER})"
ADMIN_OR_NET_OWNER_READER = f"{ADMIN} or ({NET_OWNER_READER})"
SERVICE = "role:service"
NOT_WILDCARD = "not '*':%(target_tenant)s and not '*':%(target_project)s"

RULES: RuleDefaults = {
    "network_owner": ("project_id:%(network:tenant_id)s", None),
    "external_network": ("True:%(router:external)s", None),
    "shared_subnetpools": ("True:%(shared)s", None),
    "shared_address_scopes": ("True:%(shared)s", None),
    "restrict_wildcard": (f"({NOT_WILDCARD}) or rule:admin_only", None),
    # subnets
    "create_subnet": (ADMIN_OR_NET_OWNER_MEMBER, PROJECT),
    "get_subnet": (f"({OWNER_READER}) or rule:shared or rule:external_network or "
                   f"{ADMIN_OR_NET_OWNER_READER} or {SERVICE}", PROJECT),
    "update_subnet": (f"({OWNER_MEMBER}) or {ADMIN_OR_NET_OWNER_MEMBER}", PROJECT),
    "delete_subnet": (f"({OWNER_MEMBER}) or {ADMIN_OR_NET_OWNER_MEMBER}", PROJECT),
    # subnet pools
    "create_subnetpool": (ADMIN_OR_MEMBER, PROJECT),
    "get_subnetpool": (f"{ADMIN_OR_READER} or rule:shared_subnetpools", PROJECT),
    "update_subnetpool": (ADMIN_OR_MEMBER, PROJECT),
    "delete_subnetpool": (ADMIN_OR_MEMBER, PROJECT),
    "onboard_network_subnets": (ADMIN_OR_MEMBER, PROJECT),
    "add_prefixes": (ADMIN_OR_MEMBER, PROJECT),
    "remove_prefixes": (ADMIN_OR_MEMBER, PROJECT),
    # address scopes
    "create_address_scope": (ADMIN_OR_MEMBER, PROJECT),
    "get_address_scope": (f"{ADMIN} or ({OWNER_READER}) or rule:shared_address_scopes",
                          PROJECT),
    "update_address_scope": (ADMIN_OR_MEMBER, PROJECT),
    "delete_address_scope": (ADMIN_OR_MEMBER, PROJECT),
    # RBAC policies
    "create_rbac_policy": (ADMIN_OR_MEMBER, PROJECT),
    "create_rbac_policy:target_tenant": (f"{ADMIN} or ({NOT_WILDCARD})", PROJECT),
    "create_rbac_policy:target_project": (f"{ADMIN} or ({NOT_WILDCARD})", PROJECT),
    "update_rbac_policy": (ADMIN_OR_MEMBER, PROJECT),
    "update_rbac_policy:target_tenant": (f"{ADMIN} or ({NOT_WILDCARD})", PROJECT),
    "update_rbac_policy:target_project": (f"{ADMIN} or ({NOT_WILDCARD})", PROJECT),
    "get_rbac_policy": (ADMIN_OR_READER, PROJECT),
    "delete_rbac_policy": (ADMIN_OR_MEMBER, PROJECT),
    # IP availability
    "get_network_ip_availability": (f"{ADMIN} or {SERVICE}", PROJECT),
}
RULES.update(admin_attrs("subnet", ["segment_id", "service_types"],
                         ("create", "update")))
RULES.update({"get_subnet:segment_id": (ADMIN, PROJECT),
              "get_subnet:service_types": ("", None)})
RULES.update(admin_attrs("subnetpool", ["shared", "is_default"], ("create", "update")))
RULES.update({"get_subnetpool:shared": ("", None), "get_subnetpool:is_default": ("", None)})
RULES.update(admin_attrs("address_scope", ["shared"], ("create", "update")))
RULES.update({"get_address_scope:shared": ("", None),
              "get_rbac_policy:target_tenant": ("", None),
              "get_rbac_policy:target_project": ("", None)})
