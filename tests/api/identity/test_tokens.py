"""Tokens through keystoneauth1, openstacksdk and the openstack CLI."""

from __future__ import annotations

import pytest
from keystoneauth1 import exceptions as ks_exc
from openstack import exceptions as sdk_exc

from tests.api.conftest import password_session


def test_cli_token_issue_and_revoke(cli, admin):
    issued = cli("token", "issue", "-f", "json")
    assert issued["project_id"] and issued["user_id"]
    assert admin.identity.validate_token(issued["id"]) is not None
    cli("token", "revoke", issued["id"])
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.validate_token(issued["id"])


def test_keystoneauth_password_project_scope(cloud):
    sess = password_session(cloud, "admin", cloud.admin_password, project_id=None)
    token = sess.get_token()
    assert token
    access = sess.auth.get_access(sess)
    assert access.user_id


def test_wrong_password_is_401(cloud):
    sess = password_session(cloud, "admin", "not-the-password")
    with pytest.raises(ks_exc.Unauthorized):
        sess.get_token()


def test_system_scope_from_clouds_yaml(cli, client_env):
    env = {**client_env, "OS_CLOUD": "nimbus-system"}
    issued = cli("token", "issue", "-f", "json", env=env)
    assert issued.get("system") == {"all": True} or "project_id" not in issued


def test_token_body_shape(cloud):
    from keystoneauth1 import session as ks_session
    from keystoneauth1.identity import v3

    auth = v3.Password(auth_url=cloud.auth_url, username="admin", password=cloud.admin_password,
                       user_domain_id="default", project_name="admin",
                       project_domain_id="default")
    sess = ks_session.Session(auth=auth)
    access = auth.get_access(sess)
    assert access.project_name == "admin" and access.project_domain_id == "default"
    assert set(access.role_names) >= {"admin", "manager", "member", "reader"}
    assert access.audit_id and access.expires and access.issued
    assert access.service_catalog.url_for(service_type="identity", interface="public") == \
        cloud.auth_url
    assert access._data["token"]["methods"] == ["password"]


def test_rescope_with_token_method_keeps_expiry(cloud):
    from keystoneauth1 import session as ks_session
    from keystoneauth1.identity import v3

    unscoped = v3.Password(auth_url=cloud.auth_url, username="admin",
                           password=cloud.admin_password, user_domain_id="default",
                           unscoped=True)
    sess = ks_session.Session(auth=unscoped)
    first = unscoped.get_access(sess)
    assert first.project_id is None and not first.role_names
    rescoped = v3.Token(auth_url=cloud.auth_url, token=first.auth_token, project_name="admin",
                        project_domain_id="default")
    second = rescoped.get_access(ks_session.Session(auth=rescoped))
    assert second.project_name == "admin"
    assert second.expires == first.expires
    assert second.audit_chain_id == first.audit_id
    assert "token" in second._data["token"]["methods"]


def test_check_validate_nocatalog_and_revoke_raw(cloud):
    import httpx

    admin_token = password_session(cloud, "admin", cloud.admin_password).get_token()
    subject = password_session(cloud, "admin", cloud.admin_password).get_token()
    url = f"{cloud.url}/identity/v3/auth/tokens"
    head = httpx.head(url, headers={"X-Auth-Token": admin_token, "X-Subject-Token": subject})
    assert head.status_code == 200
    body = httpx.get(url + "?nocatalog", headers={"X-Auth-Token": admin_token,
                                                  "X-Subject-Token": subject}).json()
    assert "catalog" not in body["token"] and body["token"]["roles"]
    full = httpx.get(url, headers={"X-Auth-Token": admin_token, "X-Subject-Token": subject})
    assert full.json()["token"]["catalog"]
    assert full.headers["x-subject-token"] == subject
    deleted = httpx.delete(url, headers={"X-Auth-Token": admin_token, "X-Subject-Token": subject})
    assert deleted.status_code == 204
    assert httpx.head(url, headers={"X-Auth-Token": admin_token,
                                    "X-Subject-Token": subject}).status_code == 404
    assert httpx.get(f"{cloud.url}/identity/v3/projects",
                     headers={"X-Auth-Token": subject}).status_code == 401


def test_auth_listings(admin):
    projects = admin.identity.get("/auth/projects").json()["projects"]
    assert "admin" in [p["name"] for p in projects]
    assert admin.identity.get("/auth/system").json()["system"] == [{"all": True}]
    catalog = admin.identity.get("/auth/catalog").json()["catalog"]
    assert "identity" in [c["type"] for c in catalog]


def test_cli_catalog_and_versions(cli):
    catalog = cli("catalog", "list", "-f", "json")
    assert "identity" in [c["Type"] for c in catalog]
    versions = cli("versions", "show", "-f", "json", "--service", "identity")
    assert versions and versions[0]["Version"].startswith("3.")
