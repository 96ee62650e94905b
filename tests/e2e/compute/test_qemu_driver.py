"""The QEMU driver on its own (no API): a guest booted from an image served over HTTP the
way the Image API serves it, with a config drive, a tap, power operations, a snapshot, an
agent that is killed and re-created (it re-attaches to the running QEMU), and a destroy
that leaves nothing behind.

One 128 MiB guest at a time; everything is removed in finalizers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
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
from nimbus.kernel.bus import BusError, InProcessBus, connect
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


class ImageHandler(BaseHTTPRequestHandler):
    """Plays the Image API's /image/v2/images/<id>/file: GET and PUT, with a token."""

    state: ImageServer

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
        data = self.state.images.get(image_id or "")
        if image_id is None or data is None:
            if image_id is not None:
                self.send_error(404)
            return
        self.state.gets.append(image_id)
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self) -> None:  # noqa: N802
        image_id = self._image_id()
        if image_id is None:
            return
        self.state.uploads[image_id] = self._body()
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


@pytest.fixture
def image_server(guest_image: Path) -> Iterator[ImageServer]:  # noqa: F811
    state = ImageServer(url="", images={"guest": guest_image.read_bytes()})
    handler = type("Handler", (ImageHandler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
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


@dataclass
class Rig:
    """An agent with the real driver on an in-process bus, a recorder for its casts, and one
    guest spec."""

    bus: InProcessBus
    recorder: Recorder
    settings: Settings
    instances: Path
    server: ImageServer
    spec: m.GuestSpec
    agent: ComputeAgent | None = None
    ups: int = 0             # boots seen so far ("nimbus-guest: up" in the console)

    @property
    def driver(self) -> QemuDriver:
        assert self.agent is not None and isinstance(self.agent.driver, QemuDriver)
        return self.agent.driver

    def start_agent(self) -> ComputeAgent:
        self.agent = ComputeAgent(self.settings, self.bus,
                                  driver=QemuDriver(self.instances, self.settings.compute))
        self.agent.start()
        return self.agent

    def stop_agent(self) -> None:
        if self.agent is not None:
            self.agent.stop()
            self.agent = None

    def do(self, method: str, timeout: float = 120, **payload: Any) -> Any:
        """A call to the agent about the rig's guest."""
        return self.bus.call(m.agent_topic("e2e-host"), method,
                             {"uuid": self.spec.uuid, **payload}, version=m.VERSION,
                             timeout=timeout)

    def booted(self) -> float:
        self.ups += 1
        return wait_console(self.driver, self.spec.uuid, "nimbus-guest: up", self.ups)

    def qmp(self, command: str, **args: Any) -> Any:
        with Monitor(self.instances / self.spec.uuid / "qmp.sock") as mon:
            return mon.cmd(command, **args)


@pytest.fixture
def rig(image_server: ImageServer, instances: Path, tmp_path: Path) -> Iterator[Rig]:
    bus = InProcessBus()
    recorder = Recorder()
    plugin = bus.serve(m.PLUGIN_TOPIC, recorder)
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE2eE2eE2eE2eE2e e2e"
    rig = Rig(bus, recorder, settings_for(tmp_path, instances), instances, image_server,
              make_spec(image_server, key))
    rig.start_agent()
    yield rig
    rig.stop_agent()
    plugin.stop()
    bus.close()


def spawn(rig: Rig) -> dict[str, Any]:
    started = time.monotonic()
    info = rig.bus.call(m.agent_topic("e2e-host"), "spawn", {"spec": m.to_wire(rig.spec)},
                        version=m.VERSION, timeout=120)
    assert info["power_state"] == m.RUNNING
    rig.booted()
    print(f"\nspawn to 'nimbus-guest: up': {time.monotonic() - started:.1f} s")
    return dict(info)


def check_identity_and_tap(rig: Rig) -> None:
    console = rig.driver.console_output(rig.spec.uuid, None)
    assert "nimbus-guest: metadata config-drive" in console
    assert "nimbus-guest: hostname qemu-e2e" in console
    assert "nimbus-guest: ssh-keys 1" in console
    assert "e2e-user-data" in console
    assert rig.server.gets == ["guest"]
    link = ip.get_link(rig.spec.nics[0].device())
    assert link is not None and link.kind == "tun" and link.up and link.mtu == 1450
    filters = rig.qmp("query-rx-filter", name=f"nic-{rig.spec.nics[0].port_id[:11]}")
    assert filters[0]["main-mac"] == "fa:16:3e:00:e2:01"


def check_consoles(rig: Rig) -> None:
    vnc = rig.do("get_console", kind="novnc")
    assert vnc["host"] == "127.0.0.1" and vnc["port"] >= 5900
    serial = rig.do("get_console", kind="serial")
    assert serial["path"].endswith("serial.sock") and Path(serial["path"]).is_socket()
    assert rig.do("get_console_output", length=5).count("\n") <= 5
    diag = rig.do("get_diagnostics")
    assert diag["state"] == "running" and diag["num_cpus"] == 1 and diag["num_nics"] == 1


def check_power_cycle(rig: Rig, tmp_path: Path) -> None:
    """Hard reboot; clean power off, a snapshot of the stopped guest, power on."""
    pid = rig.driver.guest(rig.spec.uuid).pid
    info = rig.do("reboot", kind="hard", timeout=60)
    assert info["power_state"] == m.RUNNING and info["pid"] != pid
    rig.booted()
    disk = rig.instances / rig.spec.uuid / "disk"
    inode = disk.stat().st_ino
    info = rig.do("power_off", clean=True, timeout=90)
    assert info["power_state"] == m.SHUTDOWN and info["pid"] is None
    assert ip.get_link(rig.spec.nics[0].device()) is None
    assert "nimbus-guest: shutdown" in rig.driver.console_output(rig.spec.uuid, None)
    snap = tmp_path / "snap.qcow2"
    result = rig.do("snapshot", target={"path": str(snap)})
    details = json.loads(subprocess.run(["qemu-img", "info", "--output=json", str(snap)],
                                        check=True, capture_output=True).stdout)
    assert details["format"] == "qcow2" and "backing-filename" not in details
    assert result["size"] == snap.stat().st_size
    info = rig.do("power_on", timeout=60)
    assert info["power_state"] == m.RUNNING and disk.stat().st_ino == inode
    rig.booted()


def check_pause_and_upload(rig: Rig) -> None:
    assert rig.do("pause")["power_state"] == m.PAUSED
    assert rig.do("unpause")["power_state"] == m.RUNNING
    target = {"upload_url": f"{rig.server.url}/v2/images/snap1/file", "auth_token": TOKEN,
              "image_id": "snap1"}
    result = rig.do("snapshot", target=target)
    uploaded = rig.server.uploads["snap1"]
    assert uploaded[:4] == b"QFI\xfb" and len(uploaded) == result["size"]
    assert hashlib.sha512(uploaded).hexdigest() == result["os_hash_value"]
    assert rig.driver.guest(rig.spec.uuid).power_state == m.RUNNING


def check_reattach(rig: Rig) -> int:
    """The agent goes away, the guest does not; a new agent re-attaches to its QEMU."""
    pid = rig.driver.guest(rig.spec.uuid).pid
    assert pid is not None
    rig.stop_agent()
    assert ip.get_link(rig.spec.nics[0].device()) is not None
    assert rig.qmp("query-status")["status"] == "running"
    agent = rig.start_agent()
    agent.send_report()
    report = wait_for(lambda: [r for r in rig.recorder.reports if r["guests"]])[-1]
    assert report["guests"] == {rig.spec.uuid: m.RUNNING}
    assert report["hypervisor_type"] == "QEMU" and report["vcpus"] >= 1
    guests = rig.bus.call(m.agent_topic("e2e-host"), "list_guests", {}, version=m.VERSION)
    assert [(g["uuid"], g["pid"], g["status"]) for g in guests] == \
        [(rig.spec.uuid, pid, "running")]
    told = agent.sync_power_states()                # once after a start, then on changes
    assert [(t.uuid, t.power_state) for t in told] == [(rig.spec.uuid, m.RUNNING)]
    assert agent.sync_power_states() == []
    return pid


def check_destroy(rig: Rig, pid: int) -> None:
    rig.do("destroy", timeout=60)
    assert rig.driver.table.cmdline(pid) is None
    assert ip.get_link(rig.spec.nics[0].device()) is None
    assert not (rig.instances / rig.spec.uuid).exists()
    assert rig.driver.list_guests() == []
    # The cast after the answer: it comes a moment later.
    wait_for(lambda: [u for u in rig.recorder.updates
                      if u["uuid"] == rig.spec.uuid][-1]["vm_state"] == "deleted")


def test_qemu_guest_life_cycle(rig: Rig, tmp_path: Path) -> None:
    """Spawn with a config drive to `nimbus-guest: up`, the tap, consoles, reboot, power
    off/on, snapshots, the agent re-created, destroy."""
    spawn(rig)
    check_identity_and_tap(rig)
    check_consoles(rig)
    check_power_cycle(rig, tmp_path)
    check_pause_and_upload(rig)
    pid = check_reattach(rig)
    check_destroy(rig, pid)


def check_soft_reboot_and_suspend(rig: Rig) -> None:
    pid = rig.driver.guest(rig.spec.uuid).pid
    info = rig.do("reboot", kind="soft")
    assert info["power_state"] == m.RUNNING and info["pid"] != pid
    rig.booted()
    info = rig.do("suspend")
    saved = rig.instances / rig.spec.uuid / "state.save"
    assert info["power_state"] == m.SUSPENDED and info["pid"] is None
    assert saved.stat().st_size > 0
    assert rig.do("resume")["power_state"] == m.RUNNING and not saved.exists()
    # It carried on where it was: no new boot.
    assert rig.driver.console_output(rig.spec.uuid, None).count("nimbus-guest: up") == rig.ups
    assert rig.qmp("query-status")["status"] == "running"


def check_hotplug(rig: Rig) -> None:
    nic = m.Nic(port_id="e2e" + uuid.uuid4().hex[:8], mac="fa:16:3e:00:e2:02", mtu=1400)
    info = rig.do("attach_interface", nic=m.to_wire(nic))
    assert [n["port_id"] for n in info["nics"]][-1] == nic.port_id
    link = ip.get_link(nic.device())
    assert link is not None and link.up and link.mtu == 1400
    wait_console(rig.driver, rig.spec.uuid, "nimbus-guest: nic-added", timeout=60)
    info = rig.do("detach_interface", port_id=nic.port_id, timeout=60)
    assert [n["port_id"] for n in info["nics"]] == [rig.spec.nics[0].port_id]
    wait_for(lambda: ip.get_link(nic.device()) is None)


def check_rescue(rig: Rig) -> None:
    info = rig.do("rescue", image=m.to_wire(image_ref(rig.server)))
    assert info["rescued"] and info["power_state"] == m.RUNNING
    assert [b["device"] for b in rig.qmp("query-block")][:2] == ["rescue", "root"]
    rig.booted()
    info = rig.do("unrescue")
    assert not info["rescued"]
    assert not (rig.instances / rig.spec.uuid / "disk.rescue").exists()
    rig.booted()


def check_resize_and_rebuild(rig: Rig) -> None:
    flavor = m.Flavor(vcpus=2, memory_mb=128, root_gb=2, swap_mb=16)
    info = rig.do("resize", flavor=m.to_wire(flavor))
    assert info["vcpus"] == 2 and info["power_state"] == m.RUNNING
    assert len(rig.qmp("query-cpus-fast")) == 2
    disk = rig.instances / rig.spec.uuid / "disk"
    details = json.loads(subprocess.run(["qemu-img", "info", "-U", "--output=json", str(disk)],
                                        check=True, capture_output=True).stdout)
    assert details["virtual-size"] == 2 << 30
    rig.booted()
    check_revert_and_confirm(rig, flavor)
    rig.server.images["guest2"] = rig.server.images["guest"]
    info = rig.do("rebuild", image=m.to_wire(image_ref(rig.server, "guest2")))
    assert info["image_id"] == "guest2" and info["power_state"] == m.RUNNING
    assert (rig.instances / "_base" / "guest2").exists()
    rig.booted()


def virtual_size(disk: Path) -> int:
    details = json.loads(subprocess.run(["qemu-img", "info", "-U", "--output=json", str(disk)],
                                        check=True, capture_output=True).stdout)
    return int(details["virtual-size"])


def check_revert_and_confirm(rig: Rig, flavor: m.Flavor) -> None:
    """On the stopped guest: revert brings back 1 vCPU and the 1 GiB root; a new resize,
    confirmed, keeps 2 GiB and drops the copy kept for a revert."""
    disk = rig.instances / rig.spec.uuid / "disk"
    backup = disk.with_name("disk.pre-resize")
    assert backup.exists()
    assert rig.do("power_off", clean=True, timeout=90)["power_state"] == m.SHUTDOWN
    info = rig.do("revert_resize")
    assert info["vcpus"] == 1 and info["power_state"] == m.SHUTDOWN
    assert virtual_size(disk) == 1 << 30 and not backup.exists()
    info = rig.do("resize", flavor=m.to_wire(flavor))
    assert info["vcpus"] == 2 and info["power_state"] == m.SHUTDOWN
    rig.do("confirm_resize")
    assert virtual_size(disk) == 2 << 30 and not backup.exists()
    assert rig.do("power_on", timeout=60)["power_state"] == m.RUNNING
    rig.booted()


def check_foreign_guest(rig: Rig, pidfile: Path) -> None:
    """A QEMU the agent never started: reported, never killed."""
    other = str(uuid.uuid4())
    subprocess.run(["qemu-system-x86_64", "-machine", "none", "-nodefaults", "-display",
                    "none", "-uuid", other, "-pidfile", str(pidfile), "-daemonize"],
                   check=True, timeout=30)
    assert rig.agent is not None
    rig.agent.sync_power_states()
    wait_for(lambda: any(g["uuid"] == other for g in rig.recorder.unknown))
    assert all(g["uuid"] != rig.spec.uuid for g in rig.recorder.unknown)
    assert rig.driver.table.cmdline(int(pidfile.read_text())) is not None


def check_shutdown_inside(rig: Rig) -> None:
    """The guest powers itself off: the power-state sync tells the service."""
    pid = rig.driver.guest(rig.spec.uuid).pid
    assert pid is not None and rig.agent is not None
    rig.qmp("system_powerdown")
    wait_for(lambda: rig.driver.table.cmdline(pid) is None, timeout=60)
    told = rig.agent.sync_power_states()
    assert [(t.uuid, t.power_state, t.vm_state) for t in told] == \
        [(rig.spec.uuid, m.SHUTDOWN, "stopped")]
    assert rig.agent.sync_power_states() == []
    assert rig.do("power_on", timeout=60)["power_state"] == m.RUNNING


def test_qemu_guest_operations(rig: Rig, tmp_path: Path) -> None:
    """Soft reboot, suspend/resume, NIC hot-plug, rescue, resize, rebuild, and a QEMU that
    is none of the agent's."""
    pidfile = tmp_path / "foreign.pid"
    try:
        spawn(rig)
        check_soft_reboot_and_suspend(rig)
        check_hotplug(rig)
        check_rescue(rig)
        check_resize_and_rebuild(rig)
        check_foreign_guest(rig, pidfile)
        check_shutdown_inside(rig)
        pid = rig.driver.guest(rig.spec.uuid).pid
        assert pid is not None
        check_destroy(rig, pid)
    finally:
        if pidfile.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)


def start_agent_process(tmp_path: Path, instances: Path) -> subprocess.Popen[bytes]:
    repo = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": str(repo), "NIMBUS_COMPUTE__INSTANCES_PATH":
           str(instances), "NIMBUS_COMPUTE__ACCELERATOR": "tcg",
           "NIMBUS_COMPUTE__REPORT_INTERVAL": "1"}
    with (tmp_path / "agent.log").open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "nimbus.cli", "agent", "compute", "--host", "e2e-proc",
             "--data-dir", str(tmp_path / "data"), "--bus-url", f"file://{tmp_path / 'bus'}",
             "--driver", "qemu"], env=env, stdout=out, stderr=subprocess.STDOUT)


def test_guest_outlives_a_killed_agent_process(image_server: ImageServer, instances: Path,
                                               tmp_path: Path) -> None:
    """`nimbus agent compute` SIGKILLed: its QEMU runs on; the next agent takes it back."""
    bus = connect(f"file://{tmp_path / 'bus'}")
    recorder = Recorder()
    plugin = bus.serve(m.PLUGIN_TOPIC, recorder)
    spec = dataclasses.replace(make_spec(image_server, "ssh-ed25519 AAAA e2e"), nics=[],
                               start_paused=True)
    topic = m.agent_topic("e2e-proc")
    process = start_agent_process(tmp_path, instances)
    try:
        wait_for(lambda: recorder.reports, timeout=60)
        # Started paused (as while Nova waits for network-vif-plugged), then let go.
        info = bus.call(topic, "spawn", {"spec": m.to_wire(spec)}, version=m.VERSION,
                        timeout=120)
        assert (info["power_state"], info["status"]) == (m.PAUSED, "prelaunch")
        info = bus.call(topic, "unpause", {"uuid": spec.uuid}, version=m.VERSION)
        assert info["power_state"] == m.RUNNING
        process.kill()
        process.wait(10)
        monitor = instances / spec.uuid / "qmp.sock"
        driver = QemuDriver(instances, ComputeSettings(accelerator="tcg"))
        driver.reattach()
        wait_console(driver, spec.uuid, "nimbus-guest: up")
        with Monitor(monitor) as mon:
            assert mon.cmd("query-status")["status"] == "running"
        process = start_agent_process(tmp_path, instances)
        guests = wait_for(lambda: _list(bus, topic), timeout=60)
        assert [(g["uuid"], g["pid"], g["power_state"]) for g in guests] == \
            [(spec.uuid, info["pid"], m.RUNNING)]
        bus.call(topic, "destroy", {"uuid": spec.uuid}, version=m.VERSION, timeout=60)
        assert not (instances / spec.uuid).exists()
    finally:
        process.terminate()
        process.wait(20)
        plugin.stop()
        bus.close()


def _list(bus: Any, topic: str) -> list[dict[str, Any]] | None:
    try:
        return list(bus.call(topic, "list_guests", {}, version=m.VERSION, timeout=5))
    except BusError:
        return None
