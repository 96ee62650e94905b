"""QoS routes beyond the policy's CRUD (which the one controller serves): the rules of a
policy (``/v2.0/qos/policies/{policy_id}/<type>_rules``), the same rules without the policy
(``/v2.0/qos/alias_<type>_rules/{id}``, qos-rules-alias) and the rule types."""

from __future__ import annotations

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


# (``list`` inside PolicyRules is its handler: this names the builtin's lists.)
Routes = list[Route]


class PolicyRules:
    """The rules of one type under a policy: /v2.0/qos/policies/{policy_id}/<type>_rules.
    Rules are judged against their policy (its owner, whether it is shared)."""

    def __init__(self, rtype: RuleType) -> None:
        self.rtype, self.rd = rtype, rtype.rd

    def _policy(self, req: ApiRequest, action: str) -> dict[str, Any]:
        policy = _policy(req, req.path_params["policy_id"])
        self._authorize(req, action, policy)
        return policy

    def _authorize(self, req: ApiRequest, action: str, policy: dict[str, Any]) -> None:
        _authorize(req, f"{action}_policy_{self.rtype.singular}", policy)

    def list(self, req: ApiRequest) -> dict[str, Any]:
        policy = self._policy(req, "get")
        query = parse_list_query(req, self.rd)
        found = service_of(req).qos_rules.list(policy["id"], self.rtype, query.filters)
        return {self.rtype.plural: [view(req, self.rd, r, query.fields) for r in found]}

    def show(self, req: ApiRequest) -> dict[str, Any]:
        policy = self._policy(req, "get")
        rule = service_of(req).qos_rules.get(policy["id"], self.rtype,
                                             req.path_params["rule_id"])
        return {self.rtype.singular: view(req, self.rd, rule,
                                          req.query.getlist("fields") or None)}

    def create(self, req: ApiRequest) -> Reply:
        policy = _policy(req, req.path_params["policy_id"])
        values = _values(req, self.rd, creating=True)
        self._authorize(req, "create", policy)
        made = service_of(req).qos_rules.create(policy["id"], self.rtype, values)
        return Reply({self.rtype.singular: view(req, self.rd, made)}, status=201)

    def update(self, req: ApiRequest) -> dict[str, Any]:
        policy = _policy(req, req.path_params["policy_id"])
        values = _values(req, self.rd, creating=False)
        self._authorize(req, "update", policy)
        rule = service_of(req).qos_rules.update(policy["id"], self.rtype,
                                                req.path_params["rule_id"], values)
        return {self.rtype.singular: view(req, self.rd, rule)}

    def delete(self, req: ApiRequest) -> Reply:
        policy = self._policy(req, "delete")
        service_of(req).qos_rules.delete(policy["id"], self.rtype, req.path_params["rule_id"])
        return Reply(status=204)

    def routes(self) -> Routes:
        coll = f"/v2.0/qos/policies/{{policy_id}}/{self.rtype.plural}"
        item = f"{coll}/{{rule_id}}"
        return [Route("GET", coll, self.list, ANY_CALLER),
                Route("POST", coll, self.create, ANY_CALLER),
                Route("GET", item, self.show, ANY_CALLER),
                Route("PUT", item, self.update, ANY_CALLER),
                Route("DELETE", item, self.delete, ANY_CALLER)]


class AliasRules:
    """qos-rules-alias: /v2.0/qos/alias_<type>_rules/{rule_id}, the policy found from the
    rule; the rules are ``get_alias_<type>_rule``..."""

    def __init__(self, rtype: RuleType) -> None:
        self.rtype = rtype
        self.singular = f"alias_{rtype.singular}"
        self.rd = ResourceDef(self.singular, rtype.alias_plural, "QosRule", rtype.rd.attrs,
                              standard=False, taggable=False)

    def _policy(self, req: ApiRequest, action: str) -> dict[str, Any]:
        rules = service_of(req).qos_rules
        policy = _policy(req, rules.policy_of(self.rtype, req.path_params["rule_id"]))
        _authorize(req, f"{action}_{self.singular}", policy)
        return policy

    def show(self, req: ApiRequest) -> dict[str, Any]:
        policy = self._policy(req, "get")
        rule = service_of(req).qos_rules.get(policy["id"], self.rtype,
                                             req.path_params["rule_id"])
        return {self.singular: view(req, self.rd, rule, req.query.getlist("fields") or None)}

    def update(self, req: ApiRequest) -> dict[str, Any]:
        values = _values(req, self.rd, creating=False)
        policy = self._policy(req, "update")
        rule = service_of(req).qos_rules.update(policy["id"], self.rtype,
                                                req.path_params["rule_id"], values)
        return {self.singular: view(req, self.rd, rule)}

    def delete(self, req: ApiRequest) -> Reply:
        policy = self._policy(req, "delete")
        service_of(req).qos_rules.delete(policy["id"], self.rtype, req.path_params["rule_id"])
        return Reply(status=204)

    def routes(self) -> Routes:
        path = f"/v2.0/qos/{self.rtype.alias_plural}/{{rule_id}}"
        return [Route("GET", path, self.show, ANY_CALLER),
                Route("PUT", path, self.update, ANY_CALLER),
                Route("DELETE", path, self.delete, ANY_CALLER)]


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
        table += [*PolicyRules(rtype).routes(), *AliasRules(rtype).routes()]
    return table


ROUTES: list[Route] = _routes()
RESOURCE: ResourceDef = QOS_POLICY
