"""Three devices, three replicas, through python-swiftclient: a deleted replica and a
flipped byte on disk are found and repaired by a replicator pass (`nimbus manage
object-replicate --once`), and a kill -9 during PUTs loses no acknowledged object (the
replicator loop then evens the replicas and the listing out)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
import swiftclient

from nimbus.config import Settings
from nimbus.services.object.ring import load_ring
from nimbus.services.object.store.diskfile import XATTR, ObjectFiles
from tests.api.object.test_object_durability import admin_swift, kill_hard
from tests.conftest import NIMBUS, LiveCloud, start_cloud

REPLICAS = {"NIMBUS_OBJECT__DEVICES": "d0,d1,d2", "NIMBUS_OBJECT__REPLICAS": "3"}


def replica_dirs(cloud: LiveCloud, account: str, container: str, obj: str) -> list[Path]:
    ring = load_ring(Settings(data_dir=cloud.data_dir))
    name_hash, part, devices = ring.locate(account, container, obj)
    assert len({d.path for d in devices}) == 3
    return [ObjectFiles._dir(d, part, name_hash) for d in devices]


def contents(directory: Path) -> list[tuple[str, bytes, bytes | None]]:
    """A replica's committed files with their xattr records (not the temporary file of a
    PUT that a kill cut off: later commits remove those once stale)."""
    out = []
    for p in sorted(directory.iterdir()):
        if p.name.startswith(".tmp-"):
            continue
        try:
            record: bytes | None = os.getxattr(p, XATTR)
        except OSError:
            record = None
        out.append((p.name, p.read_bytes(), record))
    return out


def account_of(swift: swiftclient.Connection) -> str:
    url, _token = swift.get_auth()
    return url.rstrip("/").rsplit("/", 1)[1]


@pytest.mark.timeout(300)
def test_a_lost_and_a_corrupt_replica_are_repaired(tmp_path: Path) -> None:
    env = {**REPLICAS, "NIMBUS_OBJECT__REPLICATOR_INTERVAL": "0"}
    cloud = start_cloud(tmp_path / "data", extra_env=env)
    try:
        swift = admin_swift(cloud)
        account = account_of(swift)
        swift.put_container("triple")
        bodies = {f"obj-{i}": os.urandom(50_000 + i) for i in range(6)}
        for name, body in bodies.items():
            swift.put_object("triple", name, body, headers={"X-Object-Meta-Name": name})
        dirs = {name: replica_dirs(cloud, account, "triple", name) for name in bodies}
        for name in bodies:
            assert len({tuple(contents(d)) for d in dirs[name]}) == 1
        shutil.rmtree(dirs["obj-0"][0])  # the primary's replica, gone
        data = next(p for p in dirs["obj-1"][1].iterdir() if p.suffix == ".data")
        raw = bytearray(data.read_bytes())
        raw[777] ^= 0x40
        data.write_bytes(bytes(raw))  # a flipped byte (the xattr record stays)
        both = dirs["obj-2"]
        shutil.rmtree(both[0])  # one replica gone and another corrupt, of the same object
        data = next(p for p in both[2].iterdir() if p.suffix == ".data")
        data.write_bytes(b"\0" + data.read_bytes()[1:])
        done = subprocess.run([*NIMBUS, "manage", "object-replicate", "--once",
                               "--data-dir", str(cloud.data_dir)], env=cloud.env,
                              capture_output=True, text=True, timeout=120, check=True)
        assert "quarantined 2" in done.stdout and "copied 4" in done.stdout, done.stdout
        quarantine = [p.name for p in (tmp_path / "data" / "object").glob(
            "d*/quarantined/objects/*")]
        assert sorted(quarantine) == sorted([dirs["obj-1"][1].name, both[2].name])
        for name, body in bodies.items():
            headers, got = swift.get_object("triple", name)
            assert hashlib.md5(got).hexdigest() == hashlib.md5(body).hexdigest() == \
                headers["etag"]
            assert headers["x-object-meta-name"] == name
            assert len({tuple(contents(d)) for d in dirs[name]}) == 1, name
        again = subprocess.run([*NIMBUS, "manage", "object-replicate", "--data-dir",
                                str(cloud.data_dir)], env=cloud.env, capture_output=True,
                               text=True, timeout=120, check=True)
        assert "quarantined 0, copied 0" in again.stdout
    finally:
        cloud.stop()


def put_until_stopped(swift: swiftclient.Connection, prefix: str, acked: dict[str, str],
                      stop: threading.Event) -> None:
    for i in range(10_000):
        if stop.is_set():
            return
        body = os.urandom(64 * 1024)
        name = f"{prefix}-{i}"
        try:
            swift.put_object("hard", name, body, headers={"X-Object-Meta-Seq": str(i)})
        except Exception:  # noqa: BLE001 - the server went away mid-request
            return
        acked[name] = hashlib.md5(body).hexdigest()


def post_until_stopped(swift: swiftclient.Connection, names: list[str],
                       acked: dict[str, int], stop: threading.Event) -> None:
    for i in range(1, 100_000):
        if stop.is_set():
            return
        name = names[i % len(names)]
        try:
            swift.post_object("hard", name, headers={"X-Object-Meta-Rev": str(i)})
        except Exception:  # noqa: BLE001 - the server went away mid-request
            return
        acked[name] = i


@pytest.mark.timeout(300)
def test_kill_9_during_puts_keeps_every_acknowledged_object(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = {**REPLICAS, "NIMBUS_OBJECT__REPLICATOR_INTERVAL": "1"}
    cloud = start_cloud(data_dir, extra_env=env)
    acked: dict[str, str] = {}
    revs: dict[str, int] = {}
    try:
        swift = admin_swift(cloud)
        swift.put_container("hard")
        posted = [f"posted-{i}" for i in range(4)]
        for name in posted:
            swift.put_object("hard", name, name.encode())
        stop = threading.Event()
        writers = [threading.Thread(target=put_until_stopped,
                                    args=(admin_swift(cloud), f"w{n}", acked, stop))
                   for n in range(3)]
        writers.append(threading.Thread(target=post_until_stopped,
                                        args=(admin_swift(cloud), posted, revs, stop)))
        for t in writers:
            t.start()
        deadline = time.monotonic() + 30
        while len(acked) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        kill_hard(cloud)
        stop.set()
        for t in writers:
            t.join(30)
    finally:
        if cloud.process.poll() is None:
            kill_hard(cloud)
    assert len(acked) >= 20 and revs
    cloud = start_cloud(data_dir, extra_env=env)
    try:
        swift = admin_swift(cloud)
        account = account_of(swift)
        for name, md5 in acked.items():
            headers, body = swift.get_object("hard", name)
            assert hashlib.md5(body).hexdigest() == md5 == headers["etag"]
            assert headers["x-object-meta-seq"] == name.rsplit("-", 1)[1]
        for name, rev in revs.items():
            # The acknowledged POST, or the one cut off after it (a POST is whole or absent).
            headers = swift.head_object("hard", name)
            assert int(headers["x-object-meta-rev"]) in (rev, rev + len(posted)), name
        # The replicator loop (1 s) evens out what the kill cut short: every committed
        # object on all three devices, and listed.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            _h, listing = swift.get_container("hard", full_listing=True)
            listed = {o["name"]: o["hash"] for o in listing}
            even = all(len({tuple(contents(d)) for d in
                            replica_dirs(cloud, account, "hard", name)}) == 1
                       for name in listed)
            if even and set(acked) <= set(listed):
                break
            time.sleep(1)
        assert all(listed[name] == md5 for name, md5 in acked.items())
        assert even
        stats = swift.head_account()
        assert int(stats["x-account-object-count"]) == len(listed)
        assert set(acked) | set(posted) <= set(listed)
    finally:
        cloud.stop()
