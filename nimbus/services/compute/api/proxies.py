"""Nova's deprecated proxies to Networking that tempest and old clients still call, read
only and gone at 2.36: /os-networks and /os-tenant-networks (list, show),
/os-security-groups (list, show), /os-floating-ip-pools. They read Networking in-process,
through its service's public functions, as the caller."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.errors import NotFound
from nimbus.kernel.microversion import ByVersion
from nimbus.kernel.web import ApiRequest, Route
from nimbus.services.compute.api.support import own_target, service_of
from nimbus.services.compute.policies.proxies import NETWORKS, POOLS, SECURITY_GROUPS
from nimbus.services.compute.service.flavors import is_admin

V = "/v2.1"
UP_TO_2_35 = "2.35"
_FIELDS = ("id", "cidr", "netmask", "gateway", "broadcast", "dns1", "dns2", "cidr_v6",
           "gateway_v6", "label", "netmask_v6")
_ADMIN_FIELDS = ("created_at", "updated_at", "deleted_at", "deleted", "injected", "bridge",
                 "vlan", "vpn_public_address", "vpn_public_port", "vpn_private_address",
                 "dhcp_start", "project_id", "host", "bridge_interface", "multi_host",
                 "priority", "rxtx_base", "mtu", "dhcp_server", "enable_dhcp",
                 "share_address")


def _network_service(req: ApiRequest) -> Any:
    from nimbus.services.network.service import network_of

    return network_of(service_of(req).runtime)


def _query(**filters: list[Any]) -> Any:
    from nimbus.services.network.schemas.listing import ListQuery

    return ListQuery(filters=filters)


def _network_view(req: ApiRequest, network: dict[str, Any]) -> dict[str, Any]:
    """Nova's network_dict over a Networking network: ``name`` is ``label``; what nova-network
    had and Networking lacks is null."""
    fields = _FIELDS + (_ADMIN_FIELDS if is_admin(req.ctx) else ())
    return {f: network.get("name") if f == "label" else network.get(f) for f in fields}


def list_networks(req: ApiRequest) -> dict[str, Any]:
    networks = _network_service(req).networks.list(req.ctx, _query())
    return {"networks": [_network_view(req, n) for n in networks]}


def show_network(req: ApiRequest) -> dict[str, Any]:
    network_id = req.path_params["network_id"]
    try:
        network = _network_service(req).networks.get(req.ctx, network_id)
    except NotFound:
        raise NotFound(f"Network {network_id} could not be found.") from None
    return {"network": _network_view(req, network)}


def _tenant_network_view(network: dict[str, Any]) -> dict[str, Any]:
    # Nova renders a Networking network's missing cidr as the text "None".
    return {"id": network["id"], "cidr": "None", "label": network.get("name")}


def list_tenant_networks(req: ApiRequest) -> dict[str, Any]:
    networks = _network_service(req).networks.list(req.ctx, _query())
    return {"networks": [_tenant_network_view(n) for n in networks]}


def show_tenant_network(req: ApiRequest) -> dict[str, Any]:
    network_id = req.path_params["network_id"]
    try:
        network = _network_service(req).networks.get(req.ctx, network_id)
    except NotFound:
        raise NotFound("Network not found") from None
    return {"network": _tenant_network_view(network)}


def list_pools(req: ApiRequest) -> dict[str, Any]:
    networks = _network_service(req).networks.list(req.ctx,
                                                   _query(**{"router:external": [True]}))
    return {"floating_ip_pools": [{"name": n["name"]} for n in networks]}


def _rule_view(group_id: str, rule: dict[str, Any], names: dict[str, tuple[str, str]]
               ) -> dict[str, Any]:
    remote = rule.get("remote_group_id")
    ip_range = {} if remote else {"cidr": rule.get("remote_ip_prefix") or (
        "::/0" if rule.get("ethertype") == "IPv6" else "0.0.0.0/0")}
    group = {"name": names[remote][0], "tenant_id": names[remote][1]} \
        if remote in names else {}
    low, high = rule.get("port_range_min"), rule.get("port_range_max")
    protocol = rule.get("protocol")
    return {"id": rule["id"], "parent_group_id": group_id, "ip_protocol": protocol,
            "from_port": low if low is not None else (-1 if protocol else None),
            "to_port": high if high is not None else (-1 if protocol else None),
            "ip_range": ip_range, "group": group}


def _group_view(group: dict[str, Any], names: dict[str, tuple[str, str]]) -> dict[str, Any]:
    rules = [r for r in group.get("security_group_rules", []) if r.get("direction") ==
             "ingress"]
    return {"id": group["id"], "name": group["name"], "description": group["description"],
            "tenant_id": group["project_id"],
            "rules": [_rule_view(group["id"], r, names) for r in rules]}


def _groups(req: ApiRequest, **filters: list[Any]) -> list[dict[str, Any]]:
    groups = list(_network_service(req).security_groups.list(req.ctx, _query(**filters)))
    names = {g["id"]: (g["name"], g["project_id"]) for g in groups}
    return [_group_view(g, names) for g in groups]


def list_security_groups(req: ApiRequest) -> dict[str, Any]:
    return {"security_groups": _groups(req, project_id=[req.ctx.project_id])}


def show_security_group(req: ApiRequest) -> dict[str, Any]:
    group_id = req.path_params["group_id"]
    found = _groups(req, id=[group_id])
    if not found:
        raise NotFound(f"Security group {group_id} not found.")
    return {"security_group": found[0]}


def _until_2_35(handler: Any) -> ByVersion[Any]:
    return ByVersion([("2.1", UP_TO_2_35, handler)])


ROUTES = [
    Route("GET", f"{V}/os-networks", _until_2_35(list_networks), NETWORKS % "list",
          own_target),
    Route("GET", f"{V}/os-networks/{{network_id}}", _until_2_35(show_network),
          NETWORKS % "view", own_target),
    Route("GET", f"{V}/os-tenant-networks", _until_2_35(list_tenant_networks),
          "os_compute_api:os-tenant-networks:list", own_target),
    Route("GET", f"{V}/os-tenant-networks/{{network_id}}", _until_2_35(show_tenant_network),
          "os_compute_api:os-tenant-networks:show", own_target),
    Route("GET", f"{V}/os-floating-ip-pools", _until_2_35(list_pools), POOLS, own_target),
    Route("GET", f"{V}/os-security-groups", _until_2_35(list_security_groups),
          SECURITY_GROUPS % "get", own_target),
    Route("GET", f"{V}/os-security-groups/{{group_id}}", _until_2_35(show_security_group),
          SECURITY_GROUPS % "show", own_target),
]
