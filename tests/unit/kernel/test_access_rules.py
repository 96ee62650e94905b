import pytest

from nimbus.kernel.access_rules import (
    enforce_access_rules,
    path_matches,
    request_allowed,
)
from nimbus.kernel.errors import Unauthorized


@pytest.mark.parametrize(("path", "pattern", "expected"), [
    ("/v2.1/servers", "/v2.1/servers", True),
    ("/v2.1/servers/abc/ips", "/v2.1/servers/*/ips", True),
    ("/v2.1/servers/abc/ips", "/v2.1/servers/{server_id}/ips", True),
    ("/v2.1/servers/a/b/ips", "/v2.1/servers/*/ips", False),
    ("/v2.1/servers//ips", "/v2.1/servers/*/ips", False),
    ("/v2.1/servers/a/b/ips", "/v2.1/**", True),
    ("/v2.1/", "/v2.1/**", True),
    ("/v2.1", "/v2.1/**", False),
    ("/v2.1/servers/x", "/v2.1/servers", False),
    ("/v2x1/servers", "/v2.1/servers", False),  # a dot is a dot, not any character
    ("/v3/users/u1/application_credentials", "/v3/users/*/application_credentials", True),
])
def test_path_patterns(path, pattern, expected):
    assert path_matches(path, pattern) is expected


RULES = [{"service": "identity", "method": "GET", "path": "/v3/users/*/access_rules"},
         {"service": "compute", "method": "POST", "path": "/v2.1/servers"}]


def test_rule_needs_service_method_and_path_to_match():
    assert request_allowed(RULES, "identity", "GET", "/identity/v3/users/u1/access_rules",
                           "/identity")
    assert not request_allowed(RULES, "identity", "DELETE",
                               "/identity/v3/users/u1/access_rules", "/identity")
    assert not request_allowed(RULES, "compute", "GET", "/identity/v3/users/u1/access_rules",
                               "/identity")
    assert request_allowed(RULES, "compute", "POST", "/compute/v2.1/servers", "/compute")
    assert not request_allowed(RULES, "compute", "POST", "/compute/v2.1/servers/x",
                               "/compute")


def test_full_path_matches_too():
    rules = [{"service": "identity", "method": "GET", "path": "/identity/v3/projects"}]
    assert request_allowed(rules, "identity", "GET", "/identity/v3/projects", "/identity")


def test_token_validation_is_always_allowed_on_identity():
    assert request_allowed([], "identity", "GET", "/identity/v3/auth/tokens", "/identity")
    assert not request_allowed([], "identity", "DELETE", "/identity/v3/auth/tokens",
                               "/identity")
    assert not request_allowed([], "compute", "GET", "/compute/v3/auth/tokens", "/compute")


def test_no_rule_means_nothing_is_allowed():
    with pytest.raises(Unauthorized) as err:
        enforce_access_rules([], "identity", "GET", "/identity/v3/projects", "/identity")
    assert err.value.status == 401
    enforce_access_rules(RULES, "compute", "POST", "/compute/v2.1/servers", "/compute")
