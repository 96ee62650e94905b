"""The pure parts of domain config: which groups and options a domain may set, the checks of
scoped updates, defaults, and the substitution of sensitive values."""

from __future__ import annotations

import pytest

from nimbus.services.identity.errors import InvalidDomainConfig
from nimbus.services.identity.service.domain_config import (
    DomainConfigs,
    _check_scoped_update,
    _substitute,
    check_config,
    check_group_and_option,
)


def test_only_identity_and_ldap_options_are_accepted():
    check_group_and_option("identity", "driver")
    check_group_and_option("ldap", "password")  # sensitive, but allowed
    with pytest.raises(InvalidDomainConfig, match="Group token is not supported"):
        check_group_and_option("token", None)
    with pytest.raises(InvalidDomainConfig, match="Option debug in group identity"):
        check_group_and_option("identity", "debug")


def test_a_config_needs_groups_of_options():
    check_config({"ldap": {"url": "ldap://x"}})
    with pytest.raises(InvalidDomainConfig, match="No options specified"):
        check_config({})
    with pytest.raises(InvalidDomainConfig, match="should be a dictionary of options"):
        check_config({"ldap": "ldap://x"})
    with pytest.raises(InvalidDomainConfig, match="should be a dictionary of options"):
        check_config({"ldap": {}})


def test_scoped_updates_carry_exactly_their_group_or_option():
    _check_scoped_update({"ldap": {"url": "x"}}, "ldap", "url")
    _check_scoped_update({"ldap": {"url": "x", "user": "y"}}, "ldap", None)
    with pytest.raises(InvalidDomainConfig, match="only that, group"):
        _check_scoped_update({"ldap": {"url": "x"}, "identity": {"driver": "l"}}, "ldap", None)
    with pytest.raises(InvalidDomainConfig, match="only that, option"):
        _check_scoped_update({"ldap": {"url": "x", "user": "y"}}, "ldap", "url")
    with pytest.raises(InvalidDomainConfig, match="contains group identity instead"):
        _check_scoped_update({"identity": {"driver": "l"}}, "ldap", None)
    with pytest.raises(InvalidDomainConfig, match="contains option user instead"):
        _check_scoped_update({"ldap": {"user": "y"}}, "ldap", "url")


def test_defaults_leave_out_sensitive_options():
    everything = DomainConfigs.get_default()
    assert set(everything) == {"identity", "ldap"}
    assert "password" not in everything["ldap"]
    assert DomainConfigs.get_default("ldap", "group_objectclass") == \
        {"group_objectclass": "groupOfNames"}
    with pytest.raises(InvalidDomainConfig, match="Reading the default for option password"):
        DomainConfigs.get_default("ldap", "password")


def test_sensitive_values_are_substituted_where_named():
    config = {"ldap": {"url": "ldap://u:%(password)s@host", "suffix": "dc=x", "page_size": 5}}
    assert _substitute(config, {"password": "pw"})["ldap"] == \
        {"url": "ldap://u:pw@host", "suffix": "dc=x", "page_size": 5}
    unmatched = {"ldap": {"url": "ldap://%(nothing)s"}}
    assert _substitute(unmatched, {"password": "pw"}) == unmatched
