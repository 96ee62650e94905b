"""Compute agent figures: the fake driver's operations per second (what scale tests lean
on), and the QEMU driver's times from spawn, hard reboot and resume to the test guest's
`nimbus-guest: up` (as root, TCG unless /dev/kvm works; one 128 MiB guest).

    python bench/compute.py [--guests N] [--fake-guests N] [--image build/guest/nimbus-guest.qcow2]
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import tempfile
import threading
import time
import uuid
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from nimbus.agents.compute import messages as m
from nimbus.agents.compute.fake import FakeDriver
from nimbus.agents.compute.qemu import QemuDriver
from nimbus.config import ComputeSettings

REPO = Path(__file__).resolve().parents[1]


def spec_for(image: m.ImageRef, memory_mb: int = 128) -> m.GuestSpec:
    guest = str(uuid.uuid4())
    return m.GuestSpec(uuid=guest, name=f"instance-{guest[:8]}", hostname="bench",
                       flavor=m.Flavor(vcpus=1, memory_mb=memory_mb), image=image,
                       config_drive=m.ConfigDrive(files={
                           "openstack/latest/meta_data.json": '{"hostname": "bench"}'}))


def bench_fake(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        driver = FakeDriver(Path(tmp))
        image = m.ImageRef(id="img", disk_format="qcow2")
        specs = [spec_for(image) for _ in range(count)]
        started = time.perf_counter()
        for spec in specs:
            driver.spawn(spec)
        spawned = time.perf_counter()
        for spec in specs:
            driver.power_off(spec.uuid, True, 0)
        took = time.perf_counter()
        print(f"fake: {count} spawns {count / (spawned - started):.0f}/s, "
              f"{count} power-offs {count / (took - spawned):.0f}/s")


def wait_up(driver: QemuDriver, guest: str, count: int, timeout: float = 300) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if driver.console_output(guest, None).count("nimbus-guest: up") >= count:
            return time.monotonic() - started
        time.sleep(0.2)
    raise SystemExit(f"guest {guest}: no 'nimbus-guest: up' within {timeout:g} s")


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def serve(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    handler = partial(QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def bench_qemu(image_path: Path, guests: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="nimbus-bench-"))
    shutil.copy(image_path, tmp / "image")
    server, url = serve(tmp)
    data = (tmp / "image").read_bytes()
    image = m.ImageRef(id="bench", disk_format="qcow2", size=len(data),
                       os_hash_algo="sha512", os_hash_value=hashlib.sha512(data).hexdigest(),
                       url=f"{url}/image")
    driver = QemuDriver(tmp / "instances", ComputeSettings())
    specs = [spec_for(image) for _ in range(guests)]
    try:
        for spec in specs:
            started = time.monotonic()
            driver.spawn(spec)
            spawned = time.monotonic() - started
            up = wait_up(driver, spec.uuid, 1)
            print(f"qemu ({driver.accel}): spawn {spawned:.1f} s, to up {spawned + up:.1f} s")
        for spec in specs:
            started = time.monotonic()
            driver.reboot(spec.uuid, "hard", 0)
            rebooted = time.monotonic() - started
            up = wait_up(driver, spec.uuid, 2)
            print(f"qemu: hard reboot to up {rebooted + up:.1f} s")
            started = time.monotonic()
            driver.suspend(spec.uuid)
            saved = time.monotonic() - started
            driver.resume(spec.uuid)
            print(f"qemu: suspend {saved:.1f} s, resume {time.monotonic() - started - saved:.1f} s")
    finally:
        for spec in specs:
            driver.destroy(spec.uuid)
        server.shutdown()
        server.server_close()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--guests", type=int, default=1, choices=[0, 1, 2])
    parser.add_argument("--fake-guests", type=int, default=2000)
    parser.add_argument("--image", type=Path,
                        default=REPO / "build" / "guest" / "nimbus-guest.qcow2")
    args = parser.parse_args()
    bench_fake(args.fake_guests)
    if args.guests:
        bench_qemu(args.image, args.guests)


if __name__ == "__main__":
    main()
