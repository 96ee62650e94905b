"""Roles and implied roles through openstacksdk, python-keystoneclient and the openstack CLI."""

from __future__ import annotations

import pytest
from keystoneauth1 import exceptions as ks_exc
from keystoneclient.v3 import client as ks_client
from openstack import exceptions as sdk_exc

from tests.api.conftest import password_session, unique


@pytest.fixture
def keystone(admin):
    """python-keystoneclient on the admin's session: the client for inference rules."""
    return ks_client.Client(session=admin.session, interface="public")


def test_role_crud_with_sdk(admin, make_role):
    role = make_role(description="reads reports")
    assert role.description == "reads reports"
    assert role.domain_id is None and role.options == {}
    fetched = admin.identity.get_role(role.id)
    assert fetched.name == role.name
    listed = list(admin.identity.roles(name=role.name))
    assert [r.id for r in listed] == [role.id]
    new_name = role.name + "-x"
    admin.identity.update_role(role.id, name=new_name, description="changed")
    updated = admin.identity.get_role(role.id)
    assert updated.name == new_name and updated.description == "changed"
    admin.identity.delete_role(role)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.get_role(role.id)


def test_role_cli_create_list_show_set_delete(cli):
    name = unique("cli-role")
    created = cli("role", "create", name, "--description", "from the CLI", "-f", "json")
    assert created["name"] == name and created["description"] == "from the CLI"
    assert name in [row["Name"] for row in cli("role", "list", "-f", "json")]
    shown = cli("role", "show", name, "-f", "json")
    assert shown["id"] == created["id"]
    cli("role", "set", "--name", name + "-renamed", name)
    assert cli("role", "show", created["id"], "-f", "json")["name"] == name + "-renamed"
    cli("role", "delete", created["id"])
    assert cli("role", "show", created["id"], check=False).returncode != 0


def test_role_extra_attributes_round_trip(keystone, admin):
    role = keystone.roles.create(unique("extra"), colour="blue")
    try:
        assert keystone.roles.get(role.id).colour == "blue"
    finally:
        admin.identity.delete_role(role.id)


def test_duplicate_role_name_is_409_per_domain(admin, make_role, make_domain):
    role = make_role()
    with pytest.raises(sdk_exc.ConflictException) as err:
        admin.identity.create_role(name=role.name)
    assert "Duplicate entry found with name" in str(err.value)
    domain = make_domain()
    scoped = make_role(name=role.name, domain_id=domain.id)  # same name, other domain: fine
    assert scoped.domain_id == domain.id
    with pytest.raises(sdk_exc.ConflictException):
        admin.identity.create_role(name=role.name, domain_id=domain.id)


def test_domain_specific_roles_are_listed_per_domain(admin, cli, make_role, make_domain):
    domain = make_domain()
    scoped = make_role(domain_id=domain.id)
    assert scoped.id not in [r.id for r in admin.identity.roles()]
    assert [r.id for r in admin.identity.roles(domain_id=domain.id)] == [scoped.id]
    name = unique("cli-domain-role")
    created = cli("role", "create", "--domain", domain.name, name, "-f", "json")
    assert created["domain_id"] == domain.id
    listed = cli("role", "list", "--domain", domain.name, "-f", "json")
    assert {row["Name"] for row in listed} == {scoped.name, name}


def test_role_update_refuses_domain_change_and_bad_input(admin, make_role, make_domain):
    role = make_role()
    with pytest.raises(sdk_exc.BadRequestException) as err:
        admin.identity.update_role(role, domain_id=make_domain().id)
    assert "domain_id" in str(err.value)
    with pytest.raises(sdk_exc.BadRequestException):
        admin.identity.create_role(description="no name")
    with pytest.raises(sdk_exc.BadRequestException):
        admin.identity.create_role(name=unique("r"), options={"unknown": True})
    assert admin.identity.get_role(role.id).domain_id is None


def test_immutable_role_refuses_changes_until_unset(admin, cli, make_role):
    name = unique("locked")
    created = cli("role", "create", "--immutable", name, "-f", "json")
    role = admin.identity.get_role(created["id"])
    assert role.options == {"immutable": True}
    with pytest.raises(sdk_exc.ForbiddenException) as err:
        admin.identity.update_role(role, description="nope")
    assert "immutable" in str(err.value)
    with pytest.raises(sdk_exc.ForbiddenException):
        admin.identity.delete_role(role)
    cli("role", "set", "--no-immutable", role.id)
    assert admin.identity.get_role(role.id).options == {"immutable": False}
    admin.identity.delete_role(role)


def test_bootstrap_roles_imply_each_other(cli):
    rules = cli("implied", "role", "list", "-f", "json")
    pairs = {(row["Prior Role Name"], row["Implied Role Name"]) for row in rules}
    assert {("admin", "manager"), ("manager", "member"), ("member", "reader")} <= pairs


def test_implied_role_cli_create_list_delete(cli, make_role):
    prior, implied = make_role(), make_role()
    made = cli("implied", "role", "create", prior.name, "--implied-role", implied.name,
               "-f", "json")
    assert made == {"prior_role": prior.id, "implies": implied.id}
    rules = cli("implied", "role", "list", "-f", "json")
    assert (prior.name, implied.name) in {(r["Prior Role Name"], r["Implied Role Name"])
                                          for r in rules}
    cli("implied", "role", "delete", prior.name, "--implied-role", implied.name)
    rules = cli("implied", "role", "list", "-f", "json")
    assert prior.id not in {r["Prior Role ID"] for r in rules}


def test_implied_role_get_check_list_with_keystoneclient(keystone, make_role):
    prior, first, second = make_role(), make_role(), make_role()
    keystone.inference_rules.create(prior.id, first.id)
    keystone.inference_rules.create(prior.id, second.id)
    rule = keystone.inference_rules.get(prior.id, first.id)
    assert rule.prior_role["id"] == prior.id and rule.implies["id"] == first.id
    assert rule.implies["links"]["self"].endswith(f"/v3/roles/{first.id}")
    keystone.inference_rules.check(prior.id, second.id)
    listed = keystone.inference_rules.list(prior.id)
    assert {r["id"] for r in listed.implies} == {first.id, second.id}
    keystone.inference_rules.delete(prior.id, first.id)
    with pytest.raises(ks_exc.NotFound):
        keystone.inference_rules.check(prior.id, first.id)
    with pytest.raises(ks_exc.NotFound):
        keystone.inference_rules.delete(prior.id, first.id)


def test_implied_role_rules_of_keystone(keystone, admin, make_role, make_domain):
    prior = make_role()
    admin_role = admin.identity.find_role("admin")
    with pytest.raises(ks_exc.Forbidden):
        keystone.inference_rules.create(prior.id, admin_role.id)
    scoped = make_role(domain_id=make_domain().id)
    with pytest.raises(ks_exc.Forbidden):  # a global role cannot imply a domain role
        keystone.inference_rules.create(prior.id, scoped.id)
    keystone.inference_rules.create(scoped.id, prior.id)  # the other way round is fine
    with pytest.raises(ks_exc.Conflict):
        keystone.inference_rules.create(scoped.id, prior.id)
    with pytest.raises(ks_exc.NotFound):
        keystone.inference_rules.create(prior.id, "no-such-role")


def test_deleting_a_role_removes_its_grants_and_rules(admin, cli, make_role, make_user,
                                                      make_project):
    role, implied = make_role(), make_role()
    cli("implied", "role", "create", role.name, "--implied-role", implied.name)
    user, project = make_user(), make_project()
    admin.identity.assign_project_role_to_user(project, user, role)
    admin.identity.delete_role(role)
    assert list(admin.identity.role_assignments(user_id=user.id)) == []
    rules = cli("implied", "role", "list", "-f", "json")
    assert role.id not in {r["Prior Role ID"] for r in rules}


def test_implied_roles_appear_in_tokens(cloud, admin, keystone, make_role, make_user,
                                       make_project):
    prior, implied = make_role(), make_role()
    keystone.inference_rules.create(prior.id, implied.id)
    user, project = make_user(), make_project()
    admin.identity.assign_project_role_to_user(project, user, prior)
    sess = password_session(cloud, user.name, user.login_password, project_id=project.id)
    roles = set(sess.auth.get_access(sess).role_names)
    assert roles == {prior.name, implied.name}


def test_domain_role_never_appears_in_tokens(cloud, admin, keystone, make_role, make_user,
                                             make_project):
    """A domain-specific role only stands for the global roles it implies."""
    project = make_project()
    scoped, implied = make_role(domain_id=project.domain_id), make_role()
    keystone.inference_rules.create(scoped.id, implied.id)
    user = make_user()
    admin.identity.assign_project_role_to_user(project, user, scoped)
    sess = password_session(cloud, user.name, user.login_password, project_id=project.id)
    assert set(sess.auth.get_access(sess).role_names) == {implied.name}


def test_reader_cannot_create_roles(cloud, admin, make_user, make_project):
    user, project = make_user(), make_project()
    admin.identity.assign_project_role_to_user(project, user,
                                               admin.identity.find_role("reader"))
    sess = password_session(cloud, user.name, user.login_password, project_id=project.id)
    client = ks_client.Client(session=sess, interface="public")
    with pytest.raises(ks_exc.Forbidden):
        client.roles.create(unique("denied"))
    with pytest.raises(ks_exc.Forbidden):
        client.roles.list()
