"""The one place the compute service talks to its agents (Nova's ``rpcapi.py``): the calls
to ``compute-agent.<host>``, and the ``compute-plugin`` endpoint every API process serves
for the agents' reports (nimbus/agents/compute/messages.py is the contract)."""

from __future__ import annotations

import logging
from typing import Any

from nimbus.agents.compute import messages as m

log = logging.getLogger("nimbus.compute.agents")

# Seconds a call may take: spawns fetch images and boot; the rest are quicker.
SPAWN_TIMEOUT = 600.0
CALL_TIMEOUT = 180.0


class AgentApi:
    """Calls to the compute agent of a host; each answers when its work is done."""

    def __init__(self, bus: Any) -> None:
        self.bus = bus

    def _call(self, host: str, method: str, timeout: float = CALL_TIMEOUT,
              **payload: Any) -> Any:
        return self.bus.call(m.agent_topic(host), method, payload, version=m.VERSION,
                             timeout=timeout)

    def _guest(self, host: str, method: str, **payload: Any) -> m.GuestInfo:
        return m.from_wire(m.GuestInfo, self._call(host, method, **payload))

    def spawn(self, host: str, spec: m.GuestSpec) -> m.GuestInfo:
        return m.from_wire(m.GuestInfo, self._call(host, "spawn", SPAWN_TIMEOUT,
                                                   spec=m.to_wire(spec)))

    def destroy(self, host: str, uuid: str) -> None:
        self._call(host, "destroy", uuid=uuid)

    def power_off(self, host: str, uuid: str, clean: bool = True) -> m.GuestInfo:
        return self._guest(host, "power_off", uuid=uuid, clean=clean)

    def power_on(self, host: str, uuid: str) -> m.GuestInfo:
        return self._guest(host, "power_on", uuid=uuid)

    def reboot(self, host: str, uuid: str, kind: str) -> m.GuestInfo:
        return self._guest(host, "reboot", uuid=uuid, kind=kind)

    def simple(self, host: str, method: str, uuid: str, **extra: Any) -> m.GuestInfo:
        """pause, unpause, suspend, resume, unrescue: a uuid in, a GuestInfo out."""
        return self._guest(host, method, uuid=uuid, **extra)

    def rescue(self, host: str, uuid: str, image: m.ImageRef,
               admin_password: str | None) -> m.GuestInfo:
        return self._guest(host, "rescue", uuid=uuid, image=m.to_wire(image),
                           admin_password=admin_password)

    def resize(self, host: str, uuid: str, flavor: m.Flavor) -> m.GuestInfo:
        return self._guest(host, "resize", uuid=uuid, flavor=m.to_wire(flavor))

    def confirm_resize(self, host: str, uuid: str) -> m.GuestInfo:
        """The resize stays: the agent drops the old disks it kept for a revert."""
        return self._guest(host, "confirm_resize", uuid=uuid)

    def revert_resize(self, host: str, uuid: str) -> m.GuestInfo:
        """Back to the old flavor and the disks kept from before the resize."""
        return self._guest(host, "revert_resize", uuid=uuid)

    def rebuild(self, host: str, uuid: str, image: m.ImageRef,
                config_drive: m.ConfigDrive | None = None) -> m.GuestInfo:
        drive = m.to_wire(config_drive) if config_drive is not None else None
        return self._guest(host, "rebuild", uuid=uuid, image=m.to_wire(image),
                           config_drive=drive)

    def snapshot(self, host: str, uuid: str, target: m.SnapshotTarget) -> m.SnapshotResult:
        return m.from_wire(m.SnapshotResult, self._call(
            host, "snapshot", SPAWN_TIMEOUT, uuid=uuid, target=m.to_wire(target)))

    def attach_interface(self, host: str, uuid: str, nic: m.Nic) -> m.GuestInfo:
        return self._guest(host, "attach_interface", uuid=uuid, nic=m.to_wire(nic))

    def detach_interface(self, host: str, uuid: str, port_id: str) -> m.GuestInfo:
        return self._guest(host, "detach_interface", uuid=uuid, port_id=port_id)

    def console_output(self, host: str, uuid: str, length: int | None) -> str:
        return str(self._call(host, "get_console_output", uuid=uuid, length=length))

    def console(self, host: str, uuid: str, kind: str) -> m.ConsoleInfo:
        return m.from_wire(m.ConsoleInfo, self._call(host, "get_console", uuid=uuid,
                                                     kind=kind))

    def diagnostics(self, host: str, uuid: str) -> m.Diagnostics:
        return m.from_wire(m.Diagnostics, self._call(host, "get_diagnostics", uuid=uuid))


class PluginEndpoint:
    """What the compute agents tell the service on ``compute-plugin``: served by every API
    process, so any of them may take a report."""

    BUS_VERSION = m.VERSION

    def __init__(self, service: Any) -> None:
        self.service = service          # the ComputeService facade

    def report_state(self, report: dict[str, Any]) -> None:
        self.service.host_reports.report(m.from_wire(m.HostReport, report))

    def instance_update(self, update: dict[str, Any]) -> None:
        self.service.servers.agent_update(m.from_wire(m.InstanceUpdate, update))

    def guests_unknown(self, host: str, guests: list[dict[str, Any]]) -> None:
        log.warning("compute agent %s runs %d guest(s) Nimbus did not ask for: %s", host,
                    len(guests), ", ".join(str(g.get("uuid")) for g in guests))


def serve_plugin(bus: Any, service: Any) -> Any:
    """Give the service its bus and answer the agents on it; returns the consumer."""
    service.bus = bus
    service.agent_api = AgentApi(bus)
    return bus.serve(m.PLUGIN_TOPIC, PluginEndpoint(service))
