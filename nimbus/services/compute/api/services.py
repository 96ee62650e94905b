"""/os-services (list; before 2.53 the enable/disable/disable-log-reason/force-down actions,
from 2.53 PUT by uuid; delete) and /os-availability-zone (list; detail for admins)."""

from __future__ import annotations

import uuid
from typing import Any

from nimbus.kernel.errors import BadRequest, NotFound
from nimbus.kernel.microversion import ByVersion
from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.compute.api.support import (
    at_least,
    isotime,
    own_target,
    service_of,
    strict_query,
)
from nimbus.services.compute.policies.hosts import AZ, SERVICES
from nimbus.services.compute.schemas import hosts as schema
from nimbus.services.compute.schemas.common import as_bool, body_of
from nimbus.services.compute.service.aggregates import INTERNAL_ZONE
from nimbus.services.compute.service.hosts import COMPUTE

V = "/v2.1"


def zone_of(req: ApiRequest, service: dict[str, Any]) -> str:
    if service["binary"] != COMPUTE:
        return INTERNAL_ZONE
    return service_of(req).aggregates.zone_of(service["host"])


def view(req: ApiRequest, service: dict[str, Any]) -> dict[str, Any]:
    hosts = service_of(req).hosts
    out = {"id": service["uuid"] if at_least(req, "2.53") else service["id"],
           "binary": service["binary"], "host": service["host"],
           "zone": zone_of(req, service),
           "status": "disabled" if service["disabled"] else "enabled",
           "state": "up" if hosts.service_is_up(service) else "down",
           "updated_at": isotime(service["updated_at"]),
           "disabled_reason": service["disabled_reason"]}
    if at_least(req, "2.11"):
        out["forced_down"] = service["forced_down"]
    return out


def list_services(req: ApiRequest) -> dict[str, Any]:
    strict_query(req, {"host", "binary"})
    found = service_of(req).hosts.services(req.query.get("host"), req.query.get("binary"))
    return {"services": [view(req, s) for s in found]}


def _compute_only(service: dict[str, Any]) -> None:
    if service["binary"] != COMPUTE:
        raise BadRequest(f"Updating a {service['binary']} service is not supported. Only "
                         "nova-compute services can be updated.")


def legacy_action(req: ApiRequest) -> dict[str, Any]:
    """PUT /os-services/{enable|disable|disable-log-reason|force-down} before 2.53."""
    action = req.path_params["service_id"]
    known = {"enable", "disable", "disable-log-reason"} | \
        ({"force-down"} if at_least(req, "2.11") else set())
    if action not in known:
        raise NotFound("Unknown action")
    doc = body_of(schema.SERVICE_ACTION_V211 if at_least(req, "2.11")
                  else schema.SERVICE_ACTION, req.json())
    hosts = service_of(req).hosts
    _compute_only({"binary": doc["binary"]})
    service = hosts.find_service(doc["host"], doc["binary"])
    if service is None:
        raise NotFound(f"Could not find binary {doc['binary']} on host {doc['host']}.")
    out: dict[str, Any] = {"host": doc["host"], "binary": doc["binary"]}
    if action == "force-down":
        if "forced_down" not in doc:
            raise BadRequest("Missing forced_down field")
        out["forced_down"] = as_bool(doc["forced_down"])
        hosts.update_service(service["id"], {"forced_down": out["forced_down"]})
        return {"service": out}
    changes: dict[str, Any] = {"disabled": action != "enable", "disabled_reason": None}
    if action == "disable-log-reason":
        if not doc.get("disabled_reason"):
            raise BadRequest("Missing disabled reason field")
        changes["disabled_reason"] = out["disabled_reason"] = doc["disabled_reason"]
    hosts.update_service(service["id"], changes)
    out["status"] = "enabled" if action == "enable" else "disabled"
    return {"service": out}


def _uuid_or_400(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise BadRequest(f"Invalid uuid {text}") from None


def update_service(req: ApiRequest) -> dict[str, Any]:
    """PUT /os-services/{uuid} from 2.53."""
    service_id = _uuid_or_400(req.path_params["service_id"])
    doc = body_of(schema.SERVICE_UPDATE_V253, req.json())
    hosts = service_of(req).hosts
    service = hosts.service(service_id)
    if "status" not in doc and "forced_down" not in doc:
        raise BadRequest("No updates were requested. Fields 'status' or 'forced_down' "
                         "should be specified.")
    if doc.get("status") == "enabled" and "disabled_reason" in doc:
        raise BadRequest("Specifying 'disabled_reason' with status 'enabled' is invalid.")
    _compute_only(service)
    changes: dict[str, Any] = {}
    if "status" in doc:
        changes["disabled"] = doc["status"] == "disabled"
        changes["disabled_reason"] = doc.get("disabled_reason") if changes["disabled"] \
            else None
    if "forced_down" in doc:
        changes["forced_down"] = as_bool(doc["forced_down"])
    return {"service": view(req, hosts.update_service(service_id, changes))}


def delete_service(req: ApiRequest) -> Reply:
    text = req.path_params["service_id"]
    service_id: str | int
    if at_least(req, "2.53"):
        service_id = _uuid_or_400(text)
    else:
        try:
            service_id = int(text)
        except ValueError:
            raise BadRequest("Invalid input received: id must be an integer") from None
    compute = service_of(req)
    gone = compute.hosts.delete_service(service_id)
    if gone["binary"] == COMPUTE:
        compute.aggregates.forget_host(gone["host"])
    return Reply(status=204)


# -- availability zones ---------------------------------------------------------------------

def _zones(req: ApiRequest) -> dict[str, list[dict[str, Any]]]:
    zones: dict[str, list[dict[str, Any]]] = {}
    for service in service_of(req).hosts.services():
        zones.setdefault(zone_of(req, service), []).append(service)
    return zones


def list_zones(req: ApiRequest) -> dict[str, Any]:
    info = [{"zoneName": name, "zoneState": {"available": any(not s["disabled"]
                                                                 for s in services)},
             "hosts": None}
            for name, services in sorted(_zones(req).items()) if name != INTERNAL_ZONE]
    return {"availabilityZoneInfo": info}


def detail_zones(req: ApiRequest) -> dict[str, Any]:
    hosts = service_of(req).hosts
    info = []
    for name, services in sorted(_zones(req).items()):
        by_host: dict[str, dict[str, Any]] = {}
        for s in services:
            by_host.setdefault(s["host"], {})[s["binary"]] = {
                "available": hosts.service_is_up(s) and not s["disabled"],
                "active": not s["disabled"], "updated_at": isotime(s["updated_at"])}
        info.append({"zoneName": name,
                     "zoneState": {"available": any(not s["disabled"] for s in services)},
                     "hosts": by_host})
    return {"availabilityZoneInfo": info}


ROUTES = [
    Route("GET", f"{V}/os-services", list_services, SERVICES % "list", own_target),
    Route("PUT", f"{V}/os-services/{{service_id}}",
          ByVersion([("2.1", "2.52", legacy_action), ("2.53", None, update_service)]),
          SERVICES % "update", own_target),
    Route("DELETE", f"{V}/os-services/{{service_id}}", delete_service, SERVICES % "delete",
          own_target),
    Route("GET", f"{V}/os-availability-zone", list_zones, AZ % "list", own_target),
    Route("GET", f"{V}/os-availability-zone/detail", detail_zones, AZ % "detail",
          own_target),
]
