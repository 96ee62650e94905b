"""The compute agent: the process (or the threads of ``nimbus up``) that runs one host's
guests with a hypervisor driver (``qemu.py``, or ``fake.py``).

It never opens the database. On the bus it

* serves ``compute-agent.<host>`` (``messages.py`` lists the methods): each one runs the
  driver, answers the caller with the guest as it is afterwards, and also casts
  ``instance_update`` (power state, vm_state hint, cleared task state, a fault on failure),
  so a service may ``cast`` the long operations as well as ``call`` them;
* casts ``report_state`` every [compute] report_interval (a ``HostReport``);
* syncs power states every [compute] sync_power_state_interval: a guest whose power state
  moved by itself (shut down from inside, crashed) is told with ``instance_update``; QEMU
  guests the agent was never asked for are told with ``guests_unknown`` and left alone.

On start the driver re-attaches to the guests a previous agent left running (they outlive
it); the first report names them and the first power-state sync (a few seconds after the
start) tells each one's power state once.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nimbus.agents.compute import messages as m
from nimbus.agents.compute.driver import (
    VM_STATE_OF,
    Driver,
    DriverError,
    check_flavor,
    check_nic,
    check_spec,
    vm_state_for,
)
from nimbus.agents.compute.messages import (
    ConfigDrive,
    Flavor,
    GuestInfo,
    GuestSpec,
    HostReport,
    ImageRef,
    InstanceUpdate,
    Nic,
    SnapshotTarget,
)
from nimbus.config import Settings
from nimbus.kernel.bus import Bus, Consumer, UnsupportedVersion
from nimbus.kernel.loops import LoopRunner

log = logging.getLogger("nimbus.agent.compute")

# Messages of compute-agent.<host> handled at once (each guest's one at a time).
CONCURRENCY = 4


def choose_driver(settings: Settings) -> tuple[str, str]:
    """(driver, why): "qemu", "fake" or "off", and a sentence for the log."""
    driver = settings.compute.driver
    if driver in ("qemu", "fake", "off"):
        return driver, f"[compute] driver = {driver}"
    if driver != "auto":
        return "off", f"unknown [compute] driver {driver!r}"
    missing = [t for t in ("qemu-system-x86_64", "qemu-img") if shutil.which(t) is None]
    if missing:
        return "off", f"{', '.join(missing)} not found on PATH"
    return "qemu", "qemu-system-x86_64 and qemu-img are on PATH"


def agent_host(settings: Settings) -> str:
    return settings.compute.host or socket.gethostname()


def instances_path(settings: Settings) -> Path:
    path = settings.compute.instances_path
    return Path(path) if path else settings.data_dir / "instances"


def state_dir_of(settings: Settings) -> Path:
    return settings.data_dir / "compute-agent" / agent_host(settings)


def build_driver(name: str, settings: Settings) -> Driver:
    if name == "fake":
        from nimbus.agents.compute.fake import FakeDriver

        return FakeDriver(state_dir_of(settings))
    if name == "qemu":
        from nimbus.agents.compute.qemu import QemuDriver

        return QemuDriver(instances_path(settings), settings.compute)
    raise ValueError(f"no compute driver {name!r}")


class _Task:
    def __init__(self, name: str, interval: float, run: Callable[[], None]) -> None:
        self.name, self.interval, self._run = name, interval, run

    def run_once(self) -> None:
        self._run()


class ComputeEndpoint:
    """What ``compute-agent.<host>`` serves: one public method a message."""

    BUS_VERSION = m.VERSION

    def __init__(self, agent: ComputeAgent) -> None:
        self._agent = agent

    def _do(self, operation: str, uuid: str, run: Callable[[], Any]) -> Any:
        return self._agent.operate(operation, uuid, run)

    def spawn(self, spec: dict[str, Any]) -> dict[str, Any]:
        guest = m.from_wire(GuestSpec, spec)
        m.check_version(guest.version)

        def run() -> GuestInfo:
            check_spec(guest)           # refused: told as a fault like any failed spawn
            return self._agent.driver.spawn(guest)

        return m.to_wire(self._do("spawn", guest.uuid, run))

    def destroy(self, uuid: str) -> None:
        self._do("destroy", uuid, lambda: self._agent.driver.destroy(uuid))

    def power_off(self, uuid: str, clean: bool = True,
                  timeout: float | None = None) -> dict[str, Any]:
        wait = self._agent.settings.compute.shutdown_timeout if timeout is None else timeout
        return self._info("power_off", uuid,
                          lambda d: d.power_off(uuid, bool(clean), float(wait)))

    def power_on(self, uuid: str) -> dict[str, Any]:
        return self._info("power_on", uuid, lambda d: d.power_on(uuid))

    def reboot(self, uuid: str, kind: str = "soft") -> dict[str, Any]:
        if kind not in m.REBOOT_KINDS:
            raise ValueError(f"reboot kind {kind!r} is not one of {m.REBOOT_KINDS}")
        wait = float(self._agent.settings.compute.reboot_timeout)
        return self._info("reboot", uuid, lambda d: d.reboot(uuid, kind, wait))

    def pause(self, uuid: str) -> dict[str, Any]:
        return self._info("pause", uuid, lambda d: d.pause(uuid))

    def unpause(self, uuid: str) -> dict[str, Any]:
        return self._info("unpause", uuid, lambda d: d.unpause(uuid))

    def suspend(self, uuid: str) -> dict[str, Any]:
        return self._info("suspend", uuid, lambda d: d.suspend(uuid))

    def resume(self, uuid: str) -> dict[str, Any]:
        return self._info("resume", uuid, lambda d: d.resume(uuid))

    def rescue(self, uuid: str, image: dict[str, Any],
               admin_password: str | None = None) -> dict[str, Any]:
        ref = m.from_wire(ImageRef, image)
        return self._info("rescue", uuid, lambda d: d.rescue(uuid, ref))

    def unrescue(self, uuid: str) -> dict[str, Any]:
        return self._info("unrescue", uuid, lambda d: d.unrescue(uuid))

    def snapshot(self, uuid: str, target: dict[str, Any]) -> dict[str, Any]:
        where = m.from_wire(SnapshotTarget, target)
        if not where.path and not where.upload_url:
            raise ValueError("a snapshot target needs a path or an upload_url")
        result = self._do("snapshot", uuid, lambda: self._agent.driver.snapshot(uuid, where))
        return m.to_wire(result)

    def resize(self, uuid: str, flavor: dict[str, Any]) -> dict[str, Any]:
        new = m.from_wire(Flavor, flavor)
        check_flavor(new)
        wait = float(self._agent.settings.compute.shutdown_timeout)
        return self._info("resize", uuid, lambda d: d.resize(uuid, new, wait))

    def confirm_resize(self, uuid: str) -> dict[str, Any]:
        return self._info("confirm_resize", uuid, lambda d: d.confirm_resize(uuid))

    def revert_resize(self, uuid: str) -> dict[str, Any]:
        wait = float(self._agent.settings.compute.shutdown_timeout)
        return self._info("revert_resize", uuid, lambda d: d.revert_resize(uuid, wait))

    def rebuild(self, uuid: str, image: dict[str, Any],
                config_drive: dict[str, Any] | None = None) -> dict[str, Any]:
        ref = m.from_wire(ImageRef, image)
        drive = m.from_wire(ConfigDrive, config_drive) if config_drive is not None else None
        wait = float(self._agent.settings.compute.shutdown_timeout)
        return self._info("rebuild", uuid, lambda d: d.rebuild(uuid, ref, drive, wait))

    def attach_interface(self, uuid: str, nic: dict[str, Any]) -> dict[str, Any]:
        new = m.from_wire(Nic, nic)
        check_nic(new)
        return self._info("attach_interface", uuid, lambda d: d.attach_interface(uuid, new))

    def detach_interface(self, uuid: str, port_id: str) -> dict[str, Any]:
        return self._info("detach_interface", uuid,
                          lambda d: d.detach_interface(uuid, port_id))

    def get_console_output(self, uuid: str, length: int | None = None) -> str:
        return self._agent.driver.console_output(uuid, None if length is None else int(length))

    def get_console(self, uuid: str, kind: str) -> dict[str, Any]:
        if kind not in m.CONSOLE_KINDS:
            raise ValueError(f"console kind {kind!r} is not one of {m.CONSOLE_KINDS}")
        return m.to_wire(self._agent.driver.console(uuid, kind))

    def get_diagnostics(self, uuid: str) -> dict[str, Any]:
        return m.to_wire(self._agent.driver.diagnostics(uuid))

    def list_guests(self) -> list[dict[str, Any]]:
        return [m.to_wire(g) for g in self._agent.driver.list_guests()]

    def _info(self, operation: str, uuid: str,
              run: Callable[[Driver], GuestInfo]) -> dict[str, Any]:
        info = self._do(operation, uuid, lambda: run(self._agent.driver))
        return m.to_wire(info)


class ComputeAgent:
    """One host's compute agent; ``start()`` / ``stop()``, threads inside."""

    def __init__(self, settings: Settings, bus: Bus, *, driver: Driver | None = None,
                 driver_name: str | None = None) -> None:
        self.settings, self.bus = settings, bus
        self.host = agent_host(settings)
        self.driver_name = driver_name or (driver.name if driver else choose_driver(settings)[0])
        self.driver = driver if driver is not None else build_driver(self.driver_name, settings)
        self.runner = LoopRunner(max_parallel=2)
        self.started_at = 0.0
        self.endpoint = ComputeEndpoint(self)
        self._consumers: list[Consumer] = []
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._known: dict[str, int] = {}         # uuid -> power state last told
        self._unknown_told: set[str] = set()

    # --- running ----------------------------------------------------------------------
    def start(self) -> None:
        self.started_at = time.time()
        # What the guests are now is told by the first power-state sync, once each: one
        # may have stopped while no agent was watching.
        found = self.driver.reattach()
        log.info("compute agent on host %s (pid %d): driver %s, %d guests found", self.host,
                 os.getpid(), self.driver.name, len(found))
        topic = m.agent_topic(self.host)
        self._consumers = [self.bus.serve(topic, self.endpoint) for _ in range(CONCURRENCY)]
        compute = self.settings.compute
        self.runner.add(_Task("compute-heartbeat", compute.report_interval, self.send_report))
        self.runner.add(_Task("compute-power-sync", compute.sync_power_state_interval,
                              self._power_sync_pass),
                        initial_delay=min(compute.sync_power_state_interval, 5.0))
        self.runner.start()

    def stop(self) -> None:
        """Stops serving; the guests keep running."""
        # Stopped together: the consumers share one queue, and each one's stop waits for
        # its own thread to take a stop marker that any of them may take.
        stoppers = [threading.Thread(target=c.stop, daemon=True) for c in self._consumers]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join(10.0)
        self._consumers = []
        self.runner.stop()
        self.driver.close()
        log.info("compute agent on host %s stopped", self.host)

    def _lock_of(self, uuid: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(uuid, threading.Lock())

    # --- operations -------------------------------------------------------------------
    def operate(self, operation: str, uuid: str, run: Callable[[], Any]) -> Any:
        """Run one operation on a guest (one at a time per guest) and tell the service
        how it ended with ``instance_update``; failures are raised to a caller too."""
        with self._lock_of(uuid):
            try:
                result = run()
            except Exception as e:
                self._tell_failure(operation, uuid, e)
                raise
            self._tell_success(operation, uuid, result)
            return result

    def _tell_success(self, operation: str, uuid: str, result: Any) -> None:
        if operation == "destroy":
            self._known.pop(uuid, None)
            self.instance_update(InstanceUpdate(uuid=uuid, host=self.host,
                                                power_state=m.NOSTATE, vm_state="deleted",
                                                clear_task_state=True))
            return
        info = result if isinstance(result, GuestInfo) else self._guest_or_none(uuid)
        if info is None:
            return
        self._known[uuid] = info.power_state
        self.instance_update(InstanceUpdate(uuid=uuid, host=self.host,
                                            power_state=info.power_state,
                                            vm_state=vm_state_for(operation, info),
                                            clear_task_state=True))

    def _tell_failure(self, operation: str, uuid: str, error: Exception) -> None:
        log.error("compute agent: %s of guest %s failed: %s", operation, uuid, error,
                  exc_info=not isinstance(error, DriverError))
        info = self._guest_or_none(uuid)
        power = info.power_state if info is not None else m.NOSTATE
        self.instance_update(InstanceUpdate(
            uuid=uuid, host=self.host, power_state=power,
            vm_state="error" if operation == "spawn" else None, clear_task_state=True,
            fault_message=f"{operation} failed: {error}"[:255],
            fault_details=f"{type(error).__name__}: {error}",
            fault_code=400 if isinstance(error, DriverError) else 500))

    def _guest_or_none(self, uuid: str) -> GuestInfo | None:
        try:
            return self.driver.guest(uuid)
        except Exception:  # noqa: BLE001 - a guest that is gone has no state to tell
            return None

    # --- casts to the service ---------------------------------------------------------
    def instance_update(self, update: InstanceUpdate) -> None:
        self._cast("instance_update", {"update": m.to_wire(update)})

    def _cast(self, method: str, payload: dict[str, Any]) -> None:
        try:
            self.bus.cast(m.PLUGIN_TOPIC, method, payload, version=m.VERSION)
        except Exception as e:  # noqa: BLE001 - the broker's errors are kombu's own
            log.warning("compute agent: cannot cast %s: %s", method, e)

    def report(self) -> HostReport:
        report = self.driver.host_report(self.host)
        c = self.settings.compute
        report.cpu_allocation_ratio = c.cpu_allocation_ratio
        report.ram_allocation_ratio = c.ram_allocation_ratio
        report.disk_allocation_ratio = c.disk_allocation_ratio
        report.reserved_host_memory_mb = c.reserved_host_memory_mb
        report.reserved_host_disk_mb = c.reserved_host_disk_mb
        report.reserved_host_cpus = c.reserved_host_cpus
        report.availability_zone = c.default_availability_zone
        report.started_at = self.started_at
        return report

    def send_report(self) -> None:
        self._cast("report_state", {"report": m.to_wire(self.report())})

    # --- the power-state sync ---------------------------------------------------------
    def sync_power_states(self) -> list[InstanceUpdate]:
        """Tell the service of every guest whose power state moved since last told, and of
        guests nobody asked for; what was told."""
        told: list[InstanceUpdate] = []
        for info in self.driver.list_guests():
            lock = self._lock_of(info.uuid)
            if not lock.acquire(blocking=False):
                continue  # an operation is under way: it tells the service itself
            try:
                if self._known.get(info.uuid) == info.power_state:
                    continue
                self._known[info.uuid] = info.power_state
                update = InstanceUpdate(uuid=info.uuid, host=self.host,
                                        power_state=info.power_state,
                                        vm_state=VM_STATE_OF.get(info.power_state))
                self.instance_update(update)
                told.append(update)
            finally:
                lock.release()
        self._tell_unknown()
        return told

    def _power_sync_pass(self) -> None:
        self.sync_power_states()

    def _tell_unknown(self) -> None:
        unknown = self.driver.unknown_guests()
        new = {g.uuid for g in unknown} - self._unknown_told
        self._unknown_told = {g.uuid for g in unknown}
        if new:
            log.warning("compute agent: %d QEMU guests on host %s were never asked for: %s",
                        len(unknown), self.host, ", ".join(sorted(new)))
            self._cast("guests_unknown", {"host": self.host,
                                          "guests": [m.to_wire(g) for g in unknown]})


def start_agent(settings: Settings, bus: Bus | None = None) -> ComputeAgent | None:
    """Start the agent the settings ask for, on ``bus`` (the process bus by default); None
    (and one log line saying why) when compute is off on this host."""
    driver, why = choose_driver(settings)
    if driver == "off":
        log.warning("compute agent: no hypervisor (%s); the API still runs", why)
        return None
    if bus is None:
        from nimbus.kernel.bus import bus_for

        bus = bus_for(settings)
    agent = ComputeAgent(settings, bus, driver_name=driver)
    agent.start()
    return agent


def run_until_signalled(settings: Settings) -> int:
    """`nimbus agent compute`: run the agent on the shared bus until SIGTERM or SIGINT; the
    exit status. The guests keep running after it."""
    from nimbus.kernel.bus import run_agent_until_signalled

    return run_agent_until_signalled("compute", start_agent, settings)


__all__ = ["ComputeAgent", "ComputeEndpoint", "UnsupportedVersion", "start_agent"]
