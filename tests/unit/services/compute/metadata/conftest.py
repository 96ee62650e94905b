"""Instances to build metadata from, and cloud-init's own readers to check it with."""

from __future__ import annotations

import dataclasses
import logging
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from nimbus.services.compute.metadata import (
    DeviceInfo,
    FixedIp,
    HostRoute,
    InstanceData,
    KeyPair,
    PortInfo,
    SubnetInfo,
)

INSTANCE_ID = "8b5c3a6e-2f0d-4c1e-9a7b-3d2e1f0a9b8c"
PROJECT_ID = "f7ac731cc11f40efbc03a9f9e1d1d21f"
PORT_ID = "cd9f6d46-4a3a-43ab-a466-994af9db96fc"
NETWORK_ID = "99e88329-f20d-4741-9593-25bf07847b16"
KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDYVEprvtYJXVOBN0XNKVVRNCRX6Bln Generated-by-Nova\n"
ROOT = Path(__file__).resolve().parents[5]


def ipv4_subnet(**changes: Any) -> SubnetInfo:
    subnet = SubnetInfo(id="subnet-v4", cidr="10.0.0.0/24", gateway_ip="10.0.0.1",
                        dns_nameservers=["8.8.8.8", "8.8.4.4"],
                        host_routes=[HostRoute("192.168.0.0/16", "10.0.0.254")],
                        enable_dhcp=False)
    return dataclasses.replace(subnet, **changes)


def ipv6_subnet(**changes: Any) -> SubnetInfo:
    subnet = SubnetInfo(id="subnet-v6", cidr="fd00:1::/64", gateway_ip="fd00:1::1",
                        dns_nameservers=["fd00:1::53"], enable_dhcp=True,
                        ipv6_address_mode="slaac", dhcp_server="fd00:1::2")
    return dataclasses.replace(subnet, **changes)


def make_port(*subnets: SubnetInfo, **changes: Any) -> PortInfo:
    addresses = {"subnet-v4": "10.0.0.5", "subnet-v6": "fd00:1::f816:3eff:fe9c:bf3d"}
    fixed = [FixedIp(addresses.get(s.id, "10.9.9.9"), s.id,
                     ["172.24.4.9"] if s.ip_version == 4 else []) for s in subnets]
    port = PortInfo(id=PORT_ID, mac_address="fa:16:3e:9c:bf:3d", network_id=NETWORK_ID,
                    fixed_ips=fixed, subnets=list(subnets), mtu=1450)
    return dataclasses.replace(port, **changes)


def make_instance(**changes: Any) -> InstanceData:
    instance = InstanceData(
        uuid=INSTANCE_ID, name="test", hostname="test", project_id=PROJECT_ID, ec2_id=42,
        availability_zone="nova", launch_index=0, reservation_id="r-3fhbsu9b",
        flavor_name="m1.tiny", image_id="2d1c4a57-5b9e-4d0e-8b89-0a7a3c0e1f22",
        image_ec2_id=7, keypairs=[KeyPair("mykey", KEY)],
        user_data=b"#!/bin/sh\necho 'Extra user data here'\n",
        metadata={"priority": "low", "role": "webserver"},
        ports=[make_port(ipv4_subnet(), ipv6_subnet())], security_groups=["default", "web"],
        devices=[DeviceInfo("nic", bus="pci", address="0000:00:02.0",
                            mac="fa:16:3e:9c:bf:3d", tags=["trusted"]),
                 DeviceInfo("disk", bus="ide", address="0:0", serial="disk-vol-2352423",
                            path="/dev/sda", tags=["baz"])],
        vendor_data={"testing": {"value1": 1, "value2": 2, "value3": "three"}})
    return dataclasses.replace(instance, **changes)


@pytest.fixture
def cloudinit() -> ModuleType:
    """cloud-init's ``cloudinit.sources.helpers.openstack`` (cloud-init is not on PyPI:
    scripts/_lib.sh unpacks Debian's package into build/cloud-init)."""
    for base in (None, ROOT / "build/cloud-init/usr/lib/python3/dist-packages",
                 Path("/usr/lib/python3/dist-packages")):
        if base is not None:
            if not (base / "cloudinit").is_dir():
                continue
            if str(base) not in sys.path:
                sys.path.append(str(base))
        try:
            return _import_quietly()
        except ImportError as exc:
            if base is not None:
                pytest.skip(f"cloud-init at {base} does not import: {exc}")
    pytest.skip("cloud-init's code is not here (scripts/_lib.sh ensure_cloud_init_reader)")


def _import_quietly() -> ModuleType:
    """Import cloud-init's reader, undoing what its import does to the root logger (it
    lowers the level to NOTSET, which would flood every later test's captured logs)."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        from cloudinit.sources.helpers import openstack
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers
    return openstack
