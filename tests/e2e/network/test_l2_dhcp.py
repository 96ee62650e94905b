"""The L2 and DHCP parts of the network agent on real namespaces, bridges and dnsmasq.

Each test gets "hosts" of its own (a netns ``nimbus-t-<random>`` each) and stand-in guests
(a netns each, plugged by a veth whose host end is ``tap<port[:11]>`` and whose guest end
has the port's MAC). Traffic never leaves those namespaces; everything is removed at the
end, also on failure.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import nimbus
from nimbus.agents.network import dnsmasq, ip
from nimbus.agents.network.base import HostContext
from nimbus.agents.network.dhcp import DhcpPart, namespace_name
from nimbus.agents.network.l2 import L2Part, bridge_name, tap_name, vxlan_name
from nimbus.agents.network.messages import (
    FixedIp,
    HostState,
    Network,
    Port,
    Subnet,
    to_wire,
)
from nimbus.config import NetworkSettings

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network namespaces)"),
]

UDHCPC = shutil.which("busybox")
MTU = 1450


def rand() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture
def namespaces() -> Iterator[Callable[[str], str]]:
    """Makes named namespaces (``prefix-<random>``); all are deleted at the end."""
    made: list[str] = []

    def make(prefix: str) -> str:
        name = f"{prefix}-{rand()}"
        ip.netns_create(name, exist_ok=False)
        made.append(name)
        return name

    yield make
    for name in reversed(made):
        ip.netns_delete(name)


class Host:
    """One stand-in host: its netns, its state dir, and the two parts working on it."""

    def __init__(self, netns: str, state_dir: Path, options: object = None) -> None:
        self.netns = netns
        self.state_dir = state_dir
        self.plugged: list[str] = []
        self.unplugged: list[str] = []
        self.event = threading.Condition()
        self.ctx = HostContext(host=f"host-{netns}", state_dir=state_dir, netns=netns,
                               options=options)
        self.l2 = self.new_l2()
        self.dhcp = DhcpPart(self.ctx)

    def new_l2(self) -> L2Part:
        return L2Part(self.ctx, on_port_plugged=self._on_plug,
                      on_port_unplugged=self._on_unplug)

    def _on_plug(self, port_id: str) -> None:
        with self.event:
            self.plugged.append(port_id)
            self.event.notify_all()

    def _on_unplug(self, port_id: str) -> None:
        with self.event:
            self.unplugged.append(port_id)
            self.event.notify_all()

    def wait_plugged(self, port_id: str, timeout: float = 3.0) -> None:
        with self.event:
            assert self.event.wait_for(lambda: port_id in self.plugged, timeout), \
                f"port {port_id} was not plugged: {self.plugged}"

    def reconcile(self, state: HostState) -> list[str]:
        return self.l2.reconcile(state) + self.dhcp.reconcile(state)

    def close(self) -> None:
        self.l2.stop()
        for part in (self.dhcp, self.l2):
            try:
                part.teardown()
            except ip.IpError:
                pass
        for pid_file in self.state_dir.glob("dhcp/*/pid"):     # whatever teardown missed
            dnsmasq.Dnsmasq(dnsmasq.Paths(pid_file.parent), "").stop()


@pytest.fixture
def make_host(namespaces: Callable[[str], str],
              tmp_path: Path) -> Iterator[Callable[..., Host]]:
    hosts: list[Host] = []

    def make(**options: object) -> Host:
        host = Host(namespaces("nimbus-t"), tmp_path / f"host{len(hosts)}",
                    NetworkSettings(**options))  # type: ignore[arg-type]
        hosts.append(host)
        return host

    yield make
    for host in hosts:
        host.close()


def make_network(ports: int = 2, *, dhcp: bool = True, vni: int | None = None) -> Network:
    net_id, subnet_id = str(uuid.uuid4()), str(uuid.uuid4())
    net = Network(id=net_id, project_id="p", network_type="vxlan",
                  segmentation_id=vni or 1000 + int(rand()[:4], 16) % 5000, mtu=MTU,
                  dhcp=dhcp,
                  subnets=[Subnet(id=subnet_id, network_id=net_id, cidr="10.0.0.0/24",
                                  ip_version=4, gateway_ip="10.0.0.1",
                                  dns_nameservers=["10.0.0.53"])])
    if dhcp:
        net.ports.append(make_port(net, 2, owner="network:dhcp"))
    for n in range(ports):
        net.ports.append(make_port(net, 10 + n))
    return net


def make_port(net: Network, n: int, owner: str = "compute:nova") -> Port:
    return Port(id=str(uuid.uuid4()), network_id=net.id, project_id="p",
                mac_address=f"fa:16:3e:00:{n // 256:02x}:{n % 256:02x}",
                fixed_ips=[FixedIp(net.subnets[0].id, f"10.0.0.{n}")], device_owner=owner)


def plug_guest(namespaces: Callable[[str], str], host: Host, port: Port) -> str:
    """A guest: a namespace whose eth0 (the port's MAC) is the peer of tap<port> in the
    host netns, as QEMU's tap would be."""
    guest = namespaces("nimbus-g")
    ip.create_veth("eth0", tap_name(port.id), netns=guest, peer_netns=host.netns,
                   mac=port.mac_address, mtu=MTU)
    ip.set_link("eth0", netns=guest, up=True)
    return guest


def dhcp_lease(guest: str, script_dir: Path, timeout: float = 10.0) -> dict[str, str]:
    """Ask for a lease with busybox udhcpc; returns what the server sent (udhcpc's env)."""
    out = script_dir / f"lease-{guest}"
    script = script_dir / "udhcpc.sh"
    script.write_text(f'#!/bin/sh\n[ "$1" = bound ] && env > "{script_dir}/lease-$NS"\n'
                      "exit 0\n")
    script.chmod(0o755)
    assert UDHCPC, "busybox (udhcpc) is not installed: scripts/_lib.sh ensure_host_tools"
    ip.run(["env", f"NS={guest}", UDHCPC, "udhcpc", "-i", "eth0", "-f", "-q", "-n",
            "-t", "5", "-T", "1", "-s", str(script), "-O", "staticroutes", "-O", "mtu"],
           netns=guest, timeout=timeout)
    env = dict(line.split("=", 1) for line in out.read_text().splitlines() if "=" in line)
    return env


def ping(guest: str, address: str) -> bool:
    proc = ip.run(["ping", "-c", "1", "-W", "2", address], netns=guest, check=False)
    return proc.returncode == 0


def dnsmasq_pid(host: Host, net: Network) -> int | None:
    paths = dnsmasq.Paths(host.state_dir / "dhcp" / net.id)
    return dnsmasq.Dnsmasq(paths, namespace_name(net.id)).pid()


def test_guests_are_plugged_get_their_lease_and_ping_each_other(
        make_host: Callable[[], Host], namespaces: Callable[[str], str],
        tmp_path: Path) -> None:
    host = make_host()
    net = make_network()
    state = HostState(host=host.ctx.host, networks=[net])
    changes = host.reconcile(state)
    assert f"created bridge {bridge_name(net.id)} (mtu {MTU})" in changes
    dhcp_port, port1, port2 = net.ports
    assert ip.get_link(tap_name(dhcp_port.id), host.netns).master == \
        ip.get_link(bridge_name(net.id), host.netns).index
    # No local_ip: the network stays on this host, no VXLAN device.
    assert ip.get_link(vxlan_name(net.segmentation_id), host.netns) is None

    guest1 = plug_guest(namespaces, host, port1)
    guest2 = plug_guest(namespaces, host, port2)
    host.wait_plugged(port1.id)
    host.wait_plugged(port2.id)

    lease = dhcp_lease(guest1, tmp_path)
    assert lease["ip"] == "10.0.0.10"
    assert lease["subnet"] == "255.255.255.0"
    assert lease["router"] == "10.0.0.1"
    assert lease["dns"] == "10.0.0.53"
    assert lease["mtu"] == str(MTU)
    # Isolated subnet: the metadata route points at the DHCP port, then the default route.
    assert lease["staticroutes"] == "169.254.169.254/32 10.0.0.2 0.0.0.0/0 10.0.0.1"
    assert lease["hostname"] == "host-10-0-0-10"

    ip.add_address("eth0", "10.0.0.10/24", netns=guest1)
    ip.add_address("eth0", "10.0.0.11/24", netns=guest2)
    assert ping(guest1, "10.0.0.11")
    assert ping(guest2, "10.0.0.10")
    assert ping(guest1, "10.0.0.2")       # the DHCP port in qdhcp-


def test_port_added_later_is_served_within_two_seconds(
        make_host: Callable[[], Host], namespaces: Callable[[str], str],
        tmp_path: Path) -> None:
    host = make_host()
    net = make_network(ports=1)
    state = HostState(host=host.ctx.host, networks=[net])
    host.reconcile(state)
    pid = dnsmasq_pid(host, net)
    assert pid

    late = make_port(net, 20)
    guest = plug_guest(namespaces, host, late)      # QEMU made the tap before the port came
    net.ports.append(late)
    changes = host.reconcile(state)
    start = time.monotonic()
    assert f"reloaded dnsmasq of network {net.id}" in changes
    assert f"plugged {tap_name(late.id)} into {bridge_name(net.id)}" in changes
    lease = dhcp_lease(guest, tmp_path)
    assert lease["ip"] == "10.0.0.20"
    print(f"served after {time.monotonic() - start:.3f}s")
    assert time.monotonic() - start < 2.0
    assert dnsmasq_pid(host, net) == pid, "a new port must not restart dnsmasq"


def test_second_reconcile_changes_nothing_and_a_restart_keeps_dnsmasq(
        make_host: Callable[[], Host], namespaces: Callable[[str], str]) -> None:
    host = make_host()
    net = make_network()
    state = HostState(host=host.ctx.host, networks=[net])
    plug_guest(namespaces, host, net.ports[1])
    assert host.reconcile(state)
    pid = dnsmasq_pid(host, net)
    assert host.reconcile(state) == []

    # The agent restarts: new parts on the same state dir find everything in place.
    host.l2.stop()
    host.l2, host.dhcp = host.new_l2(), DhcpPart(host.ctx)
    assert host.reconcile(state) == []
    assert dnsmasq_pid(host, net) == pid
    assert net.ports[1].id in host.plugged      # still reported as plugged after restart


def test_network_removed_from_state_leaves_nothing(
        make_host: Callable[[], Host], namespaces: Callable[[str], str]) -> None:
    host = make_host()
    net = make_network()
    state = HostState(host=host.ctx.host, networks=[net])
    guest = plug_guest(namespaces, host, net.ports[1])
    host.reconcile(state)
    pid = dnsmasq_pid(host, net)
    assert pid and ip.netns_exists(namespace_name(net.id))

    changes = host.reconcile(HostState(host=host.ctx.host))
    assert f"removed bridge {bridge_name(net.id)}" in changes
    assert not ip.netns_exists(namespace_name(net.id))
    assert not Path(f"/proc/{pid}").exists() or not Path(f"/proc/{pid}/cmdline").read_bytes()
    names = {link.name for link in ip.links(host.netns)}
    assert not {n for n in names if n.startswith(("brq", "vxlan-"))}
    assert tap_name(net.ports[0].id) not in names       # the DHCP port's veth went too
    # The guest's tap stays (QEMU owns it) but is on no bridge.
    assert ip.get_link(tap_name(net.ports[1].id), host.netns).master is None
    assert ip.links(guest)
    assert host.dhcp.ledger.load() == set()


def test_unplugged_when_the_tap_goes(make_host: Callable[[], Host],
                                     namespaces: Callable[[str], str]) -> None:
    host = make_host()
    net = make_network(ports=1, dhcp=False)
    host.reconcile(HostState(host=host.ctx.host, networks=[net]))
    port = net.ports[0]
    guest = plug_guest(namespaces, host, port)
    host.wait_plugged(port.id)
    ip.delete_link("eth0", netns=guest)
    with host.event:
        assert host.event.wait_for(lambda: port.id in host.unplugged, 3.0)


def test_vxlan_between_two_hosts(make_host: Callable[[], Host],
                                 namespaces: Callable[[str], str],
                                 tmp_path: Path) -> None:
    host_a, host_b = make_host(), make_host()
    octet = int(rand()[:2], 16)
    ip_a, ip_b = f"10.255.{octet}.1", f"10.255.{octet}.2"
    # The underlay: a veth between the two hosts' namespaces, nowhere else.
    ip.create_veth("ul0", "ul1", netns=host_a.netns, peer_netns=host_b.netns)
    for ns, name, addr in ((host_a.netns, "ul0", ip_a), (host_b.netns, "ul1", ip_b)):
        ip.add_address(name, f"{addr}/30", netns=ns)
        ip.set_link(name, netns=ns, up=True)

    # Host A runs the network's dnsmasq: its view holds every port of the network.
    net = make_network(ports=2)
    dhcp_port, port_a, port_b = net.ports
    view_a = Network(**{**net.__dict__, "peers": [ip_b],
                        "remote_macs": {port_b.mac_address: ip_b}})
    view_b = Network(**{**net.__dict__, "dhcp": False, "ports": [port_b], "peers": [ip_a],
                        "remote_macs": {port_a.mac_address: ip_a,
                                        dhcp_port.mac_address: ip_a}})
    for host, view, local in ((host_a, view_a, ip_a), (host_b, view_b, ip_b)):
        changes = host.reconcile(HostState(host=host.ctx.host, networks=[view],
                                           local_ip=local))
        assert f"created vxlan device {vxlan_name(net.segmentation_id)}" in changes
        vx = ip.get_link(vxlan_name(net.segmentation_id), host.netns)
        assert vx.info["local"] == local and vx.info["learning"] is False
        assert ip.fdb_entries(vx.name, netns=host.netns) == {
            (ip.ZERO_MAC, view.peers[0]), *((mac, view.peers[0]) for mac in view.remote_macs)}

    guest_a = plug_guest(namespaces, host_a, port_a)
    guest_b = plug_guest(namespaces, host_b, port_b)
    host_a.wait_plugged(port_a.id)
    host_b.wait_plugged(port_b.id)
    # The guest on host B gets its lease from host A's dnsmasq, across the overlay.
    assert dhcp_lease(guest_b, tmp_path)["ip"] == "10.0.0.11"
    ip.add_address("eth0", "10.0.0.10/24", netns=guest_a)
    ip.add_address("eth0", "10.0.0.11/24", netns=guest_b)
    assert ping(guest_a, "10.0.0.11")
    assert ping(guest_b, "10.0.0.10")


def test_fdb_follows_the_state_and_foreign_devices_are_left_alone(
        make_host: Callable[..., Host]) -> None:
    host = make_host(physical_interface_mappings="physnet1:eth1")
    # Devices that are not ours: a bridge and an interface no mapping names.
    ip.create_bridge("br-foreign", netns=host.netns)
    ip.create_veth("eth2", "eth2p", netns=host.netns)
    ip.create_vxlan("vx-foreign", 9, local_ip="10.255.9.9", netns=host.netns)
    net = make_network(ports=1, dhcp=False)
    net.peers, net.remote_macs = ["10.255.1.2"], {"fa:16:3e:aa:00:01": "10.255.1.2"}
    state = HostState(host=host.ctx.host, networks=[net], local_ip="10.255.1.1")
    host.reconcile(state)
    vx = vxlan_name(net.segmentation_id)
    assert ip.fdb_entries(vx, netns=host.netns) == {
        (ip.ZERO_MAC, "10.255.1.2"), ("fa:16:3e:aa:00:01", "10.255.1.2")}

    net.peers = ["10.255.1.3"]
    net.remote_macs = {"fa:16:3e:aa:00:02": "10.255.1.3"}
    changes = host.reconcile(state)
    assert sorted(c for c in changes if c.startswith("fdb")) == [
        f"fdb {vx}: added 00:00:00:00:00:00 -> 10.255.1.3",
        f"fdb {vx}: added fa:16:3e:aa:00:02 -> 10.255.1.3",
        f"fdb {vx}: removed 00:00:00:00:00:00 -> 10.255.1.2",
        f"fdb {vx}: removed fa:16:3e:aa:00:01 -> 10.255.1.2",
    ]
    # A tap no state named (another part's device) is left on the bridge.
    ip.create_veth("tapforeign01", "tapforeign0p", netns=host.netns)
    ip.set_master("tapforeign01", bridge_name(net.id), netns=host.netns)
    host.reconcile(state)
    assert ip.get_link("tapforeign01", host.netns).master is not None
    # A network still in the state without ports here keeps a bridge it has (the external
    # part may hold the host's address on it); made with ports, it is not made without.
    external = make_network(ports=0, dhcp=False)
    external.external = True
    ip.create_bridge(bridge_name(external.id), netns=host.netns)
    state.networks.append(external)
    host.reconcile(state)
    assert ip.link_exists(bridge_name(external.id), host.netns)
    state.networks.remove(external)
    assert f"removed bridge {bridge_name(external.id)}" in host.reconcile(state)
    # A new VNI for the network: the old device goes, a new one comes.
    old_vni, net.segmentation_id = net.segmentation_id, net.segmentation_id + 1
    changes = host.reconcile(state)
    assert f"removed vxlan device {vxlan_name(old_vni)}" in changes
    host.reconcile(HostState(host=host.ctx.host))
    names = {link.name: link for link in ip.links(host.netns)}
    assert {"br-foreign", "eth2", "eth2p", "vx-foreign"} <= set(names)
    assert names["eth2"].master is None and not names["eth2"].up


def test_flat_network_between_two_hosts_on_mapped_interfaces(
        make_host: Callable[..., Host], namespaces: Callable[[str], str]) -> None:
    host_a = make_host(physical_interface_mappings="physnet1:eth1")
    host_b = make_host(physical_interface_mappings="physnet1:eth1")
    # The "wire": eth1 of one host is the veth peer of eth1 of the other.
    ip.create_veth("eth1", "eth1p", netns=host_a.netns, peer_netns=host_b.netns)
    ip.set_link("eth1p", netns=host_b.netns, new_name="eth1")
    net = make_network(ports=2, dhcp=False)
    net.network_type, net.physical_network, net.segmentation_id = "flat", "physnet1", None
    port_a, port_b = net.ports
    guests = []
    for host, mine in ((host_a, port_a), (host_b, port_b)):
        view = Network(**{**net.__dict__, "ports": [mine]})
        changes = host.reconcile(HostState(host=host.ctx.host, networks=[view]))
        assert f"plugged eth1 into {bridge_name(net.id)}" in changes
        guests.append(plug_guest(namespaces, host, mine))
        host.wait_plugged(mine.id)
    ip.add_address("eth0", "10.0.0.10/24", netns=guests[0])
    ip.add_address("eth0", "10.0.0.11/24", netns=guests[1])
    assert ping(guests[0], "10.0.0.11")
    # The network leaves host A: its bridge goes, eth1 (the operator's) stays.
    host_a.reconcile(HostState(host=host_a.ctx.host))
    eth1 = ip.get_link("eth1", host_a.netns)
    assert eth1 is not None and eth1.master is None
    assert not ping(guests[0], "10.0.0.11")


def _vlan_supported(namespaces: Callable[[str], str]) -> bool:
    ns = namespaces("nimbus-t")
    ip.create_veth("p0", "p1", netns=ns)
    try:
        ip.create_vlan("p0.5", "p0", 5, netns=ns)
    except ip.IpError:
        return False
    return True


def test_vlan_network_onto_a_subinterface(make_host: Callable[..., Host],
                                          namespaces: Callable[[str], str]) -> None:
    if not _vlan_supported(namespaces):
        pytest.skip("this kernel has no 802.1Q (vlan) devices")
    host = make_host(physical_interface_mappings="physnet1:eth1")
    ip.create_veth("eth1", "eth1p", netns=host.netns)
    net = make_network(ports=1, dhcp=False)
    net.network_type, net.physical_network, net.segmentation_id = "vlan", "physnet1", 42
    host.reconcile(HostState(host=host.ctx.host, networks=[net]))
    vlan = ip.get_link("eth1.42", host.netns)
    assert vlan.kind == "vlan" and vlan.info["vlan_id"] == 42
    assert vlan.master == ip.get_link(bridge_name(net.id), host.netns).index
    host.reconcile(HostState(host=host.ctx.host))
    assert ip.get_link("eth1.42", host.netns) is None
    assert ip.get_link("eth1", host.netns) is not None


def _trunk(host: Host) -> tuple[Network, Network, Port, Port, Port]:
    """A trunk parent on network A with a subport (VLAN 101) on network B, and a plain
    port on B; the state names them all on the host."""
    net_a, net_b = make_network(ports=1, dhcp=False), make_network(ports=2, dhcp=False)
    net_b.subnets[0].cidr, net_b.subnets[0].gateway_ip = "10.0.1.0/24", "10.0.1.1"
    parent, (sub, other) = net_a.ports[0], net_b.ports
    sub.fixed_ips = [FixedIp(net_b.subnets[0].id, "10.0.1.10")]
    other.fixed_ips = [FixedIp(net_b.subnets[0].id, "10.0.1.11")]
    parent.subports = {sub.id: 101}
    host.reconcile(HostState(host=host.ctx.host, networks=[net_a, net_b]))
    return net_a, net_b, parent, sub, other


def test_a_trunk_parent_is_plugged_even_where_subports_cannot_be(
        make_host: Callable[..., Host], namespaces: Callable[[str], str]) -> None:
    host = make_host()
    net_a, _net_b, parent, _sub, _other = _trunk(host)
    plug_guest(namespaces, host, parent)
    host.wait_plugged(parent.id)
    tap = ip.get_link(tap_name(parent.id), host.netns)
    assert tap.master == ip.get_link(bridge_name(net_a.id), host.netns).index


def test_a_trunk_subport_carries_its_vlan_into_its_network(
        make_host: Callable[..., Host], namespaces: Callable[[str], str]) -> None:
    if not _vlan_supported(namespaces):
        pytest.skip("this kernel has no 802.1Q (vlan) devices")
    host = make_host()
    net_a, net_b, parent, sub, other = _trunk(host)
    guest = plug_guest(namespaces, host, parent)
    host.wait_plugged(parent.id)
    host.wait_plugged(sub.id)
    device = ip.get_link(tap_name(sub.id), host.netns)
    assert device.kind == "vlan" and device.info["vlan_id"] == 101
    assert device.master == ip.get_link(bridge_name(net_b.id), host.netns).index
    # Inside the guest the subport is eth0.101; it reaches the other port of network B.
    ip.create_vlan("eth0.101", "eth0", 101, netns=guest, mtu=MTU)
    ip.add_address("eth0.101", "10.0.1.10/24", netns=guest)
    peer = plug_guest(namespaces, host, other)
    ip.add_address("eth0", "10.0.1.11/24", netns=peer)
    host.wait_plugged(other.id)
    assert ping(guest, "10.0.1.11")
    # The subport leaves the trunk: its device goes, the parent stays plugged.
    parent.subports = {}
    changes = host.reconcile(HostState(host=host.ctx.host, networks=[net_a, net_b]))
    assert f"removed subport device {tap_name(sub.id)}" in changes
    assert ip.get_link(tap_name(sub.id), host.netns) is None
    assert not ping(guest, "10.0.1.11")


def test_admin_down_port_is_unplugged(make_host: Callable[..., Host],
                                      namespaces: Callable[[str], str]) -> None:
    host = make_host()
    net = make_network(ports=1, dhcp=False)
    state = HostState(host=host.ctx.host, networks=[net])
    port = net.ports[0]
    plug_guest(namespaces, host, port)
    host.reconcile(state)
    assert port.id in host.plugged
    port.admin_state_up = False
    net.ports.append(make_port(net, 30))       # keeps the network on the host
    changes = host.reconcile(state)
    assert f"unplugged {tap_name(port.id)}" in changes
    assert port.id in host.unplugged


def test_ipv6_slaac_subnet_is_advertised_by_dnsmasq(
        make_host: Callable[..., Host], namespaces: Callable[[str], str]) -> None:
    host = make_host()
    net = make_network(ports=1)
    v6 = Subnet(id=str(uuid.uuid4()), network_id=net.id, cidr="fd00:77::/64", ip_version=6,
                gateway_ip="fd00:77::1", ipv6_ra_mode="slaac", ipv6_address_mode="slaac")
    net.subnets.append(v6)
    dhcp_port, vm = net.ports
    dhcp_port.fixed_ips.append(FixedIp(v6.id, "fd00:77::f816:3eff:fe00:2"))
    vm.fixed_ips.append(FixedIp(v6.id, "fd00:77::f816:3eff:fe00:a"))
    host.reconcile(HostState(host=host.ctx.host, networks=[net]))
    argv = dnsmasq.Dnsmasq(dnsmasq.Paths(host.state_dir / "dhcp" / net.id),
                           namespace_name(net.id)).running_argv()
    assert argv and "--enable-ra" in argv
    assert f"--dhcp-range=set:subnet-{v6.id},fd00:77::,ra-only,64,86400s" in argv

    guest = plug_guest(namespaces, host, vm)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if "fd00:77::f816:3eff:fe00:a/64" in ip.addresses("eth0", netns=guest):
            break
        time.sleep(0.2)
    assert "fd00:77::f816:3eff:fe00:a/64" in ip.addresses("eth0", netns=guest)

    # A DHCPv6 subnet added later: dnsmasq restarts with its range, bound at once.
    stateful = Subnet(id=str(uuid.uuid4()), network_id=net.id, cidr="fd00:78::/64",
                      ip_version=6, ipv6_ra_mode="dhcpv6-stateful",
                      ipv6_address_mode="dhcpv6-stateful")
    net.subnets.append(stateful)
    dhcp_port.fixed_ips.append(FixedIp(stateful.id, "fd00:78::2"))
    changes = host.reconcile(HostState(host=host.ctx.host, networks=[net]))
    assert any(c.startswith(f"restarted dnsmasq of network {net.id}") for c in changes)
    argv = dnsmasq.Dnsmasq(dnsmasq.Paths(host.state_dir / "dhcp" / net.id),
                           namespace_name(net.id)).running_argv()
    assert argv and f"--dhcp-range=set:subnet-{stateful.id},fd00:78::,static,64,86400s" in argv


DHCLIENT = shutil.which("dhclient") or ("/usr/sbin/dhclient"
                                       if os.path.exists("/usr/sbin/dhclient") else None)


def _link_local_ready(guest: str, timeout: float = 10.0) -> None:
    """Wait until eth0's link-local address has passed duplicate address detection."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = ip.run(["ip", "-6", "addr", "show", "dev", "eth0", "scope", "link"],
                     netns=guest).stdout
        if "fe80::" in out and "tentative" not in out:
            return
        time.sleep(0.2)
    raise AssertionError(f"eth0 in {guest} has no usable link-local address")


def test_dhcpv6_stateful_subnet_leases_the_ports_address(
        make_host: Callable[..., Host], namespaces: Callable[[str], str],
        tmp_path: Path) -> None:
    assert DHCLIENT, "isc-dhcp-client is not installed: scripts/_lib.sh ensure_host_tools"
    host = make_host()
    net = make_network(ports=1)
    v6 = Subnet(id=str(uuid.uuid4()), network_id=net.id, cidr="fd00:79::/64", ip_version=6,
                gateway_ip="fd00:79::1", ipv6_ra_mode="dhcpv6-stateful",
                ipv6_address_mode="dhcpv6-stateful", dns_nameservers=["fd00:79::53"])
    net.subnets.append(v6)
    dhcp_port, vm = net.ports
    dhcp_port.fixed_ips.append(FixedIp(v6.id, "fd00:79::2"))
    vm.fixed_ips.append(FixedIp(v6.id, "fd00:79::a"))
    host.reconcile(HostState(host=host.ctx.host, networks=[net]))
    guest = plug_guest(namespaces, host, vm)
    host.wait_plugged(vm.id)
    _link_local_ready(guest)
    leases = tmp_path / "dhclient6.leases"
    # -sf /bin/true: the lease is only recorded, the guest namespace is left as it is.
    ip.run([DHCLIENT, "-6", "-1", "-v", "-sf", "/bin/true", "-lf", str(leases),
            "-pf", str(tmp_path / "dhclient6.pid"), "eth0"], netns=guest, timeout=30)
    lease = leases.read_text()
    assert "iaaddr fd00:79::a " in lease, lease
    assert "fd00:79::53" in lease       # the subnet's DNS server, as option dhcp6.name-servers


def test_address_of_a_deleted_port_is_served_to_its_successor(
        make_host: Callable[..., Host], namespaces: Callable[[str], str],
        tmp_path: Path) -> None:
    host = make_host()
    net = make_network(ports=1)
    state = HostState(host=host.ctx.host, networks=[net])
    first = net.ports[1]
    guest = plug_guest(namespaces, host, first)
    host.reconcile(state)
    assert dhcp_lease(guest, tmp_path)["ip"] == "10.0.0.10"
    pid = dnsmasq_pid(host, net)

    # The port is deleted and its address given to a new port (another MAC).
    net.ports.remove(first)
    second = make_port(net, 10)
    second.mac_address = "fa:16:3e:00:01:10"
    net.ports.append(second)
    guest2 = plug_guest(namespaces, host, second)
    host.reconcile(state)
    assert dhcp_lease(guest2, tmp_path)["ip"] == "10.0.0.10"
    assert dnsmasq_pid(host, net) == pid


AGENT_SCRIPT = """
import json, sys, time
from pathlib import Path
from nimbus.agents.network.base import HostContext
from nimbus.agents.network.dhcp import DhcpPart
from nimbus.agents.network.l2 import L2Part
from nimbus.agents.network.messages import HostState, from_wire
netns, state_dir, state = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3])
ctx = HostContext(host="h", state_dir=state_dir, netns=netns)
state = from_wire(HostState, state)
L2Part(ctx, watch=False).reconcile(state)
DhcpPart(ctx).reconcile(state)
print("reconciled", flush=True)
time.sleep(60)
"""


def test_dnsmasq_outlives_the_agent_process(make_host: Callable[..., Host],
                                            tmp_path: Path) -> None:
    host = make_host()
    net = make_network(ports=1)
    state = HostState(host=host.ctx.host, networks=[net])
    agent = subprocess.Popen(
        [sys.executable, "-c", AGENT_SCRIPT, host.netns, str(host.state_dir),
         json.dumps(to_wire(state))], stdout=subprocess.PIPE, text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(Path(nimbus.__file__).parents[1])})
    try:
        assert agent.stdout is not None and agent.stdout.readline() == "reconciled\n"
        pid = dnsmasq_pid(host, net)
        assert pid
        os.killpg(agent.pid, signal.SIGKILL)      # the agent dies outright, group and all
        agent.wait(timeout=10)
    finally:
        if agent.poll() is None:
            agent.kill()
    assert dnsmasq_pid(host, net) == pid
    assert host.dhcp.reconcile(state) == []      # a new agent finds it and keeps it
    assert dnsmasq_pid(host, net) == pid


# --- added by helper scaleout: a port deleted while the agent was down --------------------


def test_a_new_agent_unplugs_the_tap_of_a_port_deleted_while_none_ran(
        make_host: Callable[..., Host], namespaces: Callable[[str], str]) -> None:
    """The taps L2 named are kept in its state dir: the next agent (after a kill) still
    releases the tap of a port that went meanwhile, and leaves a foreign tap alone."""
    host = make_host()
    net = make_network(ports=2, dhcp=False)
    gone, kept = net.ports
    for port in (gone, kept):
        plug_guest(namespaces, host, port)
    host.reconcile(HostState(host=host.ctx.host, networks=[net]))
    host.l2.stop()
    bridge = ip.get_link(bridge_name(net.id), host.netns)
    assert bridge is not None
    ip.create_veth("tapforeign0", "tapforeign1", netns=host.netns)
    ip.set_master("tapforeign0", bridge.name, netns=host.netns)
    net.ports.remove(gone)
    host.l2 = host.new_l2()                     # the agent started again
    changes = host.l2.reconcile(HostState(host=host.ctx.host, networks=[net]))
    assert f"unplugged {tap_name(gone.id)}" in changes
    members = {link.name for link in ip.links(host.netns) if link.master == bridge.index}
    assert members == {tap_name(kept.id), "tapforeign0"}
