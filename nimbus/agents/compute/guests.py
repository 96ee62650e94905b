"""A QEMU guest on disk: its directory ``<instances_path>/<uuid>/``, the small JSON record
in it (``guest.json``: what a restarted agent needs to find and re-attach to the running
process, and to start it again), and the QEMU command line made from the record.

Files of a guest: ``disk`` (the root: a qcow2 overlay on the cached base), ``disk.eph<n>``
and ``disk.swap`` (qcow2), ``disk.config`` (the config drive ISO), ``disk.rescue`` (while
rescued), ``console.log`` (the serial console, bounded), ``serial.sock`` (the serial console
socket), ``qmp.sock``, ``qemu.pid`` and ``state.save`` (while suspended).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nimbus.agents.compute import messages as m
from nimbus.agents.compute.messages import GuestInfo, Nic
from nimbus.agents.compute.tools import ProcessTable, read_pidfile

RECORD = "guest.json"
UUID_RE = re.compile(r"^[0-9a-fA-F-]{32,36}$")
MIB = 1 << 20
GIB = 1 << 30


@dataclass
class GuestRecord:
    uuid: str
    name: str
    hostname: str
    vcpus: int
    memory_mb: int
    root_gb: int = 0
    ephemeral_gb: int = 0
    swap_mb: int = 0
    image_id: str = ""
    base_path: str = ""
    base_format: str = "qcow2"
    nics: list[dict[str, Any]] = field(default_factory=list)
    ephemerals: list[int] = field(default_factory=list)     # sizes in MiB, disk.eph<n>
    config_drive: bool = False
    machine: str = "pc"
    accel: str = "tcg"
    cpu_model: str = ""
    extra_args: list[str] = field(default_factory=list)
    # What the guest should be: running | stopped | suspended (a guest that shut itself
    # down is "running" here and SHUTDOWN in fact: the power-state sync tells the service).
    wanted: str = "running"
    rescued: bool = False
    rescue_base: str = ""
    rescue_format: str = "qcow2"
    created_at: float = 0.0

    def nic_list(self) -> list[Nic]:
        return [m.from_wire(Nic, n) for n in self.nics]


class GuestFiles:
    """The paths of one guest's directory."""

    def __init__(self, instances_path: Path, uuid: str) -> None:
        if not UUID_RE.match(uuid):
            raise ValueError(f"not an instance uuid: {uuid!r}")
        self.dir = instances_path / uuid
        self.record = self.dir / RECORD
        self.root = self.dir / "disk"
        self.swap = self.dir / "disk.swap"
        self.config = self.dir / "disk.config"
        self.rescue = self.dir / "disk.rescue"
        self.console = self.dir / "console.log"
        self.serial = self.dir / "serial.sock"
        self.qmp = self.dir / "qmp.sock"
        self.pidfile = self.dir / "qemu.pid"
        self.saved = self.dir / "state.save"

    def ephemeral(self, index: int) -> Path:
        return self.dir / f"disk.eph{index}"


def save_record(files: GuestFiles, record: GuestRecord) -> None:
    tmp = files.record.with_suffix(".tmp")
    tmp.write_text(json.dumps(dataclasses.asdict(record), indent=1, sort_keys=True))
    os.replace(tmp, files.record)


def load_record(files: GuestFiles) -> GuestRecord | None:
    try:
        data = json.loads(files.record.read_text())
    except (FileNotFoundError, ValueError):
        return None
    if not isinstance(data, dict) or not data.get("uuid"):
        return None
    names = {f.name for f in dataclasses.fields(GuestRecord)}
    return GuestRecord(**{k: v for k, v in data.items() if k in names})


def load_all(instances_path: Path) -> dict[str, GuestRecord]:
    """Every guest record under ``instances_path`` (the base image cache is skipped)."""
    found: dict[str, GuestRecord] = {}
    if not instances_path.is_dir():
        return found
    for entry in sorted(instances_path.iterdir()):
        if not entry.is_dir() or not UUID_RE.match(entry.name):
            continue
        record = load_record(GuestFiles(instances_path, entry.name))
        if record is not None and record.uuid == entry.name:
            found[record.uuid] = record
    return found


# --- finding the processes ------------------------------------------------------------


def guest_pid(files: GuestFiles, uuid: str, table: ProcessTable) -> int | None:
    """The running QEMU of this guest: the pidfile's process, if it is a QEMU with this
    uuid on its command line (a reused pid is not taken for the guest)."""
    pid = read_pidfile(files.pidfile)
    if pid is None:
        return None
    argv = table.cmdline(pid)
    if not argv or not Path(argv[0]).name.startswith("qemu-system"):
        return None
    return pid if _arg_after(argv, "-uuid") == uuid else None


def reattach_pids(instances_path: Path, records: dict[str, GuestRecord],
                  table: ProcessTable) -> dict[str, int | None]:
    """uuid -> the pid of its running QEMU, or None (not running)."""
    return {uuid: guest_pid(GuestFiles(instances_path, uuid), uuid, table)
            for uuid in records}


def unknown_processes(known_pids: set[int], table: ProcessTable) -> list[GuestInfo]:
    """QEMU processes on the host that are none of ours."""
    unknown = []
    for pid in sorted(set(table.qemu_pids()) - known_pids):
        argv = table.cmdline(pid) or []
        uuid = _arg_after(argv, "-uuid") or f"pid-{pid}"
        name = (_arg_after(argv, "-name") or "").removeprefix("guest=").split(",")[0]
        unknown.append(GuestInfo(uuid=uuid, power_state=m.RUNNING, name=name, pid=pid,
                                 status="unknown"))
    return unknown


def _arg_after(argv: list[str], flag: str) -> str | None:
    try:
        return argv[argv.index(flag) + 1]
    except (ValueError, IndexError):
        return None


# --- the command line -----------------------------------------------------------------


def nic_ids(port_id: str) -> tuple[str, str]:
    """(netdev id, device id) of a port's NIC."""
    return f"net-{port_id[:11]}", f"nic-{port_id[:11]}"


def nic_args(nic: Nic) -> list[str]:
    netdev, device = nic_ids(nic.port_id)
    return ["-netdev", f"tap,id={netdev},ifname={nic.device()},script=no,downscript=no",
            "-device", f"virtio-net-pci,netdev={netdev},id={device},mac={nic.mac}"
                       f",host_mtu={nic.mtu}"]


def _disk(path: Path, drive_id: str, fmt: str = "qcow2", boot: int | None = None,
          device: str = "virtio-blk-pci", readonly: bool = False) -> list[str]:
    drive = f"file={path},format={fmt},if=none,id={drive_id},discard=unmap"
    if readonly:
        drive += ",readonly=on"
    dev = f"{device},drive={drive_id},id=dev-{drive_id}"
    if boot is not None:
        dev += f",bootindex={boot}"
    return ["-drive", drive, "-device", dev]


def disk_args(files: GuestFiles, record: GuestRecord) -> list[str]:
    args: list[str] = []
    if record.rescued:
        args += _disk(files.rescue, "rescue", boot=1)
        args += _disk(files.root, "root", boot=2)
    else:
        args += _disk(files.root, "root", boot=1)
    for index in range(len(record.ephemerals)):
        args += _disk(files.ephemeral(index), f"eph{index}")
    if record.swap_mb:
        args += _disk(files.swap, "swap")
    if record.config_drive:
        args += _disk(files.config, "config", fmt="raw", device="ide-cd", readonly=True)
    return args


def qemu_argv(files: GuestFiles, record: GuestRecord, *, incoming: bool = False) -> list[str]:
    """The whole command line (without the binary) of a guest, started as a daemon."""
    cpu = record.cpu_model or ("host" if record.accel == "kvm" else "max")
    args = [
        "-name", f"guest={record.name},debug-threads=on", "-uuid", record.uuid,
        "-machine", f"{record.machine},accel={record.accel}", "-cpu", cpu,
        "-smp", str(record.vcpus), "-m", str(record.memory_mb),
        "-nodefaults", "-no-user-config", "-vga", "std",
        "-display", "none", "-vnc", "127.0.0.1:0,to=999",
        # Sockets by names relative to the guest's dir (QEMU's working directory while it
        # starts): a unix socket's path is limited to 107 bytes, instances paths are not.
        "-qmp", f"unix:{files.qmp.name},server=on,wait=off",
        "-chardev", f"socket,id=serial0,path={files.serial.name},server=on,wait=off"
                    f",logfile={files.console},logappend=on",
        "-serial", "chardev:serial0",
        "-device", "virtio-rng-pci",
        "-smbios", f"type=1,manufacturer=OpenStack Foundation,product=OpenStack Nova"
                   f",uuid={record.uuid},serial={record.uuid}",
        *disk_args(files, record),
    ]
    for nic in record.nic_list():
        args += nic_args(nic)
    args += list(record.extra_args)
    if incoming:
        args += ["-incoming", "defer"]
    return args + ["-pidfile", str(files.pidfile), "-daemonize"]


def trim_console(path: Path, max_bytes: int) -> bool:
    """Keep the last ``max_bytes`` of the console log (QEMU appends with O_APPEND, so it
    goes on writing at the new end); True when trimmed."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    if size <= max_bytes:
        return False
    with open(path, "r+b") as f:
        f.seek(size - max_bytes)
        tail = f.read(max_bytes)
        f.seek(0)
        f.write(tail)
        f.truncate(len(tail))
    return True


def sizes(record: GuestRecord) -> tuple[int, int]:
    """(root bytes, 0 for the image's own size; swap bytes)."""
    return record.root_gb * GIB, record.swap_mb * MIB
