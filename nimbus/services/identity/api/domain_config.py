"""Domain-specific configuration: /v3/domains/{domain_id}/config[/{group}[/{option}]] and
the defaults under /v3/domains/config. ``security_compliance`` is served from Nimbus' own
settings under a rule of its own, as Keystone does."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.identity.api.common import identity
from nimbus.services.identity.schemas.domain_config import config_of
from nimbus.services.identity.service.domain_config import SECURITY_COMPLIANCE


def within_list_limit(req: ApiRequest, envelope: dict[str, Any], key: str,
                      domain_id: str | None) -> dict[str, Any]:
    """A list of a domain's users or groups cut to the domain's ``identity.list_limit``,
    marked ``truncated`` as Keystone marks it."""
    limit = identity(req).domain_configs.list_limit(domain_id)
    if limit is not None and len(envelope[key]) > limit:
        envelope = {**envelope, key: envelope[key][:limit], "truncated": True}
    return envelope


def _where(req: ApiRequest) -> tuple[str, str | None, str | None]:
    params = req.path_params
    return params["domain_id"], params.get("group"), params.get("option")


def create_config(req: ApiRequest) -> Reply:
    config, created = identity(req).domain_configs.create_config(
        req.path_params["domain_id"], config_of(req.json()))
    return Reply({"config": config}, status=201 if created else 200)


def get_config(req: ApiRequest) -> dict[str, Any]:
    domain_id, group, option = _where(req)
    return {"config": identity(req).domain_configs.get_config(domain_id, group, option)}


def update_config(req: ApiRequest) -> dict[str, Any]:
    domain_id, group, option = _where(req)
    config = identity(req).domain_configs.update_config(
        domain_id, config_of(req.json()), group, option)
    return {"config": config}


def delete_config(req: ApiRequest) -> None:
    domain_id, group, option = _where(req)
    identity(req).domain_configs.delete_config(domain_id, group, option)


def get_security_compliance(req: ApiRequest) -> dict[str, Any]:
    domain_id, _, option = _where(req)
    return {"config": identity(req).domain_configs.security_compliance(domain_id, option)}


def _fixed_group(handler: Any) -> Any:
    """A handler of the generic group routes, for the literal security_compliance path."""
    def call(req: ApiRequest) -> Any:
        req.path_params["group"] = SECURITY_COMPLIANCE
        return handler(req)
    return call


def get_default(req: ApiRequest) -> dict[str, Any]:
    params = req.path_params
    return {"config": identity(req).domain_configs.get_default(params.get("group"),
                                                               params.get("option"))}


C = "/v3/domains/{domain_id}/config"
SC = C + "/" + SECURITY_COMPLIANCE
CREATE, GET, UPDATE, DELETE = ("identity:create_domain_config", "identity:get_domain_config",
                               "identity:update_domain_config", "identity:delete_domain_config")
GET_SC = "identity:get_security_compliance_domain_config"
DEFAULT = "identity:get_domain_config_default"
# The literal security_compliance paths come first: Starlette matches in order.
ROUTES = [
    Route("GET", SC, get_security_compliance, GET_SC),
    Route("PATCH", SC, _fixed_group(update_config), UPDATE),
    Route("DELETE", SC, _fixed_group(delete_config), DELETE),
    Route("GET", SC + "/{option}", get_security_compliance, GET_SC),
    Route("PATCH", SC + "/{option}", _fixed_group(update_config), UPDATE),
    Route("DELETE", SC + "/{option}", _fixed_group(delete_config), DELETE),
    Route("PUT", C, create_config, CREATE),
    Route("GET", C, get_config, GET),
    Route("PATCH", C, update_config, UPDATE),
    Route("DELETE", C, delete_config, DELETE),
    Route("GET", C + "/{group}", get_config, GET),
    Route("PATCH", C + "/{group}", update_config, UPDATE),
    Route("DELETE", C + "/{group}", delete_config, DELETE),
    Route("GET", C + "/{group}/{option}", get_config, GET),
    Route("PATCH", C + "/{group}/{option}", update_config, UPDATE),
    Route("DELETE", C + "/{group}/{option}", delete_config, DELETE),
    Route("GET", "/v3/domains/config/default", get_default, DEFAULT),
    Route("GET", "/v3/domains/config/{group}/default", get_default, DEFAULT),
    Route("GET", "/v3/domains/config/{group}/{option}/default", get_default, DEFAULT),
]
