from nimbus.kernel.policy import Enforcer, flatten

RULES = {
    "admin_required": ("role:admin or is_admin:1", None),
    "get_user": (
        "(rule:admin_required) or (role:reader and system_scope:all) or "
        "(role:reader and token.domain.id:%(target.user.domain_id)s) or "
        "user_id:%(target.user.id)s",
        ("system", "domain", "project"),
    ),
    "create_project": (
        "(rule:admin_required) or (role:manager and domain_id:%(target.project.domain_id)s "
        "and not None:%(target.project.domain_id)s)",
        ("system", "domain", "project"),
    ),
    "system_only": ("role:reader", ("system",)),
    "literal": ("'member':%(target.role.name)s", None),
    "open": ("", None),
    "never": ("!", None),
}


def creds(**kw):
    base = {"user_id": "u1", "roles": ["reader"], "project_id": "p1"}
    base.update(kw)
    return base


def test_admin_role_passes_and_case_is_ignored():
    e = Enforcer(RULES)
    assert e.authorize("get_user", creds(roles=["Admin"]), {"target": {"user": {"id": "x"}}})


def test_owner_passes_other_user_fails():
    e = Enforcer(RULES)
    assert e.authorize("get_user", creds(), {"target": {"user": {"id": "u1"}}})
    assert not e.authorize("get_user", creds(), {"target": {"user": {"id": "u2"}}})


def test_dotted_credentials_path():
    e = Enforcer(RULES)
    c = creds(project_id=None, domain_id="d1", token={"domain": {"id": "d1"}})
    assert e.authorize("get_user", c, {"target": {"user": {"id": "u9", "domain_id": "d1"}}})
    assert not e.authorize("get_user", c, {"target": {"user": {"id": "u9", "domain_id": "d2"}}})


def test_not_and_literal_none():
    e = Enforcer(RULES)
    manager = creds(roles=["manager"], project_id=None, domain_id="d1")
    assert e.authorize("create_project", manager, {"target": {"project": {"domain_id": "d1"}}})
    assert not e.authorize("create_project", manager,
                           {"target": {"project": {"domain_id": None}}})


def test_missing_credential_never_matches_none_target():
    e = Enforcer({"r": ("domain_id:%(target.domain_id)s", None)})
    assert not e.authorize("r", creds(domain_id=None), {"target": {"domain_id": None}})


def test_scope_types_are_enforced():
    e = Enforcer(RULES)
    assert not e.authorize("system_only", creds(), {})
    assert not e.authorize("system_only", creds(project_id=None), {})
    assert e.authorize("system_only", creds(project_id=None, system_scope="all"), {})


def test_literal_and_empty_and_never_and_unknown():
    e = Enforcer(RULES)
    assert e.authorize("literal", creds(), {"target": {"role": {"name": "member"}}})
    assert not e.authorize("literal", creds(), {"target": {"role": {"name": "admin"}}})
    assert e.authorize("open", creds(), {})
    assert not e.authorize("never", creds(roles=["admin"]), {})
    assert not e.authorize("no-such-rule", creds(roles=["admin"]), {})


def test_malformed_rule_denies():
    e = Enforcer({"bad": ("(role:admin", None)})
    assert not e.authorize("bad", creds(roles=["admin"]), {})


def test_override_file(tmp_path):
    f = tmp_path / "policy.yaml"
    f.write_text('"get_user": "role:admin"\n')
    e = Enforcer(RULES, f)
    assert not e.authorize("get_user", creds(), {"target": {"user": {"id": "u1"}}})


def test_flatten_keeps_every_level():
    flat = flatten({"target": {"user": {"id": 1}}})
    assert flat["target.user.id"] == 1 and flat["target.user"] == {"id": 1}


def test_literal_none_asks_for_an_unset_credential():
    e = Enforcer({"r": ("role:manager and not domain_id:None", None)})
    assert not e.authorize("r", creds(roles=["manager"], domain_id=None), {})
    assert e.authorize("r", creds(roles=["manager"], domain_id="d1", project_id=None), {})
