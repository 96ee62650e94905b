"""Grants and role assignments through the openstack CLI, openstacksdk, python-keystoneclient
and keystoneauth1, and what they do to tokens."""

from __future__ import annotations

import pytest
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
from keystoneclient.v3 import client as ks_client
from openstack import exceptions as sdk_exc

from tests.api.conftest import password_session


@pytest.fixture
def keystone(admin):
    return ks_client.Client(session=admin.session, interface="public")


def client_for(sess):
    return ks_client.Client(session=sess, interface="public")


def bare_token_session(cloud, token):
    """Sends exactly this token and never re-authenticates: what a stale client does."""
    return ks_session.Session(auth=token_endpoint.Token(cloud.auth_url, token))


def test_cli_role_add_list_remove_on_project(cli, make_user, make_project, make_role):
    user, project, role = make_user(), make_project(), make_role()
    cli("role", "add", "--user", user.name, "--project", project.name, role.name)
    rows = cli("role", "assignment", "list", "--user", user.id, "-f", "json")
    assert rows == [{"Role": role.id, "User": user.id, "Group": "", "Project": project.id,
                     "Domain": "", "System": "", "Inherited": False}]
    named = cli("role", "assignment", "list", "--user", user.id, "--names", "-f", "json")
    assert named[0]["Role"] == role.name
    assert named[0]["User"] == f"{user.name}@Default"
    assert named[0]["Project"] == f"{project.name}@Default"
    cli("role", "remove", "--user", user.name, "--project", project.name, role.name)
    assert cli("role", "assignment", "list", "--user", user.id, "-f", "json") == []


def test_sdk_project_and_domain_grants(admin, make_user, make_group, make_project, make_role):
    user, group, project, role = make_user(), make_group(), make_project(), make_role()
    domain = admin.identity.get_domain("default")
    assert not admin.identity.validate_user_has_project_role(project, user, role)
    admin.identity.assign_project_role_to_user(project, user, role)
    admin.identity.assign_project_role_to_user(project, user, role)  # twice is fine
    assert admin.identity.validate_user_has_project_role(project, user, role)
    roles = admin.identity.role_assignments_filter(project=project, user=user)
    assert [r.id for r in roles] == [role.id]
    admin.identity.assign_domain_role_to_group(domain, group, role)
    assert admin.identity.validate_group_has_domain_role(domain, group, role)
    roles = admin.identity.role_assignments_filter(domain=domain, group=group)
    assert [r.id for r in roles] == [role.id]
    admin.identity.unassign_domain_role_from_group(domain, group, role)
    assert not admin.identity.validate_group_has_domain_role(domain, group, role)
    admin.identity.unassign_project_role_from_user(project, user, role)
    assert not admin.identity.validate_user_has_project_role(project, user, role)


def test_grant_errors(keystone, admin, make_user, make_project, make_role, make_domain):
    user, project, role = make_user(), make_project(), make_role()
    with pytest.raises(ks_exc.NotFound):
        keystone.roles.grant("no-such-role", user=user.id, project=project.id)
    with pytest.raises(ks_exc.NotFound):
        keystone.roles.grant(role.id, user="no-such-user", project=project.id)
    with pytest.raises(ks_exc.NotFound):
        keystone.roles.grant(role.id, user=user.id, project="no-such-project")
    with pytest.raises(ks_exc.NotFound) as err:
        keystone.roles.revoke(role.id, user=user.id, project=project.id)
    assert "Could not find role assignment" in str(err.value)
    other_domain_role = make_role(domain_id=make_domain().id)
    with pytest.raises(ks_exc.Forbidden) as err:  # project in Default, role in another domain
        keystone.roles.grant(other_domain_role.id, user=user.id, project=project.id)
    assert "must be in the same domain" in str(err.value)
    with pytest.raises(ks_exc.BadRequest):  # domain roles are never system roles
        keystone.roles.grant(other_domain_role.id, user=user.id, system="all")
    assert list(admin.identity.role_assignments(user_id=user.id)) == []


def test_system_grants_with_cli(cloud, cli, make_user, make_role):
    user, role = make_user(), make_role()
    cli("role", "add", "--user", user.name, "--system", "all", role.name)
    rows = cli("role", "assignment", "list", "--user", user.id, "--system", "all", "-f", "json")
    assert [(r["Role"], r["System"]) for r in rows] == [(role.id, "all")]
    sess = password_session(cloud, user.name, user.login_password, system_scope="all")
    assert sess.auth.get_access(sess).role_names == [role.name]
    cli("role", "remove", "--user", user.name, "--system", "all", role.name)
    assert cli("role", "assignment", "list", "--user", user.id, "-f", "json") == []


def test_system_grants_for_groups_with_keystoneclient(keystone, make_group, make_role):
    group, role = make_group(), make_role()
    keystone.roles.grant(role.id, group=group.id, system="all")
    keystone.roles.check(role.id, group=group.id, system="all")
    assert [r.id for r in keystone.roles.list(group=group.id, system="all")] == [role.id]
    keystone.roles.revoke(role.id, group=group.id, system="all")
    with pytest.raises(ks_exc.NotFound):
        keystone.roles.check(role.id, group=group.id, system="all")


def test_inherited_domain_grant_reaches_projects(cloud, cli, admin, make_domain, make_user,
                                                 make_project, make_role):
    domain = make_domain()
    project = make_project(domain_id=domain.id)
    user, role = make_user(), make_role()
    cli("role", "add", "--user", user.name, "--domain", domain.name, "--inherited", role.name)
    direct = cli("role", "assignment", "list", "--user", user.id, "-f", "json")
    assert [(r["Domain"], r["Inherited"]) for r in direct] == [(domain.id, True)]
    effective = cli("role", "assignment", "list", "--user", user.id, "--effective", "--names",
                    "-f", "json")
    assert [(r["Role"], r["Project"], r["Domain"]) for r in effective] == \
        [(role.name, f"{project.name}@{domain.name}", "")]
    sess = password_session(cloud, user.name, user.login_password, project_id=project.id)
    assert sess.auth.get_access(sess).role_names == [role.name]
    with pytest.raises(ks_exc.Unauthorized):  # inherited grants give nothing on the domain
        password_session(cloud, user.name, user.login_password,
                         domain_id=domain.id).get_token()
    cli("role", "remove", "--user", user.name, "--domain", domain.name, "--inherited",
        role.name)
    assert list(admin.identity.role_assignments(user_id=user.id)) == []


def test_inherited_project_grant_reaches_the_subtree_only(keystone, make_user, make_project,
                                                          make_role):
    parent = make_project()
    child = make_project(parent_id=parent.id)
    user, role = make_user(), make_role()
    keystone.roles.grant(role.id, user=user.id, project=parent.id,
                         os_inherit_extension_inherited=True)
    keystone.roles.check(role.id, user=user.id, project=parent.id,
                         os_inherit_extension_inherited=True)
    on_child = keystone.role_assignments.list(user=user.id, project=child.id, effective=True)
    assert [(a.scope["project"]["id"], a.role["id"]) for a in on_child] == [(child.id, role.id)]
    assert on_child[0].scope["OS-INHERIT:inherited_to"] == "projects"
    assert on_child[0].links["assignment"].endswith(
        f"/v3/OS-INHERIT/projects/{parent.id}/users/{user.id}/roles/{role.id}"
        "/inherited_to_projects")
    assert keystone.role_assignments.list(user=user.id, project=parent.id, effective=True) == []


def test_group_grants_are_effective_for_members(admin, keystone, make_user, make_group,
                                                make_project, make_role):
    user, group, project, role = make_user(), make_group(), make_project(), make_role()
    admin.identity.add_user_to_group(user, group)
    admin.identity.assign_project_role_to_group(project, group, role)
    assert list(admin.identity.role_assignments(user_id=user.id)) == []
    effective = keystone.role_assignments.list(user=user.id, effective=True)
    assert len(effective) == 1
    found = effective[0]
    assert found.user == {"id": user.id} and found.role == {"id": role.id}
    assert found.scope == {"project": {"id": project.id}}
    assert found.links["assignment"].endswith(
        f"/v3/projects/{project.id}/groups/{group.id}/roles/{role.id}")
    assert found.links["membership"].endswith(f"/v3/groups/{group.id}/users/{user.id}")
    by_group = list(admin.identity.role_assignments(group_id=group.id))
    assert [(a.group["id"], a.scope["project"]["id"]) for a in by_group] == \
        [(group.id, project.id)]


def test_effective_assignments_include_implied_roles(keystone, make_user, make_project,
                                                     make_role):
    user, project = make_user(), make_project()
    prior, implied = make_role(), make_role()
    keystone.inference_rules.create(prior.id, implied.id)
    keystone.roles.grant(prior.id, user=user.id, project=project.id)
    found = keystone.role_assignments.list(user=user.id, effective=True, include_names=True)
    by_role = {a.role["name"]: a for a in found}
    assert set(by_role) == {prior.name, implied.name}
    assert by_role[implied.name].links["assignment"].endswith(
        f"/v3/projects/{project.id}/users/{user.id}/roles/{prior.id}")
    assert "prior_role" in by_role[implied.name].links
    assert by_role[prior.name].scope["project"]["name"] == project.name
    assert by_role[prior.name].user["domain"] == {"id": "default", "name": "Default"}
    only = keystone.role_assignments.list(user=user.id, effective=True, role=implied.id)
    assert [a.role["id"] for a in only] == [implied.id]


def test_role_assignment_filters_and_subtree(admin, keystone, make_user, make_project,
                                             make_role):
    parent = make_project()
    child = make_project(parent_id=parent.id)
    user, role = make_user(), make_role()
    keystone.roles.grant(role.id, user=user.id, project=child.id)
    assert keystone.role_assignments.list(project=parent.id) == []
    tree = list(admin.identity.role_assignments(scope_project_id=parent.id,
                                                include_subtree=True))
    assert [(a.user["id"], a.scope["project"]["id"]) for a in tree] == [(user.id, child.id)]
    assert [a.user["id"] for a in keystone.role_assignments.list(role=role.id)] == [user.id]


def test_role_assignment_list_refuses_useless_filters(admin, make_user, make_group):
    user, group = make_user(), make_group()
    bad = [dict(user_id=user.id, group_id=group.id),
           dict(group_id=group.id, effective=True),
           dict(scope_project_id="p", scope_domain_id="d"),
           dict(scope_domain_id="default", scope_system="all"),
           dict(include_subtree=True)]
    for query in bad:
        with pytest.raises(sdk_exc.BadRequestException):
            list(admin.identity.role_assignments(**query))


def test_token_roles_follow_assignments(cloud, admin, keystone, make_user, make_project,
                                        make_role):
    user, project, extra = make_user(), make_project(), make_role()
    member = admin.identity.find_role("member")
    admin.identity.assign_project_role_to_user(project, user, member)
    admin.identity.assign_project_role_to_user(project, user, extra)
    sess = password_session(cloud, user.name, user.login_password, project_id=project.id)
    token = sess.get_token()
    # member implies reader (keystone-manage bootstrap's chain).
    assert set(sess.auth.get_access(sess).role_names) == {"member", "reader", extra.name}
    admin.identity.unassign_project_role_from_user(project, user, extra)
    assert set(keystone.tokens.validate(token).role_names) == {"member", "reader"}
    stale = bare_token_session(cloud, token)
    assert stale.get(f"{cloud.auth_url}/v3/auth/projects").status_code == 200
    admin.identity.unassign_project_role_from_user(project, user, member)
    with pytest.raises(ks_exc.Unauthorized):
        stale.get(f"{cloud.auth_url}/v3/auth/projects")
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.validate_token(token)


def test_domain_manager_grants_member_but_not_admin(cloud, admin, make_domain, make_user,
                                                    make_project):
    domain = make_domain()
    manager = make_user(domain_id=domain.id)
    admin.identity.assign_domain_role_to_user(domain, manager,
                                              admin.identity.find_role("manager"))
    user = make_user(domain_id=domain.id)
    project = make_project(domain_id=domain.id)
    outside = make_project()
    sess = password_session(cloud, manager.name, manager.login_password, domain_id=domain.id,
                            user_domain_id=domain.id)
    client = client_for(sess)
    member = admin.identity.find_role("member")
    client.roles.grant(member.id, user=user.id, project=project.id)
    assert admin.identity.validate_user_has_project_role(project, user, member)
    with pytest.raises(ks_exc.Forbidden):
        client.roles.grant(admin.identity.find_role("admin").id, user=user.id,
                           project=project.id)
    with pytest.raises(ks_exc.Forbidden):
        client.roles.grant(member.id, user=user.id, project=outside.id)
    client.roles.revoke(member.id, user=user.id, project=project.id)
    assert not admin.identity.validate_user_has_project_role(project, user, member)


def test_domain_manager_uses_the_cli_by_names(cloud, cli, admin, make_domain, make_user,
                                              make_project):
    domain = make_domain()
    manager = make_user(domain_id=domain.id)
    admin.identity.assign_domain_role_to_user(domain, manager,
                                              admin.identity.find_role("manager"))
    user, project = make_user(domain_id=domain.id), make_project(domain_id=domain.id)
    env = {k: v for k, v in cloud.env.items() if not k.startswith("OS_")}
    env.update(OS_AUTH_URL=cloud.auth_url, OS_IDENTITY_API_VERSION="3",
               OS_USERNAME=manager.name, OS_PASSWORD=manager.login_password,
               OS_USER_DOMAIN_ID=domain.id, OS_DOMAIN_ID=domain.id)
    cli("role", "add", "--user", user.name, "--user-domain", domain.id, "--project",
        project.name, "--project-domain", domain.id, "member", env=env)
    assert admin.identity.validate_user_has_project_role(project, user,
                                                         admin.identity.find_role("member"))
    # The CLI does not report the 403 (openstacksdk ignores the status); the grant is refused.
    cli("role", "add", "--user", user.id, "--project", project.id, "admin", env=env,
        check=False)
    assert not admin.identity.validate_user_has_project_role(
        project, user, admin.identity.find_role("admin"))


def test_domain_reader_lists_only_its_domain(cloud, admin, keystone, make_domain, make_user,
                                             make_project, make_role):
    domain = make_domain()
    reader = make_user(domain_id=domain.id)
    keystone.roles.grant(admin.identity.find_role("reader").id, user=reader.id,
                         domain=domain.id)
    inside, role = make_project(domain_id=domain.id), make_role()
    keystone.roles.grant(role.id, user=reader.id, project=inside.id)
    keystone.roles.grant(role.id, user=reader.id, project=make_project().id)
    sess = password_session(cloud, reader.name, reader.login_password, domain_id=domain.id,
                            user_domain_id=domain.id)
    seen = client_for(sess).role_assignments.list()
    scopes = {a.scope.get("domain", {}).get("id") or a.scope["project"]["id"] for a in seen}
    assert scopes == {domain.id, inside.id}
    with pytest.raises(ks_exc.Forbidden):
        client_for(sess).roles.grant(role.id, user=reader.id, project=inside.id)
