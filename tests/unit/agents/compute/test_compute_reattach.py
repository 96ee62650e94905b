"""A restarted agent finds its guests' QEMU processes again (pidfile + the uuid on the
command line), never takes a reused pid for a guest, and reports QEMU processes that are
none of its guests without touching them. A fake process table stands in for /proc."""

from __future__ import annotations

from pathlib import Path

import pytest

from nimbus.agents.compute import guests
from nimbus.agents.compute import messages as m
from nimbus.agents.compute.guests import GuestFiles, GuestRecord
from nimbus.agents.compute.qemu import QemuDriver
from nimbus.config import ComputeSettings

A = "0b4c5c9e-1d33-4a8b-9a0e-5f1c3a2b7d10"
B = "1c5d6daf-2e44-4b9c-8b1f-6a2d4b3c8e21"
C = "2d6e7eb0-3f55-4cad-9c20-7b3e5c4d9f32"


class FakeTable:
    def __init__(self, processes: dict[int, list[str]]) -> None:
        self.processes = processes

    def cmdline(self, pid: int) -> list[str] | None:
        return self.processes.get(pid)

    def qemu_pids(self) -> list[int]:
        return [p for p, argv in self.processes.items() if "qemu-system" in argv[0]]


def qemu(uuid: str, name: str = "instance-x") -> list[str]:
    return ["/usr/bin/qemu-system-x86_64", "-name", f"guest={name},debug-threads=on",
            "-uuid", uuid, "-daemonize"]


def make_guest(path: Path, uuid: str, pid: int | None, wanted: str = "running") -> None:
    files = GuestFiles(path, uuid)
    files.dir.mkdir(parents=True)
    guests.save_record(files, GuestRecord(uuid=uuid, name=f"instance-{uuid[:4]}",
                                          hostname="h", vcpus=1, memory_mb=128,
                                          wanted=wanted))
    if pid is not None:
        files.pidfile.write_text(f"{pid}\n")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    make_guest(tmp_path, A, 100)              # running
    make_guest(tmp_path, B, 200)              # its pid now belongs to another program
    make_guest(tmp_path, C, 300, "stopped")   # its pid is another guest's QEMU
    (tmp_path / "_base").mkdir()              # the image cache is no guest
    (tmp_path / "not-a-guest").mkdir()
    return tmp_path


TABLE = FakeTable({100: qemu(A), 200: ["/usr/bin/python3", "-uuid", B],
                   300: qemu("ffffffff-0000-0000-0000-000000000000", "theirs"),
                   400: ["/usr/bin/qemu-system-aarch64", "-M", "virt"], 500: ["/bin/sh"]})


def test_records_are_found_and_pids_checked(path: Path) -> None:
    records = guests.load_all(path)
    assert sorted(records) == [A, B, C]
    assert guests.reattach_pids(path, records, TABLE) == {A: 100, B: None, C: None}


def test_unknown_qemu_processes_are_reported(path: Path) -> None:
    unknown = guests.unknown_processes({100}, TABLE)
    assert [(g.uuid, g.pid, g.name) for g in unknown] == [
        ("ffffffff-0000-0000-0000-000000000000", 300, "theirs"), ("pid-400", 400, "")]
    assert all(g.power_state == m.RUNNING and g.status == "unknown" for g in unknown)


def test_the_driver_reattaches_and_reports(path: Path) -> None:
    driver = QemuDriver(path, ComputeSettings(accelerator="tcg"), table=TABLE)
    found = {g.uuid: g for g in driver.reattach()}
    assert sorted(found) == [A, B, C]
    # A's QEMU is "running" but has no QMP socket here: its state is unknown, not off.
    assert found[A].pid == 100 and found[A].status == "unreachable"
    assert found[B].pid is None and found[B].power_state == m.SHUTDOWN
    assert found[C].pid is None and found[C].power_state == m.SHUTDOWN
    assert [g.pid for g in driver.unknown_guests()] == [300, 400]


def test_a_suspended_guest_stays_suspended(tmp_path: Path) -> None:
    make_guest(tmp_path, A, None, "suspended")
    GuestFiles(tmp_path, A).saved.write_bytes(b"state")
    driver = QemuDriver(tmp_path, ComputeSettings(accelerator="tcg"), table=FakeTable({}))
    assert [g.power_state for g in driver.reattach()] == [m.SUSPENDED]


def test_console_log_is_bounded(tmp_path: Path) -> None:
    log = tmp_path / "console.log"
    log.write_bytes(b"x" * 1000 + b"tail\n")
    assert guests.trim_console(log, 100)
    assert log.read_bytes().endswith(b"tail\n") and log.stat().st_size == 100
    assert not guests.trim_console(log, 100)
