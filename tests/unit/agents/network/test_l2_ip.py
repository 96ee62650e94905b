"""ip.py, the netlink wrapper, against real namespaces of the test's own; and the pure
parts of l2.py (names, mappings) without root."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nimbus.agents.network import ip
from nimbus.agents.network.l2 import bridge_name, parse_mappings, tap_name, vlan_name

root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network namespaces)")


def test_neutron_names() -> None:
    net = "0123456789abcdef-rest"
    assert bridge_name(net) == "brq0123456789a"
    assert tap_name(net) == "tap0123456789a"
    assert vlan_name("eth1", 100) == "eth1.100"
    assert len(vlan_name("a-very-long-iface", 4094)) == 15
    assert parse_mappings("physnet1:eth1, physnet2 : br-ex,bad") == {
        "physnet1": "eth1", "physnet2": "br-ex"}


def test_errors_name_the_operation_and_the_command() -> None:
    with pytest.raises(ip.CommandError) as e:
        ip.run(["sh", "-c", "echo nope >&2; exit 3"])
    assert e.value.returncode == 3
    assert "run sh -c echo nope >&2; exit 3" in str(e.value)
    assert "nope" in str(e.value)
    with pytest.raises(ip.CommandError, match="timed out"):
        ip.run(["sleep", "5"], timeout=0.2)
    assert ip.netns_argv("x") == ["nsenter", "--net=/run/netns/x", "--"]


@pytest.fixture
def netns() -> Iterator[Callable[[], str]]:
    made: list[str] = []

    def make() -> str:
        name = f"nimbus-t-{uuid.uuid4().hex[:8]}"
        assert ip.netns_create(name)
        made.append(name)
        return name

    yield make
    for name in made:
        ip.netns_delete(name)


@pytest.mark.root
@root
def test_namespace_lifecycle(netns: Callable[[], str]) -> None:
    ns = netns()
    assert ns in ip.netns_list()
    assert not ip.netns_create(ns)           # already there
    lo = ip.get_link("lo", ns)
    assert lo is not None and lo.up
    with pytest.raises(ip.IpError, match="no such network namespace"):
        ip.links("nimbus-t-absent")
    assert ip.netns_delete(ns) and not ip.netns_delete(ns)


@pytest.mark.root
@root
def test_bridge_veth_master_and_move(netns: Callable[[], str]) -> None:
    host, guest = netns(), netns()
    ip.create_bridge("brqtest", netns=host, mtu=1400)
    ip.create_veth("tapx", "eth0", netns=host, peer_netns=guest, peer_mac="fa:16:3e:00:00:01",
                   mtu=1400)
    ip.set_master("tapx", "brqtest", netns=host)
    ip.set_link("tapx", netns=host, up=True)
    bridge, tap = ip.get_link("brqtest", host), ip.get_link("tapx", host)
    assert bridge.kind == "bridge" and bridge.mtu == 1400 and bridge.up
    assert tap.kind == "veth" and tap.master == bridge.index
    eth0 = ip.get_link("eth0", guest)
    assert eth0.mac == "fa:16:3e:00:00:01" and ip.get_link("eth0", host) is None
    ip.set_master("tapx", None, netns=host)
    assert ip.get_link("tapx", host).master is None
    ip.move_link("eth0", host, netns=guest, new_name="peer0")
    assert ip.link_exists("peer0", host)
    with pytest.raises(ip.LinkNotFound, match="set nothere"):
        ip.set_link("nothere", netns=host, up=True)
    assert ip.delete_link("tapx", netns=host)
    assert not ip.link_exists("peer0", host)          # the veth went as a pair
    assert not ip.delete_link("tapx", netns=host)


@pytest.mark.root
@root
def test_vxlan_and_fdb(netns: Callable[[], str]) -> None:
    ns = netns()
    ip.create_vxlan("vxlan-77", 77, local_ip="10.255.0.1", netns=ns, mtu=1450)
    link = ip.get_link("vxlan-77", ns)
    assert link.info == {"vni": 77, "local": "10.255.0.1", "port": 4789, "learning": False}
    ip.fdb_append("vxlan-77", ip.ZERO_MAC, "10.255.0.2", netns=ns)
    ip.fdb_append("vxlan-77", ip.ZERO_MAC, "10.255.0.3", netns=ns)
    ip.fdb_append("vxlan-77", "fa:16:3e:00:00:09", "10.255.0.2", netns=ns)
    assert ip.fdb_entries("vxlan-77", netns=ns) == {
        (ip.ZERO_MAC, "10.255.0.2"), (ip.ZERO_MAC, "10.255.0.3"),
        ("fa:16:3e:00:00:09", "10.255.0.2")}
    ip.fdb_delete("vxlan-77", ip.ZERO_MAC, "10.255.0.3", netns=ns)
    assert (ip.ZERO_MAC, "10.255.0.3") not in ip.fdb_entries("vxlan-77", netns=ns)


@pytest.mark.root
@root
def test_addresses_routes_and_sysctls(netns: Callable[[], str]) -> None:
    ns = netns()
    ip.create_veth("a0", "a1", netns=ns)
    ip.set_link("a0", netns=ns, up=True)
    assert ip.set_addresses("a0", ["10.1.0.1/24", "fd00:9::1/64"], netns=ns) == [
        "+10.1.0.1/24", "+fd00:9::1/64"]
    ip.add_address("a0", "10.1.0.1/24", netns=ns)             # already there: fine
    assert ip.set_addresses("a0", ["10.1.0.1/24", "10.1.1.1/24"], netns=ns) == [
        "-fd00:9::1/64", "+10.1.1.1/24"]
    ip.replace_route("default", via="10.1.0.254", netns=ns)
    ip.replace_route("192.168.5.0/24", via="10.1.1.254", netns=ns)
    got = {(r["dst"], r["via"], r["dev"]) for r in ip.routes(netns=ns)}
    assert ("0.0.0.0/0", "10.1.0.254", "a0") in got
    assert ("192.168.5.0/24", "10.1.1.254", "a0") in got
    ip.delete_route("192.168.5.0/24", netns=ns)
    ip.delete_route("192.168.5.0/24", netns=ns)              # gone already: fine
    assert "192.168.5.0/24" not in {r["dst"] for r in ip.routes(netns=ns)}
    assert ip.routes(netns=ns, family=socket.AF_INET6) is not None
    ip.sysctl_set("net.ipv4.ip_forward", 1, netns=ns)
    assert ip.sysctl_get("net.ipv4.ip_forward", netns=ns) == "1"
    other = netns()
    assert ip.sysctl_get("net.ipv4.ip_forward", netns=other) == "0"


@pytest.mark.root
@root
def test_link_watcher_sees_a_new_device_and_wakes(netns: Callable[[], str]) -> None:
    ns = netns()
    watcher = ip.LinkWatcher(ns)
    try:
        assert not watcher.wait(0.05)
        ip.create_veth("w0", "w1", netns=ns)
        assert watcher.wait(2.0)
        while watcher.wait(0.2):
            pass
        watcher.wake()
        assert not watcher.wait(2.0)       # woken, nothing new
    finally:
        watcher.close()


@pytest.mark.root
@root
def test_a_namespace_made_again_under_its_name_is_a_new_one(
        netns: Callable[[], str]) -> None:
    ns = netns()
    ip.create_veth("old0", "old1", netns=ns)
    assert ip.link_exists("old0", ns)            # a socket inside is cached now
    ip.run(["ip", "netns", "del", ns])          # deleted behind the wrapper's back
    ip.run(["ip", "netns", "add", ns])
    assert not ip.link_exists("old0", ns)
    ip.create_veth("new0", "new1", netns=ns)
    assert {link.name for link in ip.links(ns)} == {"lo", "new0", "new1"}


def test_agent_report_configurations(tmp_path: Path) -> None:
    from nimbus.agents.network.base import HostContext
    from nimbus.agents.network.dhcp import DhcpPart
    from nimbus.agents.network.l2 import L2Part
    from nimbus.config import NetworkSettings

    ctx = HostContext(host="h", state_dir=tmp_path,
                      options=NetworkSettings(physical_interface_mappings="physnet1:eth1",
                                              local_ip="10.255.0.1"))
    conf = L2Part(ctx, watch=False).configurations()
    assert conf["interface_mappings"] == {"physnet1": "eth1"}
    assert conf["tunnel_types"] == ["vxlan"] and conf["tunneling_ip"] == "10.255.0.1"
    dhcp = DhcpPart(ctx).configurations()
    assert dhcp["dhcp_lease_duration"] == 86400 and dhcp["networks"] == 0
