"""The compute agent's contract: messages survive the wire, and versions are checked."""

from __future__ import annotations

import json

import pytest

from nimbus.agents.compute import messages as m
from nimbus.kernel.bus import UnsupportedVersion


def full_spec() -> m.GuestSpec:
    return m.GuestSpec(
        uuid="0b4c5c9e-1d33-4a8b-9a0e-5f1c3a2b7d10", name="instance-00000001",
        hostname="vm1", project_id="p", user_id="u",
        flavor=m.Flavor(vcpus=2, memory_mb=256, root_gb=1, ephemeral_gb=1, swap_mb=64,
                        name="m1.tiny", flavorid="1", extra_specs={"hw:cpu_policy": "shared"}),
        image=m.ImageRef(id="img", disk_format="qcow2", size=10, checksum="c",
                         os_hash_algo="sha512", os_hash_value="h",
                         url="http://127.0.0.1/image/v2/images/img/file", auth_token="t"),
        nics=[m.Nic(port_id="7d0c8a6e-1111-2222-3333-444455556666", mac="fa:16:3e:00:00:01",
                    mtu=1450)],
        config_drive=m.ConfigDrive(files={"openstack/latest/meta_data.json": "{}",
                                          "openstack/latest/vendor": "base64:AAE="}),
        block_devices=[m.BlockDevice(kind="ephemeral", size_mb=1024),
                       m.BlockDevice(kind="swap", size_mb=64)],
        qemu=m.QemuOptions(machine="q35", accel="tcg"))


def test_guest_spec_round_trips_through_json() -> None:
    spec = full_spec()
    wire = json.loads(json.dumps(m.to_wire(spec)))
    assert m.from_wire(m.GuestSpec, wire) == spec


def test_unknown_fields_of_a_newer_minor_are_ignored() -> None:
    wire = m.to_wire(full_spec())
    wire["future_field"] = 1
    wire["flavor"]["future"] = "x"
    assert m.from_wire(m.GuestSpec, wire) == full_spec()


def test_every_message_round_trips() -> None:
    samples = [
        m.GuestInfo(uuid="u", power_state=m.RUNNING, nics=[m.Nic("p", "fa:16:3e:00:00:02")]),
        m.HostReport(host="h", hypervisor_hostname="h", traits=["HW_CPU_X86_SSE42"],
                     guests={"u": m.RUNNING}),
        m.InstanceUpdate(uuid="u", host="h", power_state=m.SHUTDOWN, vm_state="stopped"),
        m.SnapshotTarget(upload_url="http://x/v2/images/i/file", auth_token="t"),
        m.SnapshotResult(size=3), m.ConsoleInfo(kind="novnc", host="127.0.0.1", port=5900),
        m.Diagnostics(state="running", driver="libvirt"),
    ]
    for sample in samples:
        wire = json.loads(json.dumps(m.to_wire(sample)))
        assert m.from_wire(type(sample), wire) == sample


def test_tap_name_is_what_the_network_agent_plugs() -> None:
    from nimbus.agents.network.l2 import tap_name

    port = "7d0c8a6e-1111-2222-3333-444455556666"
    assert m.tap_name(port) == tap_name(port) == "tap7d0c8a6e-11"
    assert m.Nic(port, "fa:16:3e:00:00:01").device() == "tap7d0c8a6e-11"


@pytest.mark.parametrize("version", ["2.0", "0.9", "1.9", "", "x"])
def test_other_versions_are_refused(version: str) -> None:
    with pytest.raises(UnsupportedVersion):
        m.check_version(version)


def test_own_version_is_accepted() -> None:
    m.check_version(m.VERSION)
    m.check_version("1.0")
