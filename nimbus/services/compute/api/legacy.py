"""Nova's older admin APIs tempest still calls: /extensions (the fixed v2 list), /os-hosts
(before 2.43: list, show, enable/disable, power actions Nova's libvirt driver does not
implement) and /os-instance_usage_audit_log (the audit period's report; no audit task runs
here, so every compute host is "not run")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from nimbus.kernel.errors import BadRequest, NotFound, NotImplementedYet
from nimbus.kernel.microversion import ByVersion
from nimbus.kernel.web import ApiRequest, Route
from nimbus.services.compute.api.extension_list import EXTENSIONS as EXTENSION_LIST
from nimbus.services.compute.api.services import zone_of
from nimbus.services.compute.api.support import own_target, service_of
from nimbus.services.compute.errors import ComputeHostNotFound
from nimbus.services.compute.policies.legacy import AUDIT, EXTENSIONS, HOSTS
from nimbus.services.compute.schemas.common import body_of
from nimbus.services.compute.service.hosts import COMPUTE

V = "/v2.1"
_TOGGLE = {"type": "string", "enum": ["enable", "disable", "Enable", "Disable", "ENABLE",
                                      "DISABLE"]}
HOST_UPDATE = {"type": "object",
               "properties": {"status": _TOGGLE, "maintenance_mode": _TOGGLE},
               "anyOf": [{"required": ["status"]}, {"required": ["maintenance_mode"]}],
               "additionalProperties": False}
_API_BINARIES = ("nova-osapi_compute", "nova-metadata")


def _extension(alias: str, name: str, description: str) -> dict[str, Any]:
    return {"alias": alias, "name": name, "description": description, "links": [],
            "namespace": "http://docs.openstack.org/compute/ext/fake_xml",
            "updated": "2014-12-03T00:00:00Z"}


def list_extensions(req: ApiRequest) -> dict[str, Any]:
    return {"extensions": [_extension(*e) for e in EXTENSION_LIST]}


def show_extension(req: ApiRequest) -> dict[str, Any]:
    alias = req.path_params["alias"]
    for entry in EXTENSION_LIST:
        if entry[0] == alias:
            return {"extension": _extension(*entry)}
    raise NotFound(f"Extension {alias} could not be found.")


# -- os-hosts -------------------------------------------------------------------------------

def list_hosts(req: ApiRequest) -> dict[str, Any]:
    zone = req.query.get("zone") or None
    hosts = []
    for service in service_of(req).hosts.services():
        if service["disabled"] or service["binary"] in _API_BINARIES:
            continue
        entry = {"host_name": service["host"], "zone": zone_of(req, service),
                 "service": service["binary"].removeprefix("nova-")}
        if zone is None or entry["zone"] == zone:
            hosts.append(entry)
    return {"hosts": hosts}


def _compute_node(req: ApiRequest, host: str) -> dict[str, Any]:
    nodes = [n for n in service_of(req).hosts.nodes() if n["host"] == host]
    if not nodes or service_of(req).hosts.find_service(host, COMPUTE) is None:
        raise ComputeHostNotFound(host)
    return nodes[0]


def show_host(req: ApiRequest) -> dict[str, Any]:
    host = req.path_params["host"]
    node = _compute_node(req, host)

    def resource(project: str, cpu: int, memory: int, disk: int) -> dict[str, Any]:
        return {"resource": {"host": host, "project": project, "cpu": cpu,
                             "memory_mb": memory, "disk_gb": disk}}

    return {"host": [
        resource("(total)", node["vcpus"], node["memory_mb"], node["local_gb"]),
        resource("(used_now)", node["vcpus_used"], node["memory_mb_used"],
                 node["local_gb_used"]),
        resource("(used_max)", 0, 0, 0)]}


def update_host(req: ApiRequest) -> dict[str, Any]:
    host = req.path_params["host"]
    doc = body_of(HOST_UPDATE, req.json())
    hosts = service_of(req).hosts
    service = hosts.find_service(host, COMPUTE)
    if service is None:
        raise ComputeHostNotFound(host)
    if "maintenance_mode" in doc:
        raise NotImplementedYet("Virt driver does not implement host maintenance mode.")
    enabled = doc["status"].lower() == "enable"
    hosts.update_service(service["id"], {"disabled": not enabled,
                                         "disabled_reason": None})
    return {"host": host, "status": "enabled" if enabled else "disabled"}


def power_action(req: ApiRequest) -> dict[str, Any]:
    _compute_node(req, req.path_params["host"])
    raise NotImplementedYet("Virt driver does not implement host power management.")


# -- os-instance_usage_audit_log --------------------------------------------------------------

def _audit_log(req: ApiRequest, before: dt.datetime) -> dict[str, Any]:
    end = before.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start = (end - dt.timedelta(days=1)).replace(day=1)
    hosts = service_of(req).hosts.compute_hosts()
    fmt = "%Y-%m-%d %H:%M:%S"
    return {"hosts_not_run": hosts, "log": {}, "num_hosts": len(hosts),
            "num_hosts_done": 0, "num_hosts_not_run": len(hosts), "num_hosts_running": 0,
            "overall_status": f"0 of {len(hosts)} hosts done. 0 errors.",
            "period_beginning": start.strftime(fmt), "period_ending": end.strftime(fmt),
            "total_errors": 0, "total_instances": 0}


def list_audit(req: ApiRequest) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return {"instance_usage_audit_logs": _audit_log(req, now)}


def show_audit(req: ApiRequest) -> dict[str, Any]:
    text = req.path_params["before"]
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f"):
        try:
            before = dt.datetime.strptime(text, fmt)
            break
        except ValueError:
            continue
    else:
        raise BadRequest(f"Invalid timestamp for date {text}")
    return {"instance_usage_audit_log": _audit_log(req, before)}


def _until_2_42(handler: Any) -> ByVersion[Any]:
    return ByVersion([("2.1", "2.42", handler)])


ROUTES = [
    Route("GET", f"{V}/extensions", list_extensions, EXTENSIONS, own_target),
    Route("GET", f"{V}/extensions/{{alias}}", show_extension, EXTENSIONS, own_target),
    Route("GET", f"{V}/os-hosts", _until_2_42(list_hosts), HOSTS % "list", own_target),
    Route("GET", f"{V}/os-hosts/{{host}}", _until_2_42(show_host), HOSTS % "show",
          own_target),
    Route("PUT", f"{V}/os-hosts/{{host}}", _until_2_42(update_host), HOSTS % "update",
          own_target),
    *[Route("GET", f"{V}/os-hosts/{{host}}/{action}", _until_2_42(power_action),
            HOSTS % rule, own_target)
      for action, rule in (("startup", "start"), ("shutdown", "shutdown"),
                           ("reboot", "reboot"))],
    Route("GET", f"{V}/os-instance_usage_audit_log", list_audit, AUDIT % "list",
          own_target),
    Route("GET", f"{V}/os-instance_usage_audit_log/{{before}}", show_audit, AUDIT % "show",
          own_target),
]
