"""The compute agent's contract: what it is sent, what it reports.

Plain dataclasses with a version each, turned into dicts for the bus by ``to_wire`` and back
by ``from_wire`` (the network agent's helpers: unknown keys are ignored, nested dataclasses
are named in ``NESTED``). The compute service imports this module to send; the agent imports
no service and no model, and never opens the database: a ``GuestSpec`` carries everything a
spawn needs.

Topics and methods (every payload also travels with the bus envelope's version, ``VERSION``):

* ``compute-agent.<host>`` (served by the agent of that host; the service *calls* them, each
  answers when the work is done, or raises — the caller gets ``RemoteError`` with the
  agent's message; long ones are worth a generous timeout). ``uuid`` is the instance's.
  - ``spawn(spec: GuestSpec)`` -> ``GuestInfo``: disks, config drive, taps, QEMU started.
  - ``destroy(uuid)`` -> None: process, taps, disks, sockets gone (an unknown uuid is fine).
  - ``power_off(uuid, clean=True, timeout=None)`` -> ``GuestInfo``: ACPI shutdown, waiting
    ``timeout`` ([compute] shutdown_timeout when None), then the power is cut.
    ``clean=False`` cuts it at once.
  - ``power_on(uuid)`` -> ``GuestInfo``.
  - ``reboot(uuid, kind="soft")`` -> ``GuestInfo``: ``soft`` = ACPI shutdown, then a hard
    reboot after [compute] reboot_timeout if the guest has not gone down; ``hard`` = reset
    (a fresh QEMU process with the same disks).
  - ``pause(uuid)`` / ``unpause(uuid)`` -> ``GuestInfo``: vCPUs stopped, memory kept.
  - ``suspend(uuid)`` / ``resume(uuid)`` -> ``GuestInfo``: state saved to disk, process gone.
  - ``rescue(uuid, image: ImageRef, admin_password=None)`` -> ``GuestInfo``: boots the
    rescue image as the first disk, the guest's root as the second; ``unrescue(uuid)``.
  - ``snapshot(uuid, target: SnapshotTarget)`` -> ``SnapshotResult``: a standalone qcow2 of
    the root disk written to ``target.path`` or PUT to ``target.upload_url``.
  - ``resize(uuid, flavor: Flavor)`` -> ``GuestInfo``: stop, new vCPUs/memory, root and
    ephemeral disks grown (never shrunk), start again if it was running.
  - ``rebuild(uuid, image: ImageRef, config_drive=None)`` -> ``GuestInfo``: a new root
    overlay on the new base (ephemeral disks kept), booted.
  - ``attach_interface(uuid, nic: Nic)`` / ``detach_interface(uuid, port_id)`` -> GuestInfo.
  - ``get_console_output(uuid, length=None)`` -> str: the last ``length`` lines of the
    serial console log (all of it when None).
  - ``get_console(uuid, kind)`` -> ``ConsoleInfo``; kind ``novnc`` (host/port of the VNC
    server) or ``serial`` (a unix socket path, or host/port).
  - ``get_diagnostics(uuid)`` -> ``Diagnostics``.
  - ``list_guests()`` -> list of ``GuestInfo``: every guest this agent manages.
* ``compute-plugin`` (served by every API process; the agent *casts* to it)
  - ``report_state(report: HostReport)``: the heartbeat, every [compute] report_interval
    (Nova's compute node record and Placement inventories come from it).
  - ``instance_update(update: InstanceUpdate)``: a guest's power state changed (the periodic
    power-state sync, a guest that shut itself down) or an operation failed.
  - ``guests_unknown(host, guests: list[GuestInfo])``: QEMU guests found on the host that
    the service did not ask for (left alone, never killed).

Power states are Nova's numbers (``POWER_STATES``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, TypeVar

from nimbus.kernel.bus import UnsupportedVersion, parse_version

T = TypeVar("T")

# Bump the minor for an added optional field or method, the major for anything an older
# peer would misread.
VERSION = "1.0"

PLUGIN_TOPIC = "compute-plugin"
AGENT_TOPIC_PREFIX = "compute-agent."


def agent_topic(host: str) -> str:
    return f"{AGENT_TOPIC_PREFIX}{host}"


# Nova's power_state values (nova/compute/power_state.py).
NOSTATE = 0
RUNNING = 1
PAUSED = 3
SHUTDOWN = 4
CRASHED = 6
SUSPENDED = 7
POWER_STATES = {NOSTATE: "NOSTATE", RUNNING: "RUNNING", PAUSED: "PAUSED",
                SHUTDOWN: "SHUTDOWN", CRASHED: "CRASHED", SUSPENDED: "SUSPENDED"}

REBOOT_KINDS = ("soft", "hard")
CONSOLE_KINDS = ("novnc", "serial")


def tap_name(port_id: str) -> str:
    """The guest-side device of a port, as the network agent's L2 part looks for it."""
    return f"tap{port_id[:11]}"


@dataclass
class Flavor:
    vcpus: int
    memory_mb: int
    root_gb: int = 0
    ephemeral_gb: int = 0
    swap_mb: int = 0
    name: str = ""
    flavorid: str = ""
    extra_specs: dict[str, str] = field(default_factory=dict)


@dataclass
class ImageRef:
    """An image, and how to fetch its bytes without the database."""

    id: str
    disk_format: str                    # from the image record: qcow2 | raw | ... never probed
    size: int | None = None
    checksum: str | None = None         # md5, Glance's legacy checksum
    os_hash_algo: str | None = None     # e.g. sha512
    os_hash_value: str | None = None
    # GET this with the token: <image endpoint>/v2/images/<id>/file.
    url: str = ""
    auth_token: str = ""
    container_format: str = "bare"
    min_disk: int = 0
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class Nic:
    port_id: str
    mac: str
    mtu: int = 1500
    tap: str = ""                       # empty: tap_name(port_id)
    network_id: str = ""

    def device(self) -> str:
        return self.tap or tap_name(self.port_id)


@dataclass
class BlockDevice:
    """An extra local disk: ephemeral or swap (Nova's block device mappings)."""

    kind: str                           # ephemeral | swap
    size_mb: int
    guest_format: str | None = None     # e.g. ext4, swap; None: left blank
    device_name: str | None = None      # e.g. /dev/vdb
    label: str = ""


@dataclass
class ConfigDrive:
    """Files of the ``config-2`` ISO: path inside it (``openstack/latest/meta_data.json``)
    -> contents, text or ``base64:<data>`` for bytes."""

    files: dict[str, str] = field(default_factory=dict)


@dataclass
class QemuOptions:
    machine: str = "pc"                 # q35 | pc | ...
    accel: str = "auto"                 # kvm | tcg | auto (the agent's [compute] accelerator)
    cpu_model: str = ""                 # empty: host when kvm, max for tcg
    extra_args: list[str] = field(default_factory=list)


@dataclass
class GuestSpec:
    """``spawn``'s whole input."""

    uuid: str
    name: str                           # instance-<hex id>, Nova's instance_name
    hostname: str
    flavor: Flavor
    image: ImageRef
    version: str = VERSION
    project_id: str = ""
    user_id: str = ""
    nics: list[Nic] = field(default_factory=list)
    config_drive: ConfigDrive | None = None
    block_devices: list[BlockDevice] = field(default_factory=list)
    qemu: QemuOptions = field(default_factory=QemuOptions)
    # Start powered off (Nova never does; for tests and rebuilds of stopped guests).
    start: bool = True


@dataclass
class GuestInfo:
    """What a guest is, as the agent sees it (answers and reports)."""

    uuid: str
    power_state: int = NOSTATE
    name: str = ""
    host: str = ""
    pid: int | None = None
    vcpus: int = 0
    memory_mb: int = 0
    image_id: str = ""
    nics: list[Nic] = field(default_factory=list)
    rescued: bool = False
    # The hypervisor's own words: QMP status ("running", "paused", "shutdown"...).
    status: str = ""
    version: str = VERSION


@dataclass
class SnapshotTarget:
    path: str = ""                      # write the qcow2 here, or
    upload_url: str = ""                # PUT it to <image endpoint>/v2/images/<id>/file
    auth_token: str = ""
    image_id: str = ""
    disk_format: str = "qcow2"


@dataclass
class SnapshotResult:
    size: int
    disk_format: str = "qcow2"
    path: str = ""                      # where it was written (when asked for a path)
    checksum: str = ""                  # md5 of the bytes
    os_hash_algo: str = "sha512"
    os_hash_value: str = ""


@dataclass
class ConsoleInfo:
    kind: str                           # novnc | serial
    host: str = ""
    port: int | None = None
    path: str = ""                      # a unix socket (serial)
    internal_access_path: str | None = None


@dataclass
class Diagnostics:
    """Nova's server diagnostics (v2.48 shape)."""

    state: str          # pending | running | paused | shutdown | crashed | suspended
    driver: str
    hypervisor: str = "qemu"
    hypervisor_os: str = "linux"
    uptime: int | None = None
    config_drive: bool = False
    num_cpus: int = 0
    num_nics: int = 0
    num_disks: int = 0
    memory_details: dict[str, int] = field(default_factory=dict)   # maximum, used (MiB)
    cpu_details: list[dict[str, Any]] = field(default_factory=list)
    nic_details: list[dict[str, Any]] = field(default_factory=list)
    disk_details: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class HostReport:
    """``report_state``: the compute node (os-hypervisors) and its Placement inventory."""

    host: str
    hypervisor_hostname: str
    version: str = VERSION
    hypervisor_type: str = "QEMU"
    hypervisor_version: int = 0         # Nova's encoding: major*1000000 + minor*1000 + micro
    driver: str = "qemu"
    vcpus: int = 0
    memory_mb: int = 0
    local_gb: int = 0
    vcpus_used: int = 0
    memory_mb_used: int = 0
    local_gb_used: int = 0
    running_vms: int = 0
    cpu_info: dict[str, Any] = field(default_factory=dict)   # arch, model, vendor, topology
    # os-traits names: HW_CPU_X86_SSE42, COMPUTE_NET_VIF_MODEL_VIRTIO, COMPUTE_STATUS_...
    traits: list[str] = field(default_factory=list)
    cpu_allocation_ratio: float = 4.0
    ram_allocation_ratio: float = 1.0
    disk_allocation_ratio: float = 1.0
    reserved_host_memory_mb: int = 0
    reserved_host_disk_mb: int = 0
    reserved_host_cpus: int = 0
    availability_zone: str = "nova"
    host_ip: str = "127.0.0.1"
    started_at: float = 0.0
    # uuid -> power state of every guest the agent manages.
    guests: dict[str, int] = field(default_factory=dict)


@dataclass
class InstanceUpdate:
    """``instance_update``: what happened to a guest. ``vm_state``/``task_state`` are hints
    (Nova's names: active, stopped, error... / None); the service decides."""

    uuid: str
    host: str
    power_state: int
    version: str = VERSION
    vm_state: str | None = None
    task_state: str | None = None
    clear_task_state: bool = False
    fault_message: str | None = None
    fault_details: str | None = None
    fault_code: int = 500


NESTED: dict[tuple[str, str], type] = {
    ("GuestSpec", "flavor"): Flavor,
    ("GuestSpec", "image"): ImageRef,
    ("GuestSpec", "nics"): Nic,
    ("GuestSpec", "config_drive"): ConfigDrive,
    ("GuestSpec", "block_devices"): BlockDevice,
    ("GuestSpec", "qemu"): QemuOptions,
    ("GuestInfo", "nics"): Nic,
}


def from_wire(cls: type[T], data: dict[str, Any]) -> T:
    """Build a dataclass (and its nested ones) from a dict; unknown keys are ignored, so a
    newer minor version's additions reach an older peer harmlessly."""
    if not isinstance(data, dict):
        raise TypeError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        if name not in names:
            continue
        nested = NESTED.get((cls.__name__, name))
        if nested is not None and value is not None:
            value = [from_wire(nested, v) for v in value] if isinstance(value, list) \
                else from_wire(nested, value)
        kwargs[name] = value
    return cls(**kwargs)


def to_wire(obj: Any) -> dict[str, Any]:
    return dataclasses.asdict(obj)


def check_version(version: str | None) -> None:
    """Raise UnsupportedVersion for a message of another major version, or of a newer minor
    than this side speaks (its new fields would be silently lost)."""
    got = parse_version(str(version or ""))
    want = parse_version(VERSION)
    if got[0] != want[0] or got[1] > want[1]:
        raise UnsupportedVersion(f"compute message version {version} (this side speaks "
                                 f"{VERSION})")
