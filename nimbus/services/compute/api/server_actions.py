"""POST /servers/{id}/action: one body key names the action; each has its rule and the
microversions it exists at."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nimbus.kernel.errors import BadRequest, Forbidden, NotImplementedYet
from nimbus.kernel.microversion import since
from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.compute.api import views
from nimbus.services.compute.api.common import can, compute, is_admin, server_target
from nimbus.services.compute.errors import InvalidInput
from nimbus.services.compute.schemas import servers as schema
from nimbus.services.compute.service import states
from nimbus.services.compute.service.servers import new_password

V = "/v2.1"
S = "os_compute_api:servers"


def _sid(req: ApiRequest) -> str:
    return req.path_params["server_id"]


def _agent_action(key: str) -> Callable[[ApiRequest, Any], Reply | None]:
    def run(req: ApiRequest, _body: Any) -> None:
        compute(req).actions.start(req.ctx, _sid(req), key, req.request_id)
    return run


def reboot(req: ApiRequest, body: Any) -> None:
    kind = (body or {}).get("type") if isinstance(body, dict) else None
    if kind not in ("SOFT", "HARD", "soft", "hard"):
        raise InvalidInput(f"reboot/type. Value: {kind}. '{kind}' is not one of "
                           "['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']")
    compute(req).actions.start(req.ctx, _sid(req), f"reboot:{kind.upper()}",
                               req.request_id, kind=kind.lower())


def lock(req: ApiRequest, body: Any) -> None:
    assert req.version is not None
    reason = None
    if isinstance(body, dict) and body:
        if not since(req.version, "2.73") or set(body) - {"locked_reason"}:
            raise InvalidInput(f"lock. Value: {body}. Additional properties are not allowed")
        reason = body.get("locked_reason")
        if not isinstance(reason, str) or not 1 <= len(reason) <= 255:
            raise InvalidInput(f"lock/locked_reason. Value: {reason}.")
    compute(req).actions.lock(req.ctx, _sid(req), reason, req.request_id)


def unlock(req: ApiRequest, _body: Any) -> None:
    override = can(req, "os_compute_api:os-lock-server:unlock:unlock_override")
    compute(req).actions.unlock(req.ctx, _sid(req), override, req.request_id)


def reset_state(req: ApiRequest, body: Any) -> None:
    state = body.get("state") if isinstance(body, dict) else None
    if state not in ("active", "error"):
        raise InvalidInput(f"os-resetState/state. Value: {state}. '{state}' is not one of "
                           "['active', 'error']")
    compute(req).actions.reset_state(req.ctx, _sid(req), state, req.request_id)


def console_output(req: ApiRequest, body: Any) -> dict[str, Any]:
    length = body.get("length") if isinstance(body, dict) else None
    if length is not None:
        try:
            length = int(length)
        except (TypeError, ValueError):
            raise InvalidInput(f"os-getConsoleOutput/length. Value: {length}.") from None
        if length < -1:
            raise InvalidInput(f"os-getConsoleOutput/length. Value: {length}.")
        length = None if length == -1 else length
    return {"output": compute(req).actions.console_output(req.ctx, _sid(req), length)}


def resize(req: ApiRequest, body: Any) -> None:
    if not isinstance(body, dict) or "flavorRef" not in body:
        raise InvalidInput("resize. Value: {}. 'flavorRef' is a required property")
    compute(req).resizes.resize(req.ctx, _sid(req), str(body["flavorRef"]), req.request_id)


def confirm_resize(req: ApiRequest, _body: Any) -> None:
    compute(req).resizes.confirm(req.ctx, _sid(req), req.request_id)


def revert_resize(req: ApiRequest, _body: Any) -> None:
    compute(req).resizes.revert(req.ctx, _sid(req), req.request_id)


def create_image(req: ApiRequest, body: Any) -> Reply:
    assert req.version is not None
    schema.validate({"type": "object", "properties": {
        "name": schema.NAME, "metadata": schema.METADATA},
        "required": ["name"], "additionalProperties": False}, body)
    image_id = compute(req).snapshots.create(req.ctx, _sid(req), body["name"],
                                             body.get("metadata") or {}, req.request_id)
    return _image_reply(req, image_id)


def _image_reply(req: ApiRequest, image_id: str) -> Reply:
    assert req.version is not None
    location = f"{req.base_url}/v2.1/images/{image_id}"
    if since(req.version, "2.45"):
        return Reply({"image_id": image_id}, status=202)
    return Reply(status=202, headers={"Location": location})


def create_backup(req: ApiRequest, body: Any) -> Reply:
    schema.validate({"type": "object", "properties": {
        "name": schema.NAME, "backup_type": {"type": "string"},
        "rotation": {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 0},
        "metadata": schema.METADATA},
        "required": ["name", "backup_type", "rotation"], "additionalProperties": False},
        body)
    image_id = compute(req).snapshots.create(
        req.ctx, _sid(req), body["name"], body.get("metadata") or {}, req.request_id,
        backup=(body["backup_type"], int(body["rotation"])))
    return _image_reply(req, image_id)


def rebuild(req: ApiRequest, body: Any) -> Reply:
    assert req.version is not None
    schema.validate(schema.rebuild_schema(req.version), {"rebuild": body})
    names = {"name": "display_name", "description": "description", "hostname": "hostname",
             "accessIPv4": "access_ip_v4", "accessIPv6": "access_ip_v6",
             "key_name": "key_name", "user_data": "user_data"}
    changes = {col: body[key] for key, col in names.items() if key in body}
    if body.get("key_name"):
        changes["key_data"] = compute(req).resources.key_data(req.ctx, body["key_name"])
    if "metadata" in body:
        compute(req).servers.set_metadata(req.ctx, _sid(req), body["metadata"], replace=True)
    password = body.get("adminPass") or new_password()
    server = compute(req).lifecycle.rebuild(req.ctx, _sid(req), str(body["imageRef"]),
                                            changes, req.request_id)
    server["addresses"] = compute(req).networking.addresses([server["id"]]).get(
        server["id"], {})
    doc = views.detail(req, server, is_admin(req))
    doc["adminPass"] = password
    if since(req.version, "2.57") and not is_admin(req):
        doc["user_data"] = server["user_data"]
    return Reply({"server": doc}, status=202)


def rescue(req: ApiRequest, body: Any) -> dict[str, Any]:
    body = body or {}
    schema.validate({"type": ["object", "null"], "properties": {
        "adminPass": {"type": "string"}, "rescue_image_ref": {"type": "string"}},
        "additionalProperties": False}, body)
    password = body.get("adminPass") or new_password()
    compute(req).lifecycle.rescue(req.ctx, _sid(req), body.get("rescue_image_ref"),
                                  password, req.request_id)
    return {"adminPass": password}


def shelve(req: ApiRequest, _body: Any) -> None:
    compute(req).lifecycle.shelve(req.ctx, _sid(req), req.request_id)


def shelve_offload(req: ApiRequest, _body: Any) -> None:
    compute(req).lifecycle.shelve_offload(req.ctx, _sid(req), req.request_id)


def unshelve(req: ApiRequest, body: Any) -> None:
    if body is not None and not isinstance(body, dict):
        raise InvalidInput(f"unshelve. Value: {body}. None is not of type 'object'")
    compute(req).lifecycle.unshelve(req.ctx, _sid(req), req.request_id)


def change_password(req: ApiRequest, body: Any) -> None:
    schema.validate({"type": "object", "properties": {"adminPass": {"type": "string"}},
                     "required": ["adminPass"], "additionalProperties": False}, body)
    with compute(req).db.session() as s:
        row = compute(req).servers.row(s, req.ctx, _sid(req))
        compute(req).servers.check_unlocked(req.ctx, row)
        states.check_state("changePassword", row.id, row.vm_state, row.task_state,
                           (states.ACTIVE,))
    # The hypervisor drivers set no passwords in a running guest (Nova's 501 then).
    raise NotImplementedYet("Unable to set password on instance")


def security_group(add: bool) -> Callable[[ApiRequest, Any], None]:
    def run(req: ApiRequest, body: Any) -> None:
        schema.validate({"type": "object", "properties": {"name": {
            "type": "string", "minLength": 1, "maxLength": 255}}, "required": ["name"]},
            body)
        compute(req).extras.change_group(req.ctx, _sid(req), body["name"], add,
                                         req.request_id)
    return run


def legacy_console(protocol: str, kinds: tuple[str, ...]) -> Callable[[ApiRequest, Any],
                                                                      Any]:
    def run(req: ApiRequest, body: Any) -> dict[str, Any]:
        kind = body.get("type") if isinstance(body, dict) else None
        if kind not in kinds:
            raise InvalidInput(f"type. Value: {kind}. '{kind}' is not one of {list(kinds)}")
        found = compute(req).extras.console(req.ctx, _sid(req), protocol, kind)
        return {"console": {"type": kind, "url": found["url"]}}
    return run


def force_delete(req: ApiRequest, _body: Any) -> None:
    compute(req).servers.delete(req.ctx, _sid(req), req.request_id, force=True)


def restore(req: ApiRequest, _body: Any) -> None:
    with compute(req).db.session() as s:
        row = compute(req).servers.row(s, req.ctx, _sid(req))
        states.check_state("restore", row.id, row.vm_state, row.task_state,
                           (states.SOFT_DELETED,))


# body key -> (rule, handler, status of the answer)
ACTIONS: dict[str, tuple[str, Callable[[ApiRequest, Any], Any], int]] = {
    "os-stop": (f"{S}:stop", _agent_action("os-stop"), 202),
    "os-start": (f"{S}:start", _agent_action("os-start"), 202),
    "pause": ("os_compute_api:os-pause-server:pause", _agent_action("pause"), 202),
    "unpause": ("os_compute_api:os-pause-server:unpause", _agent_action("unpause"), 202),
    "suspend": ("os_compute_api:os-suspend-server:suspend", _agent_action("suspend"), 202),
    "resume": ("os_compute_api:os-suspend-server:resume", _agent_action("resume"), 202),
    "unrescue": ("os_compute_api:os-unrescue", _agent_action("unrescue"), 202),
    "reboot": (f"{S}:reboot", reboot, 202),
    "lock": ("os_compute_api:os-lock-server:lock", lock, 202),
    "unlock": ("os_compute_api:os-lock-server:unlock", unlock, 202),
    "os-resetState": ("os_compute_api:os-admin-actions:reset_state", reset_state, 202),
    "os-getConsoleOutput": ("os_compute_api:os-console-output", console_output, 200),
    "resize": (f"{S}:resize", resize, 202),
    "createImage": (f"{S}:create_image", create_image, 202),
    "rebuild": (f"{S}:rebuild", rebuild, 202),
    "rescue": ("os_compute_api:os-rescue", rescue, 200),
    "shelve": ("os_compute_api:os-shelve:shelve", shelve, 202),
    "shelveOffload": ("os_compute_api:os-shelve:shelve_offload", shelve_offload, 202),
    "unshelve": ("os_compute_api:os-shelve:unshelve", unshelve, 202),
    "changePassword": ("os_compute_api:os-admin-password", change_password, 202),
    "addSecurityGroup": ("os_compute_api:os-security-groups:add", security_group(True), 202),
    "removeSecurityGroup": ("os_compute_api:os-security-groups:remove",
                            security_group(False), 202),
    "os-getVNCConsole": ("os_compute_api:os-remote-consoles",
                         legacy_console("vnc", ("novnc", "xvpvnc")), 200),
    "os-getSerialConsole": ("os_compute_api:os-remote-consoles",
                            legacy_console("serial", ("serial",)), 200),
    "forceDelete": ("os_compute_api:os-deferred-delete:force", force_delete, 202),
    "restore": ("os_compute_api:os-deferred-delete:restore", restore, 202),
    "createBackup": ("os_compute_api:os-create-backup", create_backup, 202),
    "confirmResize": (f"{S}:confirm_resize", confirm_resize, 204),
    "revertResize": (f"{S}:revert_resize", revert_resize, 202),
}


def action(req: ApiRequest) -> Reply:
    body = req.json()
    if not isinstance(body, dict) or len(body) != 1:
        raise BadRequest("There is no such action: the body must name exactly one action.")
    (name, args), = body.items()
    found = ACTIONS.get(name)
    if found is None:
        raise BadRequest(f"There is no such action: {name}")
    rule, handler, status = found
    if not can(req, rule, req.memo.get("project_id")):
        raise Forbidden(f"Policy doesn't allow {rule} to be performed.")
    result = handler(req, args)
    if isinstance(result, Reply):
        return result
    return Reply(result, status=status) if result is not None else Reply(status=status)


ROUTES: list[Route] = [
    # Each action's own rule is checked by ``action``; the route only needs a caller who
    # can see the server.
    Route("POST", f"{V}/servers/{{server_id}}/action", action, f"{S}:show", server_target),
]
