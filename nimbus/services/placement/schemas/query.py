"""Query strings of GET /resource_providers and GET /allocation_candidates, parsed as
Placement parses them (placement/util.py and lib.py), with its messages."""

from __future__ import annotations

import re

from starlette.datastructures import QueryParams

from nimbus.kernel.microversion import Version
from nimbus.services.placement.errors import (
    ILLEGAL_DUPLICATE_QUERYPARAM,
    QUERYPARAM_BAD_VALUE,
    QUERYPARAM_MISSING_VALUE,
    PlacementBadRequest,
)
from nimbus.services.placement.schemas.bodies import GROUP_PAT, GROUP_PAT_1_33, is_uuid
from nimbus.services.placement.service.types import CandidateRequest, RequestGroup

_KINDS = "resources|required|member_of|in_tree"
_KEY = re.compile(rf"^({_KINDS})({GROUP_PAT})?$")
_KEY_1_33 = re.compile(rf"^({_KINDS})({GROUP_PAT_1_33})?$")
_RESOURCES_FORM = ("Badly formed resources parameter. Expected resources query string "
                   "parameter in form: ?resources=VCPU:2,MEMORY_MB:1024. Got: ")


def parse_resources(text: str) -> dict[str, int]:
    if text.strip() == "":
        raise PlacementBadRequest(_RESOURCES_FORM + "empty string.")
    out: dict[str, int] = {}
    for part in text.split(","):
        pieces = part.split(":")
        if len(pieces) != 2:
            raise PlacementBadRequest(_RESOURCES_FORM + f"{part}.")
        name, amount_text = pieces
        try:
            amount = int(amount_text)
        except ValueError:
            raise PlacementBadRequest(f"Requested resource {name} expected positive integer "
                                      f"amount. Got: {amount_text}.") from None
        if amount < 1:
            raise PlacementBadRequest(f"Requested resource {name} requires amount >= 1. "
                                      f"Got: {amount}.")
        out[name] = amount
    return out


def parse_traits(text: str, allow_forbidden: bool, allow_any: bool
                 ) -> tuple[list[set[str]], set[str]]:
    """(required any-of sets, forbidden) of one ``required`` value."""
    prefix = "Invalid query string parameters: "
    if text.startswith("in:"):
        if not allow_any:
            raise PlacementBadRequest(
                prefix + "The format 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' only supported since "
                f"microversion 1.39. Got: {text}")
        any_of = {t.strip() for t in text[3:].split(",")}
        if not all(any_of):
            raise PlacementBadRequest(
                prefix + "Expected 'required' parameter value of the form: "
                f"in:HW_CPU_X86_VMX,CUSTOM_MAGIC. Got an empty trait in: {text}")
        if any(t.startswith("!") for t in any_of):
            raise PlacementBadRequest(
                prefix + "The format 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' does not support "
                f"forbidden traits. Got: {text}")
        return [any_of], set()
    names = [t.strip() for t in text.split(",")]
    forbidden = {t.lstrip("!") for t in names if t.startswith("!")}
    form = "HW_CPU_X86_VMX,!CUSTOM_MAGIC" if allow_forbidden else "HW_CPU_X86_VMX,CUSTOM_MAGIC"
    if not all(names) or not all(forbidden):
        raise PlacementBadRequest(prefix + "Expected 'required' parameter value of the form: "
                                  f"{form}. Got an empty trait in: {text}")
    if forbidden and not allow_forbidden:
        raise PlacementBadRequest(prefix + "Expected 'required' parameter value of the form: "
                                  f"HW_CPU_X86_VMX,CUSTOM_MAGIC. Got: {text}")
    return [{t} for t in names if not t.startswith("!")], forbidden


def traits_params(query: QueryParams, version: Version, suffix: str = ""
                  ) -> tuple[list[set[str]], set[str]]:
    values = query.getlist("required" + suffix)
    allow_any = version.matches("1.39")
    if not allow_any:
        values = values[-1:]
    required: list[set[str]] = []
    forbidden: set[str] = set()
    for value in values:
        req, forb = parse_traits(value, version.matches("1.22"), allow_any)
        required += req
        forbidden |= forb
    return required, forbidden


def parse_member_of(value: str) -> tuple[set[str], set[str]]:
    if "," in value and not (value.startswith("in:") or value.startswith("!in:")):
        raise PlacementBadRequest("Multiple values for 'member_of' must be prefixed with the "
                                  f"'in:' or '!in:' keyword using the valid microversion. "
                                  f"Got: {value}")
    required: set[str] = set()
    forbidden: set[str] = set()
    if value.startswith("!in:"):
        forbidden = set(value[4:].split(","))
    elif value.startswith("!"):
        forbidden = {value[1:]}
    elif value.startswith("in:"):
        required = set(value[3:].split(","))
    else:
        required = {value}
    for agg in required | forbidden:
        if not is_uuid(agg):
            raise PlacementBadRequest("Invalid query string parameters: Expected 'member_of' "
                                      f"parameter to contain valid UUID(s). Got: {agg}")
    return required, forbidden


def member_of_params(query: QueryParams, version: Version, suffix: str = ""
                     ) -> tuple[list[set[str]], set[str]]:
    values = query.getlist("member_of" + suffix)
    if not version.matches("1.24") and len(values) > 1:
        raise PlacementBadRequest(f"Multiple member_of{suffix} parameters are not supported")
    required: list[set[str]] = []
    forbidden: set[str] = set()
    for value in values:
        req, forb = parse_member_of(value)
        if req:
            required.append(req)
        if forb:
            if not version.matches("1.32"):
                raise PlacementBadRequest(f"Forbidden member_of{suffix} parameters are not "
                                          "supported in the specified microversion")
            forbidden |= forb
    return required, forbidden


def parse_in_tree(value: str) -> str:
    if not is_uuid(value.strip()):
        raise PlacementBadRequest("Invalid query string parameters: Expected 'in_tree' "
                                  f"parameter to be a format of uuid. Got: {value}")
    return value.strip()


def _groups(query: QueryParams, version: Version) -> dict[str, RequestGroup]:
    pattern = _KEY_1_33 if version.matches("1.33") else _KEY
    groups: dict[str, RequestGroup] = {}
    for key, value in query.multi_items():
        match = pattern.match(key)
        if not match:
            continue
        kind, suffix = match.group(1), match.group(2) or ""
        group = groups.setdefault(suffix, RequestGroup(use_same_provider=bool(suffix)))
        if kind == "resources":
            group.resources = parse_resources(value)
        elif kind == "required":
            group.required_traits, group.forbidden_traits = traits_params(query, version,
                                                                          suffix)
        elif kind == "member_of":
            group.member_of, group.forbidden_aggs = member_of_params(query, version, suffix)
        else:
            group.in_tree = parse_in_tree(value)
    return groups


def _check_orphans(groups: dict[str, RequestGroup]) -> None:
    orphans = [f"required{s}" for s, g in groups.items() if g.required_traits and not g.resources]
    if orphans:
        raise PlacementBadRequest("All traits parameters must be associated with resources.  "
                                  "Found the following orphaned traits keys: "
                                  + ", ".join(orphans))
    orphans = [f"member_of{s}" for s, g in groups.items()
               if not g.resources and (g.member_of or g.forbidden_aggs)]
    if orphans:
        raise PlacementBadRequest("All member_of parameters must be associated with "
                                  "resources. Found the following orphaned member_of keys: "
                                  + ", ".join(orphans))
    if not all(g.resources for g in groups.values()):
        raise PlacementBadRequest("All request groups must specify resources.")
    if not groups:
        raise PlacementBadRequest("At least one request group (`resources` or "
                                  "`resources{$S}`) is required.")


def _check_subtrees(groups: dict[str, RequestGroup], subtrees: list[set[str]]) -> None:
    resourceless = {s for s, g in groups.items() if not g.resources}
    in_subtrees = set().union(*subtrees)
    if len(resourceless) == len(groups):
        raise PlacementBadRequest("There must be at least one resources or resources[$S] "
                                  "parameter.", code=QUERYPARAM_MISSING_VALUE)
    bad = sorted(s for s in resourceless if s not in in_subtrees)
    if bad:
        raise PlacementBadRequest("Resourceless suffixed group request should be specified in "
                                  f"`same_subtree` query param: bad group(s) - {bad}.",
                                  code=QUERYPARAM_BAD_VALUE)
    bad = sorted(s for s in in_subtrees if s not in groups)
    if bad:
        raise PlacementBadRequest(f"Real suffixes should be specified in `same_subtree`: "
                                  f"{bad} not found in {list(groups)}.",
                                  code=QUERYPARAM_BAD_VALUE)


def _check_forbidden(groups: dict[str, RequestGroup]) -> None:
    conflicts = [f"required{s}: ({', '.join(sorted(any_of))})" for s, g in groups.items()
                 for any_of in g.required_traits if all(t in g.forbidden_traits
                                                        for t in any_of)]
    if conflicts:
        raise PlacementBadRequest("Conflicting required and forbidden traits found in the "
                                  "following traits keys: " + ", ".join(sorted(conflicts)))


def _request_wide(query: QueryParams, req: CandidateRequest) -> None:
    limit = query.getlist("limit")
    req.limit = int(limit[0]) if limit else None
    policy = query.getlist("group_policy")
    req.group_policy = policy[0] if policy else None
    root_required = query.getlist("root_required")
    if len(root_required) > 1:
        raise PlacementBadRequest("Query parameter 'root_required' may be specified only "
                                  "once.", code=ILLEGAL_DUPLICATE_QUERYPARAM)
    if root_required:
        required, forbidden = parse_traits(root_required[0], True, False)
        req.root_required = {t for any_of in required for t in any_of}
        req.root_forbidden = forbidden
        conflicts = req.root_required & forbidden
        if conflicts:
            raise PlacementBadRequest("Conflicting required and forbidden traits found in "
                                      "root_required: " + ", ".join(sorted(conflicts)),
                                      code=QUERYPARAM_BAD_VALUE)
    for value in query.getlist("same_subtree"):
        suffixes = {s.strip() for s in value.split(",")}
        if "" in suffixes:
            raise PlacementBadRequest("Empty string (unsuffixed group) can not be specified "
                                      "in `same_subtree` ", code=QUERYPARAM_BAD_VALUE)
        req.same_subtrees.append(suffixes)


def candidate_request(query: QueryParams, version: Version) -> CandidateRequest:
    req = CandidateRequest(nested_aware=version.matches("1.29"))
    _request_wide(query, req)
    req.groups = _groups(query, version)
    if version.matches("1.36"):
        _check_subtrees(req.groups, req.same_subtrees)
    else:
        _check_orphans(req.groups)
    if version.matches("1.22"):
        _check_forbidden(req.groups)
    if not req.group_policy and sum(g.use_same_provider for g in req.groups.values()) > 1:
        raise PlacementBadRequest('The "group_policy" parameter is required when specifying '
                                  'more than one "resources{N}" parameter.')
    return req
