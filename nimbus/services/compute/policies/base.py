"""Nova's base rules (nova/policies/base.py): who is an admin, a project member or reader."""

from __future__ import annotations

from nimbus.kernel.policy import RuleDefaults

PROJECT = ("project",)
ADMIN = "rule:context_is_admin"
PROJECT_MEMBER = "role:member and project_id:%(project_id)s"
PROJECT_READER = "role:reader and project_id:%(project_id)s"
PROJECT_MEMBER_OR_ADMIN = "rule:project_member_or_admin"
PROJECT_READER_OR_ADMIN = "rule:project_reader_or_admin"
ANY = "@"

BASE: RuleDefaults = {
    "context_is_admin": ("role:admin", None),
    "admin_api": ("role:admin", None),
    "project_member_api": ("role:member and project_id:%(project_id)s", None),
    "project_reader_api": ("role:reader and project_id:%(project_id)s", None),
    "project_member_or_admin": ("rule:project_member_api or rule:context_is_admin", None),
    "project_reader_or_admin": ("rule:project_reader_api or rule:context_is_admin", None),
}
