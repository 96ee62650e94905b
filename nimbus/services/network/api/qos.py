"""QoS routes beyond the policy's CRUD (which the one controller serves): the rules of a
policy (``/v2.0/qos/policies/{policy_id}/<type>_rules``), the same rules without the policy
(``/v2.0/qos/alias_<type>_rules/{id}``, qos-rules-alias) and the rule types."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.network.api.resource import (
    ANY_CALLER,
    allowed,
    body_of,
    check_attrs,
    parse_list_query,
    service_of,
    view,
)
from nimbus.services.network.errors import PolicyNotAuthorized, ResourceNotFound
from nimbus.services.network.schemas.attrs import ResourceDef
from nimbus.services.network.schemas.qos import QOS_POLICY, RULE_TYPES, RuleType
from nimbus.services.network.service.qos import not_found

# The types the Linux-bridge driver enforces (tc): what /qos/rule-types lists.
SUPPORTED = ("bandwidth_limit", "dscp_marking")
DRIVER = "linuxbridge"


def _policy(req: ApiRequest, policy_id: str) -> dict[str, Any]:
    policy = service_of(req).qos_policies.get(req.ctx, policy_id)
    if not allowed(req, "get_policy", policy):
        raise not_found(policy_id)
    return policy  # type: ignore[no-any-return]


def _authorize(req: ApiRequest, rule: str, policy: dict[str, Any]) -> None:
    if not allowed(req, rule, policy):
        raise PolicyNotAuthorized(rule)


def _values(req: ApiRequest, rd: ResourceDef, *, creating: bool) -> dict[str, Any]:
    values = check_attrs(rd, body_of(req, rd, bulk=False)[0], creating=creating, req=req)
    values.pop("project_id", None)
    values.pop("tenant_id", None)
    return values


def _rule_handlers(rtype: RuleType) -> list[Route]:
    rd = rtype.rd
    rules = f"/v2.0/qos/policies/{{policy_id}}/{rtype.plural}"

    def rule_name(action: str) -> str:
        return f"{action}_policy_{rtype.singular}"

    def list_rules(req: ApiRequest) -> dict[str, Any]:
        policy = _policy(req, req.path_params["policy_id"])
        _authorize(req, rule_name("get"), policy)
        query = parse_list_query(req, rd)
        found = service_of(req).qos_rules.list(policy["id"], rtype, query.filters)
        return {rtype.plural: [view(req, rd, r, query.fields) for r in found]}

    def show_rule(req: ApiRequest) -> dict[str, Any]:
        policy = _policy(req, req.path_params["policy_id"])
        _authorize(req, rule_name("get"), policy)
        rule = service_of(req).qos_rules.get(policy["id"], rtype, req.path_params["rule_id"])
        return {rtype.singular: view(req, rd, rule, req.query.getlist("fields") or None)}

    def create_rule(req: ApiRequest) -> Reply:
        policy = _policy(req, req.path_params["policy_id"])
        values = _values(req, rd, creating=True)
        _authorize(req, rule_name("create"), policy)
        made = service_of(req).qos_rules.create(policy["id"], rtype, values)
        return Reply({rtype.singular: view(req, rd, made)}, status=201)

    def update_rule(req: ApiRequest) -> dict[str, Any]:
        policy = _policy(req, req.path_params["policy_id"])
        values = _values(req, rd, creating=False)
        _authorize(req, rule_name("update"), policy)
        rule = service_of(req).qos_rules.update(policy["id"], rtype,
                                                req.path_params["rule_id"], values)
        return {rtype.singular: view(req, rd, rule)}

    def delete_rule(req: ApiRequest) -> Reply:
        policy = _policy(req, req.path_params["policy_id"])
        _authorize(req, rule_name("delete"), policy)
        service_of(req).qos_rules.delete(policy["id"], rtype, req.path_params["rule_id"])
        return Reply(status=204)

    return [Route("GET", rules, list_rules, ANY_CALLER),
            Route("POST", rules, create_rule, ANY_CALLER),
            Route("GET", f"{rules}/{{rule_id}}", show_rule, ANY_CALLER),
            Route("PUT", f"{rules}/{{rule_id}}", update_rule, ANY_CALLER),
            Route("DELETE", f"{rules}/{{rule_id}}", delete_rule, ANY_CALLER),
            *_alias_handlers(rtype)]


def _alias_handlers(rtype: RuleType) -> list[Route]:
    """qos-rules-alias: the rule by its own id; the policy is found from the rule."""
    singular = f"alias_{rtype.singular}"
    rd = ResourceDef(singular, rtype.alias_plural, "QosRule", rtype.rd.attrs, standard=False,
                     taggable=False)
    path = f"/v2.0/qos/{rtype.alias_plural}/{{rule_id}}"

    def policy_of(req: ApiRequest, action: str) -> dict[str, Any]:
        rules = service_of(req).qos_rules
        policy = _policy(req, rules.policy_of(rtype, req.path_params["rule_id"]))
        _authorize(req, f"{action}_{singular}", policy)
        return policy

    def show(req: ApiRequest) -> dict[str, Any]:
        policy = policy_of(req, "get")
        rule = service_of(req).qos_rules.get(policy["id"], rtype, req.path_params["rule_id"])
        return {singular: view(req, rd, rule, req.query.getlist("fields") or None)}

    def update(req: ApiRequest) -> dict[str, Any]:
        values = _values(req, rd, creating=False)
        policy = policy_of(req, "update")
        rule = service_of(req).qos_rules.update(policy["id"], rtype,
                                                req.path_params["rule_id"], values)
        return {singular: view(req, rd, rule)}

    def delete(req: ApiRequest) -> Reply:
        policy = policy_of(req, "delete")
        service_of(req).qos_rules.delete(policy["id"], rtype, req.path_params["rule_id"])
        return Reply(status=204)

    return [Route("GET", path, show, ANY_CALLER), Route("PUT", path, update, ANY_CALLER),
            Route("DELETE", path, delete, ANY_CALLER)]


def _may_read_rule_types(req: ApiRequest) -> None:
    if not allowed(req, "get_rule_type", {"project_id": req.ctx.project_id}):
        raise PolicyNotAuthorized("get_rule_type")


def list_rule_types(req: ApiRequest) -> dict[str, Any]:
    _may_read_rule_types(req)
    every = req.query.get("all_rules", "").lower() == "true"
    names = list(RULE_TYPES) if every else list(SUPPORTED)
    return {"rule_types": [{"type": name} for name in names]}


def show_rule_type(req: ApiRequest) -> dict[str, Any]:
    _may_read_rule_types(req)
    name = req.path_params["rule_type"]
    if name not in SUPPORTED:
        raise ResourceNotFound("RuleType", name, label="Rule type")
    params = [{"parameter_name": p, "parameter_type": kind, "parameter_values": values}
              for p, kind, values in RULE_TYPES[name].parameters]
    return {"rule_type": {"type": name,
                          "drivers": [{"name": DRIVER, "supported_parameters": params}]}}


def _routes() -> list[Route]:
    table = [Route("GET", "/v2.0/qos/rule-types", list_rule_types, ANY_CALLER),
             Route("GET", "/v2.0/qos/rule-types/{rule_type}", show_rule_type, ANY_CALLER)]
    for rtype in RULE_TYPES.values():
        table.extend(_rule_handlers(rtype))
    return table


ROUTES: list[Route] = _routes()
RESOURCE: ResourceDef = QOS_POLICY
Handler = Callable[[ApiRequest], Any]
