"""Application credentials and access rules through openstacksdk, keystoneauth1 and the CLI."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from openstack import exceptions as sdk_exc

from tests.api.conftest import connection_for, unique
from tests.conftest import LiveCloud

READ_OWN_APP_CREDS = {"service": "identity", "method": "GET",
                      "path": "/v3/users/*/application_credentials"}


def app_cred_session(cloud: LiveCloud, **kw: Any) -> ks_session.Session:
    return ks_session.Session(auth=v3.ApplicationCredential(auth_url=cloud.auth_url, **kw))


def in_future(seconds: float) -> str:
    return (dt.datetime.now(dt.UTC).replace(tzinfo=None)
            + dt.timedelta(seconds=seconds)).isoformat()


@pytest.fixture
def make_app_cred(admin) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    def make(**kw: Any) -> Any:
        kw.setdefault("name", unique("appcred"))
        cred = admin.identity.create_application_credential(admin.current_user_id, **kw)
        made.append(cred)
        return cred

    yield make
    for cred in made:
        admin.identity.delete_application_credential(admin.current_user_id, cred.id,
                                                      ignore_missing=True)


def test_cli_create_list_show_delete(cli, admin):
    name = unique("cli-appcred")
    created = cli("application", "credential", "create", name, "--role", "reader",
                  "--description", "for monitoring", "-f", "json")
    assert created["Name"] == name and created["Secret"]
    assert created["Project ID"] == admin.current_project_id
    assert [r["name"] for r in created["Roles"]] == ["reader"]
    assert created["Unrestricted"] is False
    listed = cli("application", "credential", "list", "-f", "json")
    assert name in [row["Name"] for row in listed]
    shown = cli("application", "credential", "show", name, "-f", "json")
    assert shown["ID"] == created["ID"] and shown["Description"] == "for monitoring"
    assert "Secret" not in shown
    cli("application", "credential", "delete", name)
    gone = cli("application", "credential", "show", name, "-f", "json", check=False)
    assert gone.returncode != 0


def test_secret_is_returned_on_create_only(admin, make_app_cred):
    cred = make_app_cred(secret="my-own-secret")
    assert cred.secret == "my-own-secret"
    generated = make_app_cred()
    assert generated.secret and len(generated.secret) >= 64
    body = admin.identity.get(f"/users/{admin.current_user_id}/application_credentials/"
                              f"{cred.id}").json()["application_credential"]
    assert "secret" not in body
    assert body["links"]["self"].endswith(f"/application_credentials/{cred.id}")
    assert body["roles"] and body["project_id"] == admin.current_project_id


def test_authenticate_by_id(cloud, admin, make_app_cred):
    cred = make_app_cred(roles=[{"name": "member"}])
    sess = app_cred_session(cloud, application_credential_id=cred.id,
                            application_credential_secret=cred.secret)
    access = sess.auth.get_access(sess)
    assert access.project_id == admin.current_project_id
    assert access.user_id == admin.current_user_id
    assert access.application_credential["id"] == cred.id
    assert access.application_credential["restricted"] is True
    # member implies reader; neither admin nor manager comes along.
    assert sorted(access.role_names) == ["member", "reader"]
    assert access._data["token"]["methods"] == ["application_credential"]


def test_authenticate_by_name_with_user_id_or_user_name(cloud, admin, make_app_cred):
    cred = make_app_cred()
    by_id = app_cred_session(cloud, application_credential_name=cred.name,
                             application_credential_secret=cred.secret,
                             user_id=admin.current_user_id)
    assert by_id.auth.get_access(by_id).application_credential["id"] == cred.id
    by_name = app_cred_session(cloud, application_credential_name=cred.name,
                               application_credential_secret=cred.secret,
                               username="admin", user_domain_name="Default")
    assert by_name.auth.get_access(by_name).application_credential["id"] == cred.id


def test_wrong_secret_and_requested_scope_are_401(cloud, admin, make_app_cred):
    cred = make_app_cred()
    wrong = app_cred_session(cloud, application_credential_id=cred.id,
                             application_credential_secret="not-the-secret")
    with pytest.raises(ks_exc.Unauthorized):
        wrong.get_token()
    scoped = app_cred_session(cloud, application_credential_id=cred.id,
                              application_credential_secret=cred.secret,
                              project_id=admin.current_project_id)
    with pytest.raises(ks_exc.Unauthorized):
        scoped.get_token()


def test_token_carries_only_the_app_cred_roles(cloud, make_app_cred):
    cred = make_app_cred(roles=[{"name": "reader"}])
    assert [r["name"] for r in cred.roles] == ["reader"]
    conn = connection_for(app_cred_session(cloud, application_credential_id=cred.id,
                                           application_credential_secret=cred.secret))
    assert conn.identity.get_project(conn.current_project_id).id
    with pytest.raises(sdk_exc.ForbiddenException):
        conn.identity.create_project(name=unique("by-reader"), domain_id="default")


def test_roles_beyond_the_token_are_refused(admin):
    with pytest.raises(sdk_exc.BadRequestException):
        admin.identity.create_application_credential(admin.current_user_id, unique("svc"),
                                                     roles=[{"name": "service"}])
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.create_application_credential(admin.current_user_id, unique("svc"),
                                                     roles=[{"name": "no-such-role"}])


def test_expiry(cloud, admin, make_app_cred):
    with pytest.raises(sdk_exc.BadRequestException):
        admin.identity.create_application_credential(admin.current_user_id, unique("old"),
                                                     expires_at="2001-01-01T00:00:00")
    later = in_future(3600)
    assert make_app_cred(expires_at=later).expires_at == later
    cred = make_app_cred(expires_at=in_future(2))
    sess = app_cred_session(cloud, application_credential_id=cred.id,
                            application_credential_secret=cred.secret)
    token = sess.get_token()
    assert admin.identity.validate_token(token)
    time.sleep(2.5)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.validate_token(token)
    expired = app_cred_session(cloud, application_credential_id=cred.id,
                               application_credential_secret=cred.secret)
    with pytest.raises(ks_exc.Unauthorized):
        expired.get_token()


def test_duplicate_name_is_409_and_name_filter(admin, make_app_cred):
    cred = make_app_cred()
    make_app_cred()
    with pytest.raises(sdk_exc.ConflictException):
        admin.identity.create_application_credential(admin.current_user_id, cred.name)
    found = list(admin.identity.application_credentials(admin.current_user_id,
                                                        name=cred.name))
    assert [c.id for c in found] == [cred.id]


def test_delete_invalidates_tokens(cloud, admin):
    cred = admin.identity.create_application_credential(admin.current_user_id,
                                                        unique("doomed"))
    sess = app_cred_session(cloud, application_credential_id=cred.id,
                            application_credential_secret=cred.secret)
    token = sess.get_token()
    assert admin.identity.validate_token(token)
    admin.identity.delete_application_credential(admin.current_user_id, cred.id)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.validate_token(token)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.get_application_credential(admin.current_user_id, cred.id)


def test_only_unrestricted_app_creds_manage_app_creds(cloud, admin, make_app_cred):
    user_id = admin.current_user_id
    restricted = make_app_cred()
    conn = connection_for(app_cred_session(cloud, application_credential_id=restricted.id,
                                           application_credential_secret=restricted.secret))
    with pytest.raises(sdk_exc.ForbiddenException):
        conn.identity.create_application_credential(user_id, unique("child"))
    with pytest.raises(sdk_exc.ForbiddenException):
        conn.identity.delete_application_credential(user_id, restricted.id)
    unrestricted = make_app_cred(unrestricted=True)
    conn = connection_for(app_cred_session(cloud, application_credential_id=unrestricted.id,
                                           application_credential_secret=unrestricted.secret))
    child = conn.identity.create_application_credential(user_id, unique("child"))
    assert child.project_id == admin.current_project_id
    conn.identity.delete_application_credential(user_id, child.id)


def test_access_rules_limit_requests(cloud, admin, make_app_cred):
    cred = make_app_cred(access_rules=[READ_OWN_APP_CREDS])
    rule = cred.access_rules[0]
    assert {k: rule[k] for k in READ_OWN_APP_CREDS} == READ_OWN_APP_CREDS
    conn = connection_for(app_cred_session(cloud, application_credential_id=cred.id,
                                           application_credential_secret=cred.secret))
    listed = conn.identity.application_credentials(admin.current_user_id)
    assert cred.id in [c.id for c in listed]
    with pytest.raises(sdk_exc.HttpException) as refused:
        conn.identity.get_project(admin.current_project_id)
    assert refused.value.status_code == 401


def test_access_rules_are_reused_listed_and_deleted(admin, make_app_cred):
    user_id = admin.current_user_id
    first = make_app_cred(access_rules=[READ_OWN_APP_CREDS])
    rule_id = first.access_rules[0]["id"]
    second = make_app_cred(access_rules=[{"id": rule_id}])
    third = make_app_cred(access_rules=[READ_OWN_APP_CREDS])
    assert second.access_rules[0]["id"] == rule_id == third.access_rules[0]["id"]
    assert rule_id in [r.id for r in admin.identity.access_rules(user_id)]
    assert admin.identity.get_access_rule(user_id, rule_id).path == READ_OWN_APP_CREDS["path"]
    with pytest.raises(sdk_exc.ForbiddenException):
        admin.identity.delete_access_rule(user_id, rule_id)
    for cred in (first, second, third):
        admin.identity.delete_application_credential(user_id, cred.id)
    admin.identity.delete_access_rule(user_id, rule_id)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.get_access_rule(user_id, rule_id)


def test_members_see_and_manage_only_their_own(cloud, admin, make_member):
    owner, other = make_member(), make_member()
    cred = owner.conn.identity.create_application_credential(owner.user.id, unique("mine"),
                                                             access_rules=[READ_OWN_APP_CREDS])
    assert cred.project_id == owner.project.id
    assert sorted(r["name"] for r in cred.roles) == ["member", "reader"]
    with pytest.raises(sdk_exc.ForbiddenException):
        list(other.conn.identity.application_credentials(owner.user.id))
    with pytest.raises(sdk_exc.ForbiddenException):
        other.conn.identity.get_application_credential(owner.user.id, cred.id)
    # Naming oneself in the path does not help: the credential's owner is judged (Keystone).
    with pytest.raises(sdk_exc.ForbiddenException):
        other.conn.identity.get_application_credential(other.user.id, cred.id)
    with pytest.raises(sdk_exc.ForbiddenException):
        other.conn.identity.delete_application_credential(other.user.id, cred.id,
                                                          ignore_missing=False)
    with pytest.raises(sdk_exc.ForbiddenException):
        other.conn.identity.create_application_credential(owner.user.id, unique("theirs"))
    with pytest.raises(sdk_exc.ForbiddenException):
        list(other.conn.identity.access_rules(owner.user.id))
    assert [c.id for c in admin.identity.application_credentials(owner.user.id)] == [cred.id]
    owner.conn.identity.delete_application_credential(owner.user.id, cred.id)


def test_losing_the_role_or_being_disabled_ends_the_app_cred(cloud, admin, make_member,
                                                            make_role):
    member = make_member()
    # The user keeps this role; the credential does not carry it.
    admin.identity.assign_project_role_to_user(member.project, member.user, make_role())
    cred = member.conn.identity.create_application_credential(member.user.id, unique("mine"),
                                                              roles=[{"name": "member"}])
    sess = app_cred_session(cloud, application_credential_id=cred.id,
                            application_credential_secret=cred.secret)
    token = sess.get_token()
    member_role = admin.identity.find_role("member", ignore_missing=False)
    admin.identity.unassign_project_role_from_user(member.project, member.user, member_role)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.validate_token(token)
    admin.identity.assign_project_role_to_user(member.project, member.user, member_role)
    fresh = app_cred_session(cloud, application_credential_id=cred.id,
                             application_credential_secret=cred.secret)
    assert fresh.get_token()
    admin.identity.update_user(member.user, enabled=False)
    admin.identity.update_user(member.user, enabled=True)
    assert list(admin.identity.application_credentials(member.user.id)) == []
    again = app_cred_session(cloud, application_credential_id=cred.id,
                             application_credential_secret=cred.secret)
    with pytest.raises(ks_exc.Unauthorized):
        again.get_token()
