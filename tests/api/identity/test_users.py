"""Users through openstacksdk, keystoneauth1 and the openstack CLI."""

from __future__ import annotations

import uuid

import pytest
from keystoneauth1 import exceptions as ks_exc
from openstack import exceptions as sdk_exc

from tests.api.conftest import connection_for, password_session, unique


def test_user_crud_with_sdk(admin, make_user, make_project):
    project = make_project()
    user = make_user(description="first", email="a@example.com",
                     default_project_id=project.id)
    assert user.domain_id == "default" and user.is_enabled
    shown = admin.identity.get_user(user.id)
    assert (shown.name, shown.description, shown.email) == (user.name, "first", "a@example.com")
    assert shown.default_project_id == project.id
    assert shown.password_expires_at is None and shown.options == {}
    assert shown.links["self"].endswith(f"/identity/v3/users/{user.id}")
    renamed = user.name + "-x"
    admin.identity.update_user(user, name=renamed, description="second", is_enabled=False)
    shown = admin.identity.get_user(user.id)
    assert (shown.name, shown.description, shown.is_enabled) == (renamed, "second", False)
    admin.identity.delete_user(user)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.get_user(user.id)


def test_unknown_attributes_are_kept_and_returned(admin):
    name = unique("extra")
    created = admin.identity.post("/users", json={"user": {"name": name, "shoe": 42}}).json()
    user_id = created["user"]["id"]
    try:
        assert created["user"]["shoe"] == 42
        assert "description" not in created["user"] and "default_project_id" not in \
            created["user"]
        admin.identity.patch(f"/users/{user_id}", json={"user": {"hat": "red"}})
        shown = admin.identity.get(f"/users/{user_id}").json()["user"]
        assert shown["shoe"] == 42 and shown["hat"] == "red"
    finally:
        admin.identity.delete(f"/users/{user_id}")


def test_user_cli_create_list_show_set_delete(cli, make_project):
    project = make_project()
    name = unique("cli-user")
    created = cli("user", "create", name, "--password", "secret-1", "--email", "c@example.com",
                  "--description", "made by cli", "--project", project.name, "-f", "json")
    assert created["name"] == name and created["email"] == "c@example.com"
    assert created["default_project_id"] == project.id and created["enabled"] is True
    listed = cli("user", "list", "--domain", "default", "-f", "json")
    assert name in [u["Name"] for u in listed]
    cli("user", "set", name, "--disable", "--name", name + "-renamed",
        "--description", "changed")
    shown = cli("user", "show", name + "-renamed", "-f", "json")
    assert shown["enabled"] is False and shown["description"] == "changed"
    cli("user", "delete", name + "-renamed")
    assert cli("user", "show", name + "-renamed", check=False).returncode != 0


def test_user_list_filters(admin, make_user):
    stem = unique("flt")
    on = make_user(name=stem + "-on")
    off = make_user(name=stem + "-off", is_enabled=False)
    assert [u.id for u in admin.identity.users(name=on.name)] == [on.id]
    disabled = {u.id for u in admin.identity.users(is_enabled=False)}
    assert off.id in disabled and on.id not in disabled
    prefixed = admin.identity.get(f"/users?name__startswith={stem}").json()["users"]
    assert {u["id"] for u in prefixed} == {on.id, off.id}
    upper = admin.identity.get(f"/users?name__icontains={stem.upper()}-ON").json()["users"]
    assert [u["id"] for u in upper] == [on.id]
    in_domain = {u.id for u in admin.identity.users(domain_id="default")}
    assert {on.id, off.id} <= in_domain
    assert not list(admin.identity.users(domain_id="no-such-domain"))
    # Nothing expires in this cloud, so no user's password expires before any time.
    assert admin.identity.get("/users?password_expires_at=lt:2999-01-01T00:00:00Z") \
        .json()["users"] == []


def test_bad_input_is_400_and_writes_nothing(admin):
    name = unique("bad")
    cases = [
        {"user": {"description": "no name"}},
        {"user": {"name": name, "enabled": "maybe"}},
        {"user": {"name": name, "options": {"no_such_option": True}}},
        {"user": {"name": name, "options": {"lock_password": "yes"}}},
        {"user": {"name": name, "default_project_id": "default"}},
        {"user": {"name": name, "password": 12}},
        {"user": {"name": ""}},
    ]
    for body in cases:
        reply = admin.identity.post("/users", json=body)
        assert reply.status_code == 400, body
        assert reply.json()["error"]["code"] == 400
    assert not list(admin.identity.users(name=name))
    bad_filter = admin.identity.get("/users?password_expires_at=lt:yesterday")
    assert bad_filter.status_code == 400
    bad_operator = admin.identity.get("/users?password_expires_at=xx:2020-01-01T00:00:00Z")
    assert bad_operator.status_code == 400


def test_duplicate_name_missing_domain_and_immutable_domain(admin, make_user):
    user = make_user()
    with pytest.raises(sdk_exc.ConflictException):
        admin.identity.create_user(name=user.name, domain_id="default")
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.create_user(name=unique("nodomain"), domain_id="no-such-domain")
    moved = admin.identity.patch(f"/users/{user.id}", json={"user": {"domain_id": "other"}})
    assert moved.status_code == 400
    assert admin.identity.get_user(user.id).domain_id == "default"
    empty = admin.identity.patch(f"/users/{user.id}", json={"user": {}})
    assert empty.status_code == 400


def test_user_options_set_and_cleared(admin, make_user):
    user = make_user(options={"ignore_lockout_failure_attempts": True,
                              "multi_factor_auth_rules": [["password", "totp"]]})
    assert admin.identity.get_user(user.id).options == {
        "ignore_lockout_failure_attempts": True,
        "multi_factor_auth_rules": [["password", "totp"]]}
    admin.identity.patch(f"/users/{user.id}", json={"user": {"options": {
        "ignore_lockout_failure_attempts": None, "lock_password": True}}})
    assert admin.identity.get_user(user.id).options == {
        "lock_password": True, "multi_factor_auth_rules": [["password", "totp"]]}


def test_cli_user_options(cli, admin, make_user):
    user = make_user()
    cli("user", "set", user.id, "--ignore-password-expiry", "--enable-lock-password")
    assert admin.identity.get_user(user.id).options == {"ignore_password_expiry": True,
                                                        "lock_password": True}


def test_user_reads_self_but_not_others(cloud, admin, make_user, make_project):
    me, other, project = make_user(), make_user(), make_project()
    admin.identity.assign_project_role_to_user(project, me, admin.identity.find_role("member"))
    conn = connection_for(password_session(cloud, me.name, me.login_password,
                                           project_id=project.id))
    assert conn.identity.get_user(me.id).name == me.name
    with pytest.raises(sdk_exc.ForbiddenException):
        conn.identity.get_user(other.id)
    with pytest.raises(sdk_exc.ForbiddenException):
        list(conn.identity.users())
    with pytest.raises(sdk_exc.ForbiddenException):
        conn.identity.create_user(name=unique("nope"), domain_id="default")
    # Keystone answers 403, not 404, for a user the caller may not see.
    with pytest.raises(sdk_exc.ForbiddenException):
        conn.identity.get_user(uuid.uuid4().hex)


def test_missing_user_is_404_for_admin(admin):
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.get_user(uuid.uuid4().hex)
    assert admin.identity.delete(f"/users/{uuid.uuid4().hex}").status_code == 404


def test_disable_and_delete_invalidate_tokens(cloud, admin, make_user):
    user = make_user()
    sess = password_session(cloud, user.name, user.login_password)
    token = sess.get_token()
    assert admin.identity.validate_token(token) is not None
    admin.identity.update_user(user, is_enabled=False)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.validate_token(token)
    with pytest.raises(ks_exc.Unauthorized):
        password_session(cloud, user.name, user.login_password).get_token()
    # Enabled again, the old token stays dead and a new one works at once.
    admin.identity.update_user(user, is_enabled=True)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.validate_token(token)
    fresh = password_session(cloud, user.name, user.login_password).get_token()
    assert admin.identity.validate_token(fresh) is not None
    admin.identity.delete_user(user)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.validate_token(fresh)


def test_admin_password_reset_kills_old_tokens_only(cloud, admin, make_user):
    user = make_user()
    old_token = password_session(cloud, user.name, user.login_password).get_token()
    admin.identity.update_user(user, password="reset-by-admin")
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.validate_token(old_token)
    with pytest.raises(ks_exc.Unauthorized):
        password_session(cloud, user.name, user.login_password).get_token()
    # Issued right after the answer, possibly in the same second as the change: valid.
    new_token = password_session(cloud, user.name, "reset-by-admin").get_token()
    assert admin.identity.validate_token(new_token) is not None


def test_list_user_projects(cloud, admin, make_user, make_project):
    me = admin.identity.get("/auth/tokens", headers={
        "X-Subject-Token": admin.session.get_token()}).json()["token"]["user"]["id"]
    mine = admin.identity.get(f"/users/{me}/projects").json()["projects"]
    assert "admin" in [p["name"] for p in mine]
    user = make_user()
    assert admin.identity.get(f"/users/{user.id}/projects").json()["projects"] == []
    project, other = make_project(), make_project()
    member = admin.identity.find_role("member")
    admin.identity.assign_project_role_to_user(project, user, member)
    # tempest's test_list_projects_returns_only_authorized_projects, as the user itself
    conn = connection_for(password_session(cloud, user.name, user.login_password,
                                           project_id=project.id))
    listed = conn.identity.get(f"/users/{user.id}/projects").json()["projects"]
    assert [p["id"] for p in listed] == [project.id]
    for p in listed:
        scoped = password_session(cloud, user.name, user.login_password, project_id=p["id"])
        assert scoped.get_token()
    with pytest.raises(ks_exc.Unauthorized):
        password_session(cloud, user.name, user.login_password,
                         project_id=other.id).get_token()


def test_cli_user_list_by_project_and_show_by_name(cli, admin, make_user, make_project):
    user, project = make_user(), make_project()
    admin.identity.assign_project_role_to_user(project, user, admin.identity.find_role("member"))
    shown = cli("user", "show", user.name, "-f", "json")
    assert shown["id"] == user.id
    listed = cli("user", "list", "--project", project.name, "-f", "json")
    assert [u["Name"] for u in listed] == [user.name]


@pytest.fixture
def managed_domain(admin, make_user):
    """A fresh domain, and a user of it holding the manager role on it."""
    domain = admin.identity.create_domain(name=unique("dom"))
    manager = make_user(domain_id=domain.id)
    admin.identity.assign_domain_role_to_user(domain, manager,
                                              admin.identity.find_role("manager"))
    yield domain, manager
    for user in admin.identity.users(domain_id=domain.id):
        admin.identity.delete_user(user)
    admin.identity.update_domain(domain, is_enabled=False)
    admin.identity.delete_domain(domain)


def test_domain_manager_creates_users_in_own_domain_only(cloud, admin, managed_domain,
                                                         make_user):
    domain, manager = managed_domain
    outsider = make_user()
    sess = password_session(cloud, manager.name, manager.login_password, domain_id=domain.id,
                            user_domain_id=domain.id)
    conn = connection_for(sess)
    # No domain_id given: Keystone judges the body as sent, where no domain matches the
    # manager's, so the manager has to name its domain.
    unnamed = unique("dm")
    refused = conn.identity.post("/users", json={"user": {"name": unnamed}})
    assert refused.status_code == 403
    assert list(admin.identity.users(name=unnamed)) == []
    made = conn.identity.create_user(name=unique("dm"), domain_id=domain.id)
    assert made.domain_id == domain.id
    with pytest.raises(sdk_exc.ForbiddenException):
        conn.identity.create_user(name=unique("dm"), domain_id="default")
    listed = {u.id for u in conn.identity.users()}
    assert made.id in listed and manager.id in listed and outsider.id not in listed
    with pytest.raises(sdk_exc.ForbiddenException):
        conn.identity.update_user(outsider.id, description="not yours")
    conn.identity.update_user(made.id, description="mine")
    assert admin.identity.get_user(made.id).description == "mine"


def test_create_without_domain_on_project_token_uses_default_domain(admin):
    made = admin.identity.post("/users", json={"user": {"name": unique("nodom")}}).json()["user"]
    try:
        assert made["domain_id"] == "default"
    finally:
        admin.identity.delete_user(made["id"])
