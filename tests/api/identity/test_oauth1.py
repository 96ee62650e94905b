"""OAuth 1.0a (OS-OAUTH1) with the clients people use: python-keystoneclient's oauth1
manager for the dance, keystoneauth1's V3OAuth1 plugin for the token, and the openstack CLI.
"""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
from keystoneauth1.extras.oauth1 import V3OAuth1
from keystoneauth1.identity import v3
from keystoneclient.v3 import client as ks_client
from oauthlib import oauth1

from tests.api.conftest import password_session

OAUTH = "/v3/OS-OAUTH1"


def call(cloud, sess, method: str, path: str, **kw: Any) -> Any:
    return sess.request(cloud.auth_url + path, method, raise_exc=False, **kw)


def error_of(resp) -> tuple[int, str]:
    return resp.status_code, resp.json()["error"]["message"]


def project_admin_session(cloud) -> ks_session.Session:
    # keystoneclient signs the identity URL the plugin knows: give it the /v3 one.
    return ks_session.Session(auth=v3.Password(
        auth_url=cloud.auth_url + "/v3", username="admin", password=cloud.admin_password,
        user_domain_id="default", project_name="admin", project_domain_id="default"))


@pytest.fixture
def oauth(cloud, admin, make_project, make_role):
    """An admin (who alone may authorize request tokens, by Keystone's policy) with member
    and an extra role on a new project, and a consumer."""
    project = make_project()
    extra = make_role()
    me = admin.identity.find_user("admin")
    for role in (admin.identity.find_role("member"), extra):
        admin.identity.assign_project_role_to_user(project, me, role)
    sess = project_admin_session(cloud)
    kc = ks_client.Client(session=sess)
    consumer = kc.oauth1.consumers.create(description="test consumer")
    yield SimpleNamespace(project=project, extra=extra, user_id=me.id, sess=sess, kc=kc,
                          consumer=consumer,
                          member=admin.identity.find_role("member"))
    try:
        kc.oauth1.consumers.delete(consumer.id)
    except Exception:
        pass


def dance(o, roles=None) -> Any:
    """Request token -> authorized with ``roles`` -> access token."""
    request_token = o.kc.oauth1.request_tokens.create(o.consumer.id, o.consumer.secret,
                                                      o.project.id)
    verifier = o.kc.oauth1.request_tokens.authorize(request_token.key,
                                                    roles or [o.member.id])
    return o.kc.oauth1.access_tokens.create(o.consumer.id, o.consumer.secret,
                                            request_token.key, request_token.secret,
                                            verifier.oauth_verifier)


def oauth_session(cloud, o, access) -> ks_session.Session:
    # The plugin signs the token URL it is given; keystoneauth adds /v3 only afterwards.
    return ks_session.Session(auth=V3OAuth1(
        auth_url=cloud.auth_url + "/v3", consumer_key=o.consumer.id,
        consumer_secret=o.consumer.secret, access_key=access.key,
        access_secret=access.secret))


def token_of(cloud, o, sess) -> tuple[str, dict[str, Any]]:
    token = sess.get_token()
    body = call(cloud, o.sess, "GET", "/v3/auth/tokens",
                headers={"X-Subject-Token": token}).json()["token"]
    return token, body


def test_the_whole_dance_gives_a_token_with_the_authorized_roles(cloud, oauth):
    access = dance(oauth)
    token, body = token_of(cloud, oauth, oauth_session(cloud, oauth, access))
    assert body["methods"] == ["oauth1"]
    assert body["OS-OAUTH1"] == {"access_token_id": access.key,
                                 "consumer_id": oauth.consumer.id}
    assert body["project"]["id"] == oauth.project.id
    assert body["user"]["id"] == oauth.user_id
    # member and the reader it implies, not the admin's other roles on the project
    assert sorted(r["name"] for r in body["roles"]) == ["member", "reader"]
    # tokens got by OAuth make no other tokens
    rescope = ks_session.Session(auth=v3.Token(auth_url=cloud.auth_url, token=token,
                                               project_id=oauth.project.id))
    with pytest.raises(ks_exc.Forbidden, match="Using OAuth-scoped token"):
        rescope.get_token()


def test_access_tokens_of_a_user_list_show_roles_and_delete(cloud, oauth):
    access = dance(oauth)
    base = f"/v3/users/{oauth.user_id}/OS-OAUTH1/access_tokens"
    listed = call(cloud, oauth.sess, "GET", base).json()["access_tokens"]
    mine = [t for t in listed if t["id"] == access.key]
    assert mine and mine[0]["consumer_id"] == oauth.consumer.id
    assert mine[0]["links"]["roles"].endswith(f"{base}/{access.key}/roles")
    assert "access_secret" not in mine[0]
    roles = call(cloud, oauth.sess, "GET", f"{base}/{access.key}/roles").json()["roles"]
    assert [r["id"] for r in roles] == [oauth.member.id]
    one = call(cloud, oauth.sess, "GET", f"{base}/{access.key}/roles/{oauth.member.id}")
    assert one.json()["role"]["name"] == "member"
    missing = call(cloud, oauth.sess, "GET", f"{base}/{access.key}/roles/{oauth.extra.id}")
    assert error_of(missing) == (404, f"Could not find role: {oauth.extra.id}.")
    token, _body = token_of(cloud, oauth, oauth_session(cloud, oauth, access))
    assert call(cloud, oauth.sess, "DELETE", f"{base}/{access.key}").status_code == 204
    # the access token's Keystone tokens die with it, and it gives no new one
    check = call(cloud, oauth.sess, "GET", "/v3/auth/tokens",
                 headers={"X-Subject-Token": token})
    assert check.status_code == 404
    assert call(cloud, oauth.sess, "GET", f"{base}/{access.key}").status_code == 404
    with pytest.raises(ks_exc.NotFound):
        oauth_session(cloud, oauth, access).get_token()


def test_deleting_the_consumer_revokes_everything(cloud, oauth):
    access = dance(oauth)
    token, _body = token_of(cloud, oauth, oauth_session(cloud, oauth, access))
    oauth.kc.oauth1.consumers.delete(oauth.consumer.id)
    check = call(cloud, oauth.sess, "HEAD", "/v3/auth/tokens",
                 headers={"X-Subject-Token": token})
    assert check.status_code == 404


def test_losing_the_role_empties_the_token(cloud, admin, oauth):
    access = dance(oauth)
    token, _body = token_of(cloud, oauth, oauth_session(cloud, oauth, access))
    admin.identity.unassign_project_role_from_user(oauth.project, oauth.user_id,
                                                   oauth.member)
    check = call(cloud, oauth.sess, "HEAD", "/v3/auth/tokens",
                 headers={"X-Subject-Token": token})
    assert check.status_code == 404


# -- consumers ----------------------------------------------------------------------------
def test_consumer_secret_is_shown_once(cloud, oauth):
    assert len(oauth.consumer.secret) == 32
    shown = call(cloud, oauth.sess, "GET", f"{OAUTH}/consumers/{oauth.consumer.id}").json()
    assert "secret" not in shown["consumer"]
    assert shown["consumer"]["description"] == "test consumer"
    listed = call(cloud, oauth.sess, "GET", f"{OAUTH}/consumers").json()["consumers"]
    assert all("secret" not in c for c in listed)
    bad = call(cloud, oauth.sess, "PATCH", f"{OAUTH}/consumers/{oauth.consumer.id}",
               json={"consumer": {"secret": "mine"}})
    assert bad.status_code == 400
    other_id = call(cloud, oauth.sess, "PATCH", f"{OAUTH}/consumers/{oauth.consumer.id}",
                    json={"consumer": {"id": "other", "description": "x"}})
    assert error_of(other_id) == (400, "Cannot change ID")
    assert error_of(call(cloud, oauth.sess, "GET", f"{OAUTH}/consumers/nope")) == (
        404, "Consumer not found")


def test_cli_consumers_and_the_token_dance(cloud, oauth, cli):
    created = cli("consumer", "create", "--description", "cli consumer", "-f", "json")
    assert len(created["secret"]) == 32
    listed = cli("consumer", "list", "-f", "json")
    assert created["id"] in [c["ID"] for c in listed]
    cli("consumer", "set", "--description", "renamed", created["id"])
    assert cli("consumer", "show", created["id"], "-f", "json")["description"] == "renamed"
    request = cli("request", "token", "create", "--consumer-key", created["id"],
                  "--consumer-secret", created["secret"], "--project", oauth.project.id,
                  "-f", "json")
    assert len(request["key"]) == 32 and request["expires"].endswith("Z")
    authorized = cli("request", "token", "authorize", "--request-key", request["key"],
                     "--role", "member", "-f", "json")
    access = cli("access", "token", "create", "--consumer-key", created["id"],
                 "--consumer-secret", created["secret"],
                 "--request-key", request["key"], "--request-secret", request["secret"],
                 "--verifier", authorized["oauth_verifier"], "-f", "json")
    assert len(access["key"]) == 32 and access["expires"].endswith("Z")
    cli("consumer", "delete", created["id"])
    # (`consumer show` would fall back to a listing, which Keystone does not filter)
    gone = call(cloud, oauth.sess, "GET", f"{OAUTH}/consumers/{created['id']}")
    assert gone.status_code == 404


# -- bad requests -------------------------------------------------------------------------
def signed_post(cloud, path: str, client: oauth1.Client,
                headers: dict[str, str] | None = None) -> Any:
    import httpx

    url = cloud.auth_url + path
    _url, signed, _body = client.sign(url, http_method="POST", headers=headers or {})
    return httpx.post(url, headers=signed)


def test_wrong_signatures_verifiers_and_reused_tokens(cloud, oauth):
    req = "/v3/OS-OAUTH1/request_token"
    wrong = oauth1.Client(oauth.consumer.id, client_secret="f" * 32, callback_uri="oob")
    resp = signed_post(cloud, req, wrong, {"Requested-Project-Id": oauth.project.id})
    assert error_of(resp) == (401, "Invalid signature")
    nobody = oauth1.Client(uuid.uuid4().hex, client_secret="f" * 32, callback_uri="oob")
    resp = signed_post(cloud, req, nobody, {"Requested-Project-Id": oauth.project.id})
    assert error_of(resp) == (404, "Consumer not found")
    right = oauth1.Client(oauth.consumer.id, client_secret=oauth.consumer.secret,
                          callback_uri="oob")
    resp = signed_post(cloud, req, right, {"Requested-Project-Id": "nowhere"})
    assert error_of(resp) == (404, "Could not find project: nowhere.")
    resp = signed_post(cloud, req, right)
    assert error_of(resp)[0] == 400 and "Requested-Project-Id" in error_of(resp)[1]
    assert error_of(call(cloud, oauth.sess, "PUT", f"{OAUTH}/authorize/{uuid.uuid4().hex}",
                         json={"roles": [{"id": oauth.member.id}]})) == (
        404, "Request token not found")

    request_token = oauth.kc.oauth1.request_tokens.create(
        oauth.consumer.id, oauth.consumer.secret, oauth.project.id)
    unheld = call(cloud, oauth.sess, "PUT", f"{OAUTH}/authorize/{request_token.key}",
                  json={"roles": [{"id": uuid.uuid4().hex}]})
    assert error_of(unheld) == (401, "authorizing user does not have role required")
    bad_body = call(cloud, oauth.sess, "PUT", f"{OAUTH}/authorize/{request_token.key}",
                    json={"roles": [{"id": "x", "name": "y"}]})
    assert bad_body.status_code == 400
    verifier = oauth.kc.oauth1.request_tokens.authorize(request_token.key, [oauth.member.id])

    def exchange(with_verifier: str) -> Any:
        client = oauth1.Client(oauth.consumer.id, client_secret=oauth.consumer.secret,
                               resource_owner_key=request_token.key,
                               resource_owner_secret=request_token.secret,
                               verifier=with_verifier)
        return signed_post(cloud, "/v3/OS-OAUTH1/access_token", client)

    assert error_of(exchange("abcdefgh")) == (
        401, "Provided verifier does not match stored verifier")
    malformed = exchange(uuid.uuid4().hex)
    assert error_of(malformed)[0] == 400
    assert error_of(malformed)[1].startswith("Validation failed with errors")
    assert exchange(verifier.oauth_verifier).status_code == 201
    # used up: the request token is gone
    assert error_of(exchange(verifier.oauth_verifier)) == (404, "Request token not found")


def test_missing_oauth_headers_and_wrong_methods(cloud, oauth):
    assert error_of(call(cloud, oauth.sess, "POST", f"{OAUTH}/request_token",
                         authenticated=False))[0] == 400
    assert call(cloud, oauth.sess, "GET", f"{OAUTH}/request_token").status_code == 405


def test_only_admins_manage_oauth(cloud, make_member, oauth):
    member = make_member()
    sess = member.session
    assert call(cloud, sess, "POST", f"{OAUTH}/consumers",
                json={"consumer": {}}).status_code == 403
    assert call(cloud, sess, "GET", f"{OAUTH}/consumers").status_code == 403
    request_token = oauth.kc.oauth1.request_tokens.create(
        oauth.consumer.id, oauth.consumer.secret, member.project.id)
    resp = call(cloud, sess, "PUT", f"{OAUTH}/authorize/{request_token.key}",
                json={"roles": [{"name": "member"}]})
    assert error_of(resp) == (403, "You are not authorized to perform the requested "
                                   "action: identity:authorize_request_token.")
    mine = f"/v3/users/{member.user.id}/OS-OAUTH1/access_tokens"
    assert call(cloud, sess, "GET", mine).status_code == 403


def test_system_readers_see_consumers_but_change_none(cloud, admin, make_user, oauth):
    reader = make_user()
    admin.identity.assign_system_role_to_user(reader, admin.identity.find_role("reader"),
                                              "all")
    sess = password_session(cloud, reader.name, reader.login_password, system_scope="all")
    path = f"{OAUTH}/consumers/{oauth.consumer.id}"
    assert call(cloud, sess, "GET", path).status_code == 200
    assert oauth.consumer.id in [c["id"] for c in call(
        cloud, sess, "GET", f"{OAUTH}/consumers").json()["consumers"]]
    assert call(cloud, sess, "PATCH", path,
                json={"consumer": {"description": "mine"}}).status_code == 403
    assert call(cloud, sess, "DELETE", path).status_code == 403
    assert call(cloud, sess, "POST", f"{OAUTH}/consumers", json={}).status_code == 403
    assert call(cloud, oauth.sess, "GET", path).json()["consumer"]["description"] == \
        "test consumer"


def test_oauth_tokens_may_not_delegate_further(cloud, oauth):
    access = dance(oauth)
    sess = oauth_session(cloud, oauth, access)
    request_token = oauth.kc.oauth1.request_tokens.create(
        oauth.consumer.id, oauth.consumer.secret, oauth.project.id)
    resp = call(cloud, sess, "PUT", f"{OAUTH}/authorize/{request_token.key}",
                json={"roles": [{"id": oauth.member.id}]})
    assert resp.status_code == 403
    trust = call(cloud, sess, "POST", "/v3/OS-TRUST/trusts", json={"trust": {
        "trustor_user_id": oauth.user_id, "trustee_user_id": oauth.user_id,
        "project_id": oauth.project.id, "impersonation": False,
        "roles": [{"id": oauth.member.id}]}})
    assert trust.status_code == 403
