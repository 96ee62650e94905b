"""OS-FEDERATION management with the openstack CLI and openstacksdk: identity providers,
mappings (rules from a file), protocols, service providers (and their place in tokens),
Keystone's RBAC for them, and bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import unique
from tests.conftest import LiveCloud

RULES = [{"local": [{"user": {"name": "{0}"}}, {"group": {"id": "0cd5e9"}}],
          "remote": [{"type": "UserName"},
                     {"type": "orgPersonType", "not_any_of": ["Contractor", "Guest"]}]}]


def rules_file(tmp_path: Path, rules: Any) -> str:
    path = tmp_path / f"{unique('rules')}.json"
    path.write_text(json.dumps(rules))
    return str(path)


def test_identity_provider_lifecycle_with_the_cli(cli: Callable[..., Any], admin: Any) -> None:
    idp = unique("idp")
    made = cli("identity provider create", "--remote-id", f"https://{idp}.example",
               "--description", "Stores ACME identities", "--enable", idp, "-f", "json")
    assert made["id"] == idp and made["enabled"] is True
    assert made["remote_ids"] == [f"https://{idp}.example"]
    # No domain given: Keystone makes one for the provider.
    domain = admin.identity.get_domain(made["domain_id"])
    assert domain.description == f"Auto generated federated domain for Identity Provider: {idp}"
    listed = cli("identity provider list", "-f", "json")
    assert idp in [row["ID"] for row in listed]
    cli("identity provider set", "--remote-id", "beta_id_1", "--disable",
        "--authorization-ttl", "30", idp)
    shown = cli("identity provider show", idp, "-f", "json")
    assert shown["enabled"] is False and shown["remote_ids"] == ["beta_id_1"]
    assert shown["authorization_ttl"] == 30
    cli("identity provider delete", idp)
    gone = cli("identity provider show", idp, check=False)
    assert gone.returncode != 0 and "Could not find Identity Provider" in gone.stderr


def test_identity_provider_in_a_given_domain_and_its_links(admin: Any, make_domain: Any
                                                           ) -> None:
    domain = make_domain()
    idp = unique("idp")
    resp = admin.identity.put(f"/OS-FEDERATION/identity_providers/{idp}",
                              json={"identity_provider": {"domain_id": domain.id}})
    assert resp.status_code == 201
    body = resp.json()["identity_provider"]
    assert body["domain_id"] == domain.id and body["enabled"] is False
    assert body["links"]["self"].endswith(f"/identity/v3/OS-FEDERATION/identity_providers/{idp}")
    assert body["links"]["protocols"] == body["links"]["self"] + "/protocols"
    assert body["authorization_ttl"] is None and body["remote_ids"] == []
    enabled = admin.identity.get("/OS-FEDERATION/identity_providers?enabled=false").json()
    assert idp in [p["id"] for p in enabled["identity_providers"]]
    admin.identity.delete(f"/OS-FEDERATION/identity_providers/{idp}")


def test_mapping_lifecycle_with_a_rules_file(cli: Callable[..., Any], tmp_path: Path) -> None:
    name = unique("mapping")
    made = cli("mapping create", "--rules", rules_file(tmp_path, RULES), name, "-f", "json")
    assert made["id"] == name and made["rules"] == RULES
    assert made["schema_version"] == "1.0"
    assert name in [row["ID"] for row in cli("mapping list", "-f", "json")]
    new_rules = [{"local": [{"user": {"name": "{0}", "type": "local",
                                      "domain": {"name": "Default"}}}],
                  "remote": [{"type": "OIDC-email", "any_one_of": [".*@example.org"],
                              "regex": True}]}]
    cli("mapping set", "--rules", rules_file(tmp_path, new_rules), name)
    assert cli("mapping show", name, "-f", "json")["rules"] == new_rules
    bad = cli("mapping set", "--rules", rules_file(tmp_path, [{"local": []}]), name,
              check=False)
    assert bad.returncode != 0
    assert cli("mapping show", name, "-f", "json")["rules"] == new_rules
    cli("mapping delete", name)
    assert cli("mapping show", name, check=False).returncode != 0


def test_federation_protocol_lifecycle(cli: Callable[..., Any], tmp_path: Path) -> None:
    idp, first, second = unique("idp"), unique("map"), unique("map")
    cli("identity provider create", idp)
    for mapping in (first, second):
        cli("mapping create", "--rules", rules_file(tmp_path, RULES), mapping)
    made = cli("federation protocol create", "--identity-provider", idp, "--mapping", first,
               "openid", "-f", "json")
    assert made["id"] == "openid" and made["mapping"] == first
    listed = cli("federation protocol list", "--identity-provider", idp, "-f", "json")
    assert [(row["id"], row["mapping"]) for row in listed] == [("openid", first)]
    # python-openstackclient's `protocol set` returns its row as the exit status (its bug):
    # judge it by what `show` says afterwards.
    cli("federation protocol set", "--identity-provider", idp, "--mapping", second, "openid",
        check=False)
    shown = cli("federation protocol show", "--identity-provider", idp, "openid", "-f", "json")
    assert shown["mapping"] == second
    missing = cli("federation protocol create", "--identity-provider", idp, "--mapping",
                  "nosuchmapping", "saml2", check=False)
    assert missing.returncode != 0 and "Invalid mapping id: nosuchmapping" in missing.stderr
    cli("federation protocol delete", "--identity-provider", idp, "openid")
    assert cli("federation protocol list", "--identity-provider", idp, "-f", "json") == []
    cli("identity provider delete", idp)
    cli("mapping delete", first, second)


def test_service_providers_with_the_cli_and_in_tokens(cli: Callable[..., Any],
                                                      cloud: LiveCloud, admin: Any) -> None:
    sp = unique("sp")
    auth_url = "https://remote.example/identity/v3/OS-FEDERATION/identity_providers/" \
               "acme/protocols/saml2/auth"
    made = cli("service provider create", "--auth-url", auth_url, "--service-provider-url",
               "https://remote.example/Shibboleth.sso/SAML2/ECP", "--enable", sp, "-f", "json")
    assert made["enabled"] is True and made["relay_state_prefix"] == "ss:mem:"
    assert sp in [row["ID"] for row in cli("service provider list", "-f", "json")]
    token = admin.identity.post("/auth/tokens", json={"auth": {"identity": {
        "methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"},
            "password": cloud.admin_password}}}}}).json()["token"]
    assert {"id": sp, "auth_url": auth_url,
            "sp_url": "https://remote.example/Shibboleth.sso/SAML2/ECP"} in \
        token["service_providers"]
    cli("service provider set", "--disable", "--description", "off", sp)
    shown = cli("service provider show", sp, "-f", "json")
    assert shown["enabled"] is False and shown["description"] == "off"
    rescoped = admin.identity.get("/auth/tokens", headers={
        "X-Subject-Token": admin.session.get_token()}).json()["token"]
    assert sp not in [p["id"] for p in rescoped.get("service_providers", [])]
    cli("service provider delete", sp)
    assert cli("service provider show", sp, check=False).returncode != 0


# -- bad input ----------------------------------------------------------------------------
def test_bad_mapping_rules_are_400_with_keystones_schema_messages(admin: Any) -> None:
    name = unique("map")
    cases = {
        "'rules' is a required property\n": {},
        # jsonschema's words for minItems (older releases: "[] is too short").
        "[] should be non-empty\n": {"rules": []},
        "'remote' is a required property\n": {"rules": [{"local": [{"user": {}}]}]},
        "'bogus' is not one of ['ephemeral', 'local']\n": {"rules": [{
            "local": [{"user": {"name": "x", "type": "bogus"}}], "remote": [{"type": "a"}]}]},
    }
    for message, mapping in cases.items():
        resp = admin.identity.put(f"/OS-FEDERATION/mappings/{name}", json={"mapping": mapping})
        assert resp.status_code == 400, mapping
        assert resp.json()["error"]["message"] == message
    bad_remote = {"rules": [{"local": [{"user": {"name": "{0}"}}],
                             "remote": [{"type": "a", "any_one_of": ["x"], "whitelist": ["y"]}]}]}
    resp = admin.identity.put(f"/OS-FEDERATION/mappings/{name}", json={"mapping": bad_remote})
    assert resp.status_code == 400
    assert admin.identity.get(f"/OS-FEDERATION/mappings/{name}").status_code == 404


def test_remote_ids_are_unique_across_providers(admin: Any) -> None:
    first, second = unique("idp"), unique("idp")
    remote = f"https://{first}.example"
    assert admin.identity.put(f"/OS-FEDERATION/identity_providers/{first}", json={
        "identity_provider": {"remote_ids": [remote]}}).status_code == 201
    resp = admin.identity.put(f"/OS-FEDERATION/identity_providers/{second}", json={
        "identity_provider": {"remote_ids": [remote, "other"]}})
    assert resp.status_code == 409
    assert resp.json()["error"]["message"] == \
        f"Conflict occurred attempting to store identity_provider - Duplicate remote ID: {remote}."
    assert admin.identity.get(f"/OS-FEDERATION/identity_providers/{second}").status_code == 404
    again = admin.identity.put(f"/OS-FEDERATION/identity_providers/{first}",
                               json={"identity_provider": {}})
    assert again.status_code == 409
    admin.identity.delete(f"/OS-FEDERATION/identity_providers/{first}")


@pytest.mark.parametrize("path,body", [
    ("/OS-FEDERATION/identity_providers/{n}", {"identity_provider": {"domain_id": "nosuch"}}),
    ("/OS-FEDERATION/identity_providers/{n}", {"identity_provider": {"remote_ids": "x"}}),
    ("/OS-FEDERATION/identity_providers/{n}", {"identity_provider": {"authorization_ttl": -1}}),
    ("/OS-FEDERATION/identity_providers/{n}", {"identity_provider": {"bogus": 1}}),
    ("/OS-FEDERATION/service_providers/{n}", {"service_provider": {"auth_url": "x"}}),
    ("/OS-FEDERATION/service_providers/{n}", {"service_provider": {
        "auth_url": "not a url", "sp_url": "https://x"}}),
])
def test_bad_provider_bodies_change_nothing(admin: Any, path: str, body: Any) -> None:
    name = unique("bad")
    resp = admin.identity.put(path.format(n=name), json=body)
    assert resp.status_code in (400, 404)
    assert "error" in resp.json()
    assert admin.identity.get(path.format(n=name)).status_code == 404


def test_update_rules_of_keystone(admin: Any) -> None:
    idp = unique("idp")
    admin.identity.put(f"/OS-FEDERATION/identity_providers/{idp}",
                       json={"identity_provider": {}})
    resp = admin.identity.patch(f"/OS-FEDERATION/identity_providers/{idp}",
                                json={"identity_provider": {"domain_id": "default"}})
    assert resp.status_code == 400
    assert admin.identity.patch(f"/OS-FEDERATION/identity_providers/{idp}",
                                json={"identity_provider": {}}).status_code == 400
    assert admin.identity.get(f"/OS-FEDERATION/identity_providers/{idp}/protocols/x"
                              ).status_code == 404
    assert admin.identity.get("/OS-FEDERATION/identity_providers/nosuch").json()["error"][
        "message"] == "Could not find Identity Provider: nosuch."
    admin.identity.delete(f"/OS-FEDERATION/identity_providers/{idp}")


# -- RBAC: Keystone's defaults (admin manages; system readers read) --------------------------
@pytest.mark.parametrize("role", ["member", "reader"])
def test_only_admins_manage_federation(make_member: Any, admin: Any, role: str) -> None:
    actor = make_member(role).conn
    name = unique("rbac")
    writes = [("PUT", f"/OS-FEDERATION/identity_providers/{name}", {"identity_provider": {}}),
              ("PUT", f"/OS-FEDERATION/mappings/{name}", {"mapping": {"rules": RULES}}),
              ("PUT", f"/OS-FEDERATION/service_providers/{name}", {"service_provider": {
                  "auth_url": "https://a.example", "sp_url": "https://b.example"}})]
    for method, path, body in writes:
        assert actor.identity.request(path, method, json=body).status_code == 403, path
        assert admin.identity.get(path).status_code == 404
    for path in ("/OS-FEDERATION/identity_providers", "/OS-FEDERATION/mappings",
                 "/OS-FEDERATION/service_providers"):
        assert actor.identity.get(path).status_code == 403, path
        assert admin.identity.get(path).status_code == 200
    idp = unique("idp")
    admin.identity.put(f"/OS-FEDERATION/identity_providers/{idp}",
                       json={"identity_provider": {}})
    for method in ("GET", "DELETE"):
        resp = actor.identity.request(f"/OS-FEDERATION/identity_providers/{idp}", method)
        assert resp.status_code == 403
    assert actor.identity.get(f"/OS-FEDERATION/identity_providers/{idp}/protocols"
                              ).status_code == 403
    assert admin.identity.delete(f"/OS-FEDERATION/identity_providers/{idp}").status_code == 204


def test_system_readers_read_but_do_not_write(cloud: LiveCloud, admin: Any,
                                              make_user: Any) -> None:
    from tests.api.conftest import connection_for, password_session

    user = make_user()
    reader_role = admin.identity.find_role("reader", ignore_missing=False)
    assert admin.identity.put(f"/system/users/{user.id}/roles/{reader_role.id}"
                              ).status_code == 204
    conn = connection_for(password_session(cloud, user.name, user.login_password,
                                           system_scope="all"))
    idp = unique("idp")
    admin.identity.put(f"/OS-FEDERATION/identity_providers/{idp}",
                       json={"identity_provider": {}})
    try:
        for path in ("/OS-FEDERATION/identity_providers", f"/OS-FEDERATION/identity_providers/"
                     f"{idp}", f"/OS-FEDERATION/identity_providers/{idp}/protocols",
                     "/OS-FEDERATION/mappings", "/OS-FEDERATION/service_providers"):
            assert conn.identity.get(path).status_code == 200, path
        resp = conn.identity.patch(f"/OS-FEDERATION/identity_providers/{idp}",
                                   json={"identity_provider": {"enabled": True}})
        assert resp.status_code == 403
        assert admin.identity.get(f"/OS-FEDERATION/identity_providers/{idp}").json()[
            "identity_provider"]["enabled"] is False
    finally:
        admin.identity.delete(f"/OS-FEDERATION/identity_providers/{idp}")


def test_deleting_a_domain_deletes_its_identity_providers(admin: Any, make_domain: Any) -> None:
    domain = make_domain()
    idp = unique("idp")
    admin.identity.put(f"/OS-FEDERATION/identity_providers/{idp}",
                       json={"identity_provider": {"domain_id": domain.id,
                                                   "remote_ids": [f"urn:{idp}"]}})
    admin.identity.update_domain(domain, is_enabled=False)
    admin.identity.delete_domain(domain)
    assert admin.identity.get(f"/OS-FEDERATION/identity_providers/{idp}").status_code == 404
    # Its remote id is free again.
    again = admin.identity.put(f"/OS-FEDERATION/identity_providers/{unique('idp')}",
                               json={"identity_provider": {"remote_ids": [f"urn:{idp}"]}})
    assert again.status_code == 201
    admin.identity.delete(again.json()["identity_provider"]["links"]["self"])
