"""Keystone's mapping language: schema validation and the rule engine."""

from __future__ import annotations

import pytest

from nimbus.services.identity.service.federation.mapping import (
    DirectMappingError,
    MappingDoesNotApply,
    MappingRulesInvalid,
    RuleProcessor,
    validate_rules,
)

ASSERTION = {"UserName": "testacct", "Email": "testacct@example.com",
             "orgPersonType": "Tester;Employee", "Groups": "g1;g2;g3"}


def process(rules: list, assertion: dict | None = None, version: str = "1.0"):
    validate_rules({"rules": rules, "schema_version": version})
    return RuleProcessor("m1", rules, version).process(assertion or ASSERTION)


def test_direct_mapping_with_substitutions_and_group_by_id() -> None:
    mapped = process([{"local": [{"user": {"name": "{0}", "email": "{1}"}},
                                 {"group": {"id": "abc"}}],
                       "remote": [{"type": "UserName"}, {"type": "Email"}]}])
    assert mapped.user == {"name": "testacct", "email": "testacct@example.com",
                           "type": "ephemeral"}
    assert mapped.group_ids == ["abc"]


def test_any_one_of_not_any_of_and_regex_decide_whether_a_rule_applies() -> None:
    local = [{"user": {"name": "{0}"}}]
    applies = [{"type": "orgPersonType", "any_one_of": ["Employee"]}]
    refuses = [{"type": "orgPersonType", "not_any_of": ["Tester"]}]
    by_regex = [{"type": "Email", "any_one_of": [r"@example\.com$"], "regex": True}]
    assert process([{"local": local, "remote": [{"type": "UserName"}, *applies]}]).user[
        "name"] == "testacct"
    assert process([{"local": local, "remote": [{"type": "UserName"}, *by_regex]}]).user[
        "name"] == "testacct"
    with pytest.raises(MappingDoesNotApply):
        process([{"local": local, "remote": [{"type": "UserName"}, *refuses]}])
    with pytest.raises(MappingDoesNotApply):
        process([{"local": local, "remote": [{"type": "Missing"}]}])


def test_whitelist_and_blacklist_filter_the_groups_a_rule_maps() -> None:
    rule = {"local": [{"groups": "{0}", "domain": {"id": "default"}}],
            "remote": [{"type": "Groups", "whitelist": ["g1", "g3", "g9"]}]}
    names = sorted(g["name"] for g in process([rule]).group_names)
    assert names == ["g1", "g3"]
    rule["remote"] = [{"type": "Groups", "blacklist": ["g1"]}]
    assert sorted(g["name"] for g in process([rule]).group_names) == ["g2", "g3"]


def test_local_user_type_and_multiple_rules_keep_the_first_user() -> None:
    mapped = process([
        {"local": [{"user": {"name": "{0}", "type": "local", "domain": {"name": "Default"}}}],
         "remote": [{"type": "UserName"}]},
        {"local": [{"user": {"name": "other"}}, {"group": {"id": "g"}}],
         "remote": [{"type": "Email"}]}])
    assert mapped.user_type == "local" and mapped.user["name"] == "testacct"
    assert mapped.group_ids == ["g"]


def test_schema_2_0_gives_projects_the_mappings_domain() -> None:
    mapped = process([{"local": [{"user": {"name": "{0}"}, "domain": {"name": "d"},
                                  "projects": [{"name": "p", "roles": [{"name": "member"}]}]}],
                       "remote": [{"type": "UserName"}]}], version="2.0")
    assert mapped.projects == [{"name": "p", "roles": [{"name": "member"}],
                                "domain": {"name": "d"}}]
    assert mapped.user["domain"] == {"name": "d"}


def test_a_missing_substitution_is_a_direct_mapping_error() -> None:
    with pytest.raises(DirectMappingError):
        process([{"local": [{"user": {"name": "{3}"}}], "remote": [{"type": "UserName"}]}])


@pytest.mark.parametrize("mapping,message", [
    ({}, "'rules' is a required property\n"),
    ({"rules": [{"local": [], "remote": [{"type": "a"}], "extra": 1}]},
     "Additional properties are not allowed ('extra' was unexpected)\n"),
    ({"rules": [{"local": [{"user": {"type": "x"}}], "remote": [{"type": "a"}]}]},
     "'x' is not one of ['ephemeral', 'local']\n"),
])
def test_schema_errors_are_keystones_messages(mapping: dict, message: str) -> None:
    with pytest.raises(MappingRulesInvalid) as err:
        validate_rules(mapping)
    assert err.value.message == message and err.value.status == 400


def test_groups_without_a_domain_is_an_invalid_rule() -> None:
    with pytest.raises(MappingRulesInvalid):
        process([{"local": [{"groups": "{0}"}], "remote": [{"type": "Groups"}]}])
