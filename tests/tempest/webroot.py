"""A loopback web server for tempest's web-download tests (``[image] http_image``), so that
no test ever fetches an image from off the machine, and the settings of a cloud that offers
every import method over three file stores."""

from __future__ import annotations

import http.server
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import pytest

from tests.conftest import free_port


class QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serving_a_disk(root: Path) -> Iterator[int]:
    """Serve ``root`` (holding a small qcow2, ``disk.qcow2``) on a free loopback port."""
    root.mkdir(parents=True, exist_ok=True)
    qemu_img = shutil.which("qemu-img")
    if qemu_img is None:
        pytest.fail("qemu-img is not installed (scripts/test installs qemu-utils)")
    subprocess.run([qemu_img, "create", "-q", "-f", "qcow2", str(root / "disk.qcow2"), "16M"],
                   check=True)
    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port),
                                             partial(QuietFiles, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield port
    finally:
        server.shutdown()
        server.server_close()


def multistore_env(data_parent: Path, port: int) -> dict[str, str]:
    """Three file stores, every import method, web-download allowed for 127.0.0.1:port."""
    return {"NIMBUS_IMAGE__STORES": f"fast={data_parent / 'fast'},cheap={data_parent / 'cheap'}",
            "NIMBUS_IMAGE__IMPORT_METHODS": "glance-direct,web-download,copy-image",
            "NIMBUS_IMAGE__WEB_DOWNLOAD_ALLOWED_HOSTS": "127.0.0.1",
            "NIMBUS_IMAGE__WEB_DOWNLOAD_ALLOWED_PORTS": str(port)}
