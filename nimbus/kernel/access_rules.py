"""Application-credential access rules: the requests a token limited by them may make.

A rule is ``{"service": <catalog type>, "method": <HTTP method>, "path": <pattern>}``; in the
pattern ``*`` and ``{name}`` stand for one path segment and ``**`` for any number of them, as
keystonemiddleware reads them. Paths are matched as the service sees them (``/v3/users/x`` for
identity mounted at ``/identity``); the full path (``/identity/v3/users/x``) matches too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from nimbus.kernel.errors import Unauthorized

_PATTERN_TOKENS = re.compile(
    r"(?P<tag>\{[^}]*\})|(?P<wild>\*(?=$|[^*]))|(?P<rec_wild>\*\*)|(?P<literal>[^{}*])")


@lru_cache(maxsize=4096)
def path_regex(pattern: str) -> re.Pattern[str]:
    """The regular expression an access-rule path pattern stands for."""
    parts: list[str] = []
    for match in _PATTERN_TOKENS.finditer(pattern):
        if match.group("tag") or match.group("wild"):
            parts.append(r"[^/]+")
        elif match.group("rec_wild"):
            parts.append(r".*")
        elif match.group("literal"):
            parts.append(re.escape(match.group("literal")))
    return re.compile("^" + "".join(parts) + "$")


def path_matches(path: str, pattern: str) -> bool:
    return path_regex(pattern).match(path) is not None


def rule_allows(rule: Mapping[str, Any], service_type: str, method: str,
                paths: Iterable[str]) -> bool:
    if rule.get("service") != service_type or rule.get("method") != method:
        return False
    pattern = str(rule.get("path") or "")
    return any(path_matches(path, pattern) for path in paths)


def is_always_allowed(service_type: str, method: str, path: str) -> bool:
    """Validating a token is allowed whatever the rules say (keystonemiddleware does so)."""
    return service_type == "identity" and method == "GET" and \
        path.rstrip("/").endswith("/v3/auth/tokens")


def request_allowed(rules: Iterable[Mapping[str, Any]], service_type: str, method: str,
                    path: str, prefix: str = "") -> bool:
    """Whether one of ``rules`` allows ``method path`` on the service mounted at ``prefix``."""
    inner = path[len(prefix):] if prefix and path.startswith(prefix) else path
    paths = (inner or "/", path)
    if is_always_allowed(service_type, method, path):
        return True
    return any(rule_allows(rule, service_type, method, paths) for rule in rules)


def enforce_access_rules(rules: Iterable[Mapping[str, Any]], service_type: str, method: str,
                         path: str, prefix: str = "") -> None:
    """Refuse (401, as keystonemiddleware does) a request no access rule allows."""
    if not request_allowed(rules, service_type, method, path, prefix):
        raise Unauthorized("The application credential used for this token does not "
                           "allow this request.")
