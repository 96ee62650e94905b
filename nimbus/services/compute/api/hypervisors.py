"""/os-hypervisors: list and detail (paging 2.33; uuids, hostname patterns and with_servers
2.53), show, statistics and uptime (before 2.88), search and servers (before 2.53); the
fields per version as Nova's view gives them."""

from __future__ import annotations

import json
import uuid
from typing import Any

from nimbus.kernel.errors import BadRequest, NotFound
from nimbus.kernel.microversion import ByVersion
from nimbus.kernel.web import ApiRequest, Route
from nimbus.services.compute.api.support import (
    at_least,
    next_link,
    own_target,
    service_of,
)
from nimbus.services.compute.errors import HypervisorNotFound
from nimbus.services.compute.policies.hosts import HYPERVISORS
from nimbus.services.compute.schemas.common import as_bool, int_param, query_of
from nimbus.services.compute.service.hosts import COMPUTE

V = "/v2.1"
_OLD_DETAIL = ("vcpus", "memory_mb", "local_gb", "vcpus_used", "memory_mb_used",
               "local_gb_used", "free_ram_mb", "free_disk_gb", "current_workload",
               "running_vms", "disk_available_least")


def _service(req: ApiRequest, node: dict[str, Any]) -> dict[str, Any]:
    found = service_of(req).hosts.find_service(node["host"], COMPUTE)
    if found is None:
        return {"id": None, "uuid": None, "disabled": False, "disabled_reason": None,
                "forced_down": True, "updated_at": None, "last_seen_up": None}
    return found


def _derived(node: dict[str, Any], servers: list[dict[str, str]]) -> dict[str, Any]:
    out = dict(node)
    out["free_ram_mb"] = node["memory_mb"] - node["memory_mb_used"]
    out["free_disk_gb"] = node["local_gb"] - node["local_gb_used"]
    out["running_vms"] = max(int(node.get("running_vms") or 0), len(servers))
    if out.get("disk_available_least") is None:
        out["disk_available_least"] = out["free_disk_gb"]
    return out


def view(req: ApiRequest, node: dict[str, Any], *, detail: bool,
         with_servers: bool = False) -> dict[str, Any]:
    hosts = service_of(req).hosts
    service = _service(req, node)
    uuids = at_least(req, "2.53")
    out: dict[str, Any] = {"id": node["uuid"] if uuids else node["id"],
                           "hypervisor_hostname": node["hypervisor_hostname"],
                           "state": "up" if hosts.service_is_up(service) else "down",
                           "status": "disabled" if service["disabled"] else "enabled"}
    servers = service_of(req).usage.servers_on_host(node["host"])
    if detail:
        full = _derived(node, servers)
        out.update({k: full[k] for k in ("hypervisor_type", "hypervisor_version", "host_ip")})
        out["service"] = {"id": service["uuid"] if uuids else service["id"],
                          "host": node["host"],
                          "disabled_reason": service["disabled_reason"]}
        if at_least(req, "2.88"):
            out["uptime"] = full.get("uptime")
        else:
            out.update({k: full[k] for k in _OLD_DETAIL})
            out["cpu_info"] = _cpu_info(full.get("cpu_info"), as_object=at_least(req, "2.28"))
    if servers and with_servers:
        out["servers"] = [{"name": s["name"], "uuid": s["uuid"]} for s in servers]
    elif with_servers and at_least(req, "2.75"):
        out["servers"] = []
    return out


def _cpu_info(value: Any, *, as_object: bool) -> Any:
    """An object from 2.28, its JSON text before; an agent may report either."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value else {}
        except ValueError:
            value = {}
    value = value or {}
    return value if as_object else json.dumps(value)


def _query_253(req: ApiRequest, keys: set[str]) -> bool:
    """2.53's strict query: limit, marker, hypervisor_hostname_pattern, with_servers."""
    query_of(req.query, keys)
    return as_bool(req.query.get("with_servers", "false"))


def _listing(req: ApiRequest, detail: bool) -> dict[str, Any]:
    nodes = service_of(req).hosts.nodes()
    with_servers = False
    if at_least(req, "2.53"):
        with_servers = _query_253(req, {"limit", "marker", "hypervisor_hostname_pattern",
                                        "with_servers"})
        pattern = req.query.get("hypervisor_hostname_pattern")
        if pattern is not None:
            if "limit" in req.query or "marker" in req.query:
                raise BadRequest("Paging over hypervisors with the "
                                 "hypervisor_hostname_pattern query parameter is not "
                                 "supported.")
            nodes = [n for n in nodes if pattern in n["hypervisor_hostname"]]
            if not nodes:
                raise NotFound(f"No hypervisor matching '{pattern}' could be found.")
    key = "uuid" if at_least(req, "2.53") else "id"
    limit = int_param(req.query, "limit") if at_least(req, "2.33") else None
    marker = req.query.get("marker") if at_least(req, "2.33") else None
    if marker is not None:
        index = [str(n[key]) for n in nodes]
        if marker not in index:
            raise BadRequest(f"marker [{marker}] not found")
        nodes = nodes[index.index(marker) + 1:]
    if limit is not None:
        nodes = nodes[:limit]
    out: dict[str, Any] = {"hypervisors": [view(req, n, detail=detail,
                                                with_servers=with_servers) for n in nodes]}
    if limit and len(nodes) == limit:
        path = "os-hypervisors/detail" if detail else "os-hypervisors"
        out["hypervisors_links"] = [next_link(req, path, nodes[-1][key])]
    return out


def list_hypervisors(req: ApiRequest) -> dict[str, Any]:
    return _listing(req, detail=False)


def list_details(req: ApiRequest) -> dict[str, Any]:
    return _listing(req, detail=True)


def _node(req: ApiRequest) -> dict[str, Any]:
    text = req.path_params["hypervisor_id"]
    node_id: str | int
    if at_least(req, "2.53"):
        try:
            node_id = str(uuid.UUID(text))
        except ValueError:
            raise BadRequest(f"Invalid uuid {text}") from None
    else:
        try:
            node_id = int(text)
        except ValueError:
            raise HypervisorNotFound(text) from None
    node = service_of(req).hosts.node(node_id)
    if node is None:
        raise HypervisorNotFound(text)
    return node


def show_hypervisor(req: ApiRequest) -> dict[str, Any]:
    with_servers = _query_253(req, {"with_servers"}) if at_least(req, "2.53") else False
    return {"hypervisor": view(req, _node(req), detail=True, with_servers=with_servers)}


def uptime(req: ApiRequest) -> dict[str, Any]:
    node = _node(req)
    out = view(req, node, detail=False)
    out["uptime"] = node.get("uptime")
    return {"hypervisor": out}


def statistics(req: ApiRequest) -> dict[str, Any]:
    compute = service_of(req)
    nodes = [_derived(n, compute.usage.servers_on_host(n["host"]))
             for n in compute.hosts.nodes()]
    keys = ("vcpus", "memory_mb", "local_gb", "vcpus_used", "memory_mb_used",
            "local_gb_used", "free_ram_mb", "free_disk_gb", "current_workload",
            "running_vms", "disk_available_least")
    totals = {k: sum(int(n.get(k) or 0) for n in nodes) for k in keys}
    return {"hypervisor_statistics": {"count": len(nodes), **totals}}


def _matching(req: ApiRequest) -> list[dict[str, Any]]:
    pattern = req.path_params["pattern"]
    nodes = [n for n in service_of(req).hosts.nodes() if pattern in n["hypervisor_hostname"]]
    if not nodes:
        raise NotFound(f"No hypervisor matching '{pattern}' could be found.")
    return nodes


def search(req: ApiRequest) -> dict[str, Any]:
    return {"hypervisors": [view(req, n, detail=False) for n in _matching(req)]}


def servers(req: ApiRequest) -> dict[str, Any]:
    return {"hypervisors": [view(req, n, detail=False, with_servers=True)
                            for n in _matching(req)]}


def _rule(op: str) -> str:
    return HYPERVISORS % op


ROUTES = [
    Route("GET", f"{V}/os-hypervisors", list_hypervisors, _rule("list"), own_target),
    Route("GET", f"{V}/os-hypervisors/detail", list_details, _rule("list-detail"),
          own_target),
    Route("GET", f"{V}/os-hypervisors/statistics",
          ByVersion([("2.1", "2.87", statistics)]), _rule("statistics"), own_target),
    Route("GET", f"{V}/os-hypervisors/{{hypervisor_id}}", show_hypervisor, _rule("show"),
          own_target),
    Route("GET", f"{V}/os-hypervisors/{{hypervisor_id}}/uptime",
          ByVersion([("2.1", "2.87", uptime)]), _rule("uptime"), own_target),
    Route("GET", f"{V}/os-hypervisors/{{pattern}}/search",
          ByVersion([("2.1", "2.52", search)]), _rule("search"), own_target),
    Route("GET", f"{V}/os-hypervisors/{{pattern}}/servers",
          ByVersion([("2.1", "2.52", servers)]), _rule("servers"), own_target),
]
