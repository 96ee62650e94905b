"""The ring: which devices hold an account, a container or an object, as Swift's ring maps
them. A path's partition is the top ``part_power`` bits of md5(prefix + path + suffix); each
partition has ``replicas`` devices, distinct while there are enough of them.

The ring lives in ``<data dir>/object/ring.json``: made once (the hash prefix and suffix are
random then and never change, or every name would move), read by every worker.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import struct
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote

from nimbus.config import Settings


@dataclass(frozen=True)
class Device:
    id: int
    path: str  # an absolute directory
    weight: float = 1.0
    zone: int = 0


@dataclass(frozen=True)
class Ring:
    part_power: int
    replicas: int
    hash_prefix: str
    hash_suffix: str
    devices: tuple[Device, ...] = field(default_factory=tuple)
    # Each partition's device ids, primary first (swift-ring-builder's replica2part2dev,
    # turned around). Empty in rings made before it existed: then devices are dealt in
    # turn, partition + replica modulo the device count.
    assignment: tuple[tuple[int, ...], ...] = field(default_factory=tuple)

    @property
    def partitions(self) -> int:
        return 1 << self.part_power

    def hash_of(self, account: str, container: str | None = None,
                obj: str | None = None) -> str:
        """Swift's hash_path: md5 hex of prefix/account[/container[/object]]suffix."""
        parts = [account] + [p for p in (container, obj) if p is not None]
        path = "/" + "/".join(parts)
        raw = (self.hash_prefix + path + self.hash_suffix).encode("utf-8", "surrogateescape")
        return hashlib.md5(raw, usedforsecurity=False).hexdigest()

    def partition_of(self, name_hash: str) -> int:
        top = struct.unpack_from(">I", bytes.fromhex(name_hash))[0]
        return int(top >> (32 - self.part_power))

    def device(self, device_id: int) -> Device:
        return next(d for d in self.devices if d.id == device_id)

    def devices_for(self, partition: int) -> list[Device]:
        """The partition's replica devices, primary first."""
        if self.assignment:
            return [self.device(i) for i in self.assignment[partition]]
        count = min(self.replicas, len(self.devices))
        return [self.devices[(partition + r) % len(self.devices)] for r in range(count)]

    def locate(self, account: str, container: str | None = None,
               obj: str | None = None) -> tuple[str, int, list[Device]]:
        """(hash, partition, devices) of a name."""
        name_hash = self.hash_of(account, container, obj)
        partition = self.partition_of(name_hash)
        return name_hash, partition, self.devices_for(partition)

    def describe(self) -> str:
        lines = [f"partition power {self.part_power} ({self.partitions} partitions), "
                 f"{self.replicas} replica(s), {len(self.devices)} device(s)"]
        counts = Counter(i for part in self.current_assignment() for i in part)
        lines += [f"  device {d.id}: {d.path} (weight {d.weight:g}, zone {d.zone}, "
                  f"{counts[d.id]} partition replicas)" for d in self.devices]
        return "\n".join(lines)

    def current_assignment(self) -> list[list[int]]:
        return [[d.id for d in self.devices_for(p)] for p in range(self.partitions)]


def object_root(settings: Settings) -> Path:
    return settings.data_dir / "object"


def _device_paths(settings: Settings) -> list[str]:
    root = object_root(settings)
    names = [d.strip() for d in settings.object.devices.split(",") if d.strip()] or ["d0"]
    paths = []
    for name in names:
        path = Path(name).expanduser()
        paths.append(str(path if path.is_absolute() else
                         (root / name if "/" not in name else settings.data_dir / name)))
    return paths


def ring_file(settings: Settings) -> Path:
    return object_root(settings) / "ring.json"


def load_ring(settings: Settings) -> Ring:
    """The data dir's ring, made on first use from [object] settings."""
    path = ring_file(settings)
    if not path.exists():
        _write_ring(path, Ring(
            part_power=settings.object.part_power, replicas=max(1, settings.object.replicas),
            hash_prefix=secrets.token_hex(8), hash_suffix=secrets.token_hex(8),
            devices=tuple(Device(i, p) for i, p in enumerate(_device_paths(settings)))))
    doc = json.loads(path.read_text())
    ring = Ring(part_power=doc["part_power"], replicas=doc["replicas"],
                hash_prefix=doc["hash_prefix"], hash_suffix=doc["hash_suffix"],
                devices=tuple(Device(**d) for d in doc["devices"]),
                assignment=tuple(tuple(p) for p in doc.get("assignment", ())))
    for device in ring.devices:
        Path(device.path).mkdir(parents=True, exist_ok=True)
    return ring


def save_ring(settings: Settings, ring: Ring) -> None:
    """Replace the ring file (``nimbus manage object-ring``'s changes)."""
    path = ring_file(settings)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    tmp.write_text(json.dumps(asdict(ring), indent=2) + "\n")
    os.replace(tmp, path)


def _write_ring(path: Path, ring: Ring) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    tmp.write_text(json.dumps(asdict(ring), indent=2) + "\n")
    try:
        # Two workers starting together: the first ring written is the ring.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def quoted(name: str) -> str:
    return quote(name, safe="/")
