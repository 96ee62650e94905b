"""The server documents as Nova renders them per microversion (nova/api/openstack/compute/
views/servers.py): summary, detail, and the parts that come and go with versions."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from nimbus.kernel.microversion import since
from nimbus.kernel.web import ApiRequest

# Statuses that show a progress percentage.
_PROGRESS = ("ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING")


def iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"


def usage_time(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def links(req: ApiRequest, kind: str, ident: str) -> list[dict[str, str]]:
    return [{"rel": "self", "href": f"{req.base_url}/v2.1/{kind}/{ident}"},
            {"rel": "bookmark", "href": f"{req.base_url}/{kind}/{ident}"}]


def host_id(project_id: str, host: str | None) -> str:
    if not host:
        return ""
    return hashlib.sha224((project_id + host).encode()).hexdigest()


def summary(req: ApiRequest, server: dict[str, Any]) -> dict[str, Any]:
    return {"id": server["id"], "name": server["display_name"],
            "links": links(req, "servers", server["id"])}


def flavor_view(req: ApiRequest, flavor: dict[str, Any]) -> dict[str, Any]:
    assert req.version is not None
    if since(req.version, "2.47"):
        return {"vcpus": flavor["vcpus"], "ram": flavor["ram"], "disk": flavor["disk"],
                "ephemeral": flavor.get("ephemeral", 0), "swap": flavor.get("swap", 0),
                "original_name": flavor["name"],
                "extra_specs": dict(flavor.get("extra_specs") or {})}
    return {"id": flavor["id"], "links": [{"rel": "bookmark", "href": links(
        req, "flavors", flavor["id"])[1]["href"]}]}


def detail(req: ApiRequest, server: dict[str, Any], admin: bool) -> dict[str, Any]:
    version = req.version
    assert version is not None
    status = server["status"]
    out: dict[str, Any] = {
        "id": server["id"], "name": server["display_name"], "status": status,
        "tenant_id": server["project_id"], "user_id": server["user_id"],
        "metadata": server["metadata"], "hostId": host_id(server["project_id"],
                                                          server["host"]),
        "image": {"id": server["image_ref"], "links": [{"rel": "bookmark", "href": links(
            req, "images", server["image_ref"])[1]["href"]}]} if server["image_ref"] else "",
        "flavor": flavor_view(req, server["flavor"]),
        "created": iso(server["created_at"]), "updated": iso(server["updated_at"]),
        "addresses": server["addresses"], "accessIPv4": server["access_ip_v4"] or "",
        "accessIPv6": server["access_ip_v6"] or "", "links": links(req, "servers",
                                                                   server["id"]),
        "OS-DCF:diskConfig": "MANUAL", "key_name": server["key_name"],
        "config_drive": server["config_drive"] or "",
        "OS-EXT-AZ:availability_zone": server["availability_zone"] or "",
        "OS-EXT-STS:task_state": server["task_state"],
        "OS-EXT-STS:vm_state": server["vm_state"],
        "OS-EXT-STS:power_state": server["power_state"],
        "OS-SRV-USG:launched_at": usage_time(server["launched_at"]),
        "OS-SRV-USG:terminated_at": usage_time(server["terminated_at"]),
        "security_groups": [{"name": n} for n in server["security_groups"]],
        "os-extended-volumes:volumes_attached": [],
    }
    if status in _PROGRESS:
        out["progress"] = server["progress"]
    if server["fault"] and status in ("ERROR", "DELETED"):
        out["fault"] = fault_view(server["fault"], admin)
    if admin:
        out.update(extended_attributes(req, server))
    out.update(versioned(req, server, admin))
    return out


def fault_view(fault: dict[str, Any], admin: bool) -> dict[str, Any]:
    view = {"code": fault["code"], "created": iso(fault["created"]),
            "message": fault["message"]}
    if admin and fault.get("details"):
        view["details"] = fault["details"]
    return view


def extended_attributes(req: ApiRequest, server: dict[str, Any]) -> dict[str, Any]:
    assert req.version is not None
    out = {"OS-EXT-SRV-ATTR:host": server["host"],
           "OS-EXT-SRV-ATTR:instance_name": server["instance_name"],
           "OS-EXT-SRV-ATTR:hypervisor_hostname": server["node"]}
    if since(req.version, "2.3"):
        out.update({"OS-EXT-SRV-ATTR:hostname": server["hostname"],
                    "OS-EXT-SRV-ATTR:kernel_id": "", "OS-EXT-SRV-ATTR:ramdisk_id": "",
                    "OS-EXT-SRV-ATTR:launch_index": server["launch_index"],
                    "OS-EXT-SRV-ATTR:reservation_id": server["reservation_id"],
                    "OS-EXT-SRV-ATTR:root_device_name": "/dev/vda",
                    "OS-EXT-SRV-ATTR:user_data": server["user_data"]})
    return out


def versioned(req: ApiRequest, server: dict[str, Any], admin: bool) -> dict[str, Any]:
    version = req.version
    assert version is not None
    out: dict[str, Any] = {}
    if since(version, "2.9"):
        out["locked"] = bool(server["locked"])
    if since(version, "2.16") and admin:
        out["host_status"] = server.get("host_status") or ("UP" if server["host"] else "")
    if since(version, "2.19"):
        out["description"] = server["description"]
    if since(version, "2.26"):
        out["tags"] = server["tags"]
    if since(version, "2.63"):
        out["trusted_image_certificates"] = None
    if since(version, "2.73"):
        out["locked_reason"] = server["locked_reason"]
    if since(version, "2.90") and not admin:
        out["OS-EXT-SRV-ATTR:hostname"] = server["hostname"]
    if since(version, "2.96"):
        out["pinned_availability_zone"] = (server.get("request") or {}).get(
            "availability_zone", None) and \
            str(server["request"]["availability_zone"]).split(":")[0] or None
    return out


def page_links(req: ApiRequest, kind: str, servers: list[dict[str, Any]], limit: int | None
               ) -> list[dict[str, str]]:
    """servers_links: a next link when the page is full."""
    if not limit or len(servers) < limit:
        return []
    params = [(k, v) for k, v in req.query.multi_items() if k != "marker"]
    params.append(("marker", servers[-1]["id"]))
    from urllib.parse import urlencode

    return [{"rel": "next", "href": f"{req.base_url}/v2.1/{kind}?{urlencode(params)}"}]
