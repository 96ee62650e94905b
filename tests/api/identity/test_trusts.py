"""Trusts (OS-TRUST) through the openstack CLI, openstacksdk and keystoneauth1's trust
scoping: create/list/show/delete, trust-scoped tokens, uses, expiry, redelegation."""

from __future__ import annotations

import datetime as dt
import time
from types import SimpleNamespace
from typing import Any

import pytest
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from tests.api.conftest import password_session

TRUSTS = "/v3/OS-TRUST/trusts"


def trust_session(cloud, user, trust_id: str) -> ks_session.Session:
    return ks_session.Session(auth=v3.Password(
        auth_url=cloud.auth_url, username=user.name, password=user.login_password,
        user_domain_id="default", trust_id=trust_id))


def token_body(cloud, sess: ks_session.Session) -> dict[str, Any]:
    token = sess.get_token()
    resp = sess.get(cloud.auth_url + "/v3/auth/tokens", headers={"X-Subject-Token": token})
    return resp.json()["token"]


def call(cloud, sess, method: str, path: str, **kw: Any) -> Any:
    return sess.request(cloud.auth_url + path, method, raise_exc=False, **kw)


def error_of(resp) -> tuple[int, str]:
    return resp.status_code, resp.json()["error"]["message"]


@pytest.fixture
def world(cloud, admin, make_user, make_project, make_role):
    return build_world(cloud, admin, make_user, make_project, make_role)


def build_world(cloud, admin, make_user, make_project, make_role) -> SimpleNamespace:
    """A trustor holding member (which implies reader) and an extra role on a project, and a
    trustee with no role anywhere."""
    project = make_project()
    trustor = make_user(default_project_id=project.id)
    trustee = make_user()
    extra = make_role()
    for role in (admin.identity.find_role("member"), extra):
        admin.identity.assign_project_role_to_user(project, trustor, role)
    sess = password_session(cloud, trustor.name, trustor.login_password, project_id=project.id)
    return SimpleNamespace(project=project, trustor=trustor, trustee=trustee, extra=extra,
                           sess=sess)


def make_trust(cloud, w, **fields: Any) -> dict[str, Any]:
    sess = fields.pop("sess", None) or w.sess
    body = {"trustor_user_id": w.trustor.id, "trustee_user_id": w.trustee.id,
            "project_id": w.project.id, "impersonation": True, "roles": [{"name": "member"}],
            **fields}
    resp = call(cloud, sess, "POST", TRUSTS, json={"trust": body})
    assert resp.status_code == 201, resp.text
    return resp.json()["trust"]


# -- the CLI ------------------------------------------------------------------------------
def test_cli_trust_create_show_list_delete(cloud, admin, world, cli):
    # A project member may not look roles up by name (identity:list_roles): the CLI then
    # sends what it was given as the id, so the trustor names the role by id.
    member_id = admin.identity.find_role("member").id
    env = {**cloud.env, "OS_AUTH_URL": cloud.auth_url, "OS_IDENTITY_API_VERSION": "3",
           "OS_USERNAME": world.trustor.name, "OS_PASSWORD": world.trustor.login_password,
           "OS_USER_DOMAIN_ID": "default", "OS_PROJECT_ID": world.project.id,
           "OS_PROJECT_DOMAIN_ID": "default"}
    env.pop("OS_CLOUD", None)
    created = cli("trust", "create", "--project", world.project.id, "--role", member_id,
                  "--impersonate", "--expiration", "2099-01-01T10:00:00", world.trustor.id,
                  world.trustee.id, "-f", "json", env=env)
    assert created["is_impersonation"] is True
    assert created["project_id"] == world.project.id
    assert created["expires_at"].startswith("2099-01-01T10:00:00")
    assert "member" in str(created["roles"])
    shown = cli("trust", "show", created["id"], "-f", "json", env=env)
    assert shown["trustee_user_id"] == world.trustee.id
    listed = cli("trust", "list", "--trustor", world.trustor.id, "-f", "json", env=env)
    assert [t["ID"] for t in listed] == [created["id"]]
    cli("trust", "delete", created["id"], env=env)
    assert cli("trust", "show", created["id"], env=env, check=False).returncode != 0
    assert call(cloud, world.sess, "GET", f"{TRUSTS}/{created['id']}").status_code == 404


# -- trust-scoped tokens ------------------------------------------------------------------
def test_impersonating_token_shows_the_trustor_and_the_delegated_roles(cloud, world):
    trust = make_trust(cloud, world)
    body = token_body(cloud, trust_session(cloud, world.trustee, trust["id"]))
    assert body["user"]["id"] == world.trustor.id
    assert body["OS-TRUST:trust"] == {
        "id": trust["id"], "impersonation": True, "trustee_user": {"id": world.trustee.id},
        "trustor_user": {"id": world.trustor.id}}
    assert body["project"]["id"] == world.project.id
    # member and the reader it implies; never the role that was not delegated
    assert sorted(r["name"] for r in body["roles"]) == ["member", "reader"]
    assert body["methods"] == ["password"]


def test_token_without_impersonation_is_the_trustees(cloud, world):
    trust = make_trust(cloud, world, impersonation=False)
    body = token_body(cloud, trust_session(cloud, world.trustee, trust["id"]))
    assert body["user"]["id"] == world.trustee.id
    assert body["OS-TRUST:trust"]["impersonation"] is False


def test_token_method_can_take_a_trust_scope_but_not_rescope_one(cloud, world):
    trust = make_trust(cloud, world)
    unscoped = password_session(cloud, world.trustee.name, world.trustee.login_password)
    sess = ks_session.Session(auth=v3.Token(auth_url=cloud.auth_url,
                                            token=unscoped.get_token(), trust_id=trust["id"]))
    body = token_body(cloud, sess)
    assert body["OS-TRUST:trust"]["id"] == trust["id"]
    assert "token" in body["methods"]
    rescope = ks_session.Session(auth=v3.Token(auth_url=cloud.auth_url, token=sess.get_token(),
                                               project_id=world.project.id))
    with pytest.raises(ks_exc.Forbidden, match="Using trust-scoped token to create another"):
        rescope.get_token()


def test_only_the_trustee_may_use_a_trust(cloud, world, make_user):
    trust = make_trust(cloud, world)
    stranger = make_user()
    with pytest.raises(ks_exc.Forbidden, match="User is not a trustee"):
        trust_session(cloud, stranger, trust["id"]).get_token()


def test_remaining_uses_count_down_and_run_out(cloud, world):
    trust = make_trust(cloud, world, remaining_uses=2)
    first = trust_session(cloud, world.trustee, trust["id"])
    first.get_token()
    shown = call(cloud, world.sess, "GET", f"{TRUSTS}/{trust['id']}").json()["trust"]
    assert shown["remaining_uses"] == 1
    last = trust_session(cloud, world.trustee, trust["id"])
    last_token = last.get_token()
    with pytest.raises(ks_exc.Unauthorized, match=f"Could not find trust: {trust['id']}"):
        trust_session(cloud, world.trustee, trust["id"]).get_token()
    assert call(cloud, world.sess, "GET", f"{TRUSTS}/{trust['id']}").status_code == 404
    # the token of the last use still works until it expires
    assert last.get(cloud.auth_url + "/v3/auth/tokens",
                    headers={"X-Subject-Token": last_token}).status_code == 200


def test_an_expired_trust_gives_no_token_and_its_tokens_die(cloud, world):
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    trust = make_trust(cloud, world, expires_at=soon)
    sess = trust_session(cloud, world.trustee, trust["id"])
    token = sess.get_token()
    time.sleep(3.5)
    with pytest.raises(ks_exc.Unauthorized, match="Could not find trust"):
        trust_session(cloud, world.trustee, trust["id"]).get_token()
    check = call(cloud, world.sess, "HEAD", "/v3/auth/tokens",
                 headers={"X-Subject-Token": token})
    assert check.status_code == 404


# -- roles of a trust ---------------------------------------------------------------------
def test_trust_roles_list_show_and_head(cloud, world):
    trust = make_trust(cloud, world)
    roles = call(cloud, world.sess, "GET", f"{TRUSTS}/{trust['id']}/roles").json()["roles"]
    assert [r["name"] for r in roles] == ["member"]
    member_id = roles[0]["id"]
    one = call(cloud, world.sess, "GET", f"{TRUSTS}/{trust['id']}/roles/{member_id}")
    assert one.json()["role"]["links"]["self"].endswith(f"/v3/roles/{member_id}")
    head = call(cloud, world.sess, "HEAD", f"{TRUSTS}/{trust['id']}/roles/{member_id}")
    assert head.status_code == 200
    other = call(cloud, world.sess, "GET", f"{TRUSTS}/{trust['id']}/roles/{world.extra.id}")
    assert error_of(other) == (404, f"Could not find role: {world.extra.id}.")
    assert call(cloud, world.sess, "HEAD",
                f"{TRUSTS}/{trust['id']}/roles/{world.extra.id}").status_code == 404


def test_roles_by_id_and_a_domain_less_view_in_lists(cloud, world):
    trust = make_trust(cloud, world, roles=[{"id": world.extra.id}], impersonation=False)
    assert [r["id"] for r in trust["roles"]] == [world.extra.id]
    assert trust["roles_links"]["self"].endswith(f"/v3/OS-TRUST/trusts/{trust['id']}/roles")
    listed = call(cloud, world.sess, "GET", TRUSTS,
                  params={"trustor_user_id": world.trustor.id}).json()["trusts"]
    assert [t["id"] for t in listed] == [trust["id"]]
    assert "roles" not in listed[0]
