"""Groups and their members through openstacksdk and the openstack CLI."""

from __future__ import annotations

import uuid

import pytest
from keystoneauth1 import exceptions as ks_exc
from openstack import exceptions as sdk_exc

from tests.api.conftest import password_session, unique


def test_group_crud_with_sdk(admin, make_group):
    group = make_group(description="first")
    assert group.domain_id == "default" and group.description == "first"
    shown = admin.identity.get_group(group.id)
    assert shown.name == group.name
    raw = admin.identity.get(f"/groups/{group.id}").json()["group"]
    assert raw["links"]["self"].endswith(f"/identity/v3/groups/{group.id}")
    admin.identity.update_group(group, description="second")
    assert admin.identity.get_group(group.id).description == "second"
    assert group.id in {g.id for g in admin.identity.groups(domain_id="default")}
    assert [g.id for g in admin.identity.groups(name=group.name)] == [group.id]
    admin.identity.delete_group(group)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.get_group(group.id)


def test_group_defaults_extra_and_errors(admin, make_group):
    name = unique("grp")
    created = admin.identity.post("/groups", json={"group": {"name": name, "team": "blue"}})
    assert created.status_code == 201
    body = created.json()["group"]
    assert body["description"] == "" and body["team"] == "blue"
    assert body["domain_id"] == "default"
    try:
        assert admin.identity.post("/groups", json={"group": {"name": name}}).status_code == 409
        assert admin.identity.post("/groups", json={"group": {}}).status_code == 400
        assert admin.identity.post("/groups", json={"group": {"name": unique("g"),
                                                              "domain_id": "nowhere"}}) \
            .status_code == 404
        moved = admin.identity.patch(f"/groups/{body['id']}",
                                     json={"group": {"domain_id": "other"}})
        assert moved.status_code == 400
        assert admin.identity.patch(f"/groups/{body['id']}", json={"group": {}}) \
            .status_code == 400
    finally:
        admin.identity.delete(f"/groups/{body['id']}")
    assert admin.identity.get(f"/groups/{uuid.uuid4().hex}").status_code == 404


def test_group_membership_with_sdk(admin, make_group, make_user):
    group, user, other = make_group(), make_user(), make_user()
    admin.identity.add_user_to_group(user, group)
    admin.identity.add_user_to_group(user, group)  # idempotent, as in Keystone
    assert admin.identity.check_user_in_group(user, group)
    assert not admin.identity.check_user_in_group(other, group)
    members = [u.id for u in admin.identity.group_users(group)]
    assert members == [user.id]
    groups = admin.identity.get(f"/users/{user.id}/groups").json()["groups"]
    assert [g["id"] for g in groups] == [group.id]
    assert groups[0]["membership_expires_at"] is None
    admin.identity.remove_user_from_group(user, group)
    assert list(admin.identity.group_users(group)) == []
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.remove_user_from_group(user, group)


def test_membership_errors(admin, make_group, make_user):
    group, user = make_group(), make_user()
    missing = uuid.uuid4().hex
    assert admin.identity.put(f"/groups/{group.id}/users/{missing}").status_code == 404
    assert admin.identity.put(f"/groups/{missing}/users/{user.id}").status_code == 404
    assert admin.identity.head(f"/groups/{group.id}/users/{user.id}").status_code == 404
    assert admin.identity.get(f"/groups/{missing}/users").status_code == 404
    assert admin.identity.get(f"/users/{missing}/groups").status_code == 404


def test_group_members_filters(admin, make_group, make_user):
    group = make_group()
    on, off = make_user(), make_user(is_enabled=False)
    for user in (on, off):
        admin.identity.add_user_to_group(user, group)
    enabled = admin.identity.get(f"/groups/{group.id}/users?enabled=true").json()["users"]
    assert [u["id"] for u in enabled] == [on.id]
    named = admin.identity.get(f"/groups/{group.id}/users?name={off.name}").json()["users"]
    assert [u["id"] for u in named] == [off.id]


def test_cli_group_lifecycle(cli, make_user):
    user = make_user()
    name = unique("cli-grp")
    created = cli("group", "create", name, "--description", "by cli", "-f", "json")
    assert created["name"] == name and created["description"] == "by cli"
    cli("group", "add", "user", name, user.name)
    contains = cli("group", "contains", "user", name, user.name)
    assert contains.stdout.strip() == f"{user.name} in group {name}"
    listed = cli("user", "list", "--group", name, "-f", "json")
    assert [u["Name"] for u in listed] == [user.name]
    of_user = cli("group", "list", "--user", user.name, "-f", "json")
    assert [g["Name"] for g in of_user] == [name]
    cli("group", "remove", "user", name, user.name)
    gone = cli("group", "contains", "user", name, user.name, check=False)
    assert f"{user.name} not in group {name}" in gone.stdout + gone.stderr
    cli("group", "delete", name)
    assert cli("group", "show", name, check=False).returncode != 0


def test_membership_changes_token_roles(cloud, admin, make_group, make_user, make_project):
    """A role granted to a group reaches its members' tokens; leaving the group takes it
    away at once, from tokens already issued too."""
    group, user, project = make_group(), make_user(), make_project()
    admin.identity.assign_project_role_to_group(project, group, admin.identity.find_role("member"))
    with pytest.raises(ks_exc.Unauthorized):
        password_session(cloud, user.name, user.login_password, project_id=project.id) \
            .get_token()
    admin.identity.add_user_to_group(user, group)
    token = password_session(cloud, user.name, user.login_password,
                             project_id=project.id).get_token()
    assert admin.identity.validate_token(token) is not None
    admin.identity.remove_user_from_group(user, group)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.validate_token(token)


def test_deleting_group_drops_its_grants(cloud, admin, make_group, make_user, make_project):
    group, user, project = make_group(), make_user(), make_project()
    admin.identity.assign_project_role_to_group(project, group, admin.identity.find_role("member"))
    admin.identity.add_user_to_group(user, group)
    token = password_session(cloud, user.name, user.login_password,
                             project_id=project.id).get_token()
    admin.identity.delete_group(group)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.validate_token(token)
    assignments = admin.identity.get(f"/role_assignments?group.id={group.id}").json()
    assert assignments["role_assignments"] == []
