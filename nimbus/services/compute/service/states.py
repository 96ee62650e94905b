"""Nova's server states: vm_state x task_state -> the API's status (nova/api/openstack/
common.py's state map), and the state checks each action makes (nova/compute/api.py's
check_instance_state) -> 409 when they fail."""

from __future__ import annotations

from collections.abc import Iterable

from nimbus.services.compute.errors import InstanceInvalidState

ACTIVE, BUILDING, STOPPED, RESIZED, PAUSED = "active", "building", "stopped", "resized", "paused"
SUSPENDED, RESCUED, ERROR, DELETED = "suspended", "rescued", "error", "deleted"
SOFT_DELETED, SHELVED, SHELVED_OFFLOADED = "soft-delete", "shelved", "shelved_offloaded"

_REBOOT: dict[str | None, str] = {
    "rebooting": "REBOOT", "reboot_pending": "REBOOT", "reboot_started": "REBOOT",
    "rebooting_hard": "HARD_REBOOT", "reboot_pending_hard": "HARD_REBOOT",
           "reboot_started_hard": "HARD_REBOOT"}
_REBUILD: dict[str | None, str] = {
    "rebuilding": "REBUILD", "rebuild_block_device_mapping": "REBUILD",
    "rebuild_spawning": "REBUILD"}
_RESIZE: dict[str | None, str] = {"resize_prep": "RESIZE", "resize_migrating": "RESIZE",
           "resize_migrated": "RESIZE", "resize_finish": "RESIZE"}

STATE_MAP: dict[str, dict[str | None, str]] = {
    ACTIVE: {None: "ACTIVE", **_REBOOT, **_REBUILD, **_RESIZE, "updating_password": "PASSWORD",
             "migrating": "MIGRATING"},
    BUILDING: {None: "BUILD"},
    STOPPED: {None: "SHUTOFF", **_RESIZE, **_REBUILD},
    RESIZED: {None: "VERIFY_RESIZE", "resize_reverting": "REVERT_RESIZE"},
    PAUSED: {None: "PAUSED", "migrating": "MIGRATING"},
    SUSPENDED: {None: "SUSPENDED"},
    RESCUED: {None: "RESCUE"},
    ERROR: {None: "ERROR", **_REBUILD},
    DELETED: {None: "DELETED"},
    SOFT_DELETED: {None: "SOFT_DELETED"},
    SHELVED: {None: "SHELVED"},
    SHELVED_OFFLOADED: {None: "SHELVED_OFFLOADED"},
}

# Status (as a client filters by it) -> the vm_states that give it.
STATUS_VM_STATES: dict[str, list[str]] = {}
for _vm, _tasks in STATE_MAP.items():
    STATUS_VM_STATES.setdefault(_tasks[None], []).append(_vm)
for _extra, _vms in {"REBOOT": [ACTIVE], "HARD_REBOOT": [ACTIVE], "PASSWORD": [ACTIVE],
                     "REBUILD": [ACTIVE, STOPPED, ERROR], "RESIZE": [ACTIVE, STOPPED],
                     "REVERT_RESIZE": [RESIZED], "MIGRATING": [ACTIVE, PAUSED]}.items():
    STATUS_VM_STATES.setdefault(_extra, _vms)
# Task states that make a status other than the vm_state's default.
STATUS_TASK_STATES: dict[str, list[str]] = {}
for _tasks in STATE_MAP.values():
    for _task, _status in _tasks.items():
        if _task is not None:
            STATUS_TASK_STATES.setdefault(_status, [])
            if _task not in STATUS_TASK_STATES[_status]:
                STATUS_TASK_STATES[_status].append(_task)


def status_of(vm_state: str, task_state: str | None) -> str:
    tasks = STATE_MAP.get(vm_state, {})
    return tasks.get(task_state) or tasks.get(None) or "UNKNOWN"


# The vm_states an instance may have for each action (None: any), with the task_states
# allowed (Nova's default: none in progress).
ANY_TASK = "*"


def check_state(action: str, server_id: str, vm_state: str, task_state: str | None,
                vm_states: Iterable[str] | None, task_states: Iterable[str | None] = (None,)
                ) -> None:
    """Raise 409 unless the instance is in one of the states the action allows."""
    if vm_states is not None and vm_state not in vm_states:
        raise InstanceInvalidState(action, "vm_state", vm_state, server_id)
    allowed = list(task_states)
    if ANY_TASK not in allowed and task_state not in allowed:
        raise InstanceInvalidState(action, "task_state", str(task_state), server_id)


class InstanceIsLocked(InstanceInvalidState):
    def __init__(self, server_id: str) -> None:
        super(InstanceInvalidState, self).__init__(f"Instance {server_id} is locked")
