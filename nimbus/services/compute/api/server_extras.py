"""Sub-resources of a server: os-interface, os-security-groups, remote-consoles (2.6),
os-server-password and diagnostics."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.errors import BadRequest, NotFound
from nimbus.kernel.microversion import ByVersion, since
from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.compute.api.common import compute, server_target
from nimbus.services.compute.schemas import servers as schema
from nimbus.services.compute.service.networking import RequestedNic

V = "/v2.1"
SID = f"{V}/servers/{{server_id}}"
AI = "os_compute_api:os-attach-interfaces"
# remote-consoles: protocol -> the types it offers.
CONSOLE_TYPES = {"vnc": ("novnc", "xvpvnc"), "serial": ("serial",), "spice": ("spice-html5",),
                 "rdp": ("rdp-html5",), "mks": ("webmks",)}


def _sid(req: ApiRequest) -> str:
    return req.path_params["server_id"]


def _attachment(req: ApiRequest, port: dict[str, Any]) -> dict[str, Any]:
    assert req.version is not None
    out = {"port_state": port["status"], "port_id": port["id"], "net_id": port["network_id"],
           "mac_addr": port["mac_address"],
           "fixed_ips": [{"subnet_id": ip["subnet_id"], "ip_address": ip["ip_address"]}
                         for ip in port["fixed_ips"]]}
    if since(req.version, "2.70"):
        out["tag"] = None
    return out


def list_interfaces(req: ApiRequest) -> dict[str, Any]:
    ports = compute(req).extras.interfaces(req.ctx, _sid(req))
    return {"interfaceAttachments": [_attachment(req, p) for p in ports]}


def show_interface(req: ApiRequest) -> dict[str, Any]:
    for port in compute(req).extras.interfaces(req.ctx, _sid(req)):
        if port["id"] == req.path_params["port_id"]:
            return {"interfaceAttachment": _attachment(req, port)}
    raise NotFound(f"Port {req.path_params['port_id']} is not attached")


def attach_interface(req: ApiRequest) -> dict[str, Any]:
    body = req.json()
    schema.validate({"type": "object", "properties": {"interfaceAttachment": {
        "type": "object", "properties": {
            "net_id": schema.UUID, "port_id": schema.UUID, "tag": schema.TAG,
            "fixed_ips": {"type": "array", "maxItems": 1, "items": {
                "type": "object", "properties": {"ip_address": {
                    "type": "string", "anyOf": [schema.IP4, schema.IP6]}},
                "required": ["ip_address"], "additionalProperties": False}}},
        "additionalProperties": False}}, "additionalProperties": False}, body)
    given = (body or {}).get("interfaceAttachment") or {}
    if given.get("net_id") and given.get("port_id"):
        raise BadRequest("Must not input both network_id and port_id")
    if not given.get("net_id") and not given.get("port_id"):
        raise BadRequest("Must input network_id or port_id")
    fixed = (given.get("fixed_ips") or [{}])[0].get("ip_address")
    nic = RequestedNic(network_id=given.get("net_id"), port_id=given.get("port_id"),
                       fixed_ip=fixed, tag=given.get("tag"))
    port = compute(req).extras.attach(req.ctx, _sid(req), nic, req.request_id)
    return {"interfaceAttachment": _attachment(req, port)}


def detach_interface(req: ApiRequest) -> Reply:
    compute(req).extras.detach(req.ctx, _sid(req), req.path_params["port_id"],
                               req.request_id)
    return Reply(status=202)


def list_security_groups(req: ApiRequest) -> dict[str, Any]:
    groups = compute(req).extras.security_groups(req.ctx, _sid(req))
    return {"security_groups": [{
        "id": g["id"], "name": g["name"], "description": g["description"],
        "tenant_id": g["project_id"], "rules": [{
            "id": r["id"], "parent_group_id": g["id"], "ip_protocol": r["protocol"],
            "from_port": r["port_range_min"], "to_port": r["port_range_max"],
            "ip_range": {"cidr": r["remote_ip_prefix"]} if r["remote_ip_prefix"] else {},
            "group": {}} for r in g.get("security_group_rules", [])
            if r["direction"] == "ingress"]} for g in groups]}


def remote_console(req: ApiRequest) -> dict[str, Any]:
    body = req.json()
    schema.validate({"type": "object", "properties": {"remote_console": {
        "type": "object", "properties": {
            "protocol": {"type": "string", "enum": list(CONSOLE_TYPES)},
            "type": {"type": "string", "enum": sorted({t for ts in CONSOLE_TYPES.values()
                                                       for t in ts})}},
        "required": ["protocol", "type"], "additionalProperties": False}},
        "required": ["remote_console"], "additionalProperties": False}, body)
    wanted = body["remote_console"]
    if wanted["protocol"] not in ("vnc", "serial"):
        raise BadRequest(f"Unavailable console type {wanted['protocol']}.")
    if wanted["type"] not in CONSOLE_TYPES[wanted["protocol"]]:
        raise BadRequest(f"Invalid console type {wanted['type']} for protocol "
                         f"{wanted['protocol']}")
    found = compute(req).extras.console(req.ctx, _sid(req), wanted["protocol"],
                                        wanted["type"])
    return {"remote_console": {"protocol": found["protocol"], "type": found["type"],
                               "url": found["url"]}}


def show_password(req: ApiRequest) -> dict[str, Any]:
    return {"password": compute(req).extras.password(req.ctx, _sid(req))}


def clear_password(req: ApiRequest) -> Reply:
    compute(req).extras.clear_password(req.ctx, _sid(req))
    return Reply(status=204)


def diagnostics(req: ApiRequest) -> dict[str, Any]:
    assert req.version is not None
    found = compute(req).extras.diagnostics(req.ctx, _sid(req))
    if since(req.version, "2.48"):
        return {"state": found.state, "driver": found.driver,
                "hypervisor": found.hypervisor, "hypervisor_os": found.hypervisor_os,
                "uptime": found.uptime, "config_drive": found.config_drive,
                "num_cpus": found.num_cpus, "num_nics": found.num_nics,
                "num_disks": found.num_disks, "memory_details": found.memory_details,
                "cpu_details": found.cpu_details, "nic_details": found.nic_details,
                "disk_details": found.disk_details}
    legacy: dict[str, Any] = {"memory": found.memory_details.get("maximum", 0)}
    for i, cpu in enumerate(found.cpu_details):
        legacy[f"cpu{i}_time"] = cpu.get("time", 0)
    return legacy


ROUTES: list[Route] = [
    Route("GET", f"{SID}/os-interface", list_interfaces, f"{AI}:list", server_target),
    Route("POST", f"{SID}/os-interface", attach_interface, f"{AI}:create", server_target),
    Route("GET", f"{SID}/os-interface/{{port_id}}", show_interface, f"{AI}:show",
          server_target),
    Route("DELETE", f"{SID}/os-interface/{{port_id}}", detach_interface, f"{AI}:delete",
          server_target),
    Route("GET", f"{SID}/os-security-groups", list_security_groups,
          "os_compute_api:os-security-groups:list", server_target),
    Route("POST", f"{SID}/remote-consoles", ByVersion([("2.6", None, remote_console)]),
          "os_compute_api:os-remote-consoles", server_target),
    Route("GET", f"{SID}/os-server-password", show_password,
          "os_compute_api:os-server-password:show", server_target),
    Route("DELETE", f"{SID}/os-server-password", clear_password,
          "os_compute_api:os-server-password:clear", server_target),
    Route("GET", f"{SID}/diagnostics", diagnostics, "os_compute_api:os-server-diagnostics",
          server_target),
]
