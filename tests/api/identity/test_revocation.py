"""A token stops working on the very next request once what it stands on goes away."""

from __future__ import annotations

import pytest
from keystoneauth1 import exceptions as ks_exc
from openstack import exceptions as sdk_exc

from tests.api.conftest import password_session, unique


def token_works(admin, token: str) -> bool:
    try:
        admin.identity.validate_token(token)
        return True
    except sdk_exc.NotFoundException:
        return False


def project_token(cloud, member) -> str:
    return password_session(cloud, member.user.name, member.user.login_password,
                            project_id=member.project.id).get_token()


def test_disabling_the_project_kills_its_tokens(cloud, admin, make_member):
    member = make_member()
    token = project_token(cloud, member)
    assert token_works(admin, token)
    admin.identity.update_project(member.project.id, is_enabled=False)
    assert not token_works(admin, token)
    with pytest.raises(ks_exc.Unauthorized):
        project_token(cloud, member)
    admin.identity.update_project(member.project.id, is_enabled=True)
    assert token_works(admin, project_token(cloud, member))


def test_deleting_the_project_kills_its_tokens(cloud, admin, make_member):
    member = make_member()
    token = project_token(cloud, member)
    admin.identity.delete_project(member.project.id)
    assert not token_works(admin, token)


def test_disabling_a_parent_project_kills_tokens_below(cloud, admin, make_member, make_user):
    parent = admin.identity.create_project(name=unique("parent"), domain_id="default")
    child = admin.identity.create_project(name=unique("child"), parent_id=parent.id)
    user = make_user()
    admin.identity.assign_project_role_to_user(child, user, admin.identity.find_role("member"))
    token = password_session(cloud, user.name, user.login_password,
                             project_id=child.id).get_token()
    admin.identity.update_project(parent.id, is_enabled=False)
    try:
        assert not token_works(admin, token)
    finally:
        admin.identity.delete_project(child)
        admin.identity.delete_project(parent)


def test_disabling_or_deleting_the_domain_kills_tokens(cloud, admin, make_domain):
    domain = make_domain()
    project = admin.identity.create_project(name=unique("p"), domain_id=domain.id)
    user = admin.identity.create_user(name=unique("u"), domain_id=domain.id, password="pw-1")
    admin.identity.assign_project_role_to_user(project, user, admin.identity.find_role("member"))
    token = password_session(cloud, user.name, "pw-1", project_id=project.id,
                             user_domain_id=domain.id).get_token()
    assert token_works(admin, token)
    admin.identity.update_domain(domain, is_enabled=False)
    assert not token_works(admin, token)
    admin.identity.update_domain(domain, is_enabled=True)
    fresh = password_session(cloud, user.name, "pw-1", project_id=project.id,
                             user_domain_id=domain.id).get_token()
    assert token_works(admin, fresh)
    admin.identity.update_domain(domain, is_enabled=False)
    admin.identity.delete_domain(domain)
    assert not token_works(admin, fresh)
