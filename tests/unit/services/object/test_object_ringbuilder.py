"""Ring changes as swift-ring-builder makes them: minimal movement, distinct devices and
zones, weights, draining and removal, and `nimbus manage object-ring`'s commands."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from nimbus.cli import main
from nimbus.config import Settings
from nimbus.services.object.ring import Device, Ring, load_ring
from nimbus.services.object.ringbuilder import (
    RingError,
    add_device,
    assigned_ids,
    rebalance,
    remove_device,
    set_replicas,
)


def ring_of(count: int, replicas: int = 3, zones: list[int] | None = None) -> Ring:
    zones = zones or [0] * count
    return Ring(part_power=8, replicas=replicas, hash_prefix="p", hash_suffix="s",
                devices=tuple(Device(i, f"/d{i}", 1.0, zones[i]) for i in range(count)))


def moved(before: Ring, after: Ring) -> int:
    return sum(len(set(n) - set(o))
               for o, n in zip(assigned_ids(before), assigned_ids(after), strict=True))


def test_rebalance_of_a_settled_ring_moves_nothing() -> None:
    ring, count = rebalance(ring_of(4))
    again, count2 = rebalance(ring)
    assert count2 == 0 and again.assignment == ring.assignment


def test_adding_a_device_moves_only_its_share() -> None:
    ring, _ = rebalance(ring_of(4))
    grown, count = rebalance(add_device(ring, "/d4"))
    # 256 partitions x 3 replicas over 5 equal devices: the new one takes ~153 slots, and
    # only those move.
    share = 256 * 3 // 5
    assert count == moved(ring, grown) and share <= count <= share + 1
    counts = Counter(i for part in grown.assignment for i in part)
    assert max(counts.values()) - min(counts.values()) <= 1
    for part in grown.assignment:
        assert len(set(part)) == 3


def test_removing_a_device_moves_only_its_partitions() -> None:
    ring, _ = rebalance(ring_of(5))
    held = sum(4 in part for part in ring.assignment)
    drained, what = remove_device(ring, 4)
    assert what == "drained"
    after, count = rebalance(drained)
    assert count == held
    for old, new in zip(ring.assignment, after.assignment, strict=True):
        assert 4 not in new and len(set(new)) == 3
        assert set(old) - {4} <= set(new)  # what stayed did not move
    with pytest.raises(RingError):
        remove_device(drained, 4)  # drained, but still holding partitions before a rebalance
    gone, what = remove_device(after, 4)
    assert what == "removed" and [d.id for d in gone.devices] == [0, 1, 2, 3]


def test_replicas_go_to_distinct_zones_when_there_are_enough() -> None:
    ring, _ = rebalance(ring_of(6, zones=[0, 0, 1, 1, 2, 2]))
    zone = {d.id: d.zone for d in ring.devices}
    for part in ring.assignment:
        assert len({zone[i] for i in part}) == 3


def test_weights_share_partitions() -> None:
    ring = ring_of(2, replicas=1)
    heavy = Ring(**{**ring.__dict__, "devices": (Device(0, "/d0", 3.0), Device(1, "/d1", 1.0))})
    balanced, _ = rebalance(heavy)
    counts = Counter(part[0] for part in balanced.assignment)
    assert counts[0] == 192 and counts[1] == 64


def test_set_replicas_adds_replicas_without_moving_the_others() -> None:
    ring, _ = rebalance(ring_of(3, replicas=1))
    more, count = rebalance(set_replicas(ring, 3))
    assert count == 256 * 2
    for old, new in zip(ring.assignment, more.assignment, strict=True):
        assert new[0] == old[0] and len(set(new)) == 3


def test_an_older_ring_keeps_its_placement_when_pinned() -> None:
    legacy = ring_of(3, replicas=2)
    before = [[d.id for d in legacy.devices_for(p)] for p in range(legacy.partitions)]
    pinned, count = rebalance(add_device(legacy, "/d3"))
    assert assigned_ids(legacy) == before
    kept = sum(len(set(o) & set(n)) for o, n in zip(before, pinned.assignment, strict=True))
    assert kept + count == 256 * 2


def test_manage_object_ring_commands(tmp_path: Path) -> None:
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(main, ["manage", "object-ring", "--data-dir", str(tmp_path),
                                      *args])
        assert result.exit_code == 0, result.output
        return result.output

    assert "1 replica(s), 1 device(s)" in run()
    run("add-device", str(tmp_path / "d1"), "--zone", "1")
    run("add-device", str(tmp_path / "d2"), "--zone", "2", "--weight", "2")
    run("set-replicas", "3")
    assert "partition replica(s) moved" in run("rebalance")
    ring = load_ring(Settings(data_dir=tmp_path))
    assert ring.replicas == 3 and len(ring.devices) == 3
    assert all(len(set(p)) == 3 for p in ring.assignment)
    assert "zone 2" in run()
    bad = runner.invoke(main, ["manage", "object-ring", "--data-dir", str(tmp_path),
                               "remove-device", "9"])
    assert bad.exit_code != 0 and "no device 9" in bad.output
