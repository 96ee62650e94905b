"""dhcp_agent_scheduler: the networks a DHCP agent serves (listed, added, removed), and the
DHCP agents serving a network (admin only, as Neutron)."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.network.api.resource import (
    ANY_CALLER,
    allowed,
    load_visible,
    service_of,
    view,
)
from nimbus.services.network.errors import BadRequestNeutron, PolicyNotAuthorized
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


def add_dhcp_network(req: ApiRequest) -> Reply:
    _authorize(req, "create_dhcp-network")
    load_visible(req, AGENT, req.path_params["id"])
    doc = req.json()
    network_id = doc.get("network_id") if isinstance(doc, dict) else None
    if not isinstance(network_id, str):
        raise BadRequestNeutron("resource", "Failed to parse request. Required attribute "
                                            "'network_id' not specified")
    load_visible(req, NETWORK, network_id)
    service_of(req).agents.add_dhcp_network(req.path_params["id"], network_id)
    # Neutron answers the call with a JSON null (openstacksdk parses the body).
    return Reply(b"null", status=201)


def remove_dhcp_network(req: ApiRequest) -> Reply:
    _authorize(req, "delete_dhcp-network")
    load_visible(req, AGENT, req.path_params["id"])
    service_of(req).agents.remove_dhcp_network(req.path_params["id"],
                                               req.path_params["network_id"])
    return Reply(status=204)


ROUTES = [
    Route("GET", "/v2.0/agents/{id}/dhcp-networks", list_dhcp_networks, ANY_CALLER),
    Route("POST", "/v2.0/agents/{id}/dhcp-networks", add_dhcp_network, ANY_CALLER),
    Route("DELETE", "/v2.0/agents/{id}/dhcp-networks/{network_id}", remove_dhcp_network,
          ANY_CALLER),
    Route("GET", "/v2.0/networks/{id}/dhcp-agents", list_dhcp_agents, ANY_CALLER),
]
