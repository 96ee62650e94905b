"""The QEMU driver on its own (no API): a guest booted from an image served over HTTP the
way the Image API serves it, with a config drive, a tap, power operations, a snapshot, an
agent that is killed and re-created (it re-attaches to the running QEMU), and a destroy
that leaves nothing behind.

One 128 MiB guest at a time; everything is removed in finalizers.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from nimbus.agents.compute import messages as m
from nimbus.agents.compute.agent import ComputeAgent
from nimbus.agents.compute.qemu import QemuDriver
from nimbus.agents.compute.qmp import Monitor
from nimbus.agents.network import ip
from nimbus.config import ComputeSettings, Settings
from nimbus.kernel.bus import InProcessBus
from tests.e2e.test_guest_image import guest_image  # noqa: F401 - the fixture

pytestmark = [pytest.mark.root, pytest.mark.e2e]

BOOT_TIMEOUT = 240.0
TOKEN = "e2e-token"


@dataclass
class ImageServer:
    url: str
    images: dict[str, bytes]
    uploads: dict[str, bytes] = field(default_factory=dict)
    gets: list[str] = field(default_factory=list)


@pytest.fixture
def image_server(guest_image: Path) -> Iterator[ImageServer]:  # noqa: F811
    """Plays the Image API's /v2/images/<id>/file (GET with a token; PUT for uploads)."""
    state = ImageServer(url="", images={"guest": guest_image.read_bytes()})

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _image_id(self) -> str | None:
            parts = self.path.strip("/").split("/")
            if self.headers.get("X-Auth-Token") != TOKEN:
                self.send_error(401)
                return None
            if parts[:3] != ["image", "v2", "images"] or parts[4:] != ["file"]:
                self.send_error(404)
                return None
            return parts[3]

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            image_id = self._image_id()
            if image_id is None:
                return
            data = state.images.get(image_id)
            if data is None:
                self.send_error(404)
                return
            state.gets.append(image_id)
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_PUT(self) -> None:  # noqa: N802
            image_id = self._image_id()
            if image_id is None:
                return
            state.uploads[image_id] = self._body()
            self.send_response(204)
            self.end_headers()

        def _body(self) -> bytes:
            if self.headers.get("Content-Length"):
                return self.rfile.read(int(self.headers["Content-Length"]))
            chunks = []
            while (size := int(self.rfile.readline().strip() or b"0", 16)) > 0:
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/image"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def image_ref(server: ImageServer, image_id: str = "guest") -> m.ImageRef:
    data = server.images[image_id]
    return m.ImageRef(id=image_id, disk_format="qcow2", size=len(data),
                      checksum=hashlib.md5(data, usedforsecurity=False).hexdigest(),
                      os_hash_algo="sha512", os_hash_value=hashlib.sha512(data).hexdigest(),
                      url=f"{server.url}/v2/images/{image_id}/file", auth_token=TOKEN)


@pytest.fixture
def instances(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "instances"
    yield path
    # Whatever a failed test left: every guest's QEMU killed, its files gone.
    driver = QemuDriver(path, ComputeSettings(accelerator="tcg"))
    driver.reattach()
    for info in driver.list_guests():
        driver.destroy(info.uuid)
    shutil.rmtree(path, ignore_errors=True)


def settings_for(tmp_path: Path, instances: Path) -> Settings:
    settings = Settings(data_dir=tmp_path / "data")
    settings.compute = ComputeSettings(
        driver="qemu", host="e2e-host", instances_path=str(instances),
        report_interval=3600, sync_power_state_interval=3600, shutdown_timeout=60,
        reboot_timeout=60, console_log_max_bytes=262144)
    return settings


def make_spec(server: ImageServer, key: str) -> m.GuestSpec:
    guest_uuid = str(uuid.uuid4())
    port_id = "e2e" + uuid.uuid4().hex[:8] + "-" + uuid.uuid4().hex[:8]
    meta = {"uuid": guest_uuid, "hostname": "qemu-e2e.example", "name": "qemu-e2e",
            "public_keys": {"e2e": key}, "availability_zone": "nova"}
    return m.GuestSpec(
        uuid=guest_uuid, name=f"instance-{guest_uuid[:8]}", hostname="qemu-e2e",
        flavor=m.Flavor(vcpus=1, memory_mb=128, root_gb=1, ephemeral_gb=0, swap_mb=16),
        image=image_ref(server),
        nics=[m.Nic(port_id=port_id, mac="fa:16:3e:00:e2:01", mtu=1450)],
        config_drive=m.ConfigDrive(files={
            "openstack/latest/meta_data.json": json.dumps(meta),
            "openstack/latest/user_data": "#!/bin/sh\necho e2e-user-data\n"}),
        qemu=m.QemuOptions(machine="pc", accel="tcg"))


def wait_console(driver: QemuDriver, guest_uuid: str, marker: str, count: int = 1,
                 timeout: float = BOOT_TIMEOUT) -> float:
    """Seconds until ``marker`` is in the console log ``count`` times."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if driver.console_output(guest_uuid, None).count(marker) >= count:
            return time.monotonic() - started
        time.sleep(0.5)
    tail = driver.console_output(guest_uuid, 30)
    raise AssertionError(f"no {marker!r} (x{count}) within {timeout:g} s; console:\n{tail}")


class Recorder:
    """Serves compute-plugin: keeps what the agent casts."""

    BUS_VERSION = m.VERSION

    def __init__(self) -> None:
        self.reports: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.unknown: list[dict[str, Any]] = []

    def report_state(self, report: dict[str, Any]) -> None:
        self.reports.append(report)

    def instance_update(self, update: dict[str, Any]) -> None:
        self.updates.append(update)

    def guests_unknown(self, host: str, guests: list[dict[str, Any]]) -> None:
        self.unknown.extend(guests)


def wait_for(check: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_qemu_guest_life_cycle(image_server: ImageServer, instances: Path,
                               tmp_path: Path) -> None:
    settings = settings_for(tmp_path, instances)
    bus = InProcessBus()
    recorder = Recorder()
    plugin = bus.serve(m.PLUGIN_TOPIC, recorder)
    driver = QemuDriver(instances, settings.compute)
    agent = ComputeAgent(settings, bus, driver=driver)
    agent.start()
    topic = m.agent_topic("e2e-host")
    spec = make_spec(image_server, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE2eE2eE2eE2eE2e e2e")
    tap = spec.nics[0].device()
    try:
        started = time.monotonic()
        info = bus.call(topic, "spawn", {"spec": m.to_wire(spec)}, version=m.VERSION,
                        timeout=120)
        assert info["power_state"] == m.RUNNING
        wait_console(driver, spec.uuid, "nimbus-guest: up")
        boot = time.monotonic() - started
        print(f"\nspawn to 'nimbus-guest: up': {boot:.1f} s")
        console = driver.console_output(spec.uuid, None)
        assert "nimbus-guest: metadata config-drive" in console
        assert "nimbus-guest: hostname qemu-e2e" in console
        assert "nimbus-guest: ssh-keys 1" in console
        assert image_server.gets == ["guest"]
        assert boot > 0

        # The tap, up, and the guest's NIC with the port's MAC.
        link = ip.get_link(tap)
        assert link is not None and link.kind == "tun" and link.up
        assert link.mtu == 1450
        with Monitor(instances / spec.uuid / "qmp.sock") as mon:
            filters = mon.cmd("query-rx-filter", name=f"nic-{spec.nics[0].port_id[:11]}")
        assert filters[0]["main-mac"] == "fa:16:3e:00:e2:01"

        # Consoles and diagnostics.
        vnc = bus.call(topic, "get_console", {"uuid": spec.uuid, "kind": "novnc"},
                       version=m.VERSION)
        assert vnc["host"] == "127.0.0.1" and vnc["port"] >= 5900
        assert bus.call(topic, "get_console_output", {"uuid": spec.uuid, "length": 5},
                        version=m.VERSION).count("\n") <= 5
        diag = bus.call(topic, "get_diagnostics", {"uuid": spec.uuid}, version=m.VERSION)
        assert diag["state"] == "running" and diag["num_cpus"] == 1

        # Hard reboot: a fresh process on the same disks, booting again.
        pid = info["pid"]
        info = bus.call(topic, "reboot", {"uuid": spec.uuid, "kind": "hard"},
                        version=m.VERSION, timeout=60)
        assert info["power_state"] == m.RUNNING and info["pid"] != pid
        wait_console(driver, spec.uuid, "nimbus-guest: up", count=2)

        # Clean power off (ACPI) and on: the same overlay, booting again.
        disk = instances / spec.uuid / "disk"
        inode = disk.stat().st_ino
        info = bus.call(topic, "power_off", {"uuid": spec.uuid, "clean": True, "timeout": 60},
                        version=m.VERSION, timeout=90)
        assert info["power_state"] == m.SHUTDOWN and info["pid"] is None
        assert ip.get_link(tap) is None
        assert "nimbus-guest: shutdown" in driver.console_output(spec.uuid, None)
        # A stopped guest's snapshot, to a path.
        snap = tmp_path / "snap.qcow2"
        result = bus.call(topic, "snapshot", {"uuid": spec.uuid,
                                              "target": {"path": str(snap)}},
                          version=m.VERSION, timeout=120)
        details = json.loads(subprocess.run(["qemu-img", "info", "--output=json", str(snap)],
                                            check=True, capture_output=True).stdout)
        assert details["format"] == "qcow2" and "backing-filename" not in details
        assert result["size"] == snap.stat().st_size
        info = bus.call(topic, "power_on", {"uuid": spec.uuid}, version=m.VERSION, timeout=60)
        assert info["power_state"] == m.RUNNING
        assert disk.stat().st_ino == inode
        wait_console(driver, spec.uuid, "nimbus-guest: up", count=3)

        # Pause, and a running guest's snapshot uploaded to the Image API.
        info = bus.call(topic, "pause", {"uuid": spec.uuid}, version=m.VERSION)
        assert info["power_state"] == m.PAUSED
        info = bus.call(topic, "unpause", {"uuid": spec.uuid}, version=m.VERSION)
        assert info["power_state"] == m.RUNNING
        target = {"upload_url": f"{image_server.url}/v2/images/snap1/file",
                  "auth_token": TOKEN, "image_id": "snap1"}
        result = bus.call(topic, "snapshot", {"uuid": spec.uuid, "target": target},
                          version=m.VERSION, timeout=120)
        uploaded = image_server.uploads["snap1"]
        assert uploaded[:4] == b"QFI\xfb" and len(uploaded) == result["size"]
        assert hashlib.sha512(uploaded).hexdigest() == result["os_hash_value"]
        assert driver.guest(spec.uuid).power_state == m.RUNNING

        # The agent goes away; the guest does not. A new agent re-attaches to it.
        pid = driver.guest(spec.uuid).pid
        agent.stop()
        del agent, driver
        assert ip.get_link(tap) is not None
        driver = QemuDriver(instances, settings.compute)
        agent = ComputeAgent(settings, bus, driver=driver)
        agent.start()
        agent.send_report()
        report = wait_for(lambda: recorder.reports and recorder.reports[-1])
        assert report["guests"] == {spec.uuid: m.RUNNING}
        assert report["hypervisor_type"] == "QEMU" and report["vcpus"] >= 1
        guests = bus.call(topic, "list_guests", {}, version=m.VERSION)
        assert [(g["uuid"], g["pid"], g["status"]) for g in guests] == \
            [(spec.uuid, pid, "running")]
        with Monitor(instances / spec.uuid / "qmp.sock") as mon:
            assert mon.cmd("query-status")["status"] == "running"
        assert agent.sync_power_states() == []          # nothing moved
        assert recorder.unknown == [] or all(g["uuid"] != spec.uuid for g in recorder.unknown)

        # Destroy: no process, tap, overlay or socket left.
        bus.call(topic, "destroy", {"uuid": spec.uuid}, version=m.VERSION, timeout=60)
        assert driver.table.cmdline(pid) is None
        assert ip.get_link(tap) is None
        assert not (instances / spec.uuid).exists()
        assert driver.list_guests() == []
        updates = [u for u in recorder.updates if u["uuid"] == spec.uuid]
        assert updates[-1]["vm_state"] == "deleted"
    finally:
        agent.stop()
        plugin.stop()
        bus.close()


def query(instances: Path, guest_uuid: str, command: str, **args: Any) -> Any:
    with Monitor(instances / guest_uuid / "qmp.sock") as mon:
        return mon.cmd(command, **args)


def test_qemu_guest_operations(image_server: ImageServer, instances: Path,
                               tmp_path: Path) -> None:
    """Soft reboot, suspend/resume, NIC hot-plug, rescue, resize, rebuild, and a QEMU
    that is none of the agent's: reported, left running."""
    settings = settings_for(tmp_path, instances)
    bus = InProcessBus()
    recorder = Recorder()
    plugin = bus.serve(m.PLUGIN_TOPIC, recorder)
    driver = QemuDriver(instances, settings.compute)
    agent = ComputeAgent(settings, bus, driver=driver)
    agent.start()
    topic = m.agent_topic("e2e-host")
    spec = make_spec(image_server, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE2eE2eE2eE2eE2e e2e")
    foreign = tmp_path / "foreign.pid"
    image_server.images["guest2"] = image_server.images["guest"]

    def do(method: str, timeout: float = 120, **payload: Any) -> Any:
        return bus.call(topic, method, {"uuid": spec.uuid, **payload}, version=m.VERSION,
                        timeout=timeout)

    try:
        bus.call(topic, "spawn", {"spec": m.to_wire(spec)}, version=m.VERSION, timeout=120)
        ups = 1
        wait_console(driver, spec.uuid, "nimbus-guest: up", ups)

        # Soft reboot: ACPI power-off inside, then a fresh start.
        pid = driver.guest(spec.uuid).pid
        info = do("reboot", kind="soft")
        assert info["power_state"] == m.RUNNING and info["pid"] != pid
        ups += 1
        wait_console(driver, spec.uuid, "nimbus-guest: up", ups)

        # Suspend to disk and back: the process goes, the guest carries on where it was.
        info = do("suspend")
        assert info["power_state"] == m.SUSPENDED and info["pid"] is None
        assert (instances / spec.uuid / "state.save").stat().st_size > 0
        info = do("resume")
        assert info["power_state"] == m.RUNNING
        assert not (instances / spec.uuid / "state.save").exists()
        assert driver.console_output(spec.uuid, None).count("nimbus-guest: up") == ups

        # A NIC plugged in and out while running.
        nic = m.Nic(port_id="e2e" + uuid.uuid4().hex[:8], mac="fa:16:3e:00:e2:02", mtu=1400)
        info = do("attach_interface", nic=m.to_wire(nic))
        assert [n["port_id"] for n in info["nics"]][-1] == nic.port_id
        link = ip.get_link(nic.device())
        assert link is not None and link.up and link.mtu == 1400
        wait_console(driver, spec.uuid, "nimbus-guest: nic-added", timeout=60)
        info = do("detach_interface", port_id=nic.port_id, timeout=60)
        assert [n["port_id"] for n in info["nics"]] == [spec.nics[0].port_id]
        wait_for(lambda: ip.get_link(nic.device()) is None)

        # Rescue: the image first, the guest's own root second; and back.
        info = do("rescue", image=m.to_wire(image_ref(image_server)))
        assert info["rescued"] and info["power_state"] == m.RUNNING
        devices = [b["device"] for b in query(instances, spec.uuid, "query-block")]
        assert devices[:2] == ["rescue", "root"]
        ups += 1
        wait_console(driver, spec.uuid, "nimbus-guest: up", ups)
        info = do("unrescue")
        assert not info["rescued"] and not (instances / spec.uuid / "disk.rescue").exists()
        ups += 1
        wait_console(driver, spec.uuid, "nimbus-guest: up", ups)

        # Resize: two vCPUs, a larger root.
        info = do("resize", flavor=m.to_wire(m.Flavor(vcpus=2, memory_mb=128, root_gb=2,
                                                       swap_mb=16)))
        assert info["vcpus"] == 2 and info["power_state"] == m.RUNNING
        assert len(query(instances, spec.uuid, "query-cpus-fast")) == 2
        details = json.loads(subprocess.run(
            ["qemu-img", "info", "-U", "--output=json", str(instances / spec.uuid / "disk")],
            check=True, capture_output=True).stdout)
        assert details["virtual-size"] == 2 << 30
        ups += 1
        wait_console(driver, spec.uuid, "nimbus-guest: up", ups)

        # Rebuild on another image: a new overlay on its base, booted.
        info = do("rebuild", image=m.to_wire(image_ref(image_server, "guest2")))
        assert info["image_id"] == "guest2" and info["power_state"] == m.RUNNING
        assert (instances / "_base" / "guest2").exists()
        ups += 1
        wait_console(driver, spec.uuid, "nimbus-guest: up", ups)

        # A QEMU the agent never started: reported, never killed.
        other = str(uuid.uuid4())
        subprocess.run(["qemu-system-x86_64", "-machine", "none", "-nodefaults",
                        "-display", "none", "-uuid", other, "-pidfile", str(foreign),
                        "-daemonize"], check=True, timeout=30)
        agent.sync_power_states()
        wait_for(lambda: any(g["uuid"] == other for g in recorder.unknown))
        assert all(g["uuid"] != spec.uuid for g in recorder.unknown)
        assert driver.table.cmdline(int(foreign.read_text())) is not None

        do("destroy", timeout=60)
        assert not (instances / spec.uuid).exists()
        assert ip.get_link(spec.nics[0].device()) is None
    finally:
        if foreign.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(foreign.read_text().strip()), signal.SIGTERM)
        agent.stop()
        plugin.stop()
        bus.close()
