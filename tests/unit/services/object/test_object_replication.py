"""Replicas: a write fans out to every replica's device with Swift's quorum; the auditor
quarantines a corrupt copy; the replicator restores missing, stale and quarantined copies
(and tombstones), empties handoffs after a rebalance, and repairs listing rows."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from nimbus.config import Settings
from nimbus.services.object.ring import load_ring, save_ring
from nimbus.services.object.ringbuilder import add_device, rebalance
from nimbus.services.object.service import ObjectService
from nimbus.services.object.store.diskfile import (
    XATTR,
    NoQuorum,
    ObjectFiles,
    quorum_size,
    read_range,
)
from nimbus.services.object.store.replicator import Replicator

A, C = "AUTH_a", "c"


def settings_of(tmp_path: Path, devices: int = 3, replicas: int = 3) -> Settings:
    settings = Settings(data_dir=tmp_path)
    settings.object.devices = ",".join(f"d{i}" for i in range(devices))
    settings.object.replicas = replicas
    settings.object.part_power = 4
    return settings


@pytest.fixture
def service(tmp_path: Path) -> ObjectService:
    svc = ObjectService(settings_of(tmp_path))
    svc.create_container(A, C, {})
    return svc


def copies(svc: ObjectService, obj: str) -> list[Path]:
    """The object's hash dirs on its replica devices."""
    name_hash, part, devices = svc.ring.locate(A, C, obj)
    return [ObjectFiles._dir(d, part, name_hash) for d in devices]


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir()} if directory.exists() else {}


def put(svc: ObjectService, obj: str, body: bytes, **meta: str) -> None:
    svc.put_object(A, C, obj, [body], {"Content-Type": "text/plain", **meta})


def test_quorum_is_a_majority() -> None:
    assert [quorum_size(n) for n in (1, 2, 3, 4, 5)] == [1, 2, 2, 3, 3]


def test_a_write_lands_on_every_replica(service: ObjectService) -> None:
    put(service, "o", b"hello")
    dirs = copies(service, "o")
    assert len({d.parents[3] for d in dirs}) == 3  # three distinct devices
    assert len({tuple(snapshot(d).items()) for d in dirs}) == 1
    assert all(any(n.endswith(".data") for n in snapshot(d)) for d in dirs)


def break_device(svc: ObjectService, obj: str, index: int) -> None:
    """Make one replica's device unwritable: its objects dir becomes a file."""
    objects = copies(svc, obj)[index].parents[3] / "objects"
    shutil.rmtree(objects, ignore_errors=True)
    objects.write_text("not a directory")


def test_one_failed_device_of_three_still_commits(service: ObjectService) -> None:
    break_device(service, "o", 2)
    put(service, "o", b"two of three")
    found = service.files.read(A, C, "o")
    assert found is not None and found.etag == hashlib.md5(b"two of three").hexdigest()
    service.delete_object(A, C, "o")  # the tombstone also needs only two
    assert service.files.read(A, C, "o") is None


def test_two_failed_devices_of_three_is_no_quorum(service: ObjectService) -> None:
    put(service, "o", b"v1")
    break_device(service, "o", 1)
    break_device(service, "o", 2)
    with pytest.raises(NoQuorum):
        put(service, "o", b"v2")
    with pytest.raises(NoQuorum):
        service.files.delete(A, C, "o")
    assert NoQuorum().status == 503


def test_auditor_quarantines_a_flipped_byte_and_the_replicator_restores_it(
        service: ObjectService) -> None:
    body = os.urandom(70_000)
    put(service, "o", body, **{"X-Object-Meta-Color": "blue"})
    dirs = copies(service, "o")
    good = snapshot(dirs[0])
    data = next(p for p in dirs[1].iterdir() if p.suffix == ".data")
    raw = bytearray(data.read_bytes())
    raw[1234] ^= 0x01
    data.write_bytes(bytes(raw))  # (write_bytes keeps the xattr record)
    replicator = Replicator(service)
    replicator.run_once()
    report = replicator.last
    assert report is not None and len(report.quarantined) == 1 and "md5" in report.quarantined[0]
    quarantined = dirs[1].parents[3] / "quarantined" / "objects" / dirs[1].name
    assert quarantined.is_dir()
    assert [snapshot(d) for d in dirs] == [good] * 3
    found = service.files.read(A, C, "o")
    assert found is not None and found.meta["X-Object-Meta-Color"] == "blue"
    replicator.run_once()
    assert replicator.last is not None and replicator.last.copied == []  # settled


def capture(directory: Path) -> list[tuple[str, bytes, bytes | None]]:
    """A copy's files with their xattr records."""
    out = []
    for p in sorted(directory.iterdir()):
        try:
            record: bytes | None = os.getxattr(p, XATTR)
        except OSError:
            record = None
        out.append((p.name, p.read_bytes(), record))
    return out


def restore(directory: Path, captured: list[tuple[str, bytes, bytes | None]]) -> None:
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    for name, content, record in captured:
        (directory / name).write_bytes(content)
        if record is not None:
            os.setxattr(directory / name, XATTR, record)


def test_replicator_restores_missing_and_stale_copies_and_tombstones(
        service: ObjectService) -> None:
    put(service, "stale", b"old")
    dirs = copies(service, "stale")
    old = capture(dirs[2])
    put(service, "stale", b"new")
    restore(dirs[2], old)  # a replica that missed the newer PUT
    put(service, "missing", b"m")
    shutil.rmtree(copies(service, "missing")[0])  # the primary's copy lost
    put(service, "gone", b"x")
    service.delete_object(A, C, "gone")
    tomb = copies(service, "gone")
    restore(tomb[1], [])  # one replica never saw the object nor its delete
    replicator = Replicator(service)
    replicator.run_once()
    assert replicator.last is not None and len(replicator.last.copied) == 3
    for obj in ("stale", "missing", "gone"):
        assert len({tuple(capture(d)) for d in copies(service, obj)}) == 1, obj
    found = service.files.read(A, C, "stale")
    assert found is not None and found.data_path.read_bytes() == b"new"
    assert [n for n, _c, _r in capture(tomb[1])][0].endswith(".json")
    assert service.files.read(A, C, "gone") is None


def test_replicator_lists_an_object_its_listing_lost(service: ObjectService) -> None:
    # What a kill -9 between the object's commit and the listing update leaves.
    service.files.write(A, C, "unlisted", [b"abc"], {"Content-Type": "a/b"}, max_size=10)
    put(service, "deleted", b"d")
    service.files.delete(A, C, "deleted")  # the tombstone, but the listing row stayed
    assert [o["name"] for o in service.list_objects(A, C, limit=100)] == ["deleted"]
    replicator = Replicator(service)
    replicator.run_once()
    listing = service.list_objects(A, C, limit=100)
    assert [(o["name"], o["bytes"], o["content_type"]) for o in listing] == \
        [("unlisted", 3, "a/b")]
    info = service.container_info(A, C)
    assert info is not None and (info.object_count, info.bytes_used) == (1, 3)
    assert sorted(replicator.last.relisted) == [f"{A}/{C}/deleted", f"{A}/{C}/unlisted"] \
        if replicator.last else False
    replicator.run_once()
    assert replicator.last is not None and replicator.last.relisted == []


def test_replicator_moves_handoffs_after_a_rebalance(tmp_path: Path) -> None:
    settings = settings_of(tmp_path, devices=3, replicas=2)
    svc = ObjectService(settings)
    svc.create_container(A, C, {})
    names = [f"o{i}" for i in range(30)]
    for name in names:
        put(svc, name, name.encode())
    containers = [f"c{i}" for i in range(12)]
    for name in containers:  # some of them on partitions that change primary
        svc.create_container(A, name, {"X-Container-Meta-N": name})
        svc.put_object(A, name, "x", [b"12345"], {})
    ring, moved = rebalance(add_device(svc.ring, str(tmp_path / "object" / "d3")))
    assert moved > 0
    save_ring(settings, ring)
    svc = ObjectService(settings)  # a restart reads the new ring
    replicator = Replicator(svc)
    replicator.run_once()
    report = replicator.last
    assert report is not None and report.handoffs_removed == len(report.copied) > 0
    for name in names:
        found = svc.files.read(A, C, name)
        assert found is not None and found.data_path.read_bytes() == name.encode()
        assert all(d.exists() for d in copies(svc, name))
    on_disk = sum(1 for d in svc.ring.devices
                  for _ in (Path(d.path) / "objects").glob("*/*/*"))
    assert on_disk == (len(names) + len(containers)) * 2
    assert load_ring(settings) == ring
    assert report.listings_moved  # (the account's or some containers')
    for name in containers:
        info = svc.container_info(A, name)
        assert info is not None and info.metadata == {"X-Container-Meta-N": name}
        assert [o["name"] for o in svc.list_objects(A, name, limit=10)] == ["x"]
    account = svc.account_info(A)
    assert (account.container_count, account.object_count) == (13, 42)


def test_a_whole_read_of_a_corrupt_copy_quarantines_it(service: ObjectService) -> None:
    body = os.urandom(200_000)
    put(service, "o", body)
    dirs = copies(service, "o")
    data = next(p for p in dirs[0].iterdir() if p.suffix == ".data")
    raw = bytearray(data.read_bytes())
    raw[-1] ^= 0xFF
    data.write_bytes(bytes(raw))
    first = service.files.read(A, C, "o")
    assert first is not None and first.data_path.parent == dirs[0]
    assert b"".join(read_range(first, 10, 20)) == body[10:21]  # a range is not checked
    assert b"".join(read_range(first, 0, len(body) - 1)) != body
    assert not dirs[0].exists()
    assert (dirs[0].parents[3] / "quarantined" / "objects" / dirs[0].name).is_dir()
    again = service.files.read(A, C, "o")
    assert again is not None and b"".join(read_range(again, 0, len(body) - 1)) == body


def test_workers_share_the_loop_schedule(service: ObjectService) -> None:
    first, second = (Replicator(service, shared_schedule=True) for _ in range(2))
    first.run_once()
    second.run_once()  # another worker's loop, within the interval: no second pass
    assert first.last is not None and second.last is None
    Replicator(service).run_once()  # `nimbus manage object-replicate` always runs


def test_a_pass_removes_what_a_cut_off_commit_left(service: ObjectService) -> None:
    put(service, "o", b"v")
    dirs = copies(service, "o")
    (dirs[1] / "0000000001.00000.json").write_text('{"deleted": true}')  # an older record
    Replicator(service).run_once()
    assert len({tuple(capture(d)) for d in dirs}) == 1
