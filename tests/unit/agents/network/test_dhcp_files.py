"""dnsmasq's files and command line as made from a network (no root, no dnsmasq run)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from nimbus.agents.network import dnsmasq
from nimbus.agents.network.messages import (
    DhcpOption,
    FixedIp,
    HostRoute,
    Network,
    Port,
    Subnet,
)


def subnet(sid: str, cidr: str, **kw: object) -> Subnet:
    version = 6 if ":" in cidr else 4
    return Subnet(id=sid, network_id="n1", cidr=cidr, ip_version=version, **kw)  # type: ignore[arg-type]


def port(pid: str, mac: str, *ips: tuple[str, str], owner: str = "compute:nova",
         **kw: object) -> Port:
    return Port(id=pid, network_id="n1", project_id="p", mac_address=mac, device_owner=owner,
                fixed_ips=[FixedIp(s, a) for s, a in ips], **kw)  # type: ignore[arg-type]


def network(subnets: list[Subnet], ports: list[Port], mtu: int = 1450) -> Network:
    return Network(id="n1", project_id="p", mtu=mtu, dhcp=True, subnets=subnets, ports=ports)


DHCP = port("pd", "fa:16:3e:00:00:02", ("s4", "10.0.0.2"), owner="network:dhcp")
ROUTER = port("pr", "fa:16:3e:00:00:01", ("s4", "10.0.0.1"), owner="network:router_interface")
VM = port("pv", "FA:16:3E:00:00:10", ("s4", "10.0.0.10"))


def v4(**kw: object) -> Subnet:
    return subnet("s4", "10.0.0.0/24", gateway_ip="10.0.0.1", **kw)


def test_hosts_lines_map_each_mac_to_its_address_and_name() -> None:
    named = port("pn", "fa:16:3e:00:00:11", ("s4", "10.0.0.11"), hostname="web-1")
    net = network([v4()], [DHCP, VM, named])
    assert dnsmasq.hosts_lines(net) == [
        "fa:16:3e:00:00:02,host-10-0-0-2,10.0.0.2",
        "fa:16:3e:00:00:11,web-1,10.0.0.11",
        "fa:16:3e:00:00:10,host-10-0-0-10,10.0.0.10",     # MAC lower-cased
    ]
    assert dnsmasq.addn_hosts_lines(net, "openstacklocal.") == [
        "10.0.0.2\thost-10-0-0-2.openstacklocal host-10-0-0-2",
        "10.0.0.11\tweb-1.openstacklocal web-1",
        "10.0.0.10\thost-10-0-0-10.openstacklocal host-10-0-0-10",
    ]


def test_isolated_subnet_routes_metadata_through_the_dhcp_port() -> None:
    net = network([v4(dns_nameservers=["8.8.8.8", "1.1.1.1"])], [DHCP, VM])
    assert dnsmasq.opts_lines(net) == [
        "tag:subnet-s4,option:dns-server,8.8.8.8,1.1.1.1",
        "tag:subnet-s4,option:classless-static-route,"
        "169.254.169.254/32,10.0.0.2,0.0.0.0/0,10.0.0.1",
        "tag:subnet-s4,249,169.254.169.254/32,10.0.0.2,0.0.0.0/0,10.0.0.1",
        "tag:subnet-s4,option:router,10.0.0.1",
        "tag:subnet-s4,option:mtu,1450",
    ]


def test_routed_subnet_sends_metadata_to_the_router_with_host_routes_first() -> None:
    net = network([v4(host_routes=[HostRoute("192.168.0.0/24", "10.0.0.254")])],
                  [DHCP, ROUTER, VM])
    routes = "192.168.0.0/24,10.0.0.254,169.254.169.254/32,10.0.0.1,0.0.0.0/0,10.0.0.1"
    assert f"tag:subnet-s4,option:classless-static-route,{routes}" in dnsmasq.opts_lines(net)
    assert not dnsmasq.is_isolated(net, net.subnets[0])


def test_no_gateway_means_no_router_option_and_no_default_route() -> None:
    net = network([subnet("s4", "10.0.0.0/24", gateway_ip=None)], [DHCP], mtu=1500)
    lines = dnsmasq.opts_lines(net)
    assert "tag:subnet-s4,option:router" in lines
    assert "tag:subnet-s4,option:classless-static-route,169.254.169.254/32,10.0.0.2" in lines
    assert "tag:subnet-s4,option:mtu,1500" in lines


def test_default_host_route_stands_in_for_a_missing_gateway() -> None:
    net = network([subnet("s4", "10.0.0.0/24", gateway_ip=None,
                          host_routes=[HostRoute("0.0.0.0/0", "10.0.0.254")])], [DHCP])
    assert "tag:subnet-s4,option:router,10.0.0.254" in dnsmasq.opts_lines(net)


def test_other_subnets_of_the_network_are_on_link() -> None:
    net = network([v4(), subnet("s5", "10.0.1.0/24", gateway_ip="10.0.1.1")], [DHCP])
    lines = dnsmasq.opts_lines(net)
    assert ("tag:subnet-s4,option:classless-static-route,10.0.1.0/24,0.0.0.0,"
            "169.254.169.254/32,10.0.0.2,0.0.0.0/0,10.0.0.1") in lines


def test_extra_dhcp_opts_are_tagged_per_port() -> None:
    vm = port("pv", "fa:16:3e:00:00:10", ("s4", "10.0.0.10"),
              extra_dhcp_opts=[DhcpOption("bootfile-name", "pxelinux.0"),
                               DhcpOption("150", "10.0.0.99"),
                               DhcpOption("bootfile-url", "http://boot/x", 6)])
    net = network([v4()], [DHCP, vm])
    assert "fa:16:3e:00:00:10,set:port-pv,host-10-0-0-10,10.0.0.10" in dnsmasq.hosts_lines(net)
    assert dnsmasq.opts_lines(net)[-3:] == [
        "tag:port-pv,option:bootfile-name,pxelinux.0",
        "tag:port-pv,150,10.0.0.99",
        "tag:port-pv,option6:bootfile-url,http://boot/x",
    ]


def test_subnet_without_dhcp_is_left_out() -> None:
    net = network([v4(enable_dhcp=False)], [DHCP, VM])
    assert dnsmasq.hosts_lines(net) == []
    assert dnsmasq.opts_lines(net) == []
    assert dnsmasq.dhcp_ranges(net, 86400) == []


V6_SUBNETS = [
    subnet("a", "fd00:1::/64", ipv6_ra_mode="slaac", ipv6_address_mode="slaac"),
    subnet("b", "fd00:2::/64", ipv6_ra_mode="dhcpv6-stateless",
           ipv6_address_mode="dhcpv6-stateless", dns_nameservers=["fd00::53"]),
    subnet("c", "fd00:3::/64", ipv6_ra_mode="dhcpv6-stateful",
           ipv6_address_mode="dhcpv6-stateful"),
    subnet("d", "fd00:4::/64", ipv6_address_mode="slaac"),       # someone else's RA
    subnet("e", "fd00:5::/64"),                                  # no modes: DHCPv6
]


def test_ipv6_ranges_follow_the_ra_and_address_modes() -> None:
    net = network(V6_SUBNETS, [])
    assert dnsmasq.dhcp_ranges(net, 600) == [
        "set:subnet-a,fd00:1::,ra-only,64,600s",
        "set:subnet-b,fd00:2::,ra-stateless,64,600s",
        "set:subnet-c,fd00:3::,static,64,600s",
        "set:subnet-e,fd00:5::,static,64,600s",
    ]
    argv = dnsmasq.dnsmasq_argv(net, "ns-x", dnsmasq.Paths(Path("/d")), lease=600)
    assert "--enable-ra" in argv
    assert "--ra-param=ns-x,mtu:1450,60,0" in argv
    assert f"--dhcp-lease-max={dnsmasq.LEASE_MAX}" in argv
    assert "tag:subnet-b,option6:dns-server,[fd00::53]" in dnsmasq.opts_lines(net)


def test_ipv6_hosts_only_for_subnets_whose_addresses_dnsmasq_assigns() -> None:
    vm = port("pv", "fa:16:3e:00:00:10", ("a", "fd00:1::f816:3eff:fe00:10"),
              ("c", "fd00:3::10"))
    net = network(V6_SUBNETS, [vm])
    assert dnsmasq.hosts_lines(net) == ["fa:16:3e:00:00:10,host-fd00-3--10,[fd00:3::10]"]


def test_command_line_is_neutrons() -> None:
    net = network([v4()], [DHCP])
    paths = dnsmasq.Paths(Path("/state/dhcp/n1"))
    argv = dnsmasq.dnsmasq_argv(net, "ns-pd", paths, lease=-1, domain="example.org.")
    assert argv[:4] == ["dnsmasq", "--conf-file=", "--no-hosts", "--no-resolv"]
    for arg in ("--pid-file=/state/dhcp/n1/pid", "--dhcp-hostsfile=/state/dhcp/n1/host",
                "--dhcp-optsfile=/state/dhcp/n1/opts", "--addn-hosts=/state/dhcp/n1/addn_hosts",
                "--dhcp-leasefile=/state/dhcp/n1/leases", "--bind-interfaces",
                "--interface=ns-pd", "--dhcp-authoritative", "--domain=example.org",
                "--dhcp-range=set:subnet-s4,10.0.0.0,static,255.255.255.0,infinite",
                "--dhcp-lease-max=256"):
        assert arg in argv
    assert "--enable-ra" not in argv


@pytest.mark.skipif(shutil.which("dnsmasq") is None, reason="dnsmasq not installed")
def test_dnsmasq_accepts_the_command_line_and_files(tmp_path: Path) -> None:
    vm = port("pv", "fa:16:3e:00:00:10", ("s4", "10.0.0.10"), ("c", "fd00:3::10"),
              extra_dhcp_opts=[DhcpOption("bootfile-name", "pxelinux.0")])
    net = network([v4(dns_nameservers=["8.8.8.8"]), *V6_SUBNETS], [DHCP, vm])
    paths = dnsmasq.Paths(tmp_path)
    assert dnsmasq.write_if_changed(paths.hosts, dnsmasq.hosts_lines(net))
    assert not dnsmasq.write_if_changed(paths.hosts, dnsmasq.hosts_lines(net))
    dnsmasq.write_if_changed(paths.opts, dnsmasq.opts_lines(net))
    dnsmasq.write_if_changed(paths.addn_hosts, dnsmasq.addn_hosts_lines(net, "x"))
    argv = dnsmasq.dnsmasq_argv(net, "ns-pd", paths)
    proc = subprocess.run([*argv, "--test"], capture_output=True, text=True, timeout=10)
    assert proc.returncode == 0, proc.stderr
    assert "syntax check OK" in proc.stderr


def test_dhcp_port_prefers_the_one_bound_here() -> None:
    other = port("pa", "fa:16:3e:00:00:03", owner="network:dhcp", host="elsewhere")
    mine = port("pz", "fa:16:3e:00:00:04", owner="network:dhcp", host="me")
    net = network([v4()], [other, mine, VM])
    assert dnsmasq.dhcp_port(net, "me") is mine
    assert dnsmasq.dhcp_port(network([v4()], [VM])) is None


def test_leases_of_removed_hosts_are_cut_from_the_lease_file(tmp_path: Path) -> None:
    paths = dnsmasq.Paths(tmp_path)
    net = network([v4(), V6_SUBNETS[2]],
                  [port("pv", "fa:16:3e:00:00:10", ("s4", "10.0.0.10"), ("c", "fd00:3::10"))])
    dnsmasq.write_if_changed(paths.hosts, dnsmasq.hosts_lines(net))
    assert dnsmasq.read_host_entries(paths.hosts) == {
        ("fa:16:3e:00:00:10", "10.0.0.10"), ("fa:16:3e:00:00:10", "fd00:3::10")}
    paths.leases.write_text("1764700000 fa:16:3e:00:00:10 10.0.0.10 host-10-0-0-10 *\n"
                            "1764700000 fa:16:3e:00:00:11 10.0.0.11 host-10-0-0-11 *\n")
    daemon = dnsmasq.Dnsmasq(paths, "qdhcp-n1")
    assert daemon.pid() is None
    assert daemon.prune_leases([("fa:16:3e:00:00:10", "10.0.0.10")])
    assert paths.leases.read_text() == \
        "1764700000 fa:16:3e:00:00:11 10.0.0.11 host-10-0-0-11 *\n"
    assert not daemon.prune_leases([("fa:16:3e:00:00:10", "10.0.0.10")])
