"""A resize's disks (with qemu-img, no QEMU): they only grow, a revert brings the ones of
before back, a confirm drops the copies."""

from __future__ import annotations

from pathlib import Path

import pytest

from nimbus.agents.compute import messages as m
from nimbus.agents.compute import resize, tools
from nimbus.agents.compute.driver import DriverError
from nimbus.agents.compute.guests import GIB, GuestFiles, GuestRecord

UUID = "0b4c5c9e-1d33-4a8b-9a0e-5f1c3a2b7d10"


@pytest.fixture
def guest(tmp_path: Path) -> tuple[GuestFiles, GuestRecord]:
    files = GuestFiles(tmp_path, UUID)
    files.dir.mkdir()
    tools.create_blank(files.root, 1 * GIB)
    return files, GuestRecord(uuid=UUID, name="i", hostname="h", vcpus=1, memory_mb=128,
                              root_gb=1)


def test_revert_brings_back_disks_and_figures(guest: tuple[GuestFiles, GuestRecord]) -> None:
    files, record = guest
    resize.grow(files, record, m.Flavor(vcpus=2, memory_mb=256, root_gb=3, ephemeral_gb=1,
                                        swap_mb=32))
    assert (record.vcpus, record.memory_mb, record.root_gb) == (2, 256, 3)
    assert tools.virtual_size(files.root) == 3 * GIB
    assert tools.virtual_size(files.ephemeral(0)) == GIB and files.swap.exists()
    with pytest.raises(DriverError, match="confirm or revert"):
        resize.grow(files, record, m.Flavor(vcpus=4, memory_mb=256))
    resize.revert(record)
    assert (record.vcpus, record.memory_mb, record.root_gb, record.swap_mb) == (1, 128, 1, 0)
    assert record.ephemerals == [] and not files.ephemeral(0).exists()
    assert not files.swap.exists() and tools.virtual_size(files.root) == GIB
    with pytest.raises(DriverError, match="no resize"):
        resize.revert(record)


def test_confirm_keeps_the_new_disks(guest: tuple[GuestFiles, GuestRecord]) -> None:
    files, record = guest
    resize.grow(files, record, m.Flavor(vcpus=1, memory_mb=128, root_gb=2))
    assert files.root.with_name("disk.pre-resize").exists()
    resize.confirm(record)
    assert not files.root.with_name("disk.pre-resize").exists()
    assert tools.virtual_size(files.root) == 2 * GIB and record.resize_from == {}
    resize.grow(files, record, m.Flavor(vcpus=1, memory_mb=128, root_gb=1))   # never shrinks
    assert tools.virtual_size(files.root) == 2 * GIB and record.root_gb == 2
