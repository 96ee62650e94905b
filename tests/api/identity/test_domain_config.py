"""Domain-specific configuration (/v3/domains/{id}/config) through openstacksdk's session and
python-keystoneclient, with Keystone's codes, messages and default policy."""

from __future__ import annotations

import sqlite3

import pytest
from keystoneauth1 import exceptions as ks_exc
from keystoneclient.v3 import client as ks_client

from tests.api.conftest import connection_for, password_session, unique

CONFIG = {"identity": {"driver": "ldap"},
          "ldap": {"url": "ldap://127.0.0.1:1/", "user_tree_dn": "ou=Users,dc=example,dc=org"}}


@pytest.fixture
def keystone(admin):
    return ks_client.Client(session=admin.session, interface="public")


@pytest.fixture
def domain(make_domain):
    return make_domain()


def config_path(domain_id: str, *parts: str) -> str:
    return "/".join([f"/domains/{domain_id}/config", *parts])


def error_of(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["message"]


def test_config_lifecycle_with_sdk_session(admin, domain):
    ident = admin.identity
    secret = {**CONFIG, "ldap": {**CONFIG["ldap"], "password": "s3cret"}}
    created = ident.put(config_path(domain.id), json={"config": secret})
    assert created.status_code == 201
    assert created.json() == {"config": CONFIG}  # the password is stored, never shown
    again = ident.put(config_path(domain.id), json={"config": secret})
    assert again.status_code == 200 and again.json() == {"config": CONFIG}
    assert ident.get(config_path(domain.id)).json() == {"config": CONFIG}
    assert ident.get(config_path(domain.id, "ldap")).json() == {"config": {"ldap": CONFIG["ldap"]}}
    assert ident.get(config_path(domain.id, "identity", "driver")).json() == \
        {"config": {"driver": "ldap"}}
    assert error_of(ident.get(config_path(domain.id, "ldap", "password"))) == (
        404, f"Could not find option password in group ldap in domain configuration for "
             f"domain {domain.id}.")

    patched = ident.patch(config_path(domain.id, "ldap", "url"),
                          json={"config": {"url": "ldap://elsewhere/"}})
    assert patched.status_code == 200
    assert patched.json()["config"]["ldap"]["url"] == "ldap://elsewhere/"
    grouped = ident.patch(config_path(domain.id, "identity"),
                          json={"config": {"identity": {"driver": "sql", "list_limit": 5}}})
    assert grouped.json()["config"]["identity"] == {"driver": "sql", "list_limit": 5}
    added = ident.patch(config_path(domain.id),
                        json={"config": {"ldap": {"user_filter": "(objectClass=person)"}}})
    assert added.json()["config"]["ldap"]["user_filter"] == "(objectClass=person)"

    assert ident.delete(config_path(domain.id, "ldap", "url")).status_code == 204
    assert ident.get(config_path(domain.id, "ldap", "url")).status_code == 404
    assert ident.delete(config_path(domain.id, "identity")).status_code == 204
    assert error_of(ident.get(config_path(domain.id, "identity"))) == (
        404, f"Could not find group identity in domain configuration for domain {domain.id}.")
    assert ident.delete(config_path(domain.id)).status_code == 204
    assert error_of(ident.get(config_path(domain.id))) == (
        404, f"Could not find any options in domain configuration for domain {domain.id}.")


def test_refused_configs(admin, domain):
    ident = admin.identity
    prefix = "Invalid domain specific configuration: "
    bad_group = ident.put(config_path(domain.id), json={"config": {"assignment": {"x": 1}}})
    assert error_of(bad_group) == (403, prefix + "Group assignment is not supported for domain "
                                                 "specific configurations.")
    bad_option = ident.put(config_path(domain.id), json={"config": {"ldap": {"nope": 1}}})
    assert error_of(bad_option) == (403, prefix + "Option nope in group ldap is not supported "
                                                  "for domain specific configurations.")
    assert error_of(ident.put(config_path(domain.id), json={"config": {}})) == \
        (403, prefix + "No options specified.")
    empty_group = ident.put(config_path(domain.id), json={"config": {"ldap": {}}})
    assert empty_group.status_code == 403
    assert ident.put(config_path(domain.id), json={"config": ["ldap"]}).status_code == 400
    assert ident.put(config_path(domain.id), data=b"{not json",
                     headers={"Content-Type": "application/json"}).status_code == 400
    assert ident.get(config_path(domain.id)).status_code == 404  # nothing was stored
    assert ident.put(config_path(unique("nodomain")), json={"config": CONFIG}).status_code \
        == 404

    assert ident.put(config_path(domain.id), json={"config": CONFIG}).status_code == 201
    missing = ident.patch(config_path(domain.id, "ldap", "user_filter"),
                          json={"config": {"user_filter": "(cn=*)"}})
    assert missing.status_code == 404
    wrong = ident.patch(config_path(domain.id, "ldap"),
                        json={"config": {"identity": {"driver": "sql"}}})
    assert wrong.status_code == 403
    two = ident.patch(config_path(domain.id, "ldap", "url"),
                      json={"config": {"url": "ldap://a/", "user_tree_dn": "ou=x"}})
    assert two.status_code == 403
    assert ident.delete(config_path(domain.id, "ldap", "user_filter")).status_code == 404
    assert ident.get(config_path(domain.id)).json() == {"config": CONFIG}


def test_defaults(admin):
    ident = admin.identity
    everything = ident.get("/domains/config/default").json()["config"]
    assert everything["identity"] == {"driver": "sql", "list_limit": None}
    assert everything["ldap"]["user_objectclass"] == "inetOrgPerson"
    assert "password" not in everything["ldap"]
    ldap = ident.get("/domains/config/ldap/default").json()["config"]
    assert list(ldap) == ["ldap"] and ldap["ldap"]["query_scope"] == "one"
    assert ident.get("/domains/config/ldap/url/default").json() == \
        {"config": {"url": "ldap://localhost"}}
    assert error_of(ident.get("/domains/config/ldap/password/default")) == (
        403, "Invalid domain specific configuration: Reading the default for option password "
             "in group ldap is not supported.")
    assert ident.get("/domains/config/assignment/default").status_code == 403


def test_security_compliance_is_readable_by_any_user(cloud, admin, make_member, make_domain):
    member = make_member()
    reply = member.conn.identity.get("/domains/default/config/security_compliance")
    assert reply.status_code == 200
    assert reply.json() == {"config": {"security_compliance": {
        "password_regex": None, "password_regex_description": None}}}
    option = member.conn.identity.get(
        "/domains/default/config/security_compliance/password_regex")
    assert option.json() == {"config": {"password_regex": None}}
    other = make_domain()
    refused = member.conn.identity.get(f"/domains/{other.id}/config/security_compliance")
    assert refused.status_code == 403
    hidden = admin.identity.get("/domains/default/config/security_compliance/lockout_duration")
    assert hidden.status_code == 403


def test_sensitive_values_are_encrypted_at_rest(cloud, admin, domain):
    config = {**CONFIG, "ldap": {**CONFIG["ldap"], "password": "never-in-clear-7d1f"}}
    assert admin.identity.put(config_path(domain.id), json={"config": config}).ok
    with sqlite3.connect(cloud.data_dir / "nimbus.db") as db:
        rows = db.execute("SELECT option_name, value, encrypted_value FROM "
                          "identity_domain_config WHERE domain_id = ?", (domain.id,)).fetchall()
        dump = "\n".join(db.iterdump())
    stored = {name: (value, blob) for name, value, blob in rows}
    assert stored["password"][0] is None and stored["password"][1]
    assert stored["url"][1] is None
    assert "never-in-clear-7d1f" not in dump


def test_config_with_keystoneclient(keystone, domain):
    created = keystone.domain_configs.create(domain.id, CONFIG)
    assert created.identity == {"driver": "ldap"} and created.ldap == CONFIG["ldap"]
    assert keystone.domain_configs.get(domain.id).ldap["url"] == CONFIG["ldap"]["url"]
    updated = keystone.domain_configs.update(domain.id, {"ldap": {"url": "ldap://b/"}})
    assert updated.ldap["url"] == "ldap://b/"
    keystone.domain_configs.delete(domain.id)
    with pytest.raises(ks_exc.NotFound):
        keystone.domain_configs.get(domain.id)


def test_config_rbac(cloud, admin, domain, make_member, make_user):
    assert admin.identity.put(config_path(domain.id), json={"config": CONFIG}).ok
    member, reader = make_member(), make_member("reader")
    for persona in (member, reader):
        ident = persona.conn.identity
        assert ident.get(config_path(domain.id)).status_code == 403
        assert ident.put(config_path(domain.id), json={"config": CONFIG}).status_code == 403
        assert ident.patch(config_path(domain.id), json={"config": CONFIG}).status_code == 403
        assert ident.delete(config_path(domain.id)).status_code == 403
        assert ident.get("/domains/config/default").status_code == 403
    system_reader = make_user()
    admin.identity.put(f"/system/users/{system_reader.id}/roles/"
                       f"{admin.identity.find_role('reader').id}")
    sess = password_session(cloud, system_reader.name, system_reader.login_password,
                            system_scope="all")
    ident = connection_for(sess).identity
    assert ident.get(config_path(domain.id)).json() == {"config": CONFIG}
    assert ident.get("/domains/config/default").status_code == 200
    assert ident.patch(config_path(domain.id), json={"config": CONFIG}).status_code == 403
    assert ident.delete(config_path(domain.id)).status_code == 403
    assert admin.identity.get(config_path(domain.id)).json() == {"config": CONFIG}
