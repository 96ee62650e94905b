"""dhcp_agent_scheduler's read-only lists: the networks a DHCP agent serves, and the DHCP
agents serving a network (admin only, as Neutron)."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Route
from nimbus.services.network.api.resource import (
    ANY_CALLER,
    allowed,
    load_visible,
    service_of,
    view,
)
from nimbus.services.network.errors import PolicyNotAuthorized
from nimbus.services.network.schemas.agents import AGENT
from nimbus.services.network.schemas.networks import NETWORK


def _authorize(req: ApiRequest, rule: str) -> None:
    if not allowed(req, rule, {"project_id": req.ctx.project_id}):
        raise PolicyNotAuthorized(rule)


def list_dhcp_networks(req: ApiRequest) -> dict[str, Any]:
    _authorize(req, "get_dhcp-networks")
    svc = service_of(req)
    load_visible(req, AGENT, req.path_params["id"])
    ids = svc.agents.dhcp_networks(req.path_params["id"])
    nets = [svc.networks.get(req.ctx, i) for i in ids]
    return {"networks": [view(req, NETWORK, n) for n in nets]}


def list_dhcp_agents(req: ApiRequest) -> dict[str, Any]:
    _authorize(req, "get_dhcp-agents")
    load_visible(req, NETWORK, req.path_params["id"])
    agents = service_of(req).agents.dhcp_agents(req.path_params["id"])
    return {"agents": [view(req, AGENT, a) for a in agents]}


ROUTES = [
    Route("GET", "/v2.0/agents/{id}/dhcp-networks", list_dhcp_networks, ANY_CALLER),
    Route("GET", "/v2.0/networks/{id}/dhcp-agents", list_dhcp_agents, ANY_CALLER),
]
