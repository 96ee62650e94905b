"""Identity's default rules on the credentials a real token gives: a cloud admin is an admin on
a project or the system; a domain admin is its domain's manager, nothing more."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.context import RequestContext
from nimbus.kernel.policy import Enforcer
from nimbus.services.identity.policies import RULES

ADMIN_ROLES = ("admin", "manager", "member", "reader")  # admin implies the rest (bootstrap)


def creds(scope: str, roles: tuple[str, ...] = ADMIN_ROLES) -> dict[str, Any]:
    where: dict[str, Any] = {
        "project": {"project_id": "p1", "project_domain_id": "d1"},
        "domain": {"domain_id": "d1"},
        "system": {"system_scope": "all"},
    }[scope]
    return RequestContext(user_id="u1", user_domain_id="d1", roles=roles,
                          **where).policy_credentials()


def grant(role: str, project_domain: str = "d1") -> dict[str, Any]:
    return {"target": {"user": {"domain_id": "d1"}, "project": {"domain_id": project_domain},
                       "role": {"name": role, "domain_id": None}}}


def test_admin_required_needs_a_project_or_system_token():
    e = Enforcer(RULES)
    assert e.authorize("admin_required", creds("project"))
    assert e.authorize("admin_required", creds("system"))
    assert not e.authorize("admin_required", creds("domain"))
    assert not e.authorize("admin_required", creds("project", ("member", "reader")))


def test_a_credential_without_domain_id_is_not_an_admin():
    no_domain_key = {k: v for k, v in creds("project").items() if k != "domain_id"}
    assert not Enforcer(RULES).authorize("admin_required", no_domain_key)


def test_domain_admin_works_inside_its_domain_as_its_manager():
    e = Enforcer(RULES)
    d_admin = creds("domain")
    assert e.authorize("identity:create_project", d_admin,
                       {"target": {"project": {"domain_id": "d1"}}})
    assert not e.authorize("identity:create_project", d_admin,
                           {"target": {"project": {"domain_id": "d2"}}})
    assert not e.authorize("identity:get_user", d_admin,
                           {"target": {"user": {"id": "u9", "domain_id": "d2"}}})
    assert not e.authorize("identity:create_domain", d_admin)
    assert not e.authorize("identity:list_services", d_admin)


def test_domain_admin_cannot_hand_out_admin():
    """Admin on a project is cloud admin: a domain admin granting it would leave its domain."""
    e = Enforcer(RULES)
    for rule in ("identity:create_grant", "identity:revoke_grant"):
        assert e.authorize(rule, creds("domain"), grant("manager"))
        assert not e.authorize(rule, creds("domain"), grant("admin"))
        assert not e.authorize(rule, creds("domain"), grant("member", project_domain="d2"))
        assert e.authorize(rule, creds("project"), grant("admin", project_domain="d2"))


def test_policy_yaml_restores_keystones_literal_default(tmp_path):
    override = tmp_path / "policy.yaml"
    override.write_text('"admin_required": "role:admin or is_admin:1"\n')
    e = Enforcer(RULES, override)
    assert e.authorize("admin_required", creds("domain"))
    assert e.authorize("identity:get_user", creds("domain"),
                       {"target": {"user": {"id": "u9", "domain_id": "d2"}}})
    assert e.authorize("identity:create_grant", creds("domain"), grant("admin"))
