"""The builder against Nova's documented shapes (doc/source/user/metadata.rst, and the
expectations of nova/tests/unit/network/test_network_info.py for network_data.json)."""

from __future__ import annotations

import base64
import datetime
import json

import pytest

from nimbus.services.compute.metadata import BlockDevice, DeviceInfo, InstanceMetadata, render
from nimbus.services.compute.metadata.builder import PASSWORD, MetadataNotFound

from .conftest import (
    INSTANCE_ID,
    KEY,
    NETWORK_ID,
    PORT_ID,
    PROJECT_ID,
    ipv4_subnet,
    ipv6_subnet,
    make_instance,
    make_port,
)


def text(md: InstanceMetadata, path: str) -> str:
    found = md.lookup(path)
    return render(found.data).decode()  # type: ignore[union-attr]


def doc(md: InstanceMetadata, path: str) -> dict:
    found = md.lookup(path)
    assert found.mimetype == "application/json"  # type: ignore[union-attr]
    return json.loads(render(found.data))  # type: ignore[union-attr]


def test_version_listings_are_novas() -> None:
    md = InstanceMetadata(make_instance())
    assert text(md, "/").split("\n") == [
        "1.0", "2007-01-19", "2007-03-01", "2007-08-29", "2007-10-10", "2007-12-15",
        "2008-02-01", "2008-09-01", "2009-04-04", "latest"]
    assert text(md, "/openstack").split("\n") == [
        "2012-08-10", "2013-04-04", "2013-10-17", "2015-10-15", "2016-06-30", "2016-10-06",
        "2017-02-22", "2018-08-27", "2020-10-14", "2025-04-04", "latest"]
    # Versions dated in the future are hidden from the listing, as Nova hides them.
    early = md.lookup("/openstack", today=datetime.date(2019, 1, 1))
    assert early.data[-2:] == ["2018-08-27", "latest"]  # type: ignore[union-attr]


def test_openstack_version_directories_grow_with_the_version() -> None:
    md = InstanceMetadata(make_instance())
    assert text(md, "openstack/2012-08-10").split("\n") == ["meta_data.json", "user_data"]
    assert text(md, "openstack/2013-10-17/").split("\n") == [
        "meta_data.json", "user_data", "password", "vendor_data.json"]
    assert text(md, "openstack/latest").split("\n") == [
        "meta_data.json", "user_data", "password", "vendor_data.json", "network_data.json",
        "vendor_data2.json"]
    without = InstanceMetadata(make_instance(user_data=None))
    assert "user_data" not in text(without, "openstack/latest").split("\n")
    with pytest.raises(MetadataNotFound):
        without.lookup("openstack/latest/user_data")
    for missing in ("openstack/2012-08-10/password", "openstack/2015-10-15/vendor_data2.json",
                    "openstack/2013-04-04/network_data.json", "openstack/2011-01-01",
                    "openstack/latest/meta_data.json/x", "openstack/latest/nope",
                    "openstack/content", "openstack/content/0000"):
        with pytest.raises(MetadataNotFound):
            md.lookup(missing)
    assert md.lookup("openstack/latest/password") is PASSWORD


def test_meta_data_json_has_the_documented_keys() -> None:
    md = InstanceMetadata(make_instance())
    data = doc(md, "openstack/2018-08-27/meta_data.json")
    assert set(data) == {"uuid", "meta", "public_keys", "keys", "hostname", "name",
                         "launch_index", "availability_zone", "random_seed", "project_id",
                         "devices"}
    assert data["uuid"] == INSTANCE_ID and data["name"] == "test"
    assert data["hostname"] == "test.novalocal"
    assert data["project_id"] == PROJECT_ID and data["launch_index"] == 0
    assert data["availability_zone"] == "nova"
    assert data["meta"] == {"priority": "low", "role": "webserver"}
    assert data["public_keys"] == {"mykey": KEY}
    assert data["keys"] == [{"name": "mykey", "type": "ssh", "data": KEY}]
    assert len(base64.b64decode(data["random_seed"])) == 512
    assert data["devices"] == [
        {"vf_trusted": False, "type": "nic", "mac": "fa:16:3e:9c:bf:3d", "bus": "pci",
         "address": "0000:00:02.0", "tags": ["trusted"]},
        {"type": "disk", "serial": "disk-vol-2352423", "path": "/dev/sda", "bus": "ide",
         "address": "0:0", "tags": ["baz"]}]
    latest = doc(md, "openstack/latest/meta_data.json")
    assert latest["dedicated_cpus"] == [] and latest["random_seed"] != data["random_seed"]


def test_meta_data_json_by_version() -> None:
    md = InstanceMetadata(make_instance(dedicated_cpus=[3, 1]), dhcp_domain="")
    folsom = doc(md, "openstack/2012-08-10/meta_data.json")
    assert "random_seed" not in folsom and "project_id" not in folsom
    assert folsom["hostname"] == "test"
    assert "devices" not in doc(md, "openstack/2015-10-15/meta_data.json")
    newton = doc(md, "openstack/2016-06-30/meta_data.json")
    # Before Rocky a NIC shows no vf_trusted, and a NIC with neither tags nor VLAN nothing.
    assert newton["devices"][0] == {"type": "nic", "mac": "fa:16:3e:9c:bf:3d", "bus": "pci",
                                    "address": "0000:00:02.0", "tags": ["trusted"]}
    assert doc(md, "openstack/latest/meta_data.json")["dedicated_cpus"] == [1, 3]
    bare = InstanceMetadata(make_instance(keypairs=[], metadata={}, devices=[
        DeviceInfo("nic", mac="fa:16:3e:00:00:01"), DeviceInfo("nic", vlan=100, mac="m"),
        DeviceInfo("share", share_id="s1", tag="data"), DeviceInfo("disk", bus="sata")]))
    data = doc(bare, "openstack/2017-02-22/meta_data.json")
    assert "public_keys" not in data and "keys" not in data and "meta" not in data
    assert data["devices"] == [{"vlan": 100, "type": "nic", "mac": "m", "bus": "none",
                                "address": "none"}]
    epoxy = doc(bare, "openstack/2025-04-04/meta_data.json")["devices"]
    assert {"type": "share", "share_id": "s1", "tag": "data", "bus": "none",
            "address": "none"} in epoxy


def test_network_data_json_with_ipv4_and_ipv6_subnets() -> None:
    md = InstanceMetadata(make_instance())
    found = md.lookup("openstack/latest/network_data.json")
    assert found.mimetype == "text/plain"  # type: ignore[union-attr]
    data = json.loads(render(found.data))  # type: ignore[union-attr]
    link = f"tap{PORT_ID[:11]}"
    # A DHCP server on the IPv6 subnet: Nova leaves the MTU to it.
    assert data["links"] == [{"id": link, "vif_id": PORT_ID, "type": "bridge", "mtu": None,
                              "ethernet_mac_address": "fa:16:3e:9c:bf:3d"}]
    assert data["networks"] == [
        {"id": "network0", "type": "ipv4", "link": link, "ip_address": "10.0.0.5",
         "netmask": "255.255.255.0",
         "routes": [{"network": "0.0.0.0", "netmask": "0.0.0.0", "gateway": "10.0.0.1"},
                    {"network": "192.168.0.0", "netmask": "255.255.0.0",
                     "gateway": "10.0.0.254"}],
         "network_id": NETWORK_ID,
         "services": [{"type": "dns", "address": "8.8.8.8"},
                      {"type": "dns", "address": "8.8.4.4"}]},
        {"id": "network1", "type": "ipv6_slaac", "link": link,
         "ip_address": "fd00:1::f816:3eff:fe9c:bf3d", "netmask": "ffff:ffff:ffff:ffff::",
         "routes": [{"network": "::", "netmask": "::", "gateway": "fd00:1::1"}],
         "network_id": NETWORK_ID, "services": [{"type": "dns", "address": "fd00:1::53"}]}]
    assert data["services"] == [{"type": "dns", "address": "8.8.8.8"},
                                {"type": "dns", "address": "8.8.4.4"},
                                {"type": "dns", "address": "fd00:1::53"}]


@pytest.mark.parametrize("mode", ["slaac", "dhcpv6-stateful", "dhcpv6-stateless"])
def test_ipv6_address_modes_name_the_network_type(mode: str) -> None:
    port = make_port(ipv6_subnet(ipv6_address_mode=mode))
    data = InstanceMetadata(make_instance(ports=[port])).network_data()
    assert data["networks"][0]["type"] == f"ipv6_{mode}"
    assert data["networks"][0]["ip_address"] == "fd00:1::f816:3eff:fe9c:bf3d"


def test_dhcp_subnets_are_left_to_dhcp() -> None:
    port = make_port(ipv4_subnet(enable_dhcp=True, dhcp_server="10.0.0.2"),
                     ipv6_subnet(ipv6_address_mode=None))
    data = InstanceMetadata(make_instance(ports=[port])).network_data()
    link = data["links"][0]["id"]
    assert data["networks"] == [
        {"id": "network0", "type": "ipv4_dhcp", "link": link, "network_id": NETWORK_ID},
        {"id": "network1", "type": "ipv6_dhcp", "link": link, "network_id": NETWORK_ID}]
    static = make_port(ipv4_subnet(gateway_ip=None, host_routes=[]), devname="tap0",
                       vif_type="other")
    data = InstanceMetadata(make_instance(ports=[static])).network_data()
    assert data["links"] == [{"id": "tap0", "vif_id": PORT_ID, "type": "phy", "mtu": 1450,
                              "ethernet_mac_address": "fa:16:3e:9c:bf:3d"}]
    assert data["networks"][0]["routes"] == []


def test_network_data_of_an_instance_without_ports_is_empty() -> None:
    md = InstanceMetadata(make_instance(ports=[]))
    assert render(md.lookup("openstack/latest/network_data.json").data) == b"{}"  # type: ignore
    two = make_instance(ports=[make_port(ipv4_subnet()),
                               make_port(ipv4_subnet(), id="port-2", devname="tap2")])
    data = InstanceMetadata(two).network_data()
    assert [n["id"] for n in data["networks"]] == ["network0", "network1"]
    assert [n["link"] for n in data["networks"]] == [f"tap{PORT_ID[:11]}", "tap2"]
    assert len(data["services"]) == 2  # the same DNS servers are listed once


def test_ec2_meta_data_tree() -> None:
    md = InstanceMetadata(make_instance(), address="10.0.0.5")
    assert text(md, "latest/meta-data/").split("\n") == [
        "ami-id", "ami-launch-index", "ami-manifest-path", "block-device-mapping/",
        "hostname", "instance-action", "instance-id", "instance-type", "local-hostname",
        "local-ipv4", "placement/", "public-hostname", "public-ipv4", "public-keys/",
        "reservation-id", "security-groups"]
    expected = {"ami-id": "ami-00000007", "ami-launch-index": "0",
                "ami-manifest-path": "FIXME", "hostname": "test.novalocal",
                "instance-action": "none", "instance-id": "i-0000002a",
                "instance-type": "m1.tiny", "local-hostname": "test.novalocal",
                "local-ipv4": "10.0.0.5", "public-hostname": "test.novalocal",
                "public-ipv4": "172.24.4.9", "reservation-id": "r-3fhbsu9b",
                "security-groups": "default\nweb",
                "placement/availability-zone": "nova", "public-keys": "0=mykey",
                "public-keys/0": "openssh-key", "public-keys/0/openssh-key": KEY,
                "block-device-mapping": "ami\nroot",
                "block-device-mapping/root": "/dev/vda", "block-device-mapping/ami": "vda"}
    for name, value in expected.items():
        assert text(md, f"2009-04-04/meta-data/{name}") == value, name
    assert text(md, "latest").split("\n") == ["meta-data/", "user-data"]
    assert text(md, "latest/user-data") == "#!/bin/sh\necho 'Extra user data here'\n"
    for missing in ("2010-01-01/meta-data/", "latest/meta-data/nope",
                    "latest/meta-data/hostname/x", "latest/meta-data/security-groups/web"):
        with pytest.raises(MetadataNotFound):
            md.lookup(missing)


def test_ec2_versions_add_fields_over_time() -> None:
    md = InstanceMetadata(make_instance(user_data=None, keypairs=[], ports=[]),
                          address="10.1.2.3")
    old = text(md, "1.0/meta-data/").split("\n")
    assert old == ["ami-id", "ami-launch-index", "ami-manifest-path", "hostname",
                   "instance-id", "local-ipv4", "reservation-id", "security-groups"]
    assert text(md, "1.0/meta-data/local-ipv4") == "10.1.2.3"  # the caller's address
    assert "instance-type" in text(md, "2007-08-29/meta-data/")
    assert "placement/" not in text(md, "2007-12-15/meta-data/")
    assert text(md, "latest") == "meta-data/"
    assert text(md, "latest/meta-data/public-ipv4") == ""


def test_block_device_mapping_follows_novas() -> None:
    inst = make_instance(kernel_ec2_id=3, ramdisk_ec2_id=4, block_devices=[
        BlockDevice("/dev/vdc", destination_type="volume", source_type="volume"),
        BlockDevice("/dev/vdb", source_type="blank"),
        BlockDevice("/dev/vdd", source_type="blank", guest_format="swap")])
    md = InstanceMetadata(inst)
    assert md.block_device_mapping() == {"ami": "vda", "root": "/dev/vda", "ebs0": "/dev/vdc",
                                         "swap": "/dev/vdd", "ephemeral0": "/dev/vdb"}
    assert text(md, "latest/meta-data/kernel-id") == "aki-00000003"
    assert text(md, "latest/meta-data/ramdisk-id") == "ari-00000004"
    none = InstanceMetadata(make_instance(root_device_name=None, image_ec2_id=None))
    assert none.block_device_mapping() == {"ami": "sda1", "ephemeral0": "sda2",
                                           "root": "/dev/sda1", "swap": "sda3"}
    # Without an EC2 image id: one made from the image's uuid, the same every time.
    assert text(none, "latest/meta-data/ami-id") == "ami-2d1c4a57"
