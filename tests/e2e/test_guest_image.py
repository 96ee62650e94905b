"""The test guest image (guest/build.sh) booted by plain QEMU, the way a user would check it:
it takes DHCP, reads its instance data from a config drive or the metadata service, says so
on the serial console, and answers on HTTP and SSH.

QEMU's user-mode network stands in for Nimbus's: it serves DHCP (and IPv6 router
advertisements), `restrict=on` keeps the guest off the host's own network, and a `guestfwd`
rule plays the metadata service at 169.254.169.254.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

pytestmark = [pytest.mark.root, pytest.mark.e2e]

REPO = Path(__file__).resolve().parents[2]
BUILD_DIR = REPO / "build" / "guest"
BOOT_TIMEOUT = 180.0   # seconds to "nimbus-guest: up"; TCG on a busy 2-core machine is slow

# Host commands these tests run, and the Debian package that has each.
HOST_TOOLS = {
    "qemu-system-x86_64": "qemu-system-x86",
    "qemu-img": "qemu-utils",
    "genisoimage": "genisoimage",
    "mkfs.fat": "dosfstools",
    "mcopy": "mtools",
    "ssh": "openssh-client",
    "ssh-keygen": "openssh-client",
}

# Plays the metadata service for one connection (QEMU's guestfwd runs it per connection,
# on the connection's stdin/stdout): serves files under the folder given as argument.
METADATA_SERVER = """\
import os, sys
root = os.path.realpath(sys.argv[1])
request = sys.stdin.buffer.readline().split()
while sys.stdin.buffer.readline() not in (b"\\r\\n", b"\\n", b""):
    pass
path = os.path.realpath(os.path.join(root, request[1].decode().lstrip("/")))
if path.startswith(root + os.sep) and os.path.isfile(path):
    body = open(path, "rb").read()
    head = b"HTTP/1.0 200 OK\\r\\nContent-Length: %d\\r\\n\\r\\n" % len(body)
else:
    body, head = b"", b"HTTP/1.0 404 Not Found\\r\\nContent-Length: 0\\r\\n\\r\\n"
sys.stdout.buffer.write(head + body)
"""


def ensure_host_tools() -> None:
    missing = sorted({pkg for cmd, pkg in HOST_TOOLS.items() if shutil.which(cmd) is None})
    if not missing:
        return
    if os.geteuid() != 0:
        pytest.fail(f"missing Debian packages {missing}; run as root to have them installed")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "-q", "update"], check=True, env=env)
    subprocess.run(["apt-get", "-q", "-o", "DPkg::Lock::Timeout=600", "install", "-y",
                    "--no-install-recommends", *missing], check=True, env=env)


@pytest.fixture(scope="session")
def guest_image() -> Path:
    """The image, built by guest/build.sh when missing or stale (a fast no-op otherwise)."""
    ensure_host_tools()
    image = BUILD_DIR / "nimbus-guest.qcow2"
    if os.geteuid() == 0:
        subprocess.run(["bash", str(REPO / "guest" / "build.sh"), str(BUILD_DIR)], check=True,
                       timeout=900)
    elif not image.exists():
        pytest.fail("no guest image; build it as root: guest/build.sh")
    return image


@pytest.fixture(scope="session")
def ssh_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    key = tmp_path_factory.mktemp("ssh") / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "e2e@nimbus",
                    "-f", str(key)], check=True)
    return key


def public_key(key: Path) -> str:
    return key.with_suffix(".pub").read_text().strip()


def make_config_drive(folder: Path, meta_data: Mapping[str, object], user_data: str,
                      filesystem: str) -> Path:
    """A config drive as Nova writes one: openstack/latest/ on iso9660 or vfat, label config-2."""
    tree = folder / "config-drive"
    latest = tree / "openstack" / "latest"
    latest.mkdir(parents=True)
    (latest / "meta_data.json").write_text(json.dumps(meta_data))
    (latest / "user_data").write_text(user_data)
    if filesystem == "iso9660":
        drive = folder / "config-drive.iso"
        subprocess.run(["genisoimage", "-quiet", "-o", str(drive), "-V", "config-2", "-r", "-J",
                        "-l", "-allow-lowercase", "-allow-multidot", str(tree)], check=True)
    else:
        drive = folder / "config-drive.vfat"
        with open(drive, "wb") as f:
            f.truncate(4 * 1024 * 1024)
        subprocess.run(["mkfs.fat", "-n", "config-2", str(drive)], check=True,
                        capture_output=True)
        subprocess.run(["mcopy", "-s", "-i", str(drive), str(tree / "openstack"), "::/"],
                       check=True, env={**os.environ, "MTOOLS_SKIP_CHECK": "1"})
    return drive


@dataclass
class Guest:
    process: subprocess.Popen[bytes]
    serial_log: Path
    monitor: Path
    http_port: int
    ssh_port: int
    started: float = field(default_factory=time.monotonic)

    def console(self) -> str:
        try:
            return self.serial_log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_for(self, text: str, timeout: float = BOOT_TIMEOUT) -> float:
        """Seconds from QEMU's start until `text` shows on the serial console."""
        deadline = time.monotonic() + timeout
        while text not in self.console():
            if self.process.poll() is not None or time.monotonic() > deadline:
                state = f"QEMU exited with {self.process.returncode}" \
                    if self.process.poll() is not None else f"not within {timeout:.0f} s"
                tail = "\n".join(self.console().splitlines()[-40:])
                raise AssertionError(f"{text!r} never came on the console ({state}):\n{tail}")
            time.sleep(0.1)
        return time.monotonic() - self.started

    def marker(self, name: str) -> list[str]:
        """The values of every `nimbus-guest: <name> <value>` marker on the console (markers
        printed after boot can follow a login prompt on the same line)."""
        prefix = f"nimbus-guest: {name} "
        return [line.split(prefix, 1)[1].strip() for line in self.console().splitlines()
                if prefix in line]

    def ssh(self, key: Path, command: str, known_hosts: Path | None = None,
            ) -> subprocess.CompletedProcess[str]:
        checking = ["-o", f"UserKnownHostsFile={known_hosts}", "-o", "StrictHostKeyChecking=yes",
                    "-o", "HostKeyAlgorithms=ssh-ed25519"] if known_hosts else \
                   ["-o", "UserKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=no"]
        return subprocess.run(
            ["ssh", "-i", str(key), "-p", str(self.ssh_port), "-o", "BatchMode=yes",
             "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=30", "-o", "LogLevel=ERROR",
             *checking, "root@127.0.0.1", command],
            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)

    def monitor_command(self, command: str) -> str:
        """Run one command on QEMU's human monitor; what it answered."""
        def until_prompt(s: socket.socket) -> bytes:
            answer = b""
            while not answer.endswith(b"(qemu) "):
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
            return answer

        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(30)
            s.connect(str(self.monitor))
            until_prompt(s)
            s.sendall(command.encode() + b"\n")
            return until_prompt(s).decode(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


BootGuest = Callable[..., Guest]


@pytest.fixture
def boot_guest(guest_image: Path, tmp_path: Path) -> Iterator[BootGuest]:
    """Start the image under QEMU (TCG, 128 MiB, a user-mode NIC); killed at teardown."""
    guests: list[Guest] = []

    def boot(config_drive: Path | None = None, drive_bus: str = "ide",
             network: str = "") -> Guest:
        n = len(guests)
        serial, monitor = tmp_path / f"serial-{n}.log", tmp_path / f"monitor-{n}.sock"
        http_port, ssh_port = free_port(), free_port()
        netdev = (f"user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:{http_port}-:80,"
                  f"hostfwd=tcp:127.0.0.1:{ssh_port}-:22{network}")
        command = ["qemu-system-x86_64", "-accel", "tcg", "-m", "128", "-nographic",
                   "-serial", f"file:{serial}", "-monitor", f"unix:{monitor},server=on,wait=off",
                   "-drive", f"file={guest_image},if=virtio,snapshot=on",
                   "-netdev", netdev, "-device", "virtio-net-pci,netdev=net0"]
        if config_drive is not None:
            where = "media=cdrom" if drive_bus == "ide" else "if=virtio"
            command += ["-drive", f"file={config_drive},{where},format=raw,readonly=on"]
        log = open(tmp_path / f"qemu-{n}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT)
        guest = Guest(process, serial, monitor, http_port, ssh_port)
        guests.append(guest)
        return guest

    yield boot
    for guest in guests:
        guest.stop()


def report_boot_time(seconds: float) -> None:
    print(f"\nnimbus-guest: QEMU start to 'nimbus-guest: up' in {seconds:.1f} s (TCG)",
          file=sys.stderr)


def test_boots_from_an_iso_config_drive_and_answers_http_and_ssh(
        boot_guest: BootGuest, ssh_key: Path, tmp_path: Path) -> None:
    meta_data = {"uuid": "0b7ac25f-4ac6-4e4e-9d2d-6f3b9a0c41d2", "name": "e2e iso",
                 "hostname": "e2e-iso.novalocal", "public_keys": {"e2e": public_key(ssh_key)}}
    user_data = '#!/bin/sh\necho "user-data says hello from $(hostname)"\n'
    drive = make_config_drive(tmp_path, meta_data, user_data, "iso9660")

    guest = boot_guest(config_drive=drive)
    report_boot_time(guest.wait_for("nimbus-guest: up"))

    assert guest.marker("metadata")[0].startswith("config-drive /dev/sr")
    assert guest.marker("hostname") == ["e2e-iso"]
    assert "10.0.2.15" in guest.marker("ip")
    assert "user-data says hello from e2e-iso" in guest.console()
    assert guest.marker("user-data") == ["exit 0"]

    assert httpx.get(f"http://127.0.0.1:{guest.http_port}/", timeout=30).text.strip() == \
        "e2e-iso"

    # The host key the console shows is the one the SSH server presents.
    guest.wait_for("nimbus-guest: ssh-host-key ", timeout=120)
    host_key = " ".join(guest.marker("ssh-host-key")[0].split()[:2])
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{guest.ssh_port} {host_key}\n")
    result = guest.ssh(ssh_key, "hostname", known_hosts=known_hosts)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "e2e-iso"

    # QEMU's network advertises fec0::/64; the guest takes an address by SLAAC.
    guest.wait_for("nimbus-guest: ip fec0:", timeout=60)


def test_reads_a_vfat_config_drive_on_a_virtio_disk(
        boot_guest: BootGuest, ssh_key: Path, tmp_path: Path) -> None:
    other_key = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBnRWUPkL1u1gcPzkB8AkA4wQEZL0H1Bl4jCn3J9"
                 "yu2V other@nimbus")
    meta_data = {"hostname": "e2e-vfat",
                 "public_keys": {"e2e": public_key(ssh_key), "other": other_key}}
    drive = make_config_drive(tmp_path, meta_data, "not a script", "vfat")

    guest = boot_guest(config_drive=drive, drive_bus="virtio")
    report_boot_time(guest.wait_for("nimbus-guest: up"))

    assert guest.marker("metadata")[0].startswith("config-drive /dev/vd")
    assert guest.marker("hostname") == ["e2e-vfat"]
    assert guest.marker("ssh-keys") == ["2"]
    assert guest.marker("user-data") == ["ignored: not a #! script"]
    result = guest.ssh(ssh_key, "cat /root/.ssh/authorized_keys")
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.splitlines()) == sorted([public_key(ssh_key), other_key])


def test_reads_the_metadata_service_without_a_config_drive(
        boot_guest: BootGuest, ssh_key: Path, tmp_path: Path) -> None:
    served = tmp_path / "metadata"
    latest = served / "openstack" / "latest"
    latest.mkdir(parents=True)
    (latest / "meta_data.json").write_text(json.dumps(
        {"hostname": "e2e-metadata", "public_keys": {"e2e": public_key(ssh_key)}}))
    (latest / "user_data").write_text("#!/bin/sh\necho user-data from the metadata service\n")
    server = tmp_path / "metadata_server.py"
    server.write_text(METADATA_SERVER)

    # slirp forwards only addresses inside its own network, so the guest's network is put
    # around 169.254.169.254; the guest then reaches the metadata service on-link.
    guest = boot_guest(network=",net=169.254.169.0/24,guestfwd=tcp:169.254.169.254:80-"
                               f"cmd:{sys.executable} {server} {served}")
    report_boot_time(guest.wait_for("nimbus-guest: up"))

    assert guest.marker("metadata") == ["service http://169.254.169.254/openstack/latest"]
    assert guest.marker("hostname") == ["e2e-metadata"]
    assert "169.254.169.15" in guest.marker("ip")
    assert "user-data from the metadata service" in guest.console()
    assert httpx.get(f"http://127.0.0.1:{guest.http_port}/", timeout=30).text.strip() == \
        "e2e-metadata"
    result = guest.ssh(ssh_key, "hostname")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "e2e-metadata"


def test_power_button_shuts_the_guest_down(boot_guest: BootGuest, tmp_path: Path) -> None:
    drive = make_config_drive(tmp_path, {"hostname": "e2e-power"}, "", "iso9660")
    guest = boot_guest(config_drive=drive)
    guest.wait_for("nimbus-guest: up")

    # What `openstack server stop` does first; like Nova, press again while it has not
    # acted (on a loaded host the guest's ACPI listener may start after "up").
    for _press in range(6):
        guest.monitor_command("system_powerdown")
        try:
            guest.wait_for("nimbus-guest: shutdown", timeout=20)
            break
        except AssertionError:
            if guest.process.poll() is not None:
                raise
    guest.wait_for("nimbus-guest: shutdown", timeout=1)
    assert guest.process.wait(timeout=60) == 0   # the guest powered itself off
