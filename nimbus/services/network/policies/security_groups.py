"""Security groups, their rules and address groups (neutron/conf/policies/security_group.py
and address_group.py): a group's rules belong to whoever owns the group (``sg_owner``); a
shared group or address group is readable by the projects it is shared with."""
from __future__ import annotations

from nimbus.kernel.policy import RuleDefaults
from nimbus.services.network.policies.base import (
    ADMIN,
    ADMIN_OR_MEMBER,
    ADMIN_OR_READER,
    PROJECT,
)

SG_OWNER_MEMBER = "role:member and rule:sg_owner"
SG_OWNER_READER = "role:reader and rule:sg_owner"
ADMIN_OR_SG_OWNER_MEMBER = f"({ADMIN}) or ({SG_OWNER_MEMBER})"
ADMIN_OR_SG_OWNER_READER = f"({ADMIN}) or ({SG_OWNER_READER})"

RULES: RuleDefaults = {
    "sg_owner": ("project_id:%(security_group:project_id)s", None),
    "admin_or_sg_owner": (f"{ADMIN} or project_id:%(security_group:project_id)s", None),
    "shared_security_group": ("field:security_groups:shared=True", None),
    "rule_default_sg": ("field:security_group_rules:belongs_to_default_sg=True", None),
    "create_security_group": (ADMIN_OR_MEMBER, PROJECT),
    "get_security_group": (f"{ADMIN_OR_READER} or rule:shared_security_group", PROJECT),
    "update_security_group": (ADMIN_OR_MEMBER, PROJECT),
    "delete_security_group": (ADMIN_OR_MEMBER, PROJECT),
    "create_security_group_rule": (ADMIN_OR_SG_OWNER_MEMBER, PROJECT),
    "get_security_group_rule": (ADMIN_OR_SG_OWNER_READER, PROJECT),
    "delete_security_group_rule": (ADMIN_OR_SG_OWNER_MEMBER, PROJECT),
    "shared_address_groups": ("field:address_groups:shared=True", None),
    "create_address_group": (ADMIN_OR_MEMBER, PROJECT),
    "get_address_group": (f"{ADMIN_OR_READER} or rule:shared_address_groups", PROJECT),
    "update_address_group": (ADMIN_OR_MEMBER, PROJECT),
    "delete_address_group": (ADMIN_OR_MEMBER, PROJECT),
    "add_addresses": (ADMIN_OR_MEMBER, PROJECT),
    "remove_addresses": (ADMIN_OR_MEMBER, PROJECT),
}
