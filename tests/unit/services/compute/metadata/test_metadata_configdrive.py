"""The config drive's files, read back by cloud-init's own ConfigDriveReader from a
directory tree laid out as the agent lays out the ISO."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

from nimbus.services.compute.metadata import config_drive_files

from .conftest import INSTANCE_ID, KEY, make_instance


def write_tree(files: dict[str, bytes], root: Path) -> Path:
    for path, data in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def test_the_drive_has_novas_tree() -> None:
    files = config_drive_files(make_instance(admin_pass="s3cret"),
                               files=[("/etc/motd", b"hello\n")])
    dirs = sorted({p.rsplit("/", 1)[0] for p in files})
    assert dirs == ["ec2/2009-04-04", "ec2/latest", "openstack/2012-08-10",
                    "openstack/2013-04-04", "openstack/2013-10-17", "openstack/2015-10-15",
                    "openstack/2016-06-30", "openstack/2016-10-06", "openstack/2017-02-22",
                    "openstack/2018-08-27", "openstack/2020-10-14", "openstack/2025-04-04",
                    "openstack/content", "openstack/latest"]
    assert sorted(p.rsplit("/", 1)[1] for p in files if p.startswith("openstack/latest/")) \
        == ["meta_data.json", "network_data.json", "user_data", "vendor_data.json",
            "vendor_data2.json"]
    assert sorted(p for p in files if p.startswith("openstack/2012-08-10/")) == [
        "openstack/2012-08-10/meta_data.json", "openstack/2012-08-10/user_data"]
    meta = json.loads(files["openstack/latest/meta_data.json"])
    assert meta["admin_pass"] == "s3cret"  # the drive carries it, the service never does
    assert meta["files"] == [{"path": "/etc/motd", "content_path": "/content/0000"}]
    assert files["openstack/content/0000"] == b"hello\n"
    ec2 = json.loads(files["ec2/latest/meta-data.json"])
    assert ec2["public-keys"] == {"0": {"openssh-key": KEY}}  # no "_name" on the drive
    assert ec2["instance-id"] == "i-0000002a"
    assert ec2["placement"] == {"availability-zone": "nova"}
    assert files["ec2/latest/user-data"] == files["openstack/latest/user_data"]


def test_no_user_data_no_password_no_admin_pass() -> None:
    files = config_drive_files(make_instance(user_data=None, password="x"))
    assert not any(p.endswith(("user_data", "user-data", "password")) for p in files)
    assert "admin_pass" not in json.loads(files["openstack/latest/meta_data.json"])


def test_cloud_init_reads_the_drive(cloudinit: ModuleType, tmp_path: Path) -> None:
    instance = make_instance()
    root = write_tree(config_drive_files(instance, files=[("/etc/motd", b"hi\n")]), tmp_path)
    reader = cloudinit.ConfigDriveReader(str(root))
    result = reader.read_v2()
    meta = result["metadata"]
    assert meta["instance-id"] == INSTANCE_ID  # cloud-init's copy of uuid
    assert meta["local-hostname"] == "test.novalocal"
    assert meta["public_keys"] == {"mykey": KEY}
    assert len(meta["random_seed"]) == 512  # decoded by cloud-init
    assert result["userdata"] == instance.user_data
    assert result["files"] == {"/etc/motd": b"hi\n"}
    assert result["vendordata"] == instance.vendor_data
    assert result["vendordata2"] == {"static": instance.vendor_data}
    assert result["ec2-metadata"]["instance-id"] == "i-0000002a"
    assert result["networkdata"]["links"][0]["ethernet_mac_address"] == "fa:16:3e:9c:bf:3d"


def test_cloud_init_turns_network_data_into_its_config(cloudinit: ModuleType,
                                                        tmp_path: Path) -> None:
    root = write_tree(config_drive_files(make_instance()), tmp_path)
    network = cloudinit.ConfigDriveReader(str(root)).read_v2()["networkdata"]
    config = cloudinit.convert_net_json(network, known_macs={"fa:16:3e:9c:bf:3d": "eth0"})
    assert config["version"] == 1
    physical, *nameservers = config["config"]
    assert physical["type"] == "physical" and physical["name"] == "eth0"
    assert physical["mac_address"] == "fa:16:3e:9c:bf:3d"
    static, slaac = physical["subnets"]
    assert static["type"] == "static" and static["ipv4"] is True
    assert static["address"] == "10.0.0.5" and static["netmask"] == "255.255.255.0"
    assert static["routes"] == [
        {"network": "0.0.0.0", "netmask": "0.0.0.0", "gateway": "10.0.0.1"},
        {"network": "192.168.0.0", "netmask": "255.255.0.0", "gateway": "10.0.0.254"}]
    assert slaac["type"] == "ipv6_slaac"
    assert slaac["routes"] == [{"network": "::", "netmask": "::", "gateway": "fd00:1::1"}]
    assert nameservers == [{"type": "nameserver", "address": a}
                           for a in ("8.8.8.8", "8.8.4.4", "fd00:1::53")]
