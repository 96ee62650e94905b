"""The fake hypervisor: the power-state transitions every driver has, kept in a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from nimbus.agents.compute import messages as m
from nimbus.agents.compute.driver import DriverError, GuestExists, GuestNotFound, InvalidState
from nimbus.agents.compute.fake import FakeDriver

UUID = "0b4c5c9e-1d33-4a8b-9a0e-5f1c3a2b7d10"


def spec(uuid: str = UUID, start: bool = True) -> m.GuestSpec:
    return m.GuestSpec(uuid=uuid, name="instance-1", hostname="vm1",
                       flavor=m.Flavor(vcpus=2, memory_mb=256, root_gb=1),
                       image=m.ImageRef(id="img", disk_format="qcow2"),
                       nics=[m.Nic("port-1", "fa:16:3e:00:00:01")], start=start)


@pytest.fixture
def driver(tmp_path: Path) -> FakeDriver:
    return FakeDriver(tmp_path)


def test_spawn_runs_and_a_second_spawn_is_refused(driver: FakeDriver) -> None:
    info = driver.spawn(spec())
    assert info.power_state == m.RUNNING and info.vcpus == 2
    with pytest.raises(GuestExists):
        driver.spawn(spec())
    assert driver.spawn(spec("1" * 32, start=False)).power_state == m.SHUTDOWN
    paused = spec("2" * 32)
    paused.start_paused = True
    assert driver.spawn(paused).power_state == m.PAUSED
    assert driver.unpause("2" * 32).power_state == m.RUNNING


def test_power_transitions(driver: FakeDriver) -> None:
    driver.spawn(spec())
    assert driver.power_off(UUID, True, 1).power_state == m.SHUTDOWN
    with pytest.raises(InvalidState):
        driver.pause(UUID)
    assert driver.power_on(UUID).power_state == m.RUNNING
    assert driver.pause(UUID).power_state == m.PAUSED
    assert driver.unpause(UUID).power_state == m.RUNNING
    assert driver.suspend(UUID).power_state == m.SUSPENDED
    with pytest.raises(InvalidState):
        driver.reboot(UUID, "hard", 1)
    assert driver.resume(UUID).power_state == m.RUNNING
    assert driver.reboot(UUID, "soft", 1).power_state == m.RUNNING


def test_rescue_resize_rebuild_and_interfaces(driver: FakeDriver) -> None:
    driver.spawn(spec())
    with pytest.raises(DriverError):
        driver.unrescue(UUID)
    assert driver.rescue(UUID, m.ImageRef(id="rescue", disk_format="raw")).rescued
    assert not driver.unrescue(UUID).rescued
    assert driver.resize(UUID, m.Flavor(vcpus=4, memory_mb=512), 1).vcpus == 4
    with pytest.raises(DriverError, match="confirm or revert"):
        driver.resize(UUID, m.Flavor(vcpus=8, memory_mb=512), 1)
    assert driver.revert_resize(UUID, 1).vcpus == 2
    with pytest.raises(DriverError, match="no resize"):
        driver.confirm_resize(UUID)
    driver.resize(UUID, m.Flavor(vcpus=4, memory_mb=512), 1)
    assert driver.confirm_resize(UUID).vcpus == 4
    assert driver.rebuild(UUID, m.ImageRef(id="img2", disk_format="qcow2"), None,
                          1).image_id == "img2"
    info = driver.attach_interface(UUID, m.Nic("port-2", "fa:16:3e:00:00:02"))
    assert [n.port_id for n in info.nics] == ["port-1", "port-2"]
    assert [n.port_id for n in driver.detach_interface(UUID, "port-1").nics] == ["port-2"]


def test_consoles_snapshot_diagnostics(driver: FakeDriver, tmp_path: Path) -> None:
    driver.spawn(spec())
    assert driver.console_output(UUID, 1) == "nimbus-guest: up\n"
    assert driver.console(UUID, "novnc").port == 5900
    result = driver.snapshot(UUID, m.SnapshotTarget(path=str(tmp_path / "s")))
    assert (tmp_path / "s").stat().st_size == result.size
    diag = driver.diagnostics(UUID)
    assert diag.state == "running" and diag.num_cpus == 2 and diag.num_nics == 1


def test_guests_survive_a_new_driver_and_destroy_is_idempotent(tmp_path: Path) -> None:
    FakeDriver(tmp_path).spawn(spec())
    again = FakeDriver(tmp_path)
    assert [g.uuid for g in again.reattach()] == [UUID]
    report = again.host_report("h")
    assert report.guests == {UUID: m.RUNNING} and report.vcpus_used == 2
    again.destroy(UUID)
    again.destroy(UUID)
    with pytest.raises(GuestNotFound):
        again.guest(UUID)
    assert FakeDriver(tmp_path).list_guests() == []
