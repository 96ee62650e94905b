"""An upload cut off by `kill -9`: the restarted cloud puts the image back to queued, removes
the partial data, and takes the upload again."""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import LiveCloud
from tests.e2e.conftest import Start, connect

MIB = 1 << 20


def image_files(data_dir: Path) -> list[str]:
    """Every file of the image store, the staging area and the cache, partial ones too."""
    found = []
    for folder in ("images", "image-cache"):
        root = data_dir / folder
        if root.exists():
            found += [str(p.relative_to(data_dir)) for p in root.rglob("*") if p.is_file()]
    return sorted(found)


def slow_chunks(sent: threading.Event) -> Iterator[bytes]:
    """A MiB, then a trickle that never ends: the server is killed while it waits."""
    yield os.urandom(MIB)
    sent.set()
    while True:
        time.sleep(0.2)
        yield b"x" * 4096


def upload_in_background(cloud: LiveCloud, token: str, image_id: str, path: str
                         ) -> threading.Event:
    sent = threading.Event()

    def run() -> None:
        try:
            httpx.put(f"{cloud.url}/image/v2/images/{image_id}/{path}",
                      content=slow_chunks(sent), timeout=60,
                      headers={"X-Auth-Token": token,
                               "Content-Type": "application/octet-stream"})
        except httpx.HTTPError:
            pass  # the server died under it: what the test is about

    threading.Thread(target=run, daemon=True).start()
    return sent


def wait_for(check: Any, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out")


def kill_hard(cloud: LiveCloud) -> None:
    os.kill(cloud.process.pid, signal.SIGKILL)
    cloud.process.wait(timeout=10)


def log_of(cloud: LiveCloud) -> str:
    return (cloud.data_dir.parent / f"{cloud.data_dir.name}-{cloud.port}.log").read_text()


@pytest.mark.parametrize("path, status", [("file", "saving"), ("stage", "uploading")])
def test_kill_9_mid_upload_leaves_a_queued_image_that_takes_a_new_upload(
        start: Start, tmp_path: Path, path: str, status: str) -> None:
    data_dir = tmp_path / "data"
    cloud = start(data_dir)
    port = cloud.port
    # What other images (the seeded test guest, where it was built) keep on disk.
    theirs = image_files(data_dir)
    for attempt in range(3):
        conn = connect(cloud)
        image = conn.image.create_image(name=f"crash-{attempt}", disk_format="raw",
                                        container_format="bare")
        sent = upload_in_background(cloud, conn.session.get_token(), image.id, path)
        assert sent.wait(15)
        wait_for(lambda c=conn, i=image.id: c.image.get_image(i).status == status)
        wait_for(lambda: any(".part" in f for f in image_files(data_dir)))
        kill_hard(cloud)
        assert any(".part" in f for f in image_files(data_dir)), "no partial data to clean"

        cloud = start(data_dir, port)
        conn = connect(cloud)
        again = conn.image.get_image(image.id)
        assert again.status == "queued", f"attempt {attempt}: {again.status}"
        assert again.size is None and again.checksum is None
        left = [f for f in image_files(data_dir) if f not in theirs]
        assert left == [], f"attempt {attempt}: left {left}"
        assert f"image {image.id} was left {status}" in log_of(cloud)

        data = os.urandom(2 * MIB)
        answer = conn.image.put(f"/images/{image.id}/file", data=data,
                                headers={"Content-Type": "application/octet-stream"})
        assert answer.status_code == 204
        done = conn.image.get_image(image.id)
        assert done.status == "active" and done.checksum == hashlib.md5(data).hexdigest()
        assert conn.image.download_image(image.id).content == data
        conn.image.delete_image(image.id)
