"""/servers: create, list (summary and detail), show, update, delete, and their metadata
and tags."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.errors import BadRequest, Forbidden
from nimbus.kernel.microversion import since
from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.compute.api import views
from nimbus.services.compute.api.common import can, compute, is_admin, own_target, server_target
from nimbus.services.compute.schemas import servers as schema
from nimbus.services.compute.service.listing import ServerQuery, list_servers
from nimbus.services.compute.service.networking import RequestedNic
from nimbus.services.compute.service.servers import BootRequest, new_password

V = "/v2.1"
S = "os_compute_api:servers"
TRUE = ("1", "t", "true", "on", "y", "yes")


# -- create -------------------------------------------------------------------------------
def create(req: ApiRequest) -> Reply:
    assert req.version is not None
    body = req.json()
    schema.validate(schema.create_schema(req.version), body)
    server = body["server"]
    boot = boot_request(req, server, body.get("os:scheduler_hints")
                        or body.get("OS-SCH-HNT:scheduler_hints") or {})
    made, reservation = compute(req).servers.create(req.ctx, boot, req.request_id)
    if _truthy(server.get("return_reservation_id")):
        return Reply({"reservation_id": reservation}, status=202)
    first = made[0]
    doc: dict[str, Any] = {"id": first["id"], "links": views.links(req, "servers", first["id"]),
                           "OS-DCF:diskConfig": server.get("OS-DCF:diskConfig", "MANUAL"),
                           "security_groups": [{"name": n} for n in first["security_groups"]]}
    doc["adminPass"] = boot.admin_pass
    return Reply({"server": doc}, status=202,
                 headers={"Location": views.links(req, "servers", first["id"])[0]["href"]})


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in TRUE


def boot_request(req: ApiRequest, server: dict[str, Any], hints: dict[str, Any]
                 ) -> BootRequest:
    assert req.version is not None
    min_count = int(server.get("min_count", 1))
    max_count = int(server.get("max_count", min_count))
    if min_count > max_count:
        raise BadRequest("min_count must be <= max_count")
    zone = server.get("availability_zone")
    if zone and ":" in zone and not can(req, f"{S}:create:forced_host"):
        raise Forbidden(f"Policy doesn't allow {S}:create:forced_host to be performed.")
    if since(req.version, "2.74") and (server.get("host") or server.get("hypervisor_hostname")):
        if not can(req, f"{S}:create:requested_destination"):
            raise Forbidden(f"Policy doesn't allow {S}:create:requested_destination to be "
                            "performed.")
        zone = f"{(zone or '').split(':')[0]}:{server.get('host', '')}:" \
               f"{server.get('hypervisor_hostname', '')}"
    nics, auto = _nics(server.get("networks"))
    if max_count > 1 and server.get("hostname"):
        raise BadRequest("Cannot set hostname when booting multiple servers.")
    return BootRequest(
        name=server["name"], image_ref=_image_ref(server), flavor_ref=str(server["flavorRef"]),
        nics=nics, networks_auto=auto, key_name=server.get("key_name"),
        user_data=server.get("user_data"), metadata=server.get("metadata") or {},
        config_drive=_truthy(server.get("config_drive")),
        security_groups=[g["name"] for g in server.get("security_groups") or []],
        availability_zone=zone, block_devices=_local_bdms(server), hints=dict(hints),
        min_count=min_count, max_count=max_count, tags=server.get("tags") or [],
        description=server.get("description"), hostname=server.get("hostname"),
        admin_pass=server.get("adminPass") or new_password(),
        access_ip_v4=server.get("accessIPv4") or "", access_ip_v6=server.get("accessIPv6") or "")


def _image_ref(server: dict[str, Any]) -> str:
    image = server.get("imageRef")
    if not image:
        for bdm in server.get("block_device_mapping_v2") or []:
            if bdm.get("source_type") == "image" and str(bdm.get("boot_index", "")) == "0":
                return str(bdm["uuid"])
        raise BadRequest("Block Device Mapping is Invalid: Boot sequence for the instance "
                         "and image/block device mapping combination is not valid.")
    return str(image)


def _nics(networks: Any) -> tuple[list[RequestedNic] | None, bool]:
    if networks is None or networks == "auto":
        return None, True
    if networks == "none":
        return [], False
    nics = []
    for net in networks:
        if not net.get("uuid") and not net.get("port"):
            raise BadRequest("Bad networks format: network uuid is not in proper format (\"\")")
        nics.append(RequestedNic(network_id=net.get("uuid"), port_id=net.get("port"),
                                 fixed_ip=net.get("fixed_ip"), tag=net.get("tag")))
    return nics, False


def _local_bdms(server: dict[str, Any]) -> list[dict[str, Any]]:
    """block_device_mapping_v2 entries other than the root image: blank local disks
    (ephemeral, swap); volumes are not served here (400)."""
    out = []
    for bdm in server.get("block_device_mapping_v2") or []:
        source, dest = bdm.get("source_type"), bdm.get("destination_type", "local")
        if dest == "volume" or source in ("volume", "snapshot"):
            raise BadRequest("Block Device Mapping is Invalid: volumes are not available.")
        if source == "image" and str(bdm.get("boot_index", "")) == "0":
            continue
        if source != "blank":
            raise BadRequest("Block Device Mapping is Invalid: only one image mapping, "
                             "the root disk, is allowed.")
        out.append({"source_type": "blank", "destination_type": "local",
                    "boot_index": None if bdm.get("boot_index") in (None, "", -1, "-1")
                    else int(bdm["boot_index"]),
                    "volume_size": int(bdm["volume_size"]) if bdm.get("volume_size")
                    is not None else None, "guest_format": bdm.get("guest_format"),
                    "device_name": bdm.get("device_name"), "tag": bdm.get("tag")})
    return out


# -- read ---------------------------------------------------------------------------------
def _query(req: ApiRequest, admin: bool) -> ServerQuery:
    assert req.version is not None
    q = req.query
    filters = {k: v for k, v in q.items() if k not in (
        "sort_key", "sort_dir", "limit", "marker", "tags", "tags-any", "not-tags",
        "not-tags-any", "all_tenants", "deleted", "ip", "ip6", "locked")}
    if "changes-before" in filters and not since(req.version, "2.66"):
        filters.pop("changes-before")
    keys, dirs = q.getlist("sort_key"), q.getlist("sort_dir")
    sorts = [(k, (dirs[i] if i < len(dirs) else "desc").lower()) for i, k in enumerate(keys)]
    if any(d not in ("asc", "desc") for _, d in sorts):
        raise BadRequest("Invalid sort_dir; must be 'asc' or 'desc'")
    tags = {k: [t for v in q.getlist(k) for t in v.split(",") if t]
            for k in ("tags", "tags-any", "not-tags", "not-tags-any") if k in q}
    all_tenants = "all_tenants" in q and q.get("all_tenants", "").lower() not in (
        "0", "false", "f", "off", "n", "no")
    return ServerQuery(filters=filters, tags=tags if since(req.version, "2.26") else {},
                       sorts=sorts, limit=_limit(q.get("limit")), marker=q.get("marker"),
                       all_tenants=all_tenants and admin,
                       deleted=(q.get("deleted", "").lower() in TRUE)
                       if "deleted" in q and admin else None,
                       ip=q.get("ip"), ip6=q.get("ip6") if since(req.version, "2.5") or admin
                       else None,
                       locked=(q["locked"].lower() in TRUE) if "locked" in q
                       and since(req.version, "2.73") else None)


def _limit(text: str | None) -> int | None:
    if text is None:
        return 1000
    if not text.isdigit():
        raise BadRequest("limit param must be an integer")
    return min(int(text), 1000)


def _list(req: ApiRequest, rule: str, detail: bool) -> dict[str, Any]:
    admin = is_admin(req)
    query = _query(req, admin)
    if "all_tenants" in req.query and not can(req, f"{rule}:get_all_tenants"):
        raise Forbidden(f"Policy doesn't allow {rule}:get_all_tenants to be performed.")
    found = list_servers(compute(req).servers, req.ctx, query, admin)
    items = [views.detail(req, s, admin) if detail else views.summary(req, s) for s in found]
    out: dict[str, Any] = {"servers": items}
    next_links = views.page_links(req, "servers/detail" if detail else "servers", found,
                                  int(req.query["limit"]) if "limit" in req.query else None)
    if next_links:
        out["servers_links"] = next_links
    return out


def index(req: ApiRequest) -> dict[str, Any]:
    return _list(req, f"{S}:index", detail=False)


def detail(req: ApiRequest) -> dict[str, Any]:
    return _list(req, f"{S}:detail", detail=True)


def show(req: ApiRequest) -> dict[str, Any]:
    server = compute(req).servers.get(req.ctx, req.path_params["server_id"])
    return {"server": views.detail(req, server, is_admin(req))}


# -- update and delete -------------------------------------------------------------------
def update(req: ApiRequest) -> dict[str, Any]:
    assert req.version is not None
    body = req.json()
    schema.validate(schema.update_schema(req.version), body)
    given = body["server"]
    names = {"name": "display_name", "description": "description", "hostname": "hostname",
             "accessIPv4": "access_ip_v4", "accessIPv6": "access_ip_v6"}
    values = {col: given[key] for key, col in names.items() if key in given}
    server = compute(req).servers.update(req.ctx, req.path_params["server_id"], values)
    return {"server": views.detail(req, server, is_admin(req))}


def delete(req: ApiRequest) -> Reply:
    compute(req).servers.delete(req.ctx, req.path_params["server_id"], req.request_id)
    return Reply(status=204)


SID = f"{V}/servers/{{server_id}}"

ROUTES: list[Route] = [
    Route("GET", f"{V}/servers", index, f"{S}:index", own_target),
    Route("GET", f"{V}/servers/detail", detail, f"{S}:detail", own_target),
    Route("POST", f"{V}/servers", create, f"{S}:create", own_target),
    Route("GET", SID, show, f"{S}:show", server_target),
    Route("PUT", SID, update, f"{S}:update", server_target),
    Route("DELETE", SID, delete, f"{S}:delete", server_target),
]
