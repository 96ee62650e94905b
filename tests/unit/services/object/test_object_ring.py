"""The ring: Swift's hash_path and partition arithmetic, replica placement, the ring file."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

from nimbus.config import Settings
from nimbus.services.object.ring import Device, Ring, load_ring


def test_partition_is_top_bits_of_md5_with_prefix_and_suffix() -> None:
    ring = Ring(part_power=10, replicas=1, hash_prefix="pre", hash_suffix="suf",
                devices=(Device(0, "/d0"),))
    expected = hashlib.md5(b"pre/AUTH_a/c/o/xsuf").hexdigest()
    assert ring.hash_of("AUTH_a", "c", "o/x") == expected
    top = struct.unpack_from(">I", bytes.fromhex(expected))[0]
    assert ring.partition_of(expected) == top >> 22


def test_replicas_land_on_distinct_devices() -> None:
    ring = Ring(part_power=4, replicas=3, hash_prefix="", hash_suffix="",
                devices=tuple(Device(i, f"/d{i}") for i in range(3)))
    for partition in range(ring.partitions):
        assert len({d.id for d in ring.devices_for(partition)}) == 3


def test_ring_file_is_made_once_and_kept(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = load_ring(settings)
    settings.object.part_power = 4  # a later setting does not move every name
    again = load_ring(settings)
    assert again == first and first.part_power == 10
    assert Path(first.devices[0].path) == tmp_path / "object" / "d0"
    assert "1024 partitions" in first.describe()


def test_manage_object_ring_shows_the_ring(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from nimbus.cli import main

    result = CliRunner().invoke(main, ["manage", "object-ring", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "1024 partitions" in result.output and "1 replica(s)" in result.output
    assert str(tmp_path / "object" / "d0") in result.output
