"""Keystone's attribute mapping language: the rule schema (versions 1.0 and 2.0) and the
engine that turns an identity provider's assertion into a local user, groups and projects.

An assertion is a flat dict of attribute name -> string; a string holding ``;`` carries
several values (as Apache hands them to Keystone). A rule applies when every one of its
``remote`` requirements holds; its ``local`` entries, with ``{0}``, ``{1}``... replaced by the
values the requirements matched, then say who the user is and which groups it joins.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft4Validator

from nimbus.kernel.errors import BadRequest, CloudError

EPHEMERAL = "ephemeral"
LOCAL = "local"
DEFAULT_SCHEMA_VERSION = "1.0"

_ROLES = {"type": "array", "items": {"type": "object", "required": ["name"],
                                     "properties": {"name": {"type": "string"}},
                                     "additionalProperties": False}}
_DOMAIN = {"type": "object",
           "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
           "additionalProperties": False}
_PROJECTS = {"type": "array", "items": {
    "type": "object", "required": ["name", "roles"], "additionalProperties": False,
    "properties": {"name": {"type": "string"}, "roles": _ROLES}}}


def _remote_kind(keyword: str | None) -> dict[str, Any]:
    properties: dict[str, Any] = {"type": {"type": "string"}}
    if keyword is None:
        return {"type": "object", "required": ["type"], "properties": properties,
                "additionalProperties": False}
    properties[keyword] = {"type": "array"}
    properties["regex"] = {"type": "boolean"}
    return {"type": "object", "required": ["type", keyword], "properties": properties,
            "additionalProperties": False}


_LOCAL_USER = {"type": "object", "additionalProperties": False, "properties": {
    "id": {"type": "string"}, "name": {"type": "string"}, "email": {"type": "string"},
    "domain": {"$ref": "#/definitions/domain"},
    "type": {"type": "string", "enum": [EPHEMERAL, LOCAL]}}}

SCHEMA_1_0: dict[str, Any] = {
    "type": "object",
    "required": ["rules"],
    "properties": {
        "rules": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["local", "remote"], "additionalProperties": False,
            "properties": {
                "local": {"type": "array", "items": {
                    "type": "object", "additionalProperties": False, "properties": {
                        "user": _LOCAL_USER,
                        "projects": _PROJECTS,
                        "group": {"type": "object", "oneOf": [
                            {"$ref": "#/definitions/group_by_id"},
                            {"$ref": "#/definitions/group_by_name"}]},
                        "groups": {"type": "string"},
                        "group_ids": {"type": "string"},
                        "domain": {"$ref": "#/definitions/domain"}}}},
                "remote": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "oneOf": [
                        {"$ref": "#/definitions/empty"},
                        {"$ref": "#/definitions/any_one_of"},
                        {"$ref": "#/definitions/not_any_of"},
                        {"$ref": "#/definitions/blacklist"},
                        {"$ref": "#/definitions/whitelist"}]}}}}},
        "schema_version": {"type": "string"},
    },
    "definitions": {
        "empty": _remote_kind(None),
        "any_one_of": _remote_kind("any_one_of"),
        "not_any_of": _remote_kind("not_any_of"),
        "blacklist": _remote_kind("blacklist"),
        "whitelist": _remote_kind("whitelist"),
        "domain": _DOMAIN,
        "group_by_id": {"type": "object", "properties": {"id": {"type": "string"}},
                        "additionalProperties": False, "required": ["id"]},
        "group_by_name": {"type": "object",
                          "properties": {"name": {"type": "string"},
                                         "domain": {"$ref": "#/definitions/domain"}},
                          "additionalProperties": False, "required": ["name", "domain"]},
    },
}

# 2.0: a project may name its domain; the mapping's ``domain`` is the default for all.
SCHEMA_2_0: dict[str, Any] = copy.deepcopy(SCHEMA_1_0)
_local_2 = SCHEMA_2_0["properties"]["rules"]["items"]["properties"]["local"]["items"]
_local_2["properties"]["projects"]["items"]["properties"]["domain"] = _DOMAIN

VALIDATORS = {"1.0": Draft4Validator(SCHEMA_1_0), "2.0": Draft4Validator(SCHEMA_2_0)}


class MappingRulesInvalid(BadRequest):
    """Keystone's answer to rules its schema refuses: every schema message, one a line."""


class MappingDoesNotApply(CloudError):
    """The assertion maps to nothing (Keystone turns this into a 401)."""

    status = 401


class DirectMappingError(CloudError):
    """A local entry names a {N} that the remote part did not produce (Keystone: a 500)."""

    status = 401

    def __init__(self, mapping_id: str) -> None:
        super().__init__(f"Local section in mapping {mapping_id} refers to a remote match that "
                         "doesn't exist (e.g. {0} in a local section).")


def validate_rules(mapping: dict[str, Any]) -> None:
    version = mapping.get("schema_version") or DEFAULT_SCHEMA_VERSION
    validator = VALIDATORS.get(version)
    if validator is None:
        raise MappingRulesInvalid(f"Invalid schema_version {version}; supported: "
                                  f"{', '.join(sorted(VALIDATORS))}.")
    errors = sorted(validator.iter_errors(mapping), key=str)
    if errors:
        raise MappingRulesInvalid("".join(e.message + "\n" for e in errors))


@dataclass
class MappedProperties:
    """What a mapping makes of one assertion."""

    user: dict[str, Any]
    group_ids: list[str] = field(default_factory=list)
    # [{"name": ..., "domain": {"id" | "name": ...}}]
    group_names: list[dict[str, Any]] = field(default_factory=list)
    projects: list[dict[str, Any]] = field(default_factory=list)

    @property
    def user_type(self) -> str:
        return str(self.user.get("type") or EPHEMERAL)


class _Matches:
    """The values each remote requirement matched, for ``str.format``: a single value
    stands for itself, several for their list."""

    def __init__(self) -> None:
        self.values: list[list[str]] = []

    def __getitem__(self, index: int) -> Any:
        found = self.values[index]
        return found[0] if len(found) == 1 else found

    def __len__(self) -> int:
        return len(self.values)

    def as_args(self) -> list[Any]:
        return [self[i] for i in range(len(self.values))]


class RuleProcessor:
    def __init__(self, mapping_id: str, rules: list[dict[str, Any]],
                 schema_version: str = DEFAULT_SCHEMA_VERSION) -> None:
        self.mapping_id = mapping_id
        self.rules = rules
        self.honor_domain = schema_version != DEFAULT_SCHEMA_VERSION

    def process(self, assertion: dict[str, Any]) -> MappedProperties:
        values = {k: v.split(";") for k, v in assertion.items() if isinstance(v, str)}
        locals_: list[dict[str, Any]] = []
        for rule in self.rules:
            matches = self._match(rule["remote"], values)
            if matches is None:
                continue
            if not matches.values:
                locals_.extend(copy.deepcopy(rule["local"]))
            else:
                locals_.extend(self._substitute(entry, matches) for entry in rule["local"])
        return self._transform(locals_)

    # -- remote requirements ----------------------------------------------------------------
    def _match(self, requirements: list[dict[str, Any]],
               assertion: dict[str, list[str]]) -> _Matches | None:
        """None when a requirement fails; otherwise the values to substitute."""
        matches = _Matches()
        for requirement in requirements:
            present = assertion.get(requirement["type"])
            if not present:
                return None
            regex = bool(requirement.get("regex", False))
            if "any_one_of" in requirement:
                if not self._hits(requirement["any_one_of"], present, regex):
                    return None
                continue
            if "not_any_of" in requirement:
                if self._hits(requirement["not_any_of"], present, regex):
                    return None
                continue
            if "blacklist" in requirement:
                hits = set(self._hits(requirement["blacklist"], present, regex))
                present = [v for v in present if v not in hits]
            elif "whitelist" in requirement:
                hits = set(self._hits(requirement["whitelist"], present, regex))
                present = [v for v in present if v in hits]
            matches.values.append(present)
        return matches

    @staticmethod
    def _hits(wanted: list[Any], present: list[str], regex: bool) -> list[str]:
        if regex:
            return [v for v in present if any(re.search(str(p), v) for p in wanted)]
        allowed = {str(w) for w in wanted}
        return [v for v in present if v in allowed]

    # -- local entries ----------------------------------------------------------------------
    def _substitute(self, entry: Any, matches: _Matches) -> Any:
        if isinstance(entry, dict):
            return {k: self._substitute(v, matches) for k, v in entry.items()}
        if isinstance(entry, list):
            return [self._substitute(v, matches) for v in entry]
        if isinstance(entry, str):
            try:
                return entry.format(*matches.as_args())
            except (IndexError, KeyError):
                raise DirectMappingError(self.mapping_id) from None
        return entry

    def _transform(self, entries: list[dict[str, Any]]) -> MappedProperties:
        if not entries:
            raise MappingDoesNotApply(
                "Could not map any federated user properties to identity values. Check debug "
                "logs or the mapping used for additional details.")
        user: dict[str, Any] = {}
        group_ids: set[str] = set()
        group_names: list[dict[str, Any]] = []
        projects: list[dict[str, Any]] = []
        default_domain = None
        for entry in entries:
            if "user" in entry and not user:
                user = dict(entry["user"])
            if "group" in entry:
                group = entry["group"]
                if "id" in group:
                    group_ids.add(group["id"])
                elif "name" in group:
                    group_names.append({"name": group["name"], "domain": group["domain"]})
            if "groups" in entry:
                group_names.extend(_group_names(entry))
            if "group_ids" in entry:
                group_ids.update(_as_list(entry["group_ids"]))
            if "projects" in entry:
                projects = [dict(p) for p in entry["projects"]]
            default_domain = entry.get("domain", default_domain)
        user.setdefault("type", EPHEMERAL)
        if self.honor_domain and default_domain:
            user.setdefault("domain", default_domain)
            for project in projects:
                project.setdefault("domain", default_domain)
        return MappedProperties(user=user, group_ids=sorted(group_ids),
                                group_names=_unique_names(group_names), projects=projects)


def _as_list(value: Any) -> list[str]:
    """A substituted list arrives as its repr ("['a', 'b']"); a lone value as itself."""
    if isinstance(value, list):
        return [str(v) for v in value]
    try:
        parsed = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return [value]
    return [str(v) for v in parsed] if isinstance(parsed, list) else [value]


def _group_names(entry: dict[str, Any]) -> list[dict[str, Any]]:
    names = _as_list(entry["groups"])
    if any(n.startswith("JSON:") for n in names):
        groups = [json.loads(n[len("JSON:"):]) if n.startswith("JSON:") else {"name": n}
                  for n in names]
        if all("domain" in g for g in groups):
            return groups
    elif "domain" in entry:
        return [{"name": n, "domain": entry["domain"]} for n in names]
    raise MappingRulesInvalid(f"Invalid rule: {entry}. Both 'groups' and 'domain' keywords "
                              "must be specified.")


def _unique_names(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for group in groups:
        domain = group.get("domain") or {}
        seen.setdefault((group["name"], str(domain.get("id") or domain.get("name"))), group)
    return list(seen.values())
