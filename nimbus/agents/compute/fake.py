"""The fake hypervisor ([compute] driver = fake): guests are records in a JSON file of the
agent's state dir, with the same power-state transitions as the real driver and no process,
disk or device anywhere. For fast API tests and scale tests; a restarted agent finds its
guests again in the file, as the QEMU driver finds its running processes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from nimbus.agents.compute import messages as m
from nimbus.agents.compute.driver import (
    RESULT_STATE,
    Driver,
    DriverError,
    GuestExists,
    GuestNotFound,
    check_transition,
    tail_lines,
)
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

STATE_FILE = "fake-guests.json"
# What the fake host claims to have (os-hypervisors, Placement).
FAKE_VCPUS = 64
FAKE_MEMORY_MB = 262144
FAKE_LOCAL_GB = 4096
FAKE_TRAITS = ["COMPUTE_NET_VIF_MODEL_VIRTIO", "COMPUTE_NET_ATTACH_INTERFACE",
               "COMPUTE_RESCUE_BFV", "COMPUTE_DEVICE_TAGGING", "COMPUTE_NODE",
               "COMPUTE_IMAGE_TYPE_QCOW2", "COMPUTE_IMAGE_TYPE_RAW", "HW_CPU_X86_SSE42",
               "HW_CPU_X86_AVX2"]


class FakeDriver(Driver):
    name = "fake"

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        state_dir.mkdir(parents=True, exist_ok=True)
        self._file = state_dir / STATE_FILE
        self._lock = threading.RLock()
        self._guests: dict[str, dict[str, Any]] = self._load()
        # Operations done, in order: (operation, uuid), for tests to look at.
        self.calls: list[tuple[str, str]] = []

    # --- the file ---------------------------------------------------------------------
    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self._file.read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self) -> None:
        tmp = self._file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._guests, sort_keys=True))
        os.replace(tmp, self._file)

    def _get(self, uuid: str) -> dict[str, Any]:
        record = self._guests.get(uuid)
        if record is None:
            raise GuestNotFound(uuid)
        return record

    def _info(self, record: dict[str, Any]) -> GuestInfo:
        return GuestInfo(uuid=record["uuid"], power_state=record["power_state"],
                         name=record["name"], pid=None, vcpus=record["vcpus"],
                         memory_mb=record["memory_mb"], image_id=record["image_id"],
                         nics=[m.from_wire(Nic, n) for n in record["nics"]],
                         rescued=record["rescued"], status=record["status"])

    def _transition(self, uuid: str, operation: str, **changes: Any) -> GuestInfo:
        with self._lock:
            record = self._get(uuid)
            check_transition(uuid, operation, record["power_state"])
            state = RESULT_STATE.get(operation)
            if state is not None:
                record["power_state"] = state
                record["status"] = _status(state)
            record.update(changes)
            self.calls.append((operation, uuid))
            self._save()
            return self._info(record)

    # --- the host ---------------------------------------------------------------------
    def host_report(self, host: str) -> HostReport:
        with self._lock:
            guests = list(self._guests.values())
        active = [g for g in guests if g["power_state"] != m.SHUTDOWN]
        return HostReport(
            host=host, hypervisor_hostname=host, hypervisor_type="fake",
            hypervisor_version=1000, driver=self.name, vcpus=FAKE_VCPUS,
            memory_mb=FAKE_MEMORY_MB, local_gb=FAKE_LOCAL_GB,
            vcpus_used=sum(g["vcpus"] for g in guests),
            memory_mb_used=sum(g["memory_mb"] for g in guests),
            local_gb_used=sum(g["disk_gb"] for g in guests), running_vms=len(active),
            cpu_info={"arch": "x86_64", "model": "fake", "vendor": "Nimbus",
                      "topology": {"sockets": 1, "cores": FAKE_VCPUS, "threads": 1}},
            traits=list(FAKE_TRAITS),
            guests={g["uuid"]: g["power_state"] for g in guests})

    def list_guests(self) -> list[GuestInfo]:
        with self._lock:
            return [self._info(r) for r in self._guests.values()]

    def unknown_guests(self) -> list[GuestInfo]:
        return []

    def guest(self, uuid: str) -> GuestInfo:
        with self._lock:
            return self._info(self._get(uuid))

    # --- life cycle -------------------------------------------------------------------
    def spawn(self, spec: GuestSpec) -> GuestInfo:
        with self._lock:
            if spec.uuid in self._guests:
                raise GuestExists(spec.uuid)
            state = m.RUNNING if spec.start else m.SHUTDOWN
            flavor = spec.flavor
            self._guests[spec.uuid] = {
                "uuid": spec.uuid, "name": spec.name, "hostname": spec.hostname,
                "power_state": state, "status": _status(state), "vcpus": flavor.vcpus,
                "memory_mb": flavor.memory_mb,
                "disk_gb": flavor.root_gb + flavor.ephemeral_gb,
                "image_id": spec.image.id, "nics": [m.to_wire(n) for n in spec.nics],
                "rescued": False, "created_at": time.time(),
                "config_drive": spec.config_drive is not None,
                "console": f"nimbus-guest: hostname {spec.hostname}\nnimbus-guest: up\n",
            }
            self.calls.append(("spawn", spec.uuid))
            self._save()
            return self._info(self._guests[spec.uuid])

    def destroy(self, uuid: str) -> None:
        with self._lock:
            if self._guests.pop(uuid, None) is not None:
                self.calls.append(("destroy", uuid))
                self._save()

    def power_off(self, uuid: str, clean: bool, timeout: float) -> GuestInfo:
        return self._transition(uuid, "power_off")

    def power_on(self, uuid: str) -> GuestInfo:
        return self._transition(uuid, "power_on")

    def reboot(self, uuid: str, kind: str, timeout: float) -> GuestInfo:
        return self._transition(uuid, "reboot")

    def pause(self, uuid: str) -> GuestInfo:
        return self._transition(uuid, "pause")

    def unpause(self, uuid: str) -> GuestInfo:
        return self._transition(uuid, "unpause")

    def suspend(self, uuid: str) -> GuestInfo:
        return self._transition(uuid, "suspend")

    def resume(self, uuid: str) -> GuestInfo:
        return self._transition(uuid, "resume")

    def rescue(self, uuid: str, image: ImageRef) -> GuestInfo:
        return self._transition(uuid, "rescue", rescued=True)

    def unrescue(self, uuid: str) -> GuestInfo:
        with self._lock:
            if not self._get(uuid)["rescued"]:
                raise_not_rescued(uuid)
            return self._transition(uuid, "unrescue", rescued=False)

    def snapshot(self, uuid: str, target: SnapshotTarget) -> SnapshotResult:
        with self._lock:
            self._transition(uuid, "snapshot")
            data = f"fake snapshot of {uuid}\n".encode()
        if target.path:
            Path(target.path).write_bytes(data)
        return SnapshotResult(size=len(data), path=target.path,
                              checksum=hashlib.md5(data, usedforsecurity=False).hexdigest(),
                              os_hash_value=hashlib.sha512(data).hexdigest())

    def resize(self, uuid: str, flavor: Flavor, timeout: float) -> GuestInfo:
        return self._transition(uuid, "resize", vcpus=flavor.vcpus,
                                memory_mb=flavor.memory_mb,
                                disk_gb=flavor.root_gb + flavor.ephemeral_gb)

    def rebuild(self, uuid: str, image: ImageRef, config_drive: ConfigDrive | None,
                timeout: float) -> GuestInfo:
        return self._transition(uuid, "rebuild", image_id=image.id)

    def attach_interface(self, uuid: str, nic: Nic) -> GuestInfo:
        with self._lock:
            nics = [n for n in self._get(uuid)["nics"] if n["port_id"] != nic.port_id]
            return self._transition(uuid, "attach_interface", nics=[*nics, m.to_wire(nic)])

    def detach_interface(self, uuid: str, port_id: str) -> GuestInfo:
        with self._lock:
            nics = [n for n in self._get(uuid)["nics"] if n["port_id"] != port_id]
            return self._transition(uuid, "detach_interface", nics=nics)

    # --- looking at a guest -----------------------------------------------------------
    def console_output(self, uuid: str, length: int | None) -> str:
        with self._lock:
            return tail_lines(self._get(uuid)["console"], length)

    def console(self, uuid: str, kind: str) -> ConsoleInfo:
        with self._lock:
            self._get(uuid)
        if kind == "serial":
            return ConsoleInfo(kind=kind, host="127.0.0.1", port=10000)
        return ConsoleInfo(kind=kind, host="127.0.0.1", port=5900)

    def diagnostics(self, uuid: str) -> Diagnostics:
        with self._lock:
            r = dataclasses.replace(self.guest(uuid))
            created = self._get(uuid)["created_at"]
        return Diagnostics(state=_diag_state(r.power_state), driver="fake",
                           hypervisor="fake", uptime=int(time.time() - created),
                           num_cpus=r.vcpus, num_nics=len(r.nics), num_disks=1,
                           memory_details={"maximum": r.memory_mb, "used": 0},
                           cpu_details=[{"id": i, "time": 0, "utilisation": None}
                                        for i in range(r.vcpus)],
                           nic_details=[{"mac_address": n.mac} for n in r.nics])


def raise_not_rescued(uuid: str) -> None:
    raise DriverError(f"guest {uuid} is not in rescue mode")


def _status(power_state: int) -> str:
    return {m.RUNNING: "running", m.PAUSED: "paused", m.SHUTDOWN: "shutdown",
            m.SUSPENDED: "suspended", m.CRASHED: "guest-panicked"}.get(power_state, "")


def _diag_state(power_state: int) -> str:
    return {m.RUNNING: "running", m.PAUSED: "paused", m.SHUTDOWN: "shutdown",
            m.SUSPENDED: "suspended", m.CRASHED: "crashed"}.get(power_state, "pending")
