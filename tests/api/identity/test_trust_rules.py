"""Trusts: redelegation limits, revocation, RBAC and bad input, with Keystone's codes and
messages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from tests.api.conftest import password_session
from tests.api.identity.test_trusts import (
    TRUSTS,
    build_world,
    call,
    error_of,
    make_trust,
    trust_session,
)


@pytest.fixture
def world(cloud, admin, make_user, make_project, make_role):
    return build_world(cloud, admin, make_user, make_project, make_role)


def trust_token_works(cloud, admin_sess, token: str) -> bool:
    resp = call(cloud, admin_sess, "HEAD", "/v3/auth/tokens",
                headers={"X-Subject-Token": token})
    return resp.status_code == 200


@pytest.fixture
def admin_sess(cloud):
    return password_session(cloud, "admin", cloud.admin_password, project_id=None,
                            system_scope="all")


def new_trust_request(w, **fields: Any) -> dict[str, Any]:
    return {"trust": {"trustor_user_id": w.trustor.id, "trustee_user_id": w.trustee.id,
                      "project_id": w.project.id, "impersonation": True,
                      "roles": [{"name": "member"}], **fields}}


# -- redelegation -------------------------------------------------------------------------
def test_redelegation_down_the_chain_until_the_count_runs_out(cloud, world, make_user):
    third = make_user()
    fourth = make_user()
    trust = make_trust(cloud, world, allow_redelegation=True, redelegation_count=1)
    assert trust["redelegation_count"] == 1
    trustee_sess = trust_session(cloud, world.trustee, trust["id"])
    # The trustee, acting as the trustor, hands the trust on to a third user.
    chained = call(cloud, trustee_sess, "POST", TRUSTS, json={"trust": {
        "trustor_user_id": world.trustor.id, "trustee_user_id": third.id,
        "project_id": world.project.id, "impersonation": True,
        "roles": [{"name": "member"}], "allow_redelegation": True}})
    assert chained.status_code == 201, chained.text
    child = chained.json()["trust"]
    assert child["redelegated_trust_id"] == trust["id"]
    assert child["redelegation_count"] == 0
    third_sess = trust_session(cloud, third, child["id"])
    assert third_sess.get_token()
    again = call(cloud, third_sess, "POST", TRUSTS, json={"trust": {
        "trustor_user_id": world.trustor.id, "trustee_user_id": fourth.id,
        "project_id": world.project.id, "impersonation": True,
        "roles": [{"name": "member"}]}})
    assert error_of(again) == (403, "Remaining redelegation depth of 0 out of allowed range "
                                    "of [0..3]")
    # Deleting the first trust takes the redelegated one with it.
    assert call(cloud, world.sess, "DELETE", f"{TRUSTS}/{trust['id']}").status_code == 204
    assert call(cloud, world.sess, "GET", f"{TRUSTS}/{child['id']}").status_code == 404


def test_redelegation_may_not_widen_the_trust(cloud, world, make_user):
    third = make_user()
    trust = make_trust(cloud, world, allow_redelegation=True, impersonation=False,
                       expires_at="2099-01-01T00:00:00Z")
    sess = trust_session(cloud, world.trustee, trust["id"])

    def redelegate(**fields: Any):
        body = {"trustor_user_id": world.trustee.id, "trustee_user_id": third.id,
                "project_id": world.project.id, "impersonation": False,
                "roles": [{"name": "member"}], **fields}
        return call(cloud, sess, "POST", TRUSTS, json={"trust": body})

    assert error_of(redelegate(impersonation=True))[0] == 403
    assert error_of(redelegate(expires_at="2100-01-01T00:00:00Z")) == (
        403, "Requested expiration time is more than redelegated trust can provide")
    assert error_of(redelegate(remaining_uses=2))[0] == 403
    # The first trustor holds the role, but the trust being redelegated does not give it.
    assert error_of(redelegate(roles=[{"id": world.extra.id}])) == (
        403, "Some of requested roles are not in redelegated trust")
    ok = redelegate()
    assert ok.status_code == 201, ok.text
    assert ok.json()["trust"]["expires_at"] == "2099-01-01T00:00:00.000000Z"


def test_redelegation_is_refused_without_allow_redelegation(cloud, world, make_user):
    third = make_user()
    trust = make_trust(cloud, world)
    assert trust["redelegation_count"] == 0
    sess = trust_session(cloud, world.trustee, trust["id"])
    resp = call(cloud, sess, "POST", TRUSTS, json={"trust": {
        "trustor_user_id": world.trustor.id, "trustee_user_id": third.id,
        "project_id": world.project.id, "impersonation": True,
        "roles": [{"name": "member"}]}})
    assert resp.status_code == 403


def test_redelegation_count_limits(cloud, world):
    over = call(cloud, world.sess, "POST", TRUSTS, json=new_trust_request(
        world, allow_redelegation=True, redelegation_count=4))
    assert error_of(over) == (403, "Requested redelegation depth of 4 is greater than "
                                   "allowed 3")
    uses = call(cloud, world.sess, "POST", TRUSTS, json=new_trust_request(
        world, allow_redelegation=True, remaining_uses=3))
    assert error_of(uses) == (400, "remaining_uses must not be set if redelegation is allowed")
    default = make_trust(cloud, world, allow_redelegation=True)
    assert default["redelegation_count"] == 3


# -- revocation ---------------------------------------------------------------------------
def test_deleting_the_trust_kills_its_tokens(cloud, world, admin_sess):
    trust = make_trust(cloud, world)
    token = trust_session(cloud, world.trustee, trust["id"]).get_token()
    assert trust_token_works(cloud, admin_sess, token)
    assert call(cloud, world.sess, "DELETE", f"{TRUSTS}/{trust['id']}").status_code == 204
    assert not trust_token_works(cloud, admin_sess, token)


def test_trustor_losing_the_role_kills_the_tokens(cloud, admin, world, admin_sess):
    trust = make_trust(cloud, world)
    token = trust_session(cloud, world.trustee, trust["id"]).get_token()
    admin.identity.unassign_project_role_from_user(world.project, world.trustor,
                                                   admin.identity.find_role("member"))
    assert not trust_token_works(cloud, admin_sess, token)
    with pytest.raises(ks_exc.Forbidden, match="Trustee has no delegated roles"):
        trust_session(cloud, world.trustee, trust["id"]).get_token()


@pytest.mark.parametrize("who", ["trustor", "trustee"])
def test_disabling_trustor_or_trustee_kills_the_tokens(cloud, admin, world, admin_sess, who):
    trust = make_trust(cloud, world)
    token = trust_session(cloud, world.trustee, trust["id"]).get_token()
    admin.identity.update_user(getattr(world, who), is_enabled=False)
    assert not trust_token_works(cloud, admin_sess, token)
    refused = ks_exc.Forbidden if who == "trustor" else ks_exc.Unauthorized
    with pytest.raises(refused):
        trust_session(cloud, world.trustee, trust["id"]).get_token()
    admin.identity.update_user(getattr(world, who), is_enabled=True)
    # Re-enabled: the trust still stands and gives new tokens.
    assert trust_session(cloud, world.trustee, trust["id"]).get_token()


def test_deleting_the_trustee_deletes_the_trust(cloud, admin, world, admin_sess):
    trust = make_trust(cloud, world)
    token = trust_session(cloud, world.trustee, trust["id"]).get_token()
    admin.identity.delete_user(world.trustee)
    assert not trust_token_works(cloud, admin_sess, token)
    assert call(cloud, world.sess, "GET", f"{TRUSTS}/{trust['id']}").status_code == 404


def test_trustor_password_change_and_project_deletion(cloud, admin, world, admin_sess):
    trust = make_trust(cloud, world)
    token = trust_session(cloud, world.trustee, trust["id"]).get_token()
    admin.identity.update_user(world.trustor, password="a-new-password-1")
    assert not trust_token_works(cloud, admin_sess, token)
    assert trust_session(cloud, world.trustee, trust["id"]).get_token()
    admin.identity.delete_project(world.project)
    assert call(cloud, admin_sess, "GET", f"{TRUSTS}/{trust['id']}").status_code == 404


# -- RBAC ---------------------------------------------------------------------------------
@pytest.fixture
def system_reader_sess(cloud, admin, make_user):
    user = make_user()
    admin.identity.assign_system_role_to_user(user, admin.identity.find_role("reader"), "all")
    return password_session(cloud, user.name, user.login_password, system_scope="all")


def test_who_may_see_and_delete_a_trust(cloud, world, make_user, system_reader_sess):
    trust = make_trust(cloud, world)
    path = f"{TRUSTS}/{trust['id']}"
    trustee_sess = password_session(cloud, world.trustee.name, world.trustee.login_password)
    stranger = make_user()
    stranger_sess = password_session(cloud, stranger.name, stranger.login_password)
    # An unscoped token counts as project-scoped (oslo.policy): the trustee sees the trust,
    # a user with no relation to it does not.
    assert call(cloud, trustee_sess, "GET", path).status_code == 200
    assert call(cloud, stranger_sess, "GET", path).status_code == 403
    assert call(cloud, system_reader_sess, "GET", path).status_code == 200
    listed = call(cloud, system_reader_sess, "GET", TRUSTS).json()["trusts"]
    assert trust["id"] in [t["id"] for t in listed]
    # The trustor lists their own trusts, not everybody's nor another trustor's.
    assert call(cloud, world.sess, "GET", TRUSTS).status_code == 403
    other = call(cloud, world.sess, "GET", TRUSTS, params={"trustor_user_id": stranger.id})
    assert other.status_code == 403
    assert call(cloud, world.sess, "GET", TRUSTS,
                params={"trustee_user_id": world.trustee.id}).status_code == 403
    # A system reader may not delete; the trustor may.
    assert call(cloud, system_reader_sess, "DELETE", path).status_code == 403
    assert call(cloud, world.sess, "DELETE", path).status_code == 204


def test_trustee_with_a_project_token_sees_the_trust(cloud, admin, world, make_project):
    trust = make_trust(cloud, world)
    home = make_project()
    admin.identity.assign_project_role_to_user(home, world.trustee,
                                               admin.identity.find_role("member"))
    sess = password_session(cloud, world.trustee.name, world.trustee.login_password,
                            project_id=home.id)
    assert call(cloud, sess, "GET", f"{TRUSTS}/{trust['id']}").status_code == 200
    mine = call(cloud, sess, "GET", TRUSTS, params={"trustee_user_id": world.trustee.id})
    assert [t["id"] for t in mine.json()["trusts"]] == [trust["id"]]
    assert call(cloud, sess, "DELETE", f"{TRUSTS}/{trust['id']}").status_code == 403


def test_nobody_creates_a_trust_for_someone_else(cloud, admin, world, make_user):
    stranger = make_user()
    admin.identity.assign_project_role_to_user(world.project, stranger,
                                               admin.identity.find_role("member"))
    sess = password_session(cloud, stranger.name, stranger.login_password,
                            project_id=world.project.id)
    resp = call(cloud, sess, "POST", TRUSTS, json=new_trust_request(world))
    assert error_of(resp) == (403, "You are not authorized to perform the requested action: "
                                   "identity:create_trust.")
    admin_sess = password_session(cloud, "admin", cloud.admin_password, project_id=None,
                                  system_scope="all")
    assert call(cloud, admin_sess, "POST", TRUSTS,
                json=new_trust_request(world)).status_code == 403


def test_application_credential_tokens_may_not_manage_trusts(cloud, world):
    cred = call(cloud, world.sess, "POST",
                f"/v3/users/{world.trustor.id}/application_credentials",
                json={"application_credential": {"name": "ac", "unrestricted": True}})
    sess = ks_session.Session(auth=v3.ApplicationCredential(
        auth_url=cloud.auth_url, application_credential_id=cred.json()[
            "application_credential"]["id"],
        application_credential_secret=cred.json()["application_credential"]["secret"]))
    resp = call(cloud, sess, "POST", TRUSTS, json=new_trust_request(world))
    assert error_of(resp) == (403, "You are not authorized to perform the requested action: "
                                   "Using method 'application_credential' is not allowed for "
                                   "managing trusts.")


def test_trust_tokens_make_no_application_credentials(cloud, world):
    trust = make_trust(cloud, world)
    sess = trust_session(cloud, world.trustee, trust["id"])
    resp = call(cloud, sess, "POST", f"/v3/users/{world.trustor.id}/application_credentials",
                json={"application_credential": {"name": "backdoor"}})
    assert error_of(resp) == (403, "Cannot manage application credentials with a token "
                                   "issued via delegation.")


# -- bad input ----------------------------------------------------------------------------
def past() -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("fields, status, message", [
    ({"roles": [{"name": "no-such-role"}]}, 404, "Could not find role: no-such-role."),
    ({"trustee_user_id": "nobody"}, 404, "Could not find user: nobody."),
    ({"project_id": "nowhere"}, 404, "Could not find project: nowhere."),
    ({"roles": []}, 403, "You are not authorized to perform the requested action: At least "
                         "one role should be specified."),
    ({"expires_at": "bad.123Z"}, 400, "Timestamp not in expected format."),
    ({"remaining_uses": -1}, 400, "Invalid input for field 'trust.remaining_uses'"),
    ({"remaining_uses": 0}, 400, "Invalid input for field 'trust.remaining_uses'"),
    ({"impersonation": "yes"}, 400, "Invalid input for field 'trust.impersonation'"),
    ({"roles": [{"id": "x", "name": "y"}]}, 400, "Invalid input for field 'trust.roles.0'"),
])
def test_bad_trust_requests(cloud, world, fields, status, message):
    resp = call(cloud, world.sess, "POST", TRUSTS, json=new_trust_request(world, **fields))
    code, text = error_of(resp)
    assert code == status and text.startswith(message), text
    listed = call(cloud, world.sess, "GET", TRUSTS,
                  params={"trustor_user_id": world.trustor.id}).json()["trusts"]
    assert listed == []


def test_expiry_in_the_past_and_roles_the_trustor_lacks(cloud, admin, world, make_role):
    resp = call(cloud, world.sess, "POST", TRUSTS, json=new_trust_request(
        world, expires_at=past()))
    assert error_of(resp)[0] == 400
    assert error_of(resp)[1].startswith("The 'expires_at' must not be before now.")
    unheld = make_role()
    resp = call(cloud, world.sess, "POST", TRUSTS, json=new_trust_request(
        world, roles=[{"id": unheld.id}]))
    assert error_of(resp) == (404, f"Could not find role: {unheld.id}.")


def test_missing_trusts_and_missing_scope_ids(cloud, world):
    assert error_of(call(cloud, world.sess, "GET", f"{TRUSTS}/nope")) == (
        404, "Could not find trust: nope.")
    assert call(cloud, world.sess, "DELETE", f"{TRUSTS}/nope").status_code == 404
    resp = call(cloud, world.sess, "POST", "/v3/auth/tokens", authenticated=False, json={
        "auth": {"identity": {"methods": ["password"], "password": {"user": {
            "id": world.trustee.id, "password": world.trustee.login_password}}},
            "scope": {"OS-TRUST:trust": ""}}})
    assert resp.status_code == 400
    with pytest.raises(ks_exc.Unauthorized, match="Could not find trust: nope"):
        trust_session(cloud, world.trustee, "nope").get_token()
