"""Server actions (POST /servers/{id}/action) that run on the agent: each allowed only in
the states Nova allows (nova/compute/api.py check_instance_state), each sets its task
state, records an instance action, and finishes in the background with the vm_state it
leaves (or the old state and a fault when the agent failed)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from nimbus.agents.compute import messages as m
from nimbus.kernel.context import RequestContext
from nimbus.kernel.db import utcnow
from nimbus.kernel.errors import Conflict
from nimbus.services.compute.models.servers import Instance
from nimbus.services.compute.service import records, states
from nimbus.services.compute.service.states import (
    ACTIVE,
    ERROR,
    PAUSED,
    RESCUED,
    STOPPED,
    SUSPENDED,
)

log = logging.getLogger("nimbus.compute.actions")

_REBOOTING_HARD = [None, "rebooting", "reboot_pending", "reboot_started", "rebooting_hard",
                   "reboot_pending_hard", "reboot_started_hard", "pausing", "unpausing",
                   "suspending", "resuming"]


@dataclass(frozen=True)
class Action:
    name: str                       # the instance action's name (Nova's InstanceActions)
    vm_states: tuple[str, ...]
    task_state: str                 # while it runs
    method: str                     # the agent's
    after: str | None               # the vm_state it leaves; None: the one it had
    task_states: tuple[str | None, ...] = (None,)


ACTIONS: dict[str, Action] = {
    "os-stop": Action("stop", (ACTIVE, ERROR), "powering-off", "power_off", STOPPED),
    "os-start": Action("start", (STOPPED,), "powering-on", "power_on", ACTIVE),
    "pause": Action("pause", (ACTIVE,), "pausing", "pause", PAUSED),
    "unpause": Action("unpause", (PAUSED,), "unpausing", "unpause", ACTIVE),
    "suspend": Action("suspend", (ACTIVE,), "suspending", "suspend", SUSPENDED),
    "resume": Action("resume", (SUSPENDED,), "resuming", "resume", ACTIVE),
    "reboot:SOFT": Action("reboot", (ACTIVE, STOPPED, PAUSED, SUSPENDED, ERROR),
                          "reboot_pending", "reboot", ACTIVE),
    "reboot:HARD": Action("reboot", (ACTIVE, STOPPED, PAUSED, SUSPENDED, ERROR),
                          "reboot_pending_hard", "reboot", ACTIVE, tuple(_REBOOTING_HARD)),
    "rescue": Action("rescue", (ACTIVE, STOPPED, ERROR), "rescuing", "rescue", RESCUED),
    "unrescue": Action("unrescue", (RESCUED,), "unrescuing", "unrescue", ACTIVE),
}

# Actions Nova allows on a locked server (the owner unlocking it, say).
_LOCK_EXEMPT = ("lock", "unlock")


class ServerActions:
    def __init__(self, compute: Any) -> None:
        self.compute = compute
        self.db = compute.db

    def start(self, ctx: RequestContext, server_id: str, key: str, request_id: str | None,
              **args: Any) -> None:
        action = ACTIONS[key]
        with self.db.session() as s:
            row = self.compute.servers.row(s, ctx, server_id)
            self.compute.servers.check_unlocked(ctx, row)
            states.check_state(key.split(":")[0], row.id, row.vm_state, row.task_state,
                               action.vm_states, action.task_states)
            if not row.host:
                raise Conflict(f"Instance {row.id} has no host.")
            row.task_state = action.task_state
            row.updated_at = utcnow()
            records.start_action(s, row, action.name, ctx, request_id)
            host = row.host
        self.compute.builder.submit(self._run, server_id, host, action, args)

    def _run(self, server_id: str, host: str, action: Action, args: dict[str, Any]) -> None:
        event = f"compute_{action.method}_instance"
        with self.db.session() as s:
            records.start_event(s, server_id, event, host)
        try:
            info = self._call(host, server_id, action, args)
        except Exception as err:  # noqa: BLE001 - the agent's failure becomes a fault
            log.warning("instance %s: %s failed: %s", server_id, action.name, err)
            self._finish(server_id, event, None, None, err)
            return
        self._finish(server_id, event, action.after, info.power_state, None)

    def _call(self, host: str, server_id: str, action: Action, args: dict[str, Any]
              ) -> m.GuestInfo:
        api = self.compute.agent_api
        if action.method == "reboot":
            return api.reboot(host, server_id, args.get("kind", "soft"))  # type: ignore
        if action.method == "power_off":
            return api.power_off(host, server_id)  # type: ignore[no-any-return]
        if action.method == "power_on":
            return api.power_on(host, server_id)  # type: ignore[no-any-return]
        if action.method == "rescue":
            image = args["image"]
            return api.rescue(host, server_id, image, args.get("admin_password"))  # type: ignore
        return api.simple(host, action.method, server_id)  # type: ignore[no-any-return]

    def _finish(self, server_id: str, event: str, vm_state: str | None,
                power_state: int | None, error: Exception | None) -> None:
        with self.db.session() as s:
            row = s.get(Instance, server_id)
            if row is None or row.deleted:
                return
            if row.task_state == "deleting":
                return
            row.task_state = None
            if vm_state is not None:
                row.vm_state = vm_state
            if power_state is not None:
                row.power_state = power_state
            if error is not None:
                records.add_fault(s, row, str(error)[:255], 500, "")
            row.updated_at = utcnow()
            records.finish_event(s, server_id, event, error)

    # -- in the database only -------------------------------------------------------------
    def lock(self, ctx: RequestContext, server_id: str, reason: str | None,
             request_id: str | None) -> None:
        with self.db.session() as s:
            row = self.compute.servers.row(s, ctx, server_id)
            row.locked = True
            row.locked_by = "admin" if ctx.has_role("admin") and \
                row.project_id != ctx.project_id else "owner"
            row.locked_reason = reason
            row.updated_at = utcnow()
            records.start_action(s, row, "lock", ctx, request_id)

    def unlock(self, ctx: RequestContext, server_id: str, may_override: bool,
               request_id: str | None) -> None:
        with self.db.session() as s:
            row = self.compute.servers.row(s, ctx, server_id)
            if row.locked and row.locked_by == "admin" and not may_override:
                from nimbus.kernel.errors import Forbidden

                raise Forbidden("Policy doesn't allow os_compute_api:os-lock-server:unlock:"
                                "unlock_override to be performed.")
            row.locked, row.locked_by, row.locked_reason = False, None, None
            row.updated_at = utcnow()
            records.start_action(s, row, "unlock", ctx, request_id)

    def reset_state(self, ctx: RequestContext, server_id: str, state: str,
                    request_id: str | None) -> None:
        with self.db.session() as s:
            row = self.compute.servers.row(s, ctx, server_id)
            row.vm_state = ACTIVE if state == "active" else ERROR
            row.task_state = None
            row.updated_at = utcnow()
            records.start_action(s, row, "resetState", ctx, request_id)

    def console_output(self, ctx: RequestContext, server_id: str, length: int | None) -> str:
        with self.db.session() as s:
            row = self.compute.servers.row(s, ctx, server_id)
            states.check_state("get_console_output", row.id, row.vm_state, row.task_state,
                               (ACTIVE, STOPPED, PAUSED, SUSPENDED, RESCUED, ERROR),
                               (None, states.ANY_TASK))
            host = row.host
        if not host:
            raise Conflict(f"Instance {server_id} has no host.")
        return self.compute.agent_api.console_output(host, server_id, length)  # type: ignore
