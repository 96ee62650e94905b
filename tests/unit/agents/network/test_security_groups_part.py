"""Ruleset generation of the security-group part, without root: Neutron rules to nft rules,
which ports are filtered, the anti-spoofing sets, stable numbering."""

from __future__ import annotations

import pytest

from nimbus.agents.network import nft
from nimbus.agents.network import security_groups as sg
from nimbus.agents.network.messages import (
    AddressGroup,
    AddressPair,
    FixedIp,
    HostState,
    Network,
    Port,
    SecurityGroup,
    SecurityGroupRule,
)

A = "aaaaaaaa-0000-0000-0000-000000000001"
B = "bbbbbbbb-0000-0000-0000-000000000002"


def rule(direction: str = "ingress", **kw: object) -> SecurityGroupRule:
    return SecurityGroupRule(id=f"r{len(kw)}", direction=direction, **kw)  # type: ignore


@pytest.mark.parametrize(("kw", "expected"), [
    ({}, "meta nfproto ipv4 accept"),
    ({"ethertype": "IPv6"}, "meta nfproto ipv6 accept"),
    ({"protocol": "tcp", "port_range_min": 80, "port_range_max": 80},
     "meta nfproto ipv4 meta l4proto 6 th dport 80 accept"),
    ({"protocol": "17", "port_range_min": 1000, "port_range_max": 2000},
     "meta nfproto ipv4 meta l4proto 17 th dport 1000-2000 accept"),
    ({"protocol": "tcp"}, "meta nfproto ipv4 meta l4proto 6 accept"),
    ({"protocol": "icmp", "port_range_min": 8, "port_range_max": 0},
     "meta nfproto ipv4 icmp type 8 icmp code 0 accept"),
    ({"protocol": "icmp", "port_range_min": 3},
     "meta nfproto ipv4 icmp type 3 accept"),
    ({"protocol": "icmp"}, "meta nfproto ipv4 meta l4proto 1 accept"),
    # Neutron reads icmp under IPv6 as ICMPv6; both IPv6 names mean the same.
    ({"protocol": "icmp", "ethertype": "IPv6", "port_range_min": 128},
     "meta nfproto ipv6 icmpv6 type 128 accept"),
    ({"protocol": "ipv6-icmp", "ethertype": "IPv6"}, "meta nfproto ipv6 meta l4proto 58 accept"),
    ({"protocol": "icmpv6", "ethertype": "IPv6"}, "meta nfproto ipv6 meta l4proto 58 accept"),
    ({"protocol": "gre"}, "meta nfproto ipv4 meta l4proto 47 accept"),
    ({"protocol": "any"}, "meta nfproto ipv4 accept"),
    ({"remote_ip_prefix": "10.1.2.3/16"}, "meta nfproto ipv4 ip saddr 10.1.0.0/16 accept"),
    ({"remote_ip_prefix": "10.1.2.3/32"}, "meta nfproto ipv4 ip saddr 10.1.2.3 accept"),
    ({"remote_ip_prefix": "0.0.0.0/0"}, "meta nfproto ipv4 accept"),
    ({"remote_ip_prefix": "2001:db8::/64", "ethertype": "IPv6"},
     "meta nfproto ipv6 ip6 saddr 2001:db8::/64 accept"),
    ({"remote_group_id": "g1", "protocol": "tcp"},
     "meta nfproto ipv4 ip saddr @rg4-g1 meta l4proto 6 accept"),
    ({"remote_address_group_id": "ag", "ethertype": "IPv6"},
     "meta nfproto ipv6 ip6 saddr @ag6-ag accept"),
])
def test_render_rule(kw, expected):
    assert sg.render_rule(rule(**kw)) == expected


def test_egress_rules_match_the_destination():
    assert sg.render_rule(rule("egress", remote_ip_prefix="10.0.0.0/8")) == \
        "meta nfproto ipv4 ip daddr 10.0.0.0/8 accept"


def test_a_prefix_of_the_other_family_matches_nothing_and_unknown_protocols_fail():
    assert sg.render_rule(rule(remote_ip_prefix="2001:db8::/64")) is None
    with pytest.raises(ValueError):
        sg.render_rule(rule(protocol="nonsense"))


def port(pid: str, mac: str, ip: str, **kw: object) -> Port:
    return Port(id=pid, network_id="net", project_id="p", mac_address=mac,
                fixed_ips=[FixedIp("s", ip)], **kw)  # type: ignore[arg-type]


def state(*ports: Port, groups: list[SecurityGroup] | None = None,
          address_groups: list[AddressGroup] | None = None) -> HostState:
    return HostState("h", networks=[Network("net-0000-0000", "p", ports=list(ports))],
                     security_groups=groups or [], address_groups=address_groups or [])


def test_only_ports_with_port_security_that_are_not_network_ports_are_filtered():
    s = state(port(A, "02:00:00:00:00:0a", "10.0.0.10", security_group_ids=["g"]),
              port(B, "02:00:00:00:00:0b", "10.0.0.11", port_security_enabled=False),
              port("dddddddd-dhcp", "02:00:00:00:00:0d", "10.0.0.2",
                   device_owner="network:dhcp"),
              port("rrrrrrrr-router", "02:00:00:00:00:0e", "10.0.0.1",
                   device_owner="network:router_interface"))
    bridge, inet = sg.desired_tables(s, None, None)
    assert bridge.sets["ports"].elements == {"tap" + A[:11]}
    (fp,) = sg.filtered_ports(s, {})
    assert set(inet.chains) >= {"in-" + fp.profile, "out-" + fp.profile, "sgi-g", "sge-g"}
    assert inet.sets["ingress"].elements == {f"{sg.FLAG | 1} : jump in-{fp.profile}"}
    # Zones are per network, for all its ports (replies from the router must match).
    assert inet.sets["zones"].elements == {"brqnet-0000-00 : 1"}


def test_anti_spoofing_sets_hold_fixed_ips_link_local_and_allowed_pairs():
    p = port(A, "02:00:00:00:00:0A", "10.0.0.10", security_group_ids=["g"],
             allowed_address_pairs=[AddressPair("10.0.5.0/24", ""),
                                    AddressPair("10.0.0.20", "02:00:00:00:00:99"),
                                    AddressPair("2001:db8::5", "")])
    p.fixed_ips.append(FixedIp("s6", "2001:db8::10"))
    bridge, _ = sg.desired_tables(state(p), None, None)
    tap = "tap" + A[:11]
    mac, pair_mac = "02:00:00:00:00:0a", "02:00:00:00:00:99"
    assert bridge.sets["macs"].elements == {f"{tap} . {mac}", f"{tap} . {pair_mac}"}
    assert bridge.sets["addr4"].elements == {f"{tap} . {mac} . 10.0.0.10",
                                             f"{tap} . {mac} . 10.0.5.0/24",
                                             f"{tap} . {pair_mac} . 10.0.0.20"}
    assert bridge.sets["addr6"].elements == {f"{tap} . {mac} . fe80::ff:fe00:a",
                                             f"{tap} . {mac} . 2001:db8::5",
                                             f"{tap} . {mac} . 2001:db8::10",
                                             f"{tap} . {pair_mac} . fe80::ff:fe00:99"}


def test_link_local_is_eui64():
    assert sg.link_local("fa:16:3e:12:34:56") == "fe80::f816:3eff:fe12:3456"


def test_port_chains_default_deny_with_dhcp_and_nd_allowed_and_stateless_has_no_conntrack():
    full = SecurityGroup("g", rules=[rule("egress")])
    stateless = SecurityGroup("s", stateful=False, rules=[rule("egress")])
    s = state(port(A, "02:00:00:00:00:0a", "10.0.0.10", security_group_ids=["g"]),
              port(B, "02:00:00:00:00:0b", "10.0.0.11", security_group_ids=["s"]),
              groups=[full, stateless])
    _, inet = sg.desired_tables(s, None, None)
    pa, pb = sg.filtered_ports(s, {})
    ingress = inet.chains["in-" + pa.profile].rules
    assert ingress[:2] == ["ct state invalid drop", "ct state established,related accept"]
    assert "meta nfproto ipv4 udp sport 67 udp dport 68 accept" in ingress
    assert "icmpv6 type @icmp6_in accept" in ingress
    assert "nd-neighbor-solicit" in inet.sets["icmp6_in"].elements
    assert ingress[-2:] == ["jump sgi-g", "drop"]
    assert inet.chains["out-" + pa.profile].rules[-2:] == ["jump sge-g", "drop"]
    assert inet.chains["sge-g"].rules == ["meta nfproto ipv4 accept"]
    assert inet.chains["sgi-g"].rules == []
    assert not any("ct state" in r for r in inet.chains["in-" + pb.profile].rules)
    assert inet.sets["stateless_mac"].elements == {"02:00:00:00:00:0b"}
    assert inet.sets["stateless_src"].elements == {str(sg.FLAG | 2 << 12)}


def test_remote_and_address_groups_become_sets_of_their_addresses():
    web = SecurityGroup("web", rules=[rule(remote_group_id="cl"),
                                      rule(remote_address_group_id="ag", ethertype="IPv6"),
                                      rule(remote_group_id="unknown")])
    clients = SecurityGroup("cl", member_ips=["10.0.0.10", "10.0.0.11", "2001:db8::1"])
    s = state(port(A, "02:00:00:00:00:0a", "10.0.0.20", security_group_ids=["web"]),
              groups=[web, clients],
              address_groups=[AddressGroup("ag", ["2001:db8::/64", "2001:db8::7/128"])])
    _, inet = sg.desired_tables(s, None, None)
    assert inet.sets["rg4-cl"].elements == {"10.0.0.10", "10.0.0.11"}
    assert inet.sets["rg6-cl"].elements == {"2001:db8::1"}
    assert inet.sets["ag6-ag"].elements == {"2001:db8::/64"}
    assert inet.sets["rg4-unknown"].elements == set()


def test_port_numbers_stay_when_ports_come_and_go():
    pa = port(A, "02:00:00:00:00:0a", "10.0.0.10")
    pb = port(B, "02:00:00:00:00:0b", "10.0.0.11")
    bridge, _ = sg.desired_tables(state(pb), None, None)
    kernel = nft.Table("bridge", sg.TABLE, 1, sets={
        "srcmark": nft.NamedSet("srcmark", 1, True, bridge.sets["srcmark"].elements)})
    again, _ = sg.desired_tables(state(pa, pb), kernel, None)
    assert f"tap{B[:11]} : {sg.FLAG | 1 << 12}" in again.sets["srcmark"].elements
    assert f"tap{A[:11]} : {sg.FLAG | 2 << 12}" in again.sets["srcmark"].elements


def test_a_port_without_groups_is_still_anti_spoofed_and_denied():
    s = state(port(A, "02:00:00:00:00:0a", "10.0.0.10"))
    bridge, inet = sg.desired_tables(s, None, None)
    assert bridge.sets["ports"].elements == {"tap" + A[:11]}
    (fp,) = sg.filtered_ports(s, {})
    assert inet.chains["out-" + fp.profile].rules[-1] == "drop"
    assert not any(r.startswith("jump") for r in inet.chains["out-" + fp.profile].rules)


def test_ports_with_the_same_groups_share_their_chains():
    s = state(port(A, "02:00:00:00:00:0a", "10.0.0.10", security_group_ids=["g", "h"]),
              port(B, "02:00:00:00:00:0b", "10.0.0.11", security_group_ids=["h", "g"]),
              port("cccccccc-0", "02:00:00:00:00:0c", "10.0.0.12", security_group_ids=["g"]))
    _, inet = sg.desired_tables(s, None, None)
    pa, pb, pc = sg.filtered_ports(s, {})
    assert pa.profile == pb.profile != pc.profile
    assert len([c for c in inet.chains if c.startswith("in-")]) == 2


def test_stale_flows_of_removed_rules_and_removed_remote_members():
    http = SecurityGroupRule("http", "ingress", protocol="tcp", port_range_min=80,
                             port_range_max=80)
    ssh = SecurityGroupRule("ssh", "ingress", protocol="tcp", port_range_min=22,
                            port_range_max=22, remote_group_id="cl")
    web = SecurityGroup("web", rules=[http, ssh])
    clients = SecurityGroup("cl", member_ips=["10.0.0.5", "10.0.0.6"])
    p = port(A, "02:00:00:00:00:0a", "10.0.0.10", security_group_ids=["web"])
    before = sg.snapshot(state(p, groups=[web, clients]))
    web.rules = [ssh]
    clients.member_ips = ["10.0.0.5"]
    now = state(p, groups=[web, clients])
    ports = sg.filtered_ports(now, {})
    flows = sg.stale_flows(before, now, ports, {"brqnet-0000-00": 4})
    assert flows == [sg.Flow(False, 4, None, "10.0.0.10", 6, 80),
                     sg.Flow(False, 4, "10.0.0.6", "10.0.0.10", 6, 22)]
    # Stateless ports have no tracked connections to cut.
    web.stateful = False
    assert sg.stale_flows(before, now, sg.filtered_ports(now, {}), {}) == []


def test_collapse_drops_what_a_prefix_covers_and_keeps_families_apart():
    got = sg.collapse(["10.0.0.5", "10.0.0.0/24", "10.0.1.7/32", "10.0.0.0/25", "::1"], 4)
    assert sorted(got) == ["10.0.0.0/24", "10.0.1.7"]
    assert sg.collapse(["10.0.0.5", "2001:db8::1/128"], 6) == ["2001:db8::1"]
