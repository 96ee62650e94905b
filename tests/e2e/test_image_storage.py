"""Image data against the server process as a whole: memory while big images stream through
it, and what a store that runs out of space answers."""

from __future__ import annotations

import hashlib
import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import LiveCloud
from tests.e2e.conftest import Start, admin_session, connect

MIB = 1 << 20


def rss_mib(pid: int) -> float:
    """VmRSS of ``pid`` and its children, in MiB."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    total = 0
    for each in pids:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


class PeakRss:
    growth = 0.0


@contextmanager
def rss_growth(cloud: LiveCloud) -> Iterator[PeakRss]:
    """The server's peak RSS while the block runs, less what it was before."""
    pid = cloud.process.pid
    result = PeakRss()
    before = peak = rss_mib(pid)
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.wait(0.02):
            peak = max(peak, rss_mib(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield result
    finally:
        stop.set()
        sampler.join()
        result.growth = max(peak, rss_mib(pid)) - before


def stream(size: int, digest: hashlib._Hash) -> Iterator[bytes]:
    """``size`` bytes of varied data in 1 MiB chunks, hashed into ``digest`` as they go."""
    block = bytearray(os.urandom(MIB))
    for n in range(size // MIB):
        block[:8] = n.to_bytes(8, "little")
        chunk = bytes(block)
        digest.update(chunk)
        yield chunk


def test_big_images_stream_through_bounded_memory(start: Start, tmp_path: Path) -> None:
    """512 MiB up and down: the server's memory grows by far less than the image (< 64 MiB,
    the figure issue 3 sets for any size); had it buffered the data, it would grow by it."""
    cloud = start(tmp_path / "data")
    sess = admin_session(cloud)
    image = connect(cloud).image.create_image(name="big", disk_format="raw",
                                              container_format="bare")
    url = f"{cloud.url}/image/v2/images/{image.id}/file"
    size = 512 * MIB
    sent = hashlib.md5(usedforsecurity=False)
    with rss_growth(cloud) as upload:
        sess.put(url, data=stream(size, sent), headers={"Content-Type":
                                                        "application/octet-stream"})
    shown = connect(cloud).image.get_image(image.id)
    assert (shown.status, shown.size, shown.checksum) == ("active", size, sent.hexdigest())
    assert upload.growth < 64, f"upload grew the server by {upload.growth:.1f} MiB"

    got = hashlib.md5(usedforsecurity=False)
    with rss_growth(cloud) as download:
        answer = sess.get(url, stream=True)
        for chunk in answer.iter_content(MIB):
            got.update(chunk)
    assert got.hexdigest() == sent.hexdigest()
    assert download.growth < 64, f"download grew the server by {download.growth:.1f} MiB"


@pytest.mark.root
def test_a_full_store_answers_413_and_keeps_nothing(start: Start, tmp_path: Path) -> None:
    """The image store on a 4 MiB filesystem. `nimbus up` still starts when the guest image
    it registers doesn't fit (it says so and leaves no empty image behind); an 8 MiB upload
    is refused as Glance refuses it (413, "Image storage media is full"), the image goes
    back to queued, nothing is left on the disk, and an image that fits still uploads."""
    data = tmp_path / "data"
    images = data / "images"
    images.mkdir(parents=True)
    guest = tmp_path / "too-big-guest.qcow2"
    guest.write_bytes(os.urandom(6 * MIB))
    with tmpfs(images, "4m"):
        cloud = start(data, extra_env={"NIMBUS_GUEST_IMAGE": str(guest)})
        sess = admin_session(cloud)
        conn = connect(cloud)
        assert [i.name for i in conn.image.images()] == []
        log = cloud.data_dir.parent / f"{cloud.data_dir.name}-{cloud.port}.log"
        assert "could not register cirros-nimbus" in log.read_text()
        big = conn.image.create_image(name="big", disk_format="raw", container_format="bare")
        answer = sess.put(f"{cloud.url}/image/v2/images/{big.id}/file", raise_exc=False,
                          data=stream(8 * MIB, hashlib.md5(usedforsecurity=False)),
                          headers={"Content-Type": "application/octet-stream",
                                   "Accept": "application/json"})
        assert answer.status_code == 413, answer.text
        fault = answer.json()
        assert fault["code"] == "413 Request Entity Too Large"
        assert fault["message"].startswith("Image storage media is full")
        shown = conn.image.get_image(big.id)
        assert (shown.status, shown.size) == ("queued", None)
        assert [p.name for p in images.iterdir() if p.is_file()] == []

        small = conn.image.create_image(name="small", disk_format="raw",
                                        container_format="bare")
        data_in = os.urandom(MIB)
        sess.put(f"{cloud.url}/image/v2/images/{small.id}/file", data=data_in,
                 headers={"Content-Type": "application/octet-stream"})
        assert conn.image.get_image(small.id).status == "active"
        assert conn.image.download_image(small.id).content == data_in
        cloud.stop()


@pytest.mark.root
def test_a_read_only_store_answers_503_and_keeps_nothing(start: Start, tmp_path: Path
                                                          ) -> None:
    """The image store's filesystem turns read-only under a running cloud: an upload is
    refused as Glance refuses it (503, "Insufficient permissions on image storage media")
    and the image goes back to queued."""
    data = tmp_path / "data"
    images = data / "images"
    images.mkdir(parents=True)
    with tmpfs(images, "4m"):
        cloud = start(data, extra_env={"NIMBUS_GUEST_IMAGE": str(tmp_path / "no-guest")})
        conn = connect(cloud)
        image = conn.image.create_image(name="ro", disk_format="raw", container_format="bare")
        subprocess.run(["mount", "-o", "remount,ro", images], check=True)
        answer = admin_session(cloud).put(
            f"{cloud.url}/image/v2/images/{image.id}/file", raise_exc=False,
            data=os.urandom(MIB), headers={"Content-Type": "application/octet-stream",
                                           "Accept": "application/json"})
        assert answer.status_code == 503, answer.text
        assert answer.json()["message"].startswith("Insufficient permissions on image "
                                                   "storage media")
        shown = conn.image.get_image(image.id)
        assert (shown.status, shown.size) == ("queued", None)
        cloud.stop()


@contextmanager
def tmpfs(where: Path, size: str) -> Iterator[None]:
    """A tmpfs of ``size`` mounted on ``where`` for the block (root only)."""
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "nimbus-test",
                    where], check=True)
    try:
        yield
    finally:
        subprocess.run(["umount", "--lazy", where], check=False)
