"""What the metadata service knows of one instance: plain dataclasses, filled in by whoever
owns the instances (the servers' side, through the instance source hook) and read by the
builder. Nothing here touches the database."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field


@dataclass
class KeyPair:
    name: str
    public_key: str
    type: str = "ssh"


@dataclass
class HostRoute:
    destination: str  # a CIDR
    nexthop: str


@dataclass
class SubnetInfo:
    """A subnet one of the instance's ports has an address on (Neutron's subnet fields)."""

    id: str
    cidr: str
    gateway_ip: str | None = None
    dns_nameservers: list[str] = field(default_factory=list)
    host_routes: list[HostRoute] = field(default_factory=list)
    enable_dhcp: bool = True
    # "slaac", "dhcpv6-stateful", "dhcpv6-stateless" or None (IPv6 subnets only).
    ipv6_address_mode: str | None = None
    # The address of the network's DHCP port on this subnet, when it has one: Nova then
    # leaves the link's MTU to DHCP (``"mtu": null``).
    dhcp_server: str | None = None

    @property
    def ip_version(self) -> int:
        return ipaddress.ip_network(self.cidr, strict=False).version


@dataclass
class FixedIp:
    ip_address: str
    subnet_id: str
    # Floating IPs associated with this fixed IP (EC2's public-ipv4 is the first).
    floating_ips: list[str] = field(default_factory=list)


@dataclass
class PortInfo:
    """One of the instance's ports (a VIF in Nova's network info)."""

    id: str
    mac_address: str
    network_id: str
    fixed_ips: list[FixedIp] = field(default_factory=list)
    # The subnets of the fixed IPs, in the order Neutron lists them.
    subnets: list[SubnetInfo] = field(default_factory=list)
    mtu: int | None = None
    # Neutron's binding:vif_type; Nimbus plugs Linux bridges.
    vif_type: str = "bridge"
    # The tap device; empty: Nova's name, "tap" + the port id's first 11 characters.
    devname: str = ""

    @property
    def link_name(self) -> str:
        return self.devname or f"tap{self.id[:11]}"


@dataclass
class DeviceInfo:
    """A tagged device (Nova's device metadata): a NIC, a disk or a share."""

    type: str  # "nic", "disk" or "share"
    bus: str | None = None  # "pci", "usb", "scsi", "ide", "xen"; None: no bus known
    address: str | None = None
    tags: list[str] | None = None
    mac: str | None = None  # nic
    vlan: int | None = None  # nic
    vf_trusted: bool | None = None  # nic
    serial: str | None = None  # disk
    path: str | None = None  # disk
    share_id: str | None = None  # share
    tag: str | None = None  # share


@dataclass
class BlockDevice:
    """A block device mapping, as far as EC2's block-device-mapping/ shows it."""

    device_name: str
    destination_type: str = "local"  # "local" or "volume"
    source_type: str = "image"  # "image", "blank", "volume", "snapshot"
    guest_format: str | None = None  # "swap" for a swap disk


@dataclass
class InstanceData:
    """Everything Nova's metadata (service and config drive) tells a guest about itself."""

    uuid: str
    name: str
    hostname: str
    project_id: str
    # The integer id EC2 shows as ``i-%08x`` (Nova's EC2 instance mapping id).
    ec2_id: int
    availability_zone: str | None = "nova"
    launch_index: int = 0
    reservation_id: str = ""
    flavor_name: str = ""
    image_id: str | None = None
    # Integer ids EC2 shows as ``ami-%08x``, ``aki-%08x``, ``ari-%08x``; None: derived from
    # the image's uuid (the first 32 bits), so that it stays the same for the same image.
    image_ec2_id: int | None = None
    kernel_ec2_id: int | None = None
    ramdisk_ec2_id: int | None = None
    # The instance's key pairs; Nova serves the first (the one named at boot).
    keypairs: list[KeyPair] = field(default_factory=list)
    user_data: bytes | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    # The admin password given at boot: only the config drive carries it (admin_pass).
    admin_pass: str | None = None
    # The password the guest posted to /openstack/<v>/password (encrypted by the guest).
    password: str | None = None
    ports: list[PortInfo] = field(default_factory=list)
    security_groups: list[str] = field(default_factory=list)
    devices: list[DeviceInfo] = field(default_factory=list)
    dedicated_cpus: list[int] = field(default_factory=list)
    root_device_name: str | None = "/dev/vda"
    default_ephemeral_device: str | None = None
    default_swap_device: str | None = None
    block_devices: list[BlockDevice] = field(default_factory=list)
    # Static vendor data (Nova's StaticJSON provider): vendor_data.json, and "static" in
    # vendor_data2.json. Left empty, the metadata API serves the deployment's
    # (vendordata.static_vendor_data: [compute] vendordata_jsonfile_path).
    vendor_data: dict[str, object] = field(default_factory=dict)
