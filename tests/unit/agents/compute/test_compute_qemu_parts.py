"""The QEMU driver's parts that need no QEMU: the command line, the image cache (fetched
once, checked, never probed) and the config drive."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pycdlib
import pytest

from nimbus.agents.compute import configdrive, guests
from nimbus.agents.compute import messages as m
from nimbus.agents.compute.guests import GuestFiles, GuestRecord
from nimbus.agents.compute.images import ImageCache, ImageFetchError

UUID = "0b4c5c9e-1d33-4a8b-9a0e-5f1c3a2b7d10"
PORT = "7d0c8a6e-1111-2222-3333-444455556666"


def test_command_line(tmp_path: Path) -> None:
    files = GuestFiles(tmp_path, UUID)
    record = GuestRecord(uuid=UUID, name="instance-1", hostname="h", vcpus=2, memory_mb=128,
                         swap_mb=16, ephemerals=[1024], config_drive=True, accel="tcg",
                         nics=[m.to_wire(m.Nic(PORT, "fa:16:3e:00:00:01", mtu=1450))])
    argv = guests.qemu_argv(files, record)
    text = " ".join(argv)
    assert argv[-1] == "-daemonize" and ["-uuid", UUID] == argv[2:4]
    assert "accel=tcg" in text and "-cpu max" in text and "-smp 2 -m 128" in text
    assert "ifname=tap7d0c8a6e-11,script=no" in text and "mac=fa:16:3e:00:00:01" in text
    assert "host_mtu=1450" in text and "-vnc 127.0.0.1:0" in text
    assert f"file={files.root},format=qcow2" in text and "bootindex=1" in text
    assert f"file={files.ephemeral(0)}" in text and f"file={files.swap}" in text
    assert f"file={files.config},format=raw" in text and "ide-cd" in text
    assert "unix:qmp.sock,server=on,wait=off" in text     # relative: the 107-byte limit
    assert f"logfile={files.console},logappend=on" in text
    rescued = " ".join(guests.qemu_argv(files, GuestRecord(
        uuid=UUID, name="i", hostname="h", vcpus=1, memory_mb=64, rescued=True,
        accel="kvm"), incoming=True))
    assert f"file={files.rescue}" in rescued and "-incoming defer" in rescued
    assert "-cpu host" in rescued and "-S" not in argv
    assert guests.qemu_argv(files, record, paused=True)[-4] == "-S"
    assert rescued.index("drive=rescue,id=dev-rescue,bootindex=1") < rescued.index(
        "drive=root,id=dev-root,bootindex=2")


def test_guest_dirs_are_uuids_only(tmp_path: Path) -> None:
    for bad in ("../etc", "_base", "x" * 40, ""):
        with pytest.raises(ValueError):
            GuestFiles(tmp_path, bad)


class Server:
    def __init__(self, data: bytes) -> None:
        self.data, self.gets = data, 0
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                outer.gets += 1
                outer.release.wait(5)
                if self.headers.get("X-Auth-Token") != "tok":
                    self.send_error(401)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(outer.data)))
                self.end_headers()
                self.wfile.write(outer.data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v2/images/img/file"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server(b"not really a disk image" * 100)
    yield s
    s.release.set()
    s.httpd.shutdown()
    s.httpd.server_close()


def ref(server: Server, **changes: Any) -> m.ImageRef:
    fields: dict[str, Any] = {
        "id": "img", "disk_format": "raw", "size": len(server.data),
        "os_hash_algo": "sha512", "os_hash_value": hashlib.sha512(server.data).hexdigest(),
        "url": server.url, "auth_token": "tok"}
    return m.ImageRef(**{**fields, **changes})


def test_concurrent_spawns_fetch_an_image_once(server: Server, tmp_path: Path) -> None:
    cache = ImageCache(tmp_path)
    results: list[tuple[Path, str]] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get(ref(server))))
               for _ in range(4)]
    for t in threads:
        t.start()
    server.release.set()
    for t in threads:
        t.join(10)
    assert server.gets == 1 and cache.fetches == 1
    assert {r for r in results} == {(tmp_path / "_base" / "img", "raw")}  # format: the record's
    assert (tmp_path / "_base" / "img").read_bytes() == server.data
    assert cache.get(ref(server, url="")) == (tmp_path / "_base" / "img", "raw")


def test_a_mismatching_image_is_refused_and_not_kept(server: Server, tmp_path: Path) -> None:
    server.release.set()
    cache = ImageCache(tmp_path)
    with pytest.raises(ImageFetchError, match="mismatch"):
        cache.get(ref(server, os_hash_value="0" * 128))
    with pytest.raises(ImageFetchError, match="bytes"):
        cache.get(ref(server, size=3))
    with pytest.raises(ImageFetchError, match="HTTP 401"):
        cache.get(ref(server, auth_token="wrong"))
    with pytest.raises(ImageFetchError, match="disk_format"):
        cache.get(ref(server, disk_format="iso"))
    with pytest.raises(ImageFetchError, match="unusable"):
        cache.get(ref(server, id="../x"))
    assert sorted(p.name for p in (tmp_path / "_base").iterdir()) == ["img.lock"]


def test_a_failed_spawn_leaves_nothing(server: Server, tmp_path: Path) -> None:
    from nimbus.agents.compute.qemu import QemuDriver
    from nimbus.config import ComputeSettings

    server.release.set()
    driver = QemuDriver(tmp_path, ComputeSettings(accelerator="tcg"))
    spec = m.GuestSpec(uuid=UUID, name="i", hostname="h",
                       flavor=m.Flavor(vcpus=1, memory_mb=64),
                       image=ref(server, os_hash_value="0" * 128))
    with pytest.raises(ImageFetchError):
        driver.spawn(spec)
    assert not (tmp_path / UUID).exists() and driver.list_guests() == []


def test_config_drive_is_labelled_config_2(tmp_path: Path) -> None:
    drive = m.ConfigDrive(files={"openstack/latest/meta_data.json": '{"hostname": "vm"}',
                                 "openstack/latest/user_data": "base64:AAECAw=="})
    configdrive.build(drive, tmp_path / "cd.iso")
    iso = pycdlib.PyCdlib()
    iso.open(str(tmp_path / "cd.iso"))
    try:
        assert iso.pvd.volume_identifier.strip() == b"config-2"
        for path, want in (("/openstack/latest/meta_data.json", b'{"hostname": "vm"}'),
                           ("/openstack/latest/user_data", b"\0\1\2\3")):
            import io

            out = io.BytesIO()
            iso.get_file_from_iso_fp(out, rr_path=path)
            assert out.getvalue() == want
    finally:
        iso.close()
    with pytest.raises(Exception, match="unusable path"):
        configdrive.build(m.ConfigDrive(files={"../x": "y"}), tmp_path / "bad.iso")
