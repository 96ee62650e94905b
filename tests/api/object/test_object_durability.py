"""kill -9 of the whole server in the middle of an upload: after a restart the object is
the one acknowledged before (its md5 and metadata), the listing and counts agree, and the
cut-off upload left nothing visible."""

from __future__ import annotations

import hashlib
import http.client
import os
import signal
import time
from pathlib import Path
from urllib.parse import urlsplit

import openstack
import openstack.config
import pytest
import swiftclient

from tests.api.object.conftest import swift_for
from tests.conftest import LiveCloud, start_cloud


def process_tree(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, ppid in parents.items() if ppid in frontier]
        tree += frontier
    return tree


def kill_hard(cloud: LiveCloud) -> None:
    for pid in process_tree(cloud.process.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    cloud.process.wait(timeout=15)


def admin_swift(cloud: LiveCloud) -> swiftclient.Connection:
    config = openstack.config.OpenStackConfig(config_files=[str(cloud.clouds_yaml)])
    conn = openstack.connection.Connection(config=config.get_one(cloud="nimbus"))
    return swift_for(conn.session)


@pytest.mark.timeout(300)
def test_kill_9_during_put_keeps_the_acknowledged_object(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    cloud = start_cloud(data_dir)
    try:
        swift = admin_swift(cloud)
        swift.put_container("durable")
        first = os.urandom(256 * 1024)
        swift.put_object("durable", "obj", first, headers={"X-Object-Meta-Version": "1"})
        url, token = swift.get_auth()
        parts = urlsplit(url)
        # A replacement of 64 MiB, of which only 8 MiB ever arrives.
        conn = http.client.HTTPConnection(parts.netloc, timeout=30)
        conn.putrequest("PUT", f"{parts.path}/durable/obj")
        conn.putheader("X-Auth-Token", token)
        conn.putheader("Content-Length", str(64 << 20))
        conn.putheader("X-Object-Meta-Version", "2")
        conn.endheaders()
        for _ in range(8):
            conn.send(b"\xff" * (1 << 20))
        time.sleep(0.5)
        kill_hard(cloud)
        conn.close()
    finally:
        if cloud.process.poll() is None:
            kill_hard(cloud)
    cloud = start_cloud(data_dir)
    try:
        swift = admin_swift(cloud)
        headers, body = swift.get_object("durable", "obj")
        assert hashlib.md5(body).hexdigest() == hashlib.md5(first).hexdigest()
        assert headers["x-object-meta-version"] == "1"
        _h, listing = swift.get_container("durable")
        assert [(o["name"], o["bytes"]) for o in listing] == [("obj", len(first))]
        stats = swift.head_account()
        assert (stats["x-account-object-count"], stats["x-account-bytes-used"]) == \
            ("1", str(len(first)))
        # The cut-off upload is only a temporary file, never an object version.
        leftovers = [p for p in (data_dir / "object").rglob("*.data")]
        assert len(leftovers) == 1
    finally:
        cloud.stop()
