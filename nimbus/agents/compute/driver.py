"""The one interface every hypervisor driver implements, and what they share: the errors,
the power-state transitions each operation allows, and the vm_state each one leaves.

A driver works on one host, keyed by instance uuid, and knows nothing of the database or
the bus: the agent (``agent.py``) turns messages into these calls and the answers into
messages. Every operation returns the guest as it is afterwards (``GuestInfo``).
"""

from __future__ import annotations

import abc

from nimbus.agents.compute import messages as m
from nimbus.agents.compute.messages import (
    ConfigDrive,
    ConsoleInfo,
    Diagnostics,
    Flavor,
    GuestInfo,
    GuestSpec,
    HostReport,
    ImageRef,
    Nic,
    SnapshotResult,
    SnapshotTarget,
)


class DriverError(Exception):
    """An operation failed; the message is what the instance's fault says."""


class GuestNotFound(DriverError):
    def __init__(self, uuid: str) -> None:
        super().__init__(f"no guest {uuid} on this host")
        self.uuid = uuid


class GuestExists(DriverError):
    def __init__(self, uuid: str) -> None:
        super().__init__(f"guest {uuid} already exists on this host")
        self.uuid = uuid


class InvalidState(DriverError):
    def __init__(self, uuid: str, operation: str, power_state: int) -> None:
        state = m.POWER_STATES.get(power_state, str(power_state))
        super().__init__(f"cannot {operation} guest {uuid}: it is {state}")
        self.uuid, self.operation, self.power_state = uuid, operation, power_state


# Operation -> the power states it may start from.
ALLOWED_FROM: dict[str, frozenset[int]] = {
    "power_off": frozenset({m.RUNNING, m.PAUSED, m.SHUTDOWN, m.CRASHED}),
    "power_on": frozenset({m.SHUTDOWN, m.CRASHED, m.RUNNING}),
    "reboot": frozenset({m.RUNNING, m.PAUSED, m.SHUTDOWN, m.CRASHED}),
    "pause": frozenset({m.RUNNING, m.PAUSED}),
    "unpause": frozenset({m.PAUSED, m.RUNNING}),
    "suspend": frozenset({m.RUNNING, m.PAUSED, m.SUSPENDED}),
    "resume": frozenset({m.SUSPENDED, m.RUNNING}),
    "rescue": frozenset({m.RUNNING, m.PAUSED, m.SHUTDOWN, m.CRASHED}),
    "unrescue": frozenset({m.RUNNING, m.PAUSED, m.SHUTDOWN, m.CRASHED}),
    "resize": frozenset({m.RUNNING, m.SHUTDOWN, m.CRASHED}),
    "rebuild": frozenset({m.RUNNING, m.PAUSED, m.SHUTDOWN, m.CRASHED}),
    "snapshot": frozenset({m.RUNNING, m.PAUSED, m.SHUTDOWN, m.CRASHED}),
    "attach_interface": frozenset({m.RUNNING, m.PAUSED}),
    "detach_interface": frozenset({m.RUNNING, m.PAUSED}),
}

# Operation -> the power state it leaves (None: the one it found).
RESULT_STATE: dict[str, int | None] = {
    "power_off": m.SHUTDOWN, "power_on": m.RUNNING, "reboot": m.RUNNING,
    "pause": m.PAUSED, "unpause": m.RUNNING, "suspend": m.SUSPENDED, "resume": m.RUNNING,
    "rescue": m.RUNNING, "unrescue": m.RUNNING, "resize": None, "rebuild": None,
    "snapshot": None, "attach_interface": None, "detach_interface": None,
}

# Operation -> the vm_state hint an agent sends once it is done (None: unchanged).
VM_STATE_AFTER: dict[str, str | None] = {
    "spawn": "active", "destroy": "deleted", "power_off": "stopped", "power_on": "active",
    "reboot": "active", "pause": "paused", "unpause": "active", "suspend": "suspended",
    "resume": "active", "rescue": "rescued", "unrescue": "active", "resize": "resized",
    "rebuild": None, "snapshot": None, "attach_interface": None, "detach_interface": None,
}

# A power state -> the vm_state it implies (for the power-state sync's hints).
VM_STATE_OF: dict[int, str] = {
    m.RUNNING: "active", m.PAUSED: "paused", m.SHUTDOWN: "stopped", m.CRASHED: "stopped",
    m.SUSPENDED: "suspended",
}


def check_transition(uuid: str, operation: str, power_state: int) -> None:
    if power_state not in ALLOWED_FROM.get(operation, frozenset()):
        raise InvalidState(uuid, operation, power_state)


def vm_state_for(operation: str, info: GuestInfo) -> str | None:
    """The hint after ``operation``; rebuild and resize follow the power state."""
    if operation == "rebuild":
        return VM_STATE_OF.get(info.power_state)
    if info.rescued and operation != "unrescue":
        return "rescued"
    return VM_STATE_AFTER.get(operation)


class Driver(abc.ABC):
    """A hypervisor on one host."""

    name: str = "abstract"

    # --- the host ---------------------------------------------------------------------
    @abc.abstractmethod
    def host_report(self, host: str) -> HostReport:
        """The host's figures, traits and guests (the agent adds the [compute] ratios)."""

    @abc.abstractmethod
    def list_guests(self) -> list[GuestInfo]:
        """Every guest this driver manages, with its current power state."""

    @abc.abstractmethod
    def unknown_guests(self) -> list[GuestInfo]:
        """Guests running on the host that this driver was never asked for (left alone)."""

    def reattach(self) -> list[GuestInfo]:
        """On start: pick up the guests a previous agent left running; the ones found."""
        return self.list_guests()

    def close(self) -> None:  # noqa: B027 - optional for a driver
        """Let go of the guests (they keep running)."""

    # --- life cycle -------------------------------------------------------------------
    @abc.abstractmethod
    def spawn(self, spec: GuestSpec) -> GuestInfo: ...

    @abc.abstractmethod
    def destroy(self, uuid: str) -> None:
        """Process, devices, disks and files gone; an unknown uuid is not an error."""

    @abc.abstractmethod
    def power_off(self, uuid: str, clean: bool, timeout: float) -> GuestInfo: ...

    @abc.abstractmethod
    def power_on(self, uuid: str) -> GuestInfo: ...

    @abc.abstractmethod
    def reboot(self, uuid: str, kind: str, timeout: float) -> GuestInfo:
        """``soft``: ACPI, then hard after ``timeout``; ``hard``: a fresh start."""

    @abc.abstractmethod
    def pause(self, uuid: str) -> GuestInfo: ...

    @abc.abstractmethod
    def unpause(self, uuid: str) -> GuestInfo: ...

    @abc.abstractmethod
    def suspend(self, uuid: str) -> GuestInfo: ...

    @abc.abstractmethod
    def resume(self, uuid: str) -> GuestInfo: ...

    @abc.abstractmethod
    def rescue(self, uuid: str, image: ImageRef) -> GuestInfo: ...

    @abc.abstractmethod
    def unrescue(self, uuid: str) -> GuestInfo: ...

    @abc.abstractmethod
    def snapshot(self, uuid: str, target: SnapshotTarget) -> SnapshotResult: ...

    @abc.abstractmethod
    def resize(self, uuid: str, flavor: Flavor, timeout: float) -> GuestInfo: ...

    @abc.abstractmethod
    def rebuild(self, uuid: str, image: ImageRef, config_drive: ConfigDrive | None,
                timeout: float) -> GuestInfo: ...

    @abc.abstractmethod
    def attach_interface(self, uuid: str, nic: Nic) -> GuestInfo: ...

    @abc.abstractmethod
    def detach_interface(self, uuid: str, port_id: str) -> GuestInfo: ...

    # --- looking at a guest -----------------------------------------------------------
    @abc.abstractmethod
    def console_output(self, uuid: str, length: int | None) -> str: ...

    @abc.abstractmethod
    def console(self, uuid: str, kind: str) -> ConsoleInfo: ...

    @abc.abstractmethod
    def diagnostics(self, uuid: str) -> Diagnostics: ...

    @abc.abstractmethod
    def guest(self, uuid: str) -> GuestInfo:
        """One guest as it is now; GuestNotFound when this driver does not manage it."""


def tail_lines(text: str, length: int | None) -> str:
    """The last ``length`` lines of ``text`` (Nova's get_console_output); all when None."""
    if length is None:
        return text
    if length <= 0:
        return ""
    lines = text.splitlines(keepends=True)
    return "".join(lines[-length:])
