"""The QEMU driver ([compute] driver = qemu): each guest a ``qemu-system-x86_64`` daemon of
its own (``-daemonize``, its own session: guests keep running when the agent or Nimbus
stops), driven over QMP, its files in ``<instances_path>/<uuid>/`` (``guests.py``).

* Accelerator: kvm when /dev/kvm really makes a VM, tcg otherwise ([compute] accelerator).
* Disks: the root is a qcow2 overlay on the image cached once per host (``images.py``);
  ephemeral and swap disks are blank qcow2; the config drive an ISO labelled config-2
  (``configdrive.py``). All virtio-blk but the config drive (an IDE CD-ROM, as Nova's).
* NICs: virtio-net on a tap ``tap<port_id[:11]>`` QEMU opens with the port's MAC; the
  network agent plugs any such tap into its network's bridge. The tap goes with the process.
* Consoles: the serial port is a unix socket (``serial.sock``) logged to ``console.log``
  (bounded to [compute] console_log_max_bytes by the power-state sync); VNC on 127.0.0.1,
  the first free display.
* Power: off = ACPI power button, the process ends with the guest (then QMP ``quit``, then
  SIGKILL); a hard reboot is a fresh process on the same disks; suspend saves the state to
  ``state.save`` by migration and ends the process; resume starts one that takes it back.
* A restarted agent re-attaches to each guest's running QEMU through its pidfile and QMP
  socket; QEMU processes that are none of its guests are reported, never touched.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import httpx

from nimbus.agents.compute import configdrive, guests, hostinfo, tools
from nimbus.agents.compute import messages as m
from nimbus.agents.compute.driver import (
    Driver,
    DriverError,
    GuestExists,
    GuestNotFound,
    check_transition,
    tail_lines,
)
from nimbus.agents.compute.guests import GIB, MIB, GuestFiles, GuestRecord
from nimbus.agents.compute.images import ImageCache
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
from nimbus.agents.compute.qmp import Monitor, QmpError
from nimbus.config import ComputeSettings

# QMP run states -> Nova power states.
STATUS_POWER = {
    "running": m.RUNNING, "paused": m.PAUSED, "suspended": m.PAUSED,
    "prelaunch": m.PAUSED, "inmigrate": m.PAUSED, "postmigrate": m.PAUSED,
    "finish-migrate": m.PAUSED, "save-vm": m.PAUSED, "restore-vm": m.PAUSED,
    "debug": m.PAUSED, "watchdog": m.PAUSED, "colo": m.PAUSED,
    "shutdown": m.SHUTDOWN, "guest-panicked": m.CRASHED, "internal-error": m.CRASHED,
    "io-error": m.PAUSED,
}
KILL_WAIT = 10.0
MIGRATE_TIMEOUT = 300.0
DETACH_TIMEOUT = 20.0
UPLOAD_TIMEOUT = httpx.Timeout(30.0, write=600.0, read=300.0)


class QemuDriver(Driver):
    name = "qemu"

    def __init__(self, instances_path: Path, options: ComputeSettings | None = None, *,
                 table: tools.ProcessTable | None = None) -> None:
        self.path = instances_path
        self.options = options or ComputeSettings()
        self.table = table or tools.ProcTable()
        self.images = ImageCache(instances_path)
        self.accel = self._accelerator()
        self._records: dict[str, GuestRecord] = {}
        self._last: dict[str, tuple[int, str]] = {}
        self._locks: dict[str, threading.RLock] = {}
        self._guard = threading.Lock()
        instances_path.mkdir(parents=True, exist_ok=True)

    def _accelerator(self) -> str:
        chosen = self.options.accelerator
        if chosen in ("kvm", "tcg"):
            return chosen
        return "kvm" if tools.kvm_works() else "tcg"

    # --- bookkeeping ------------------------------------------------------------------
    def _lock(self, uuid: str) -> threading.RLock:
        with self._guard:
            return self._locks.setdefault(uuid, threading.RLock())

    def _files(self, uuid: str) -> GuestFiles:
        try:
            return GuestFiles(self.path, uuid)
        except ValueError as e:
            raise GuestNotFound(uuid) from e

    def _record(self, uuid: str) -> GuestRecord:
        record = self._records.get(uuid)
        if record is None:
            raise GuestNotFound(uuid)
        return record

    def _save(self, record: GuestRecord) -> None:
        guests.save_record(self._files(record.uuid), record)
        self._records[record.uuid] = record

    def _pid(self, uuid: str) -> int | None:
        return guests.guest_pid(self._files(uuid), uuid, self.table)

    def _power(self, uuid: str) -> tuple[int, str]:
        """(power state, QEMU's status) now."""
        record = self._record(uuid)
        files = self._files(uuid)
        if self._pid(uuid) is None:
            if record.wanted == "suspended" and files.saved.exists():
                return m.SUSPENDED, "saved"
            return m.SHUTDOWN, "shutdown"
        try:
            with Monitor(files.qmp, timeout=5.0) as mon:
                status = str(mon.cmd("query-status").get("status", ""))
        except QmpError:
            return m.NOSTATE, "unreachable"
        return STATUS_POWER.get(status, m.NOSTATE), status

    def _info(self, uuid: str, power: tuple[int, str] | None = None) -> GuestInfo:
        record = self._record(uuid)
        state, status = power or self._power(uuid)
        self._last[uuid] = (state, status)
        return GuestInfo(uuid=uuid, power_state=state, name=record.name, pid=self._pid(uuid),
                         vcpus=record.vcpus, memory_mb=record.memory_mb,
                         image_id=record.image_id, nics=record.nic_list(),
                         rescued=record.rescued, status=status)

    # --- the host ---------------------------------------------------------------------
    def reattach(self) -> list[GuestInfo]:
        self._records = guests.load_all(self.path)
        return self.list_guests()

    def guest(self, uuid: str) -> GuestInfo:
        with self._lock(uuid):
            return self._info(uuid)

    def list_guests(self) -> list[GuestInfo]:
        found = []
        for uuid in list(self._records):
            lock = self._lock(uuid)
            if lock.acquire(blocking=False):
                try:
                    if uuid in self._records:
                        found.append(self._info(uuid))
                finally:
                    lock.release()
            elif uuid in self._last:   # busy: an operation tells its own result
                found.append(self._info_cached(uuid))
        return found

    def _info_cached(self, uuid: str) -> GuestInfo:
        record = self._record(uuid)
        state, status = self._last[uuid]
        return GuestInfo(uuid=uuid, power_state=state, name=record.name, vcpus=record.vcpus,
                         memory_mb=record.memory_mb, image_id=record.image_id,
                         nics=record.nic_list(), rescued=record.rescued, status=status)

    def unknown_guests(self) -> list[GuestInfo]:
        ours = {pid for uuid in list(self._records) if (pid := self._pid(uuid)) is not None}
        return guests.unknown_processes(ours, self.table)

    def trim_consoles(self) -> None:
        for uuid in list(self._records):
            guests.trim_console(self._files(uuid).console, self.options.console_log_max_bytes)

    def host_report(self, host: str) -> HostReport:
        records = list(self._records.values())
        major, minor, micro = tools.version()
        running = [r for r in records if self._pid(r.uuid) is not None]
        self.trim_consoles()
        return HostReport(
            host=host, hypervisor_hostname=host, hypervisor_type="QEMU",
            hypervisor_version=major * 1000000 + minor * 1000 + micro, driver=self.name,
            vcpus=os.cpu_count() or 1, memory_mb=hostinfo.memory_mb(),
            local_gb=hostinfo.disk_gb(self.path),
            vcpus_used=sum(r.vcpus for r in records),
            memory_mb_used=sum(r.memory_mb for r in records),
            local_gb_used=sum(r.root_gb + r.ephemeral_gb for r in records),
            running_vms=len(running), cpu_info=hostinfo.cpu_info(),
            traits=hostinfo.traits(),
            guests={uuid: state for uuid, (state, _) in self._last.items()})

    # --- processes --------------------------------------------------------------------
    def _launch(self, record: GuestRecord, *, incoming: bool = False) -> None:
        files = self._files(record.uuid)
        for stale in (files.qmp, files.serial, files.pidfile):
            stale.unlink(missing_ok=True)
        tools.start_qemu(guests.qemu_argv(files, record, incoming=incoming), files.dir)
        if self._pid(record.uuid) is None:
            raise DriverError(f"guest {record.uuid}: QEMU started but left no process")
        for nic in record.nic_list():
            self._tap_up(nic)

    def _tap_up(self, nic: Nic) -> None:
        from nimbus.agents.network import ip

        try:
            ip.set_link(nic.device(), mtu=nic.mtu, up=True)
        except ip.IpError as e:
            raise DriverError(f"tap {nic.device()}: {e}") from e

    def _wait_gone(self, uuid: str, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._pid(uuid) != pid:
                return True
            time.sleep(0.2)
        return self._pid(uuid) != pid

    def _stop(self, uuid: str, clean: bool, timeout: float) -> None:
        """End the guest's process: ACPI first when ``clean``, then quit, then SIGKILL."""
        pid = self._pid(uuid)
        if pid is None:
            return
        files = self._files(uuid)
        if clean and timeout > 0:
            try:
                with Monitor(files.qmp) as mon:
                    mon.cmd("system_powerdown")
            except QmpError:
                pass
            if self._wait_gone(uuid, pid, timeout):
                return
        try:
            with Monitor(files.qmp, timeout=5.0) as mon:
                mon.cmd("quit")
        except QmpError:
            pass
        if self._wait_gone(uuid, pid, KILL_WAIT):
            return
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        if not self._wait_gone(uuid, pid, KILL_WAIT):
            raise DriverError(f"guest {uuid}: QEMU (pid {pid}) does not die")

    def _checked(self, uuid: str, operation: str) -> GuestRecord:
        record = self._record(uuid)
        check_transition(uuid, operation, self._power(uuid)[0])
        return record

    # --- life cycle -------------------------------------------------------------------
    def spawn(self, spec: GuestSpec) -> GuestInfo:
        files = self._files(spec.uuid)
        with self._lock(spec.uuid):
            if spec.uuid in self._records or files.dir.exists():
                raise GuestExists(spec.uuid)
            files.dir.mkdir(mode=0o700, parents=True)
            try:
                record = self._make_disks(spec, files)
                self._save(record)
                if spec.start:
                    self._launch(record)
            except BaseException:
                self._discard(spec.uuid)
                raise
            return self._info(spec.uuid)

    def _make_disks(self, spec: GuestSpec, files: GuestFiles) -> GuestRecord:
        base, fmt = self.images.get(spec.image)
        flavor = spec.flavor
        tools.create_overlay(files.root, base, fmt, self._root_size(base, fmt, flavor.root_gb))
        ephemerals = [d.size_mb for d in spec.block_devices if d.kind == "ephemeral"]
        if not ephemerals and flavor.ephemeral_gb:
            ephemerals = [flavor.ephemeral_gb * 1024]
        for index, size_mb in enumerate(ephemerals):
            tools.create_blank(files.ephemeral(index), size_mb * MIB)
        swaps = [d.size_mb for d in spec.block_devices if d.kind == "swap"]
        swap_mb = swaps[0] if swaps else flavor.swap_mb
        if swap_mb:
            tools.create_blank(files.swap, swap_mb * MIB)
        if spec.config_drive is not None:
            configdrive.build(spec.config_drive, files.config)
        q = spec.qemu
        return GuestRecord(
            uuid=spec.uuid, name=spec.name, hostname=spec.hostname, vcpus=flavor.vcpus,
            memory_mb=flavor.memory_mb, root_gb=flavor.root_gb,
            ephemeral_gb=flavor.ephemeral_gb, swap_mb=swap_mb, image_id=spec.image.id,
            base_path=str(base), base_format=fmt, nics=[m.to_wire(n) for n in spec.nics],
            ephemerals=ephemerals, config_drive=spec.config_drive is not None,
            machine=q.machine or "pc", accel=self.accel if q.accel in ("", "auto") else q.accel,
            cpu_model=q.cpu_model, extra_args=list(q.extra_args),
            wanted="running" if spec.start else "stopped", created_at=time.time())

    def _root_size(self, base: Path, fmt: str, root_gb: int) -> int:
        """Bytes of a root overlay: the flavor's disk, or the image's own size if larger."""
        wanted = root_gb * GIB
        if not wanted:
            return 0
        own = int(tools.info(base, fmt=fmt).get("virtual-size", 0))
        return wanted if wanted > own else 0

    def _discard(self, uuid: str) -> None:
        try:
            self._stop(uuid, clean=False, timeout=0)
        except DriverError:
            pass
        shutil.rmtree(self._files(uuid).dir, ignore_errors=True)
        self._records.pop(uuid, None)
        self._last.pop(uuid, None)

    def destroy(self, uuid: str) -> None:
        with self._lock(uuid):
            if uuid not in self._records and not self._files(uuid).dir.exists():
                return
            if uuid not in self._records:
                record = guests.load_record(self._files(uuid))
                if record is None:
                    return
                self._records[uuid] = record
            self._stop(uuid, clean=False, timeout=0)
            self._discard(uuid)

    def power_off(self, uuid: str, clean: bool, timeout: float) -> GuestInfo:
        with self._lock(uuid):
            record = self._checked(uuid, "power_off")
            self._stop(uuid, clean, timeout)
            record.wanted = "stopped"
            self._save(record)
            return self._info(uuid)

    def power_on(self, uuid: str) -> GuestInfo:
        with self._lock(uuid):
            record = self._checked(uuid, "power_on")
            record.wanted = "running"
            self._save(record)
            if self._pid(uuid) is None:
                self._launch(record)
            return self._info(uuid)

    def reboot(self, uuid: str, kind: str, timeout: float) -> GuestInfo:
        with self._lock(uuid):
            record = self._checked(uuid, "reboot")
            pid = self._pid(uuid)
            if kind == "soft" and pid is not None and self._power(uuid)[0] == m.RUNNING:
                self._stop(uuid, clean=True, timeout=timeout)   # hard after the timeout
            else:
                self._stop(uuid, clean=False, timeout=0)
            record.wanted = "running"
            self._save(record)
            self._launch(record)
            return self._info(uuid)

    def pause(self, uuid: str) -> GuestInfo:
        return self._qmp_op(uuid, "pause", "stop")

    def unpause(self, uuid: str) -> GuestInfo:
        return self._qmp_op(uuid, "unpause", "cont")

    def _qmp_op(self, uuid: str, operation: str, command: str) -> GuestInfo:
        with self._lock(uuid):
            self._checked(uuid, operation)
            with Monitor(self._files(uuid).qmp) as mon:
                mon.cmd(command)
            return self._info(uuid)

    def suspend(self, uuid: str) -> GuestInfo:
        with self._lock(uuid):
            record = self._checked(uuid, "suspend")
            files = self._files(uuid)
            if self._pid(uuid) is not None:
                files.saved.unlink(missing_ok=True)
                with Monitor(files.qmp) as mon:
                    mon.cmd("stop")
                    mon.cmd("migrate", uri=f"exec:cat > {files.saved}")
                    self._wait_migration(mon, uuid)
                    record.wanted = "suspended"
                    self._save(record)
                    mon.cmd("quit")
                self._stop(uuid, clean=False, timeout=0)
            return self._info(uuid)

    def _wait_migration(self, mon: Monitor, uuid: str) -> None:
        deadline = time.monotonic() + MIGRATE_TIMEOUT
        while time.monotonic() < deadline:
            state = mon.cmd("query-migrate")
            status = state.get("status") if isinstance(state, dict) else None
            if status == "completed":
                return
            if status in ("failed", "cancelled"):
                raise DriverError(f"guest {uuid}: saving its state {status}: "
                                  f"{state.get('error-desc', '')}")
            time.sleep(0.2)
        raise DriverError(f"guest {uuid}: saving its state took over {MIGRATE_TIMEOUT:g} s")

    def resume(self, uuid: str) -> GuestInfo:
        with self._lock(uuid):
            record = self._checked(uuid, "resume")
            files = self._files(uuid)
            if self._pid(uuid) is None:
                self._launch(record, incoming=True)
                with Monitor(files.qmp) as mon:
                    mon.cmd("migrate-incoming", uri=f"exec:cat {files.saved}")
                    self._wait_incoming(mon, uuid)
                files.saved.unlink(missing_ok=True)
            record.wanted = "running"
            self._save(record)
            return self._info(uuid)

    def _wait_incoming(self, mon: Monitor, uuid: str) -> None:
        deadline = time.monotonic() + MIGRATE_TIMEOUT
        while time.monotonic() < deadline:
            status = mon.cmd("query-status").get("status")
            if status == "running":
                return
            if status not in ("inmigrate", "prelaunch"):
                mon.cmd("cont")
                return
            time.sleep(0.2)
        raise DriverError(f"guest {uuid}: restoring its state took over {MIGRATE_TIMEOUT:g} s")

    def rescue(self, uuid: str, image: ImageRef) -> GuestInfo:
        with self._lock(uuid):
            record = self._checked(uuid, "rescue")
            base, fmt = self.images.get(image)
            files = self._files(uuid)
            self._stop(uuid, clean=False, timeout=0)
            files.rescue.unlink(missing_ok=True)
            tools.create_overlay(files.rescue, base, fmt)
            record.rescued, record.rescue_base, record.rescue_format = True, str(base), fmt
            record.wanted = "running"
            self._save(record)
            self._launch(record)
            return self._info(uuid)

    def unrescue(self, uuid: str) -> GuestInfo:
        with self._lock(uuid):
            record = self._checked(uuid, "unrescue")
            if not record.rescued:
                raise DriverError(f"guest {uuid} is not in rescue mode")
            self._stop(uuid, clean=False, timeout=0)
            self._files(uuid).rescue.unlink(missing_ok=True)
            record.rescued, record.rescue_base = False, ""
            record.wanted = "running"
            self._save(record)
            self._launch(record)
            return self._info(uuid)

    def snapshot(self, uuid: str, target: SnapshotTarget) -> SnapshotResult:
        with self._lock(uuid):
            self._checked(uuid, "snapshot")
            files = self._files(uuid)
            out = Path(target.path) if target.path else files.dir / "snapshot.qcow2"
            out.unlink(missing_ok=True)
            try:
                self._convert_root(uuid, files, out)
                result = _digest(out, target)
                if target.upload_url:
                    _upload(out, target)
            finally:
                if not target.path:
                    out.unlink(missing_ok=True)
            return result

    def _convert_root(self, uuid: str, files: GuestFiles, out: Path) -> None:
        """A standalone qcow2 of the root; a running guest is paused for the copy."""
        if self._pid(uuid) is None:
            tools.convert(files.root, out)
            return
        with Monitor(files.qmp) as mon:
            was_running = mon.cmd("query-status").get("status") == "running"
            if was_running:
                mon.cmd("stop")
            try:
                tools.convert(files.root, out, force_share=True)
            finally:
                if was_running:
                    mon.cmd("cont")

    def resize(self, uuid: str, flavor: Flavor, timeout: float) -> GuestInfo:
        with self._lock(uuid):
            record = self._checked(uuid, "resize")
            files = self._files(uuid)
            was_running = self._pid(uuid) is not None
            self._stop(uuid, clean=True, timeout=timeout)
            if flavor.root_gb > record.root_gb:
                tools.resize(files.root, flavor.root_gb * GIB)
            if record.ephemerals and flavor.ephemeral_gb * 1024 > record.ephemerals[0]:
                tools.resize(files.ephemeral(0), flavor.ephemeral_gb * GIB)
                record.ephemerals[0] = flavor.ephemeral_gb * 1024
            elif not record.ephemerals and flavor.ephemeral_gb:
                tools.create_blank(files.ephemeral(0), flavor.ephemeral_gb * GIB)
                record.ephemerals = [flavor.ephemeral_gb * 1024]
            if flavor.swap_mb and not record.swap_mb:
                tools.create_blank(files.swap, flavor.swap_mb * MIB)
                record.swap_mb = flavor.swap_mb
            record.vcpus, record.memory_mb = flavor.vcpus, flavor.memory_mb
            record.root_gb = max(record.root_gb, flavor.root_gb)
            record.ephemeral_gb = max(record.ephemeral_gb, flavor.ephemeral_gb)
            self._save(record)
            if was_running:
                self._launch(record)
            return self._info(uuid)

    def rebuild(self, uuid: str, image: ImageRef, config_drive: ConfigDrive | None,
                timeout: float) -> GuestInfo:
        with self._lock(uuid):
            record = self._checked(uuid, "rebuild")
            files = self._files(uuid)
            was_running = record.wanted == "running"
            base, fmt = self.images.get(image)
            self._stop(uuid, clean=True, timeout=timeout)
            files.root.unlink(missing_ok=True)
            tools.create_overlay(files.root, base, fmt, self._root_size(base, fmt,
                                                                          record.root_gb))
            if config_drive is not None:
                configdrive.build(config_drive, files.config)
                record.config_drive = True
            record.image_id, record.base_path, record.base_format = image.id, str(base), fmt
            record.rescued = False
            self._save(record)
            if was_running:
                self._launch(record)
            return self._info(uuid)

    def attach_interface(self, uuid: str, nic: Nic) -> GuestInfo:
        with self._lock(uuid):
            record = self._checked(uuid, "attach_interface")
            if any(n.port_id == nic.port_id for n in record.nic_list()):
                raise DriverError(f"guest {uuid} already has port {nic.port_id}")
            netdev, device = guests.nic_ids(nic.port_id)
            with Monitor(self._files(uuid).qmp) as mon:
                mon.cmd("netdev_add", type="tap", id=netdev, ifname=nic.device(),
                        script="no", downscript="no")
                try:
                    mon.cmd("device_add", driver="virtio-net-pci", netdev=netdev, id=device,
                            mac=nic.mac, host_mtu=nic.mtu)
                except QmpError:
                    mon.cmd("netdev_del", id=netdev)
                    raise
            self._tap_up(nic)
            record.nics.append(m.to_wire(nic))
            self._save(record)
            return self._info(uuid)

    def detach_interface(self, uuid: str, port_id: str) -> GuestInfo:
        with self._lock(uuid):
            record = self._checked(uuid, "detach_interface")
            if not any(n.port_id == port_id for n in record.nic_list()):
                raise DriverError(f"guest {uuid} has no port {port_id}")
            netdev, device = guests.nic_ids(port_id)
            with Monitor(self._files(uuid).qmp, timeout=DETACH_TIMEOUT + 5) as mon:
                mon.cmd("device_del", id=device)
                if mon.wait_event("DEVICE_DELETED", DETACH_TIMEOUT, {"device": device}) is None:
                    raise DriverError(f"guest {uuid} did not release port {port_id} within "
                                      f"{DETACH_TIMEOUT:g} s")
                mon.cmd("netdev_del", id=netdev)
            record.nics = [n for n in record.nics if n.get("port_id") != port_id]
            self._save(record)
            return self._info(uuid)

    # --- looking at a guest -----------------------------------------------------------
    def console_output(self, uuid: str, length: int | None) -> str:
        self._record(uuid)
        try:
            data = self._files(uuid).console.read_bytes()
        except FileNotFoundError:
            return ""
        limit = self.options.console_log_max_bytes
        return tail_lines(data[-limit:].decode(errors="replace"), length)

    def console(self, uuid: str, kind: str) -> ConsoleInfo:
        with self._lock(uuid):
            self._record(uuid)
            files = self._files(uuid)
            if self._pid(uuid) is None:
                raise DriverError(f"guest {uuid} is not running: no console")
            if kind == "serial":
                return ConsoleInfo(kind="serial", path=str(files.serial))
            with Monitor(files.qmp) as mon:
                vnc = mon.cmd("query-vnc")
            if not vnc.get("enabled"):
                raise DriverError(f"guest {uuid} has no VNC server")
            return ConsoleInfo(kind="novnc", host=str(vnc.get("host", "127.0.0.1")),
                               port=int(vnc["service"]))

    def diagnostics(self, uuid: str) -> Diagnostics:
        with self._lock(uuid):
            info = self._info(uuid)
            record = self._record(uuid)
            pid = info.pid
            uptime = tools.process_start_time(pid) if pid is not None else None
            disks, cpus = self._stats(uuid) if pid is not None else ([], [])
            return Diagnostics(
                state=_diag_state(info.power_state), driver="libvirt", hypervisor="qemu",
                uptime=int(uptime) if uptime is not None else None,
                config_drive=record.config_drive, num_cpus=record.vcpus,
                num_nics=len(record.nics), num_disks=len(disks) or 1,
                memory_details={"maximum": record.memory_mb, "used": record.memory_mb},
                cpu_details=cpus or [{"id": i, "time": None, "utilisation": None}
                                     for i in range(record.vcpus)],
                nic_details=[{"mac_address": n.mac, "rx_octets": None, "tx_octets": None}
                             for n in record.nic_list()],
                disk_details=disks)

    def _stats(self, uuid: str) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        with Monitor(self._files(uuid).qmp, timeout=5.0) as mon:
            blocks = mon.cmd("query-blockstats")
            cpus = mon.cmd("query-cpus-fast")
        disks = [{"read_bytes": b["stats"].get("rd_bytes"),
                  "read_requests": b["stats"].get("rd_operations"),
                  "write_bytes": b["stats"].get("wr_bytes"),
                  "write_requests": b["stats"].get("wr_operations"), "errors_count": 0}
                 for b in blocks if b.get("device") or b.get("qdev")]
        return disks, [{"id": c.get("cpu-index"), "time": None, "utilisation": None}
                       for c in cpus]


def _diag_state(power_state: int) -> str:
    return {m.RUNNING: "running", m.PAUSED: "paused", m.SHUTDOWN: "shutdown",
            m.SUSPENDED: "suspended", m.CRASHED: "crashed"}.get(power_state, "pending")


def _digest(path: Path, target: SnapshotTarget) -> SnapshotResult:
    md5, sha = hashlib.md5(usedforsecurity=False), hashlib.sha512()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            md5.update(chunk)
            sha.update(chunk)
    return SnapshotResult(size=path.stat().st_size, path=target.path,
                          checksum=md5.hexdigest(), os_hash_value=sha.hexdigest())


def _upload(path: Path, target: SnapshotTarget) -> None:
    headers = {"Content-Type": "application/octet-stream"}
    if target.auth_token:
        headers["X-Auth-Token"] = target.auth_token

    def body() -> object:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                yield chunk

    try:
        answer = httpx.put(target.upload_url, content=body(), headers=headers,  # type: ignore[arg-type]
                           timeout=UPLOAD_TIMEOUT)
    except httpx.HTTPError as e:
        raise DriverError(f"PUT {target.upload_url}: {e}") from e
    if answer.status_code >= 300:
        raise DriverError(f"PUT {target.upload_url}: HTTP {answer.status_code} "
                          f"{answer.text[:200]}")
