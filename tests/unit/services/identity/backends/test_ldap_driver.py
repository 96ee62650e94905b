"""The LDAP driver's reading of entries: enabled flags as Keystone reads them, DN escapes,
trees and defaults; no server needed (tests/api/identity/test_ldap_backend.py has slapd)."""

from __future__ import annotations

from nimbus.services.identity.service.backends.ldap import (
    Attributes,
    LdapDriver,
    _unescape_dn_value,
)


def driver(**ldap: object) -> LdapDriver:
    return LdapDriver({"identity": {"driver": "ldap"}, "ldap": ldap})


def attrs(**values: str) -> Attributes:
    return Attributes({k: [v.encode()] for k, v in values.items()})


def test_trees_default_under_the_suffix():
    plain = driver(suffix="dc=example,dc=org")
    assert plain.user_tree == "ou=Users,dc=example,dc=org"
    assert plain.group_tree == "ou=UserGroups,dc=example,dc=org"
    assert driver(user_tree_dn="ou=People,dc=x").user_tree == "ou=People,dc=x"


def test_enabled_as_keystone_reads_it():
    assert driver()._enabled(attrs()) is True  # user_enabled_default "True"
    assert driver()._enabled(attrs(enabled="FALSE")) is False
    assert driver(user_enabled_invert=True)._enabled(attrs(enabled="false")) is True
    masked = driver(user_enabled_attribute="userAccountControl", user_enabled_mask=2,
                    user_enabled_default="512")
    assert masked._enabled(attrs(userAccountControl="514")) is False
    assert masked._enabled(attrs(userAccountControl="512")) is True
    assert masked._enabled(attrs()) is True
    ignored = driver(user_attribute_ignore=["enabled"])
    assert ignored._enabled(attrs(enabled="false")) is True


def test_entries_become_users_with_the_configured_attributes():
    d = driver(user_id_attribute="uid", user_name_attribute="cn")
    user = d._to_user("uid=a,ou=Users,dc=x", attrs(uid="a", cn="Ann", mail="a@x",
                                                  description="d"))
    assert user is not None
    assert (user.local_id, user.name, user.email, user.description) == ("a", "Ann", "a@x", "d")
    assert d._to_user("uid=b,ou=Users,dc=x", attrs(cn="no id")) is None


def test_attribute_names_ignore_case_and_dn_escapes_unwind():
    assert attrs(Mail="m@x").first("mail") == "m@x"
    assert _unescape_dn_value(r"Smith\, John") == "Smith, John"
    assert _unescape_dn_value(r"caf\c3\a9") == "café"
