"""The network agent's contract: what it is sent, what it asks for, what it reports.

Plain dataclasses with a version each, turned into dicts for the bus by ``to_wire`` and back
by ``from_wire``. The service (``services/network/agents.py``) imports this module to send;
the agent imports no service and no model.

Topics and methods:

* ``network-plugin`` (served by every API process; the agent calls and casts to it)
  - ``get_host_state(host)`` -> ``HostState.to_wire()``: everything this host must have.
  - ``report_state(report)`` cast, ``AgentReport``: the heartbeat, one per agent type.
  - ``update_port_status(port_id, status, host)`` cast: a port's device is plugged (ACTIVE)
    or gone (DOWN).
* event ``network.changed`` (published by the service; every network agent subscribes):
  ``Changed``: something in the desired state moved; an agent whose host it touches (or
  that cannot tell) asks for its state again and reconciles.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, TypeVar

# The version of the messages below. Bump the minor for an added optional field, the major
# for anything an older peer would misread.
VERSION = "1.1"

PLUGIN_TOPIC = "network-plugin"
CHANGED_EVENT = "network.changed"

AGENT_TYPES = {
    "linuxbridge": ("Linux bridge agent", "neutron-linuxbridge-agent", "N/A"),
    "dhcp": ("DHCP agent", "neutron-dhcp-agent", "dhcp"),
    "l3": ("L3 agent", "neutron-l3-agent", "l3_agent"),
    "metadata": ("Metadata agent", "neutron-metadata-agent", "N/A"),
}

T = TypeVar("T")


def from_wire(cls: type[T], data: dict[str, Any]) -> T:
    """Build a dataclass (and its nested ones) from a dict; unknown keys are ignored, so a
    newer minor version's additions reach an older agent harmlessly."""
    hints = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        f = hints.get(name)
        if f is None:
            continue
        nested = NESTED.get((cls.__name__, name))
        if nested is not None and value is not None:
            value = [from_wire(nested, v) for v in value] if isinstance(value, list) \
                else from_wire(nested, value)
        kwargs[name] = value
    return cls(**kwargs)


def to_wire(obj: Any) -> dict[str, Any]:
    return dataclasses.asdict(obj)


@dataclass
class FixedIp:
    subnet_id: str
    ip_address: str


@dataclass
class AddressPair:
    ip_address: str                 # an address or a CIDR
    mac_address: str


@dataclass
class DhcpOption:
    opt_name: str
    opt_value: str
    ip_version: int = 4


@dataclass
class Qos:
    max_kbps: int | None = None         # egress from the guest
    max_burst_kbps: int | None = None
    ingress_max_kbps: int | None = None
    ingress_max_burst_kbps: int | None = None
    dscp_mark: int | None = None


@dataclass
class Port:
    id: str
    network_id: str
    project_id: str
    mac_address: str
    fixed_ips: list[FixedIp] = field(default_factory=list)
    device_owner: str = ""
    device_id: str = ""
    admin_state_up: bool = True
    host: str = ""                      # binding:host_id
    port_security_enabled: bool = True
    security_group_ids: list[str] = field(default_factory=list)
    allowed_address_pairs: list[AddressPair] = field(default_factory=list)
    extra_dhcp_opts: list[DhcpOption] = field(default_factory=list)
    hostname: str = ""                  # dns_name, or host-<ip with dashes> as Neutron does
    qos: Qos | None = None
    # Trunk parent: subports (port id -> VLAN id) carried on this port's device.
    subports: dict[str, int] = field(default_factory=dict)


@dataclass
class HostRoute:
    destination: str
    nexthop: str


@dataclass
class Subnet:
    id: str
    network_id: str
    cidr: str
    ip_version: int
    gateway_ip: str | None = None
    enable_dhcp: bool = True
    dns_nameservers: list[str] = field(default_factory=list)
    host_routes: list[HostRoute] = field(default_factory=list)
    allocation_pools: list[dict[str, str]] = field(default_factory=list)
    ipv6_ra_mode: str | None = None
    ipv6_address_mode: str | None = None


@dataclass
class Network:
    id: str
    project_id: str
    network_type: str = "vxlan"         # flat | vlan | vxlan | local
    physical_network: str | None = None
    segmentation_id: int | None = None
    mtu: int = 1450
    admin_state_up: bool = True
    external: bool = False
    # This host runs the network's dnsmasq (qdhcp-<id>).
    dhcp: bool = False
    subnets: list[Subnet] = field(default_factory=list)
    # Ports of this network the host must serve: bound to it, or its DHCP/router ports.
    ports: list[Port] = field(default_factory=list)
    # VXLAN: the underlay (VTEP) addresses of the other hosts with ports on this network.
    peers: list[str] = field(default_factory=list)
    # VXLAN static FDB: MAC -> VTEP address, for the ports that live on other hosts.
    remote_macs: dict[str, str] = field(default_factory=dict)


@dataclass
class RouterPort:
    port_id: str
    network_id: str
    subnet_id: str
    mac_address: str
    ip_address: str
    prefixlen: int
    # IPv6 subnets (1.1): the router advertises the prefix in these modes (radvd).
    ipv6_ra_mode: str | None = None
    ipv6_address_mode: str | None = None


@dataclass
class FloatingIp:
    id: str
    floating_ip_address: str
    fixed_ip_address: str
    port_id: str


@dataclass
class PortForwarding:
    id: str
    floating_ip_address: str
    external_port: int
    internal_ip_address: str
    internal_port: int
    protocol: str                       # tcp | udp
    external_port_range: str = ""       # "a:b" when a range
    internal_port_range: str = ""


@dataclass
class Router:
    id: str
    project_id: str
    admin_state_up: bool = True
    # The qg- port on the external network and its addresses; None: no gateway.
    gateway: RouterPort | None = None
    gateway_ips: list[RouterPort] = field(default_factory=list)     # all external fixed IPs
    external_gateway_ip: str | None = None   # the external subnet's gateway: default route
    enable_snat: bool = True
    interfaces: list[RouterPort] = field(default_factory=list)      # qr- ports
    routes: list[HostRoute] = field(default_factory=list)
    floating_ips: list[FloatingIp] = field(default_factory=list)
    port_forwardings: list[PortForwarding] = field(default_factory=list)


@dataclass
class SecurityGroupRule:
    id: str
    direction: str                      # ingress | egress
    ethertype: str = "IPv4"             # IPv4 | IPv6
    protocol: str | None = None         # a name (tcp, udp, icmp, ...) or a number as text
    port_range_min: int | None = None
    port_range_max: int | None = None
    remote_ip_prefix: str | None = None
    remote_group_id: str | None = None
    remote_address_group_id: str | None = None


@dataclass
class SecurityGroup:
    id: str
    stateful: bool = True
    rules: list[SecurityGroupRule] = field(default_factory=list)
    # Addresses of the group's member ports (for rules that name it as remote group).
    member_ips: list[str] = field(default_factory=list)


@dataclass
class AddressGroup:
    id: str
    addresses: list[str] = field(default_factory=list)


@dataclass
class HostState:
    host: str
    version: str = VERSION
    networks: list[Network] = field(default_factory=list)
    routers: list[Router] = field(default_factory=list)
    security_groups: list[SecurityGroup] = field(default_factory=list)
    address_groups: list[AddressGroup] = field(default_factory=list)
    # The agent's own underlay address for VXLAN, as the service knows it.
    local_ip: str | None = None


@dataclass
class AgentReport:
    host: str
    agent_type: str                     # a key of AGENT_TYPES
    version: str = VERSION
    availability_zone: str = "nova"
    configurations: dict[str, Any] = field(default_factory=dict)
    started_at: float = 0.0


@dataclass
class Changed:
    version: str = VERSION
    # What moved; empty lists with ``everything`` set mean "resync all".
    networks: list[str] = field(default_factory=list)
    routers: list[str] = field(default_factory=list)
    security_groups: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    everything: bool = False


NESTED: dict[tuple[str, str], type] = {
    ("Port", "fixed_ips"): FixedIp,
    ("Port", "allowed_address_pairs"): AddressPair,
    ("Port", "extra_dhcp_opts"): DhcpOption,
    ("Port", "qos"): Qos,
    ("Subnet", "host_routes"): HostRoute,
    ("Network", "subnets"): Subnet,
    ("Network", "ports"): Port,
    ("Router", "gateway"): RouterPort,
    ("Router", "gateway_ips"): RouterPort,
    ("Router", "interfaces"): RouterPort,
    ("Router", "routes"): HostRoute,
    ("Router", "floating_ips"): FloatingIp,
    ("Router", "port_forwardings"): PortForwarding,
    ("SecurityGroup", "rules"): SecurityGroupRule,
    ("HostState", "networks"): Network,
    ("HostState", "routers"): Router,
    ("HostState", "security_groups"): SecurityGroup,
    ("HostState", "address_groups"): AddressGroup,
}
