"""OpenID Connect logins without Apache: keystoneauth1's OidcAccessToken posts an issuer's
signed token to the protocol's auth URL; Nimbus verifies it, maps its claims and issues a
federated token, rescoped with v3.Token. The issuer (keys, JWKS file, JWKS URL on loopback)
is made by the test; the cloud is started with its settings."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openstack
import openstack.config
import pytest
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from tests.api.conftest import unique
from tests.api.identity.oidc_issuer import JwksServer, OidcIssuer
from tests.conftest import LiveCloud, start_cloud

FILE_IDP, URL_IDP = "fileidp", "urlidp"
PROTOCOL = "openid"


@pytest.fixture(scope="module")
def issuers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work = tmp_path_factory.mktemp("oidc")
    by_file = OidcIssuer("https://file-issuer.example", "nimbus-file")
    by_url = OidcIssuer("https://url-issuer.example", "nimbus-url", kind="EC")
    server = JwksServer(by_url)
    yield {"file": by_file, "url": by_url, "server": server,
           "jwks_file": by_file.write_jwks(work / "jwks.json"), "work": work}
    server.stop()


@pytest.fixture(scope="module")
def fed_cloud(issuers: dict[str, Any]) -> Iterator[LiveCloud]:
    env = {
        f"NIMBUS_FEDERATION__OIDC__{FILE_IDP.upper()}__ISSUER": issuers["file"].issuer,
        f"NIMBUS_FEDERATION__OIDC__{FILE_IDP.upper()}__AUDIENCE": issuers["file"].audience,
        f"NIMBUS_FEDERATION__OIDC__{FILE_IDP.upper()}__JWKS_FILE": str(issuers["jwks_file"]),
        f"NIMBUS_FEDERATION__OIDC__{URL_IDP.upper()}__ISSUER": issuers["url"].issuer,
        f"NIMBUS_FEDERATION__OIDC__{URL_IDP.upper()}__AUDIENCE": issuers["url"].audience,
        f"NIMBUS_FEDERATION__OIDC__{URL_IDP.upper()}__JWKS_URL": issuers["server"].url,
    }
    live = start_cloud(issuers["work"] / "data", extra_env=env)
    yield live
    live.stop()


@pytest.fixture(scope="module")
def fed_admin(fed_cloud: LiveCloud) -> Iterator[Any]:
    config = openstack.config.OpenStackConfig(config_files=[str(fed_cloud.clouds_yaml)])
    conn = openstack.connection.Connection(config=config.get_one(cloud="nimbus"))
    yield conn
    conn.close()


class World:
    """One identity provider with an ``openid`` protocol and a mapping, plus groups holding
    roles on projects; removed after the test."""

    def __init__(self, admin: Any, cloud: LiveCloud) -> None:
        self.admin, self.cloud = admin, cloud
        self.cleanups: list[Callable[[], Any]] = []

    def call(self, method: str, path: str, body: Any = None) -> Any:
        resp = self.admin.identity.request(path, method, json=body)
        assert resp.status_code < 300, resp.text
        return resp.json() if resp.content else None

    def group_with_role(self, role: str = "member") -> tuple[Any, Any]:
        identity = self.admin.identity
        project = identity.create_project(name=unique("fedproj"), domain_id="default")
        group = identity.create_group(name=unique("fedgroup"), domain_id="default")
        identity.assign_project_role_to_group(project, group,
                                              identity.find_role(role, ignore_missing=False))
        self.cleanups += [lambda: identity.delete_project(project),
                          lambda: identity.delete_group(group)]
        return group, project

    def provider(self, idp_id: str, issuer: OidcIssuer, rules: list[dict[str, Any]],
                 **idp: Any) -> str:
        mapping_id = unique("map")
        self.call("PUT", f"/OS-FEDERATION/mappings/{mapping_id}", {"mapping": {"rules": rules}})
        idp.setdefault("remote_ids", [issuer.issuer])
        self.call("PUT", f"/OS-FEDERATION/identity_providers/{idp_id}",
                  {"identity_provider": {"enabled": True, **idp}})
        self.call("PUT", f"/OS-FEDERATION/identity_providers/{idp_id}/protocols/{PROTOCOL}",
                  {"protocol": {"mapping_id": mapping_id}})
        self.cleanups += [
            lambda: self.admin.identity.request(f"/OS-FEDERATION/identity_providers/{idp_id}",
                                                "DELETE"),
            lambda: self.admin.identity.request(f"/OS-FEDERATION/mappings/{mapping_id}",
                                                "DELETE")]
        return mapping_id

    def auth_url_of(self, idp_id: str) -> str:
        return (f"{self.cloud.auth_url}/v3/OS-FEDERATION/identity_providers/{idp_id}/protocols/"
                f"{PROTOCOL}/auth")

    def close(self) -> None:
        for cleanup in reversed(self.cleanups):
            try:
                cleanup()
            except Exception:
                pass


@pytest.fixture
def world(fed_admin: Any, fed_cloud: LiveCloud) -> Iterator[World]:
    made = World(fed_admin, fed_cloud)
    yield made
    made.close()


def user_and_group_rules(group_id: str, **group_remote: Any) -> list[dict[str, Any]]:
    remote = {"type": "OIDC-groups", **(group_remote or {"any_one_of": ["staff"]})}
    return [{"local": [{"user": {"name": "{0}", "email": "{1}"}}, {"group": {"id": group_id}}],
             "remote": [{"type": "OIDC-preferred_username"}, {"type": "OIDC-email"}, remote]}]


def oidc_access(cloud: LiveCloud, idp_id: str, token: str, **scope: Any) -> Any:
    auth = v3.OidcAccessToken(auth_url=cloud.auth_url, identity_provider=idp_id,
                              protocol=PROTOCOL, access_token=token, **scope)
    sess = ks_session.Session(auth=auth)
    return auth.get_access(sess), sess


def alice_token(issuer: OidcIssuer, name: str, groups: list[str] | None = None,
                **claims: Any) -> str:
    claims.setdefault("email", f"{name}@example.org")
    return issuer.token(sub=uuid.uuid4().hex, preferred_username=name,
                        groups=groups or ["staff"], **claims)


# -- logins -------------------------------------------------------------------------------
def test_oidc_login_gives_a_federated_token_then_project_roles_from_the_mapped_group(
        world: World, fed_cloud: LiveCloud, issuers: dict[str, Any]) -> None:
    group, project = world.group_with_role("member")
    world.provider(FILE_IDP, issuers["file"], user_and_group_rules(group.id))
    name = unique("alice")
    unscoped, sess = oidc_access(fed_cloud, FILE_IDP, alice_token(issuers["file"], name))

    user = unscoped._data["token"]["user"]
    assert user["name"] == name
    assert user["OS-FEDERATION"] == {"groups": [{"id": group.id}],
                                     "identity_provider": {"id": FILE_IDP},
                                     "protocol": {"id": PROTOCOL}}
    assert "password_expires_at" not in user
    assert unscoped._data["token"]["methods"] == [PROTOCOL] and unscoped.project_id is None
    domain_id = world.call("GET", f"/OS-FEDERATION/identity_providers/{FILE_IDP}")[
        "identity_provider"]["domain_id"]
    assert user["domain"]["id"] == domain_id

    for path in ("/v3/auth/projects", "/v3/OS-FEDERATION/projects"):
        listed = sess.get(fed_cloud.auth_url + path).json()["projects"]
        assert [p["id"] for p in listed] == [project.id]

    scoped = v3.Token(auth_url=fed_cloud.auth_url, token=unscoped.auth_token,
                      project_id=project.id)
    access = scoped.get_access(ks_session.Session(auth=scoped))
    assert access.project_id == project.id and access.role_names == ["member", "reader"]
    assert access._data["token"]["user"]["OS-FEDERATION"]["identity_provider"] == \
        {"id": FILE_IDP}
    assert access.user_id == unscoped.user_id


def test_oidc_access_token_plugin_scopes_to_a_project_in_one_go(
        world: World, fed_cloud: LiveCloud, issuers: dict[str, Any]) -> None:
    group, project = world.group_with_role("reader")
    world.provider(FILE_IDP, issuers["file"], user_and_group_rules(group.id))
    access, sess = oidc_access(fed_cloud, FILE_IDP, alice_token(issuers["file"], unique("bo")),
                               project_id=project.id)
    assert access.project_id == project.id and access.role_names == ["reader"]
    # The token works against the cloud: a reader lists its project's own roles.
    conn = openstack.connection.Connection(session=sess, region_name="RegionOne")
    assert conn.identity.get_project(project.id).id == project.id


def test_jwks_url_issuer_with_an_ec_key(world: World, fed_cloud: LiveCloud,
                                        issuers: dict[str, Any]) -> None:
    group, project = world.group_with_role("member")
    world.provider(URL_IDP, issuers["url"], user_and_group_rules(group.id))
    access, _ = oidc_access(fed_cloud, URL_IDP, alice_token(issuers["url"], unique("eve")),
                            project_id=project.id)
    assert access.role_names == ["member", "reader"]
    assert issuers["server"].fetches >= 1


def test_the_same_subject_logs_in_as_the_same_shadow_user(
        world: World, fed_cloud: LiveCloud, issuers: dict[str, Any]) -> None:
    group, _ = world.group_with_role()
    world.provider(FILE_IDP, issuers["file"], user_and_group_rules(group.id))
    name = unique("carol")
    first, _ = oidc_access(fed_cloud, FILE_IDP, alice_token(issuers["file"], name))
    second, _ = oidc_access(fed_cloud, FILE_IDP, alice_token(issuers["file"], name))
    assert first.user_id == second.user_id
    shadow = world.admin.identity.get_user(first.user_id)
    assert shadow.name == name and shadow.email == f"{name}@example.org"


# -- mapping cases --------------------------------------------------------------------------
def test_not_any_of_refuses_a_contractor_and_regex_admits_by_pattern(
        world: World, fed_cloud: LiveCloud, issuers: dict[str, Any]) -> None:
    group, _ = world.group_with_role()
    rules = [{"local": [{"user": {"name": "{0}"}}, {"group": {"id": group.id}}],
              "remote": [{"type": "OIDC-preferred_username"},
                         {"type": "OIDC-kind", "not_any_of": ["contractor"]},
                         {"type": "OIDC-email", "any_one_of": [r"@example\.org$"],
                          "regex": True}]}]
    world.provider(FILE_IDP, issuers["file"], rules)
    ok, _ = oidc_access(fed_cloud, FILE_IDP, alice_token(issuers["file"], unique("x"),
                                                         kind="employee"))
    assert ok._data["token"]["user"]["OS-FEDERATION"]["groups"] == [{"id": group.id}]
    for claims in ({"kind": "contractor"}, {"kind": "employee", "email": "x@evil.test"}):
        with pytest.raises(ks_exc.Unauthorized):
            oidc_access(fed_cloud, FILE_IDP, alice_token(issuers["file"], unique("y"),
                                                         **claims))


def test_groups_by_name_from_a_claim_give_roles_in_every_mapped_project(
        world: World, fed_cloud: LiveCloud, issuers: dict[str, Any]) -> None:
    (g1, p1), (g2, p2) = world.group_with_role("member"), world.group_with_role("reader")
    rules = [{"local": [{"user": {"name": "{0}"}},
                        {"groups": "{1}", "domain": {"id": "default"}}],
              "remote": [{"type": "OIDC-preferred_username"},
                         {"type": "OIDC-groups", "whitelist": [g1.name, g2.name]}]}]
    world.provider(FILE_IDP, issuers["file"], rules)
    token = alice_token(issuers["file"], unique("multi"), groups=[g1.name, g2.name, "other"])
    unscoped, sess = oidc_access(fed_cloud, FILE_IDP, token)
    groups = unscoped._data["token"]["user"]["OS-FEDERATION"]["groups"]
    assert sorted(g["id"] for g in groups) == sorted([g1.id, g2.id])
    listed = {p["id"] for p in sess.get(fed_cloud.auth_url + "/v3/auth/projects")
              .json()["projects"]}
    assert listed == {p1.id, p2.id}
    scoped = v3.Token(auth_url=fed_cloud.auth_url, token=unscoped.auth_token,
                      project_id=p2.id)
    assert scoped.get_access(ks_session.Session(auth=scoped)).role_names == ["reader"]


def test_a_local_user_mapping_gives_that_users_own_token(
        world: World, fed_cloud: LiveCloud, issuers: dict[str, Any]) -> None:
    identity = world.admin.identity
    local = identity.create_user(name=unique("local"), domain_id="default",
                                 password=uuid.uuid4().hex)
    world.cleanups.append(lambda: identity.delete_user(local))
    _, project = world.group_with_role()
    identity.assign_project_role_to_user(project, local,
                                         identity.find_role("member", ignore_missing=False))
    rules = [{"local": [{"user": {"name": "{0}", "domain": {"id": "default"},
                                  "type": "local"}}],
              "remote": [{"type": "OIDC-preferred_username"}]}]
    world.provider(FILE_IDP, issuers["file"], rules)
    access, _ = oidc_access(fed_cloud, FILE_IDP, alice_token(issuers["file"], local.name),
                            project_id=project.id)
    assert access.user_id == local.id and access.role_names == ["member", "reader"]
    assert "OS-FEDERATION" not in access._data["token"]["user"]


# -- refusals -------------------------------------------------------------------------------
def users_in(world: World, domain_id: str) -> set[str]:
    return {u.id for u in world.admin.identity.users(domain_id=domain_id)}


def test_bad_tokens_are_401_in_keystones_format_and_write_nothing(
        world: World, fed_cloud: LiveCloud, issuers: dict[str, Any]) -> None:
    group, _ = world.group_with_role()
    world.provider(FILE_IDP, issuers["file"], user_and_group_rules(group.id))
    domain_id = world.call("GET", f"/OS-FEDERATION/identity_providers/{FILE_IDP}")[
        "identity_provider"]["domain_id"]
    before = users_in(world, domain_id)
    other_key = OidcIssuer("https://file-issuer.example", "nimbus-file").key
    file_issuer = issuers["file"]
    bad = {
        "expired": alice_token(file_issuer, "late", lifetime=-60),
        "not yet valid": alice_token(file_issuer, "early", nbf=2**33),
        "wrong audience": alice_token(file_issuer, "aud", aud="someone-else"),
        "wrong issuer": alice_token(file_issuer, "iss", iss="https://evil.example"),
        "foreign key": file_issuer.token(preferred_username="forged", email="f@example.org",
                                         groups=["staff"], key=other_key),
        "garbage": "not-a-jwt",
    }
    for what, token in bad.items():
        resp = httpx.post(world.auth_url_of(FILE_IDP),
                          headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 401, what
        error = resp.json()["error"]
        assert error["code"] == 401 and error["title"] == "Unauthorized", what
    assert httpx.get(world.auth_url_of(FILE_IDP)).status_code == 401
    with pytest.raises(ks_exc.Unauthorized):
        oidc_access(fed_cloud, FILE_IDP, bad["expired"])
    assert users_in(world, domain_id) == before


def test_unknown_disabled_and_foreign_identity_providers(
        world: World, fed_cloud: LiveCloud, issuers: dict[str, Any]) -> None:
    group, _ = world.group_with_role()
    world.provider(FILE_IDP, issuers["file"], user_and_group_rules(group.id))
    token = alice_token(issuers["file"], unique("z"))
    bearer = {"Authorization": f"Bearer {token}"}
    base = f"{fed_cloud.auth_url}/v3/OS-FEDERATION/identity_providers"
    assert httpx.post(f"{base}/nosuch/protocols/{PROTOCOL}/auth",
                      headers=bearer).status_code == 404
    assert httpx.post(f"{base}/{FILE_IDP}/protocols/saml2/auth",
                      headers=bearer).status_code == 404

    world.call("PATCH", f"/OS-FEDERATION/identity_providers/{FILE_IDP}",
               {"identity_provider": {"remote_ids": ["https://someone-else.example"]}})
    resp = httpx.post(world.auth_url_of(FILE_IDP), headers=bearer)
    assert resp.status_code == 403

    world.call("PATCH", f"/OS-FEDERATION/identity_providers/{FILE_IDP}",
               {"identity_provider": {"remote_ids": [issuers["file"].issuer]}})
    unscoped, _ = oidc_access(fed_cloud, FILE_IDP, token)
    world.call("PATCH", f"/OS-FEDERATION/identity_providers/{FILE_IDP}",
               {"identity_provider": {"enabled": False}})
    resp = httpx.post(world.auth_url_of(FILE_IDP), headers=bearer)
    assert resp.status_code == 403
    assert resp.json()["error"]["message"] == f"Identity Provider {FILE_IDP} is disabled"
    # Disabling the provider revokes the tokens it gave.
    check = world.admin.identity.get("/auth/tokens",
                                     headers={"X-Subject-Token": unscoped.auth_token})
    assert check.status_code == 404


def test_mapped_method_in_auth_tokens(world: World, fed_cloud: LiveCloud,
                                      issuers: dict[str, Any]) -> None:
    group, project = world.group_with_role()
    world.provider(FILE_IDP, issuers["file"], user_and_group_rules(group.id))
    token = alice_token(issuers["file"], unique("m"))
    body = {"auth": {"identity": {"methods": ["mapped"], "mapped": {
        "identity_provider": FILE_IDP, "protocol": PROTOCOL}},
        "scope": {"project": {"id": project.id}}}}
    resp = httpx.post(f"{fed_cloud.auth_url}/v3/auth/tokens", json=body,
                      headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 201, resp.text
    issued = resp.json()["token"]
    assert issued["methods"] == ["mapped"] and issued["project"]["id"] == project.id
    assert {r["name"] for r in issued["roles"]} == {"member", "reader"}
    missing = {"auth": {"identity": {"methods": ["mapped"], "mapped": {"protocol": PROTOCOL}}}}
    resp = httpx.post(f"{fed_cloud.auth_url}/v3/auth/tokens", json=missing)
    assert resp.status_code == 400


def test_deleting_the_identity_provider_removes_its_shadow_users(
        world: World, fed_cloud: LiveCloud, issuers: dict[str, Any]) -> None:
    group, _ = world.group_with_role()
    world.provider(FILE_IDP, issuers["file"], user_and_group_rules(group.id))
    access, _ = oidc_access(fed_cloud, FILE_IDP, alice_token(issuers["file"], unique("gone")))
    resp = world.admin.identity.request(f"/OS-FEDERATION/identity_providers/{FILE_IDP}",
                                        "DELETE")
    assert resp.status_code == 204
    assert world.admin.identity.find_user(access.user_id) is None
    check = world.admin.identity.get("/auth/tokens",
                                     headers={"X-Subject-Token": access.auth_token})
    assert check.status_code == 404


def test_domain_roles_of_a_mapped_group_and_token_validation(
        world: World, fed_cloud: LiveCloud, issuers: dict[str, Any]) -> None:
    identity = world.admin.identity
    domain = identity.create_domain(name=unique("feddom"))
    world.cleanups.append(lambda: (identity.update_domain(domain, is_enabled=False),
                                   identity.delete_domain(domain)))
    group = identity.create_group(name=unique("domgroup"), domain_id=domain.id)
    identity.assign_domain_role_to_group(domain, group,
                                         identity.find_role("reader", ignore_missing=False))
    world.provider(FILE_IDP, issuers["file"], user_and_group_rules(group.id))
    unscoped, sess = oidc_access(fed_cloud, FILE_IDP, alice_token(issuers["file"], unique("d")))
    for path in ("/v3/auth/domains", "/v3/OS-FEDERATION/domains"):
        listed = sess.get(fed_cloud.auth_url + path).json()["domains"]
        assert [d["id"] for d in listed] == [domain.id]
    scoped = v3.Token(auth_url=fed_cloud.auth_url, token=unscoped.auth_token,
                      domain_id=domain.id)
    access = scoped.get_access(ks_session.Session(auth=scoped))
    assert access.domain_id == domain.id and access.role_names == ["reader"]
    shown = identity.get("/auth/tokens", headers={"X-Subject-Token": access.auth_token})
    assert shown.status_code == 200
    user = shown.json()["token"]["user"]
    assert user["OS-FEDERATION"]["groups"] == [{"id": group.id}]
    assert shown.json()["token"]["methods"] == [PROTOCOL, "token"]


def test_a_mapping_can_hand_out_projects_it_makes(world: World, fed_cloud: LiveCloud,
                                                  issuers: dict[str, Any]) -> None:
    project_name = unique("auto")
    rules = [{"local": [{"user": {"name": "{0}"},
                         "projects": [{"name": project_name, "roles": [{"name": "member"}]}]}],
              "remote": [{"type": "OIDC-preferred_username"}]}]
    world.provider(FILE_IDP, issuers["file"], rules)
    domain_id = world.call("GET", f"/OS-FEDERATION/identity_providers/{FILE_IDP}")[
        "identity_provider"]["domain_id"]
    token = alice_token(issuers["file"], unique("prov"))
    # The auth URL answers GET as well as POST (WebSSO and ECP use either).
    resp = httpx.get(world.auth_url_of(FILE_IDP), headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 201 and resp.headers["X-Subject-Token"]
    made = world.admin.identity.find_project(project_name, domain_id=domain_id)
    assert made is not None
    world.cleanups.append(lambda: world.admin.identity.delete_project(made))
    scoped = v3.Token(auth_url=fed_cloud.auth_url, token=resp.headers["X-Subject-Token"],
                      project_id=made.id)
    assert scoped.get_access(ks_session.Session(auth=scoped)).role_names == ["member", "reader"]
