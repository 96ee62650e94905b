"""What hangs off a server: metadata, tags (2.26), instance actions and their events,
and os-server-external-events (Networking's network-vif-plugged and friends)."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.errors import BadRequest, NotFound
from nimbus.kernel.microversion import ByVersion, since
from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.compute.api.common import (
    can,
    compute,
    own_target,
    server_target,
    server_target_deleted_ok,
)
from nimbus.services.compute.api.views import iso
from nimbus.services.compute.schemas import servers as schema

V = "/v2.1"
SID = f"{V}/servers/{{server_id}}"
MD = "os_compute_api:server-metadata"
TAGS = "os_compute_api:os-server-tags"
IA = "os_compute_api:os-instance-actions"


def _sid(req: ApiRequest) -> str:
    return req.path_params["server_id"]


# -- metadata -----------------------------------------------------------------------------
def _metadata_body(req: ApiRequest, key: str = "metadata") -> dict[str, str]:
    body = req.json()
    schema.validate({"type": "object", "properties": {key: schema.METADATA},
                     "required": [key], "additionalProperties": False}, body)
    return dict(body[key])


def list_metadata(req: ApiRequest) -> dict[str, Any]:
    return {"metadata": compute(req).servers.get(req.ctx, _sid(req))["metadata"]}


def set_metadata(req: ApiRequest) -> dict[str, Any]:
    items = _metadata_body(req)
    return {"metadata": compute(req).servers.set_metadata(req.ctx, _sid(req), items,
                                                          replace=req.method == "PUT")}


def show_metadata_item(req: ApiRequest) -> dict[str, Any]:
    meta = compute(req).servers.get(req.ctx, _sid(req))["metadata"]
    key = req.path_params["key"]
    if key not in meta:
        raise NotFound("Metadata item was not found")
    return {"meta": {key: meta[key]}}


def set_metadata_item(req: ApiRequest) -> dict[str, Any]:
    item = _metadata_body(req, "meta")
    key = req.path_params["key"]
    if len(item) != 1 or key not in item:
        raise BadRequest("Request body and URI mismatch" if len(item) == 1 else
                         "Request body contains too many items")
    compute(req).servers.set_metadata(req.ctx, _sid(req), item, replace=False)
    return {"meta": item}


def delete_metadata_item(req: ApiRequest) -> Reply:
    compute(req).servers.delete_metadata(req.ctx, _sid(req), req.path_params["key"])
    return Reply(status=204)


# -- tags -----------------------------------------------------------------------------------
def list_tags(req: ApiRequest) -> dict[str, Any]:
    return {"tags": compute(req).servers.tags(req.ctx, _sid(req))}


def replace_tags(req: ApiRequest) -> dict[str, Any]:
    body = req.json()
    schema.validate({"type": "object", "properties": {"tags": {
        "type": "array", "items": schema.TAG, "maxItems": 50}}, "required": ["tags"],
        "additionalProperties": False}, body)
    return {"tags": compute(req).servers.set_tags(req.ctx, _sid(req), body["tags"])}


def _tag(req: ApiRequest) -> str:
    tag = req.path_params["tag"]
    schema.validate(schema.TAG, tag)
    return tag


def check_tag(req: ApiRequest) -> Reply:
    if _tag(req) not in compute(req).servers.tags(req.ctx, _sid(req)):
        raise NotFound(f"Tag {req.path_params['tag']} could not be found.")
    return Reply(status=204)


def add_tag(req: ApiRequest) -> Reply:
    tag = _tag(req)
    had = tag in compute(req).servers.tags(req.ctx, _sid(req))
    compute(req).servers.set_tags(req.ctx, _sid(req), None, add=tag)
    location = f"{req.base_url}/v2.1/servers/{_sid(req)}/tags/{tag}"
    return Reply(status=204 if had else 201, headers={"Location": location})


def delete_tag(req: ApiRequest) -> Reply:
    compute(req).servers.set_tags(req.ctx, _sid(req), None, remove=_tag(req))
    return Reply(status=204)


def delete_tags(req: ApiRequest) -> Reply:
    compute(req).servers.set_tags(req.ctx, _sid(req), [])
    return Reply(status=204)


# -- instance actions ------------------------------------------------------------------------
def _action_view(req: ApiRequest, action: dict[str, Any]) -> dict[str, Any]:
    assert req.version is not None
    out = {"action": action["action"], "instance_uuid": action["instance_id"],
           "request_id": action["request_id"], "user_id": action["user_id"],
           "project_id": action["project_id"], "start_time": iso(action["start_time"]),
           "message": action["message"]}
    if since(req.version, "2.58"):
        out["updated_at"] = iso(action["updated_at"])
    return out


def _event_view(req: ApiRequest, event: dict[str, Any]) -> dict[str, Any]:
    assert req.version is not None
    out = {"event": event["event"], "start_time": iso(event["start_time"]),
           "finish_time": iso(event["finish_time"]), "result": event["result"]}
    admin = can(req, f"{IA}:events")
    if admin:
        out["traceback"] = event["traceback"]
    if since(req.version, "2.62"):
        if admin:
            out["host"] = event["host"] or ""
        out["hostId"] = event["host_id"]
    if since(req.version, "2.84") and can(req, f"{IA}:events:details"):
        out["details"] = event["details"]
    return out


def list_actions(req: ApiRequest) -> dict[str, Any]:
    actions = compute(req).instance_actions.list(req.ctx, _sid(req), req.query)
    out: dict[str, Any] = {"instanceActions": [_action_view(req, a) for a in actions]}
    assert req.version is not None
    if since(req.version, "2.58") and "limit" in req.query and actions and \
            len(actions) >= int(req.query["limit"]):
        out["links"] = [{"rel": "next", "href": f"{req.base_url}/v2.1/servers/{_sid(req)}"
                         f"/os-instance-actions?limit={req.query['limit']}&marker="
                         f"{actions[-1]['request_id']}"}]
    return out


def show_action(req: ApiRequest) -> dict[str, Any]:
    action = compute(req).instance_actions.get(req.ctx, _sid(req), req.path_params["rid"])
    view = _action_view(req, action)
    assert req.version is not None
    if can(req, f"{IA}:events") or since(req.version, "2.51"):
        view["events"] = [_event_view(req, e) for e in action["events"]]
    return {"instanceAction": view}


# -- external events ---------------------------------------------------------------------------
EVENT_NAMES = ("network-changed", "network-vif-plugged", "network-vif-unplugged",
               "network-vif-deleted", "volume-extended", "power-update",
               "accelerator-request-bound", "volume-reimaged")


def external_events(req: ApiRequest) -> Reply:
    body = req.json()
    schema.validate({"type": "object", "properties": {"events": {
        "type": "array", "minItems": 1, "items": {"type": "object", "properties": {
            "server_uuid": schema.UUID, "name": {"type": "string", "enum": list(EVENT_NAMES)},
            "status": {"type": "string", "enum": ["failed", "completed", "in-progress"]},
            "tag": {"type": "string", "maxLength": 255}},
            "required": ["server_uuid", "name"], "additionalProperties": False}}},
        "required": ["events"], "additionalProperties": False}, body)
    results, code = compute(req).servers_events.accept(body["events"])
    return Reply({"events": results}, status=code)


ROUTES: list[Route] = [
    Route("GET", f"{SID}/metadata", list_metadata, f"{MD}:index", server_target),
    Route("POST", f"{SID}/metadata", set_metadata, f"{MD}:create", server_target),
    Route("PUT", f"{SID}/metadata", set_metadata, f"{MD}:update_all", server_target),
    Route("GET", f"{SID}/metadata/{{key}}", show_metadata_item, f"{MD}:show", server_target),
    Route("PUT", f"{SID}/metadata/{{key}}", set_metadata_item, f"{MD}:update", server_target),
    Route("DELETE", f"{SID}/metadata/{{key}}", delete_metadata_item, f"{MD}:delete",
          server_target),
    Route("GET", f"{SID}/tags", ByVersion([("2.26", None, list_tags)]), f"{TAGS}:index",
          server_target),
    Route("PUT", f"{SID}/tags", ByVersion([("2.26", None, replace_tags)]),
          f"{TAGS}:update_all", server_target),
    Route("DELETE", f"{SID}/tags", ByVersion([("2.26", None, delete_tags)]),
          f"{TAGS}:delete_all", server_target),
    Route("GET", f"{SID}/tags/{{tag}}", ByVersion([("2.26", None, check_tag)]),
          f"{TAGS}:show", server_target),
    Route("PUT", f"{SID}/tags/{{tag}}", ByVersion([("2.26", None, add_tag)]),
          f"{TAGS}:update", server_target),
    Route("DELETE", f"{SID}/tags/{{tag}}", ByVersion([("2.26", None, delete_tag)]),
          f"{TAGS}:delete", server_target),
    Route("GET", f"{SID}/os-instance-actions", list_actions, f"{IA}:list",
          server_target_deleted_ok),
    Route("GET", f"{SID}/os-instance-actions/{{rid}}", show_action, f"{IA}:show",
          server_target_deleted_ok),
    Route("POST", f"{V}/os-server-external-events", external_events,
          "os_compute_api:os-server-external-events:create", own_target),
]
