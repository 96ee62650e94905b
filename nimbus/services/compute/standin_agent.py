"""A stand-in compute agent for a tree without ``nimbus.agents.compute.agent``: it serves
``compute-agent.<host>`` on the bus as the fake driver would (guests are records in
memory, nothing on the host is touched) and reports the host every report_interval.

It exists so that the servers API can be run end to end before the agent lands; the
agent's own ``start_agent(settings, bus)`` replaces it as soon as it is importable.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

from nimbus.agents.compute import messages as m
from nimbus.config import Settings

_AFTER = {"power_off": m.SHUTDOWN, "power_on": m.RUNNING, "reboot": m.RUNNING,
          "pause": m.PAUSED, "unpause": m.RUNNING, "suspend": m.SUSPENDED,
          "resume": m.RUNNING, "rescue": m.RUNNING, "unrescue": m.RUNNING}


def agent_host(settings: Settings) -> str:
    return settings.compute.host or socket.gethostname()


class StandInEndpoint:
    BUS_VERSION = m.VERSION

    def __init__(self, host: str) -> None:
        self.host = host
        self.guests: dict[str, m.GuestInfo] = {}
        self._lock = threading.Lock()

    def _info(self, uuid: str) -> dict[str, Any]:
        guest = self.guests.get(uuid)
        if guest is None:
            raise LookupError(f"no guest {uuid} on this host")
        return m.to_wire(guest)

    def spawn(self, spec: dict[str, Any]) -> dict[str, Any]:
        guest = m.from_wire(m.GuestSpec, spec)
        with self._lock:
            self.guests[guest.uuid] = m.GuestInfo(
                uuid=guest.uuid, power_state=m.RUNNING if guest.start else m.SHUTDOWN,
                name=guest.name, host=self.host, vcpus=guest.flavor.vcpus,
                memory_mb=guest.flavor.memory_mb, image_id=guest.image.id, nics=guest.nics,
                status="running")
            return self._info(guest.uuid)

    def destroy(self, uuid: str) -> None:
        with self._lock:
            self.guests.pop(uuid, None)

    def _change(self, uuid: str, method: str) -> dict[str, Any]:
        with self._lock:
            guest = self.guests.get(uuid)
            if guest is None:
                raise LookupError(f"no guest {uuid} on this host")
            guest.power_state = _AFTER.get(method, guest.power_state)
            guest.rescued = method == "rescue" or (guest.rescued and method != "unrescue")
            return self._info(uuid)

    def __getattr__(self, name: str) -> Any:
        if name in _AFTER or name in ("resize", "rebuild", "attach_interface",
                                      "detach_interface"):
            return lambda uuid, **_kw: self._change(uuid, name)
        raise AttributeError(name)

    def snapshot(self, uuid: str, target: dict[str, Any]) -> dict[str, Any]:
        self._info(uuid)
        return m.to_wire(m.SnapshotResult(size=0, disk_format=target.get("disk_format",
                                                                         "qcow2")))

    def get_console_output(self, uuid: str, length: int | None = None) -> str:
        self._info(uuid)
        lines = [f"fake console of {uuid}", "login:"]
        return "\n".join(lines[-length:] if length else lines) + "\n"

    def get_console(self, uuid: str, kind: str) -> dict[str, Any]:
        self._info(uuid)
        return m.to_wire(m.ConsoleInfo(kind=kind, host="127.0.0.1", port=5900))

    def get_diagnostics(self, uuid: str) -> dict[str, Any]:
        guest = m.from_wire(m.GuestInfo, self._info(uuid))
        state = m.POWER_STATES.get(guest.power_state, "pending").lower()
        return m.to_wire(m.Diagnostics(state=state, driver="fake", num_cpus=guest.vcpus,
                                       num_nics=len(guest.nics), memory_details={
                                           "maximum": guest.memory_mb, "used": 0}))

    def list_guests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [m.to_wire(g) for g in self.guests.values()]

    def report(self, settings: Settings) -> m.HostReport:
        c = settings.compute
        with self._lock:
            guests = {u: g.power_state for u, g in self.guests.items()}
        return m.HostReport(host=self.host, hypervisor_hostname=self.host, driver="fake",
                            hypervisor_type="fake", vcpus=8, memory_mb=16384, local_gb=200,
                            running_vms=len(guests), guests=guests,
                            cpu_allocation_ratio=c.cpu_allocation_ratio,
                            ram_allocation_ratio=c.ram_allocation_ratio,
                            disk_allocation_ratio=c.disk_allocation_ratio,
                            reserved_host_memory_mb=c.reserved_host_memory_mb,
                            reserved_host_disk_mb=c.reserved_host_disk_mb,
                            reserved_host_cpus=c.reserved_host_cpus,
                            availability_zone=c.default_availability_zone,
                            started_at=time.time(), cpu_info={"arch": "x86_64"})


class StandInAgent:
    def __init__(self, settings: Settings, bus: Any) -> None:
        self.settings, self.bus = settings, bus
        self.endpoint = StandInEndpoint(agent_host(settings))
        self._stop = threading.Event()
        self._consumer = bus.serve(m.agent_topic(self.endpoint.host), self.endpoint)
        self._thread = threading.Thread(target=self._report_loop, daemon=True,
                                        name="compute-standin-report")
        self._thread.start()

    def _report_loop(self) -> None:
        while not self._stop.is_set():
            report = self.endpoint.report(self.settings)
            self.bus.cast(m.PLUGIN_TOPIC, "report_state", {"report": m.to_wire(report)},
                          version=m.VERSION)
            self._stop.wait(max(self.settings.compute.report_interval, 0.5))

    def stop(self) -> None:
        self._stop.set()
        self._consumer.stop()
        self._thread.join(timeout=5)


def start_agent(settings: Settings, bus: Any = None) -> Any:
    """The compute agent the settings ask for: the real one when it is in the tree."""
    if settings.compute.driver == "off":
        return None
    if bus is None:
        from nimbus.kernel.bus import bus_for

        bus = bus_for(settings)
    try:
        from nimbus.agents.compute.agent import start_agent as real  # type: ignore
    except ImportError:
        if settings.compute.driver != "fake":
            return None
        return StandInAgent(settings, bus)
    return real(settings, bus)
