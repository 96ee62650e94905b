"""Policy: oslo.policy's rule language, scope types, and overrides from policy.yaml.

A rule is a check string such as ``(role:reader and system_scope:all) or
user_id:%(target.user.id)s``; the left of ``:`` reads the caller's credentials, the right is
formatted with the (flattened) target. Unknown rules deny.
"""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from nimbus.kernel.errors import Forbidden

log = logging.getLogger(__name__)

RuleDefaults = dict[str, tuple[str, tuple[str, ...] | None]]
Check = Callable[[Mapping[str, Any], Mapping[str, Any], "Enforcer"], bool]



def _tokenize(text: str) -> list[str]:
    """Split like oslo.policy: on spaces, peeling parentheses off the ends of each word."""
    tokens: list[str] = []
    for word in text.split():
        inner = word.lstrip("(")
        tokens.extend("(" * (len(word) - len(inner)))
        core = inner.rstrip(")")
        if core:
            tokens.append(core)
        tokens.extend(")" * (len(inner) - len(core)))
    return tokens


def _always(_t: Mapping[str, Any], _c: Mapping[str, Any], _e: Enforcer) -> bool:
    return True


def _never(_t: Mapping[str, Any], _c: Mapping[str, Any], _e: Enforcer) -> bool:
    return False


def _leaf(token: str) -> Check:
    if token == "@":
        return _always
    if token == "!":
        return _never
    kind, sep, match = token.partition(":")
    if not sep:
        return _never
    if kind == "rule":
        return lambda t, c, e: e.check_rule(match, t, c)
    if kind == "role":
        return lambda t, c, e: _role_check(match, t, c)
    if kind == "field":
        return _field_check(match)
    return lambda t, c, e: _generic_check(kind, match, t, c)


def _field_check(match: str) -> Check:
    """Neutron's ``field:<resource>:<attr>=<value>``: the target's attribute equals the
    value (``True``/``False`` read as booleans), or matches it as a regex after ``~``."""
    _resource, _, test = match.partition(":")
    attr, _, wanted = test.partition("=")

    def check(t: Mapping[str, Any], _c: Mapping[str, Any], _e: Enforcer) -> bool:
        value = t.get(attr)
        if wanted.startswith("~"):
            return value is not None and re.search(wanted[1:], str(value)) is not None
        if wanted in ("True", "False"):
            return value is (wanted == "True")
        return value is not None and str(value) == wanted

    return check


def _role_check(match: str, target: Mapping[str, Any], creds: Mapping[str, Any]) -> bool:
    try:
        wanted = (match % target).lower()
    except (KeyError, TypeError, ValueError):
        return False
    return wanted in (r.lower() for r in creds.get("roles", ()))


def _generic_check(kind: str, match: str, target: Mapping[str, Any],
                   creds: Mapping[str, Any]) -> bool:
    if match == "None" and kind[:1] not in "'\"0123456789":
        # oslo compares str(value) with "None": ``domain_id:None`` asks for an unset credential.
        return _is_unset(creds, kind.split("."))
    try:
        expected = match % target
    except (KeyError, TypeError, ValueError):
        return False
    try:
        literal = ast.literal_eval(kind)
    except (ValueError, SyntaxError):
        pass
    else:
        return expected == str(literal)
    return _find(creds, kind.split("."), expected)


def _is_unset(value: Any, path: list[str]) -> bool:
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return False
        value = value[key]
    return value is None


def _find(value: Any, path: list[str], expected: str) -> bool:
    if not path:
        # A missing credential never matches, even a target formatted as "None".
        return value is not None and expected == str(value)
    if not isinstance(value, Mapping) or path[0] not in value:
        return False
    value = value[path[0]]
    if isinstance(value, list):
        return any(_find(v, path[1:], expected) for v in value)
    return _find(value, path[1:], expected)


class _Parser:
    """Recursive descent over: expr := term ('or' term)*; term := factor ('and' factor)*;
    factor := 'not' factor | '(' expr ')' | check."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0

    def parse(self) -> Check:
        if not self.tokens:
            return _always
        check = self._expr()
        if self.pos != len(self.tokens):
            raise ValueError(f"unexpected {self.tokens[self.pos]!r}")
        return check

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _next(self) -> str:
        token = self._peek()
        if token is None:
            raise ValueError("unexpected end of rule")
        self.pos += 1
        return token

    def _expr(self) -> Check:
        parts = [self._term()]
        while self._peek() == "or":
            self._next()
            parts.append(self._term())
        if len(parts) == 1:
            return parts[0]
        return lambda t, c, e: any(p(t, c, e) for p in parts)

    def _term(self) -> Check:
        parts = [self._factor()]
        while self._peek() == "and":
            self._next()
            parts.append(self._factor())
        if len(parts) == 1:
            return parts[0]
        return lambda t, c, e: all(p(t, c, e) for p in parts)

    def _factor(self) -> Check:
        token = self._next()
        if token == "not":
            inner = self._factor()
            return lambda t, c, e: not inner(t, c, e)
        if token == "(":
            inner = self._expr()
            if self._next() != ")":
                raise ValueError("missing )")
            return inner
        return _leaf(token)


def parse_rule(text: str) -> Check:
    try:
        return _Parser(text).parse()
    except ValueError as exc:
        log.error("policy rule %r does not parse (%s); it denies", text, exc)
        return _never


def flatten(target: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{'target': {'user': {'id': 1}}} -> {'target.user.id': 1, ...} (every level kept)."""
    flat: dict[str, Any] = {}
    for key, value in target.items():
        name = f"{prefix}{key}"
        flat[name] = value
        if isinstance(value, Mapping):
            flat.update(flatten(value, name + "."))
    return flat


def token_scope(creds: Mapping[str, Any]) -> str:
    """As oslo.policy judges scope: an unscoped token counts as project-scoped."""
    if creds.get("system_scope"):
        return "system"
    if creds.get("domain_id"):
        return "domain"
    return "project"


_TARGET_KEY = re.compile(r"%\(([^)]+)\)s")
_FIELD_KEY = re.compile(r"field:[^:\s()]+:([^\s()]+)")
_RULE_REF = re.compile(r"rule:([^\s()]+)")


class Enforcer:
    """Rules of one API: defaults in code, overridden per rule by a policy.yaml."""

    def __init__(self, defaults: RuleDefaults, override_file: Path | None = None) -> None:
        self.scope_types = {name: scopes for name, (_check, scopes) in defaults.items()}
        texts = {name: check for name, (check, _scopes) in defaults.items()}
        if override_file is not None and override_file.exists():
            loaded = yaml.safe_load(override_file.read_text()) or {}
            texts.update({str(k): str(v) for k, v in loaded.items()})
        self.rules = {name: parse_rule(text) for name, text in texts.items()}
        self._texts = texts
        self._keys: dict[str, frozenset[str] | None] = {}

    def target_keys(self, name: str) -> frozenset[str] | None:
        """The target keys a rule can read (through the rules it names, too); None when
        that cannot be told (a rule that names itself). A decision depends on the caller
        and on these keys only, so it can be kept for every target that agrees on them."""
        if name not in self._keys:
            self._keys[name] = self._keys_of(name, frozenset())
        return self._keys[name]

    def _keys_of(self, name: str, seen: frozenset[str]) -> frozenset[str] | None:
        if name in seen:
            return None
        text = self._texts.get(name, "")
        keys = set(_TARGET_KEY.findall(text))
        keys.update(m.split("=", 1)[0] for m in _FIELD_KEY.findall(text))
        for ref in _RULE_REF.findall(text):
            inner = self._keys_of(ref, seen | {name})
            if inner is None:
                return None
            keys |= inner
        return frozenset(keys)

    def check_rule(self, name: str, target: Mapping[str, Any], creds: Mapping[str, Any]) -> bool:
        rule = self.rules.get(name)
        return bool(rule and rule(target, creds, self))

    def authorize(self, name: str, creds: Mapping[str, Any],
                  target: Mapping[str, Any] | None = None) -> bool:
        scopes = self.scope_types.get(name)
        if scopes and token_scope(creds) not in scopes:
            return False
        return self.check_rule(name, flatten(target or {}), creds)

    def enforce(self, name: str, creds: Mapping[str, Any],
                target: Mapping[str, Any] | None = None) -> None:
        if not self.authorize(name, creds, target):
            raise Forbidden(f"You are not authorized to perform the requested action: {name}.")
