"""Security groups with real packets: a host netns with a bridge and guest namespaces plugged
as Neutron ports, the part's nftables tables in that host netns."""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from netfixtures_sg import Conversation, Lab, tcp_ok

from nimbus.agents.network import nft
from nimbus.agents.network.base import HostContext
from nimbus.agents.network.messages import (
    AddressPair,
    HostState,
    Network,
    SecurityGroup,
    SecurityGroupRule,
)
from nimbus.agents.network.security_groups import TABLE, SecurityGroupsPart

pytestmark = pytest.mark.root


@pytest.fixture
def lab() -> Iterator[Lab]:
    if os.geteuid() != 0:
        pytest.skip("needs root: network namespaces and nftables")
    made = Lab.create()
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def part(lab: Lab, tmp_path: Path) -> Iterator[SecurityGroupsPart]:
    made = SecurityGroupsPart(HostContext(host="h", state_dir=tmp_path, netns=lab.host,
                                          log=logging.getLogger("test.sg")))
    try:
        yield made
    finally:
        made.teardown()


def rule(direction: str, **kw: object) -> SecurityGroupRule:
    return SecurityGroupRule(id=str(uuid.uuid4()), direction=direction, **kw)  # type: ignore


EGRESS_ALL = [rule("egress"), rule("egress", ethertype="IPv6")]
HTTP_IN = rule("ingress", protocol="tcp", port_range_min=80, port_range_max=80)


def state_of(lab: Lab, *groups: SecurityGroup) -> HostState:
    return HostState(host="h", networks=[Network(lab.network_id, "p",
                                                 ports=[g.port for g in lab.guests])],
                     security_groups=list(groups))


def two_guests(lab: Lab, group: str, **a_fields: object) -> tuple:
    a = lab.add_guest("02:00:00:00:00:0a", "10.9.0.10", security_group_ids=[group],
                      **a_fields)
    b = lab.add_guest("02:00:00:00:00:0b", "10.9.0.11", security_group_ids=[group])
    lab.serve_tcp(b)
    return a, b


def test_tcp_80_blocked_until_a_rule_allows_it_within_a_second(lab, part):
    a, b = two_guests(lab, "sg")
    group = SecurityGroup("sg", rules=list(EGRESS_ALL))
    part.reconcile(state_of(lab, group))
    assert not tcp_ok(a, b.ip)

    group.rules.append(HTTP_IN)
    started = time.monotonic()
    changes = part.reconcile(state_of(lab, group))
    assert tcp_ok(a, b.ip, timeout=1.0 - min(time.monotonic() - started, 0.5))
    assert time.monotonic() - started < 1.0
    assert changes == [f"inet {TABLE}: rewrote chain sgi-sg"]

    # The same state again changes nothing.
    assert part.reconcile(state_of(lab, group)) == []


def test_ipv6_tcp_blocked_until_an_ipv6_rule_allows_it_and_nd_passes(lab, part):
    a = lab.add_guest("02:00:00:00:00:0a", "10.9.0.10", ipv6="2001:db8::a",
                      security_group_ids=["sg"])
    b = lab.add_guest("02:00:00:00:00:0b", "10.9.0.11", ipv6="2001:db8::b",
                      security_group_ids=["sg"])
    lab.serve_tcp(b)
    group = SecurityGroup("sg", rules=EGRESS_ALL + [HTTP_IN])
    part.reconcile(state_of(lab, group))
    assert tcp_ok(a, b.ip)
    assert not tcp_ok(a, "2001:db8::b"), "the HTTP rule is IPv4 only"
    group.rules.append(rule("ingress", ethertype="IPv6", protocol="tcp", port_range_min=80,
                            port_range_max=80))
    part.reconcile(state_of(lab, group))
    assert tcp_ok(a, "2001:db8::b", timeout=3.0)
    # A forged IPv6 source is dropped.
    a.run(["ip", "addr", "add", "2001:db8::99/64", "dev", "eth0", "nodad"])
    assert not tcp_ok(a, "2001:db8::b", source="2001:db8::99")


def test_removing_a_rule_cuts_the_connections_it_allowed(lab, part):
    a = lab.add_guest("02:00:00:00:00:0a", "10.9.0.10", security_group_ids=["sg"])
    b = lab.add_guest("02:00:00:00:00:0b", "10.9.0.11", security_group_ids=["sg"])
    lab.serve_tcp(b, 7, echo=True)
    echo_in = rule("ingress", protocol="tcp", port_range_min=7, port_range_max=7)
    group = SecurityGroup("sg", rules=EGRESS_ALL + [echo_in])
    part.reconcile(state_of(lab, group))
    talk = Conversation(lab, a, b.ip, 7)
    assert talk.exchange()
    group.rules.remove(echo_in)
    changes = part.reconcile(state_of(lab, group))
    assert any(line.startswith("conntrack: deleted 1 entries") for line in changes), changes
    assert not talk.exchange()


def test_reply_traffic_passes_without_an_ingress_rule(lab, part):
    a, b = two_guests(lab, "sg")
    lab.serve_tcp(a, 8080)
    part.reconcile(state_of(lab, SecurityGroup("sg", rules=EGRESS_ALL + [HTTP_IN])))
    # a has no ingress rule for the reply of b, yet the connection it opened works...
    assert tcp_ok(a, b.ip)
    # ... while nothing can open a connection to a.
    assert not tcp_ok(b, a.ip, 8080)


def test_stateless_group_needs_rules_both_ways(lab, part):
    a, b = two_guests(lab, "sl")
    http_out = rule("egress", protocol="tcp", port_range_min=80, port_range_max=80)
    http_in = rule("ingress", protocol="tcp", port_range_min=80, port_range_max=80)
    group = SecurityGroup("sl", stateful=False, rules=[http_out, http_in])
    part.reconcile(state_of(lab, group))
    assert not tcp_ok(a, b.ip), "without conntrack the reply from port 80 is not allowed"
    # The replies go from b:80 to a's ephemeral port: stateless users allow those.
    group.rules += [rule("egress", protocol="tcp", port_range_min=1024, port_range_max=65535),
                    rule("ingress", protocol="tcp", port_range_min=1024,
                         port_range_max=65535)]
    part.reconcile(state_of(lab, group))
    assert tcp_ok(a, b.ip)
    out = nft.run_tool(["conntrack", "-L", "-p", "tcp", "--dport", "80"], netns=lab.host,
                       check=False)
    assert "10.9.0.11" not in out.stdout, "stateless traffic must not be tracked"


def test_remote_group_admits_only_members_and_the_set_changes_in_place(lab, part):
    web = SecurityGroup("web", rules=EGRESS_ALL + [
        rule("ingress", protocol="tcp", port_range_min=80, port_range_max=80,
             remote_group_id="clients")])
    clients = SecurityGroup("clients", rules=list(EGRESS_ALL), member_ips=["10.9.0.10"])
    a = lab.add_guest("02:00:00:00:00:0a", "10.9.0.10", security_group_ids=["clients"])
    c = lab.add_guest("02:00:00:00:00:0c", "10.9.0.12", security_group_ids=["default"])
    b = lab.add_guest("02:00:00:00:00:0b", "10.9.0.11", security_group_ids=["web"])
    lab.serve_tcp(b)
    default = SecurityGroup("default", rules=list(EGRESS_ALL))
    part.reconcile(state_of(lab, web, clients, default))
    assert tcp_ok(a, b.ip)
    assert not tcp_ok(c, b.ip)

    before = nft.list_table("inet", TABLE, netns=lab.host)
    clients.member_ips.append("10.9.0.12")
    changes = part.reconcile(state_of(lab, web, clients, default))
    assert changes == [f"inet {TABLE}: rg4-clients +1: 10.9.0.12"]
    after = nft.list_table("inet", TABLE, netns=lab.host)
    assert before and after and after.handle == before.handle
    assert {n: c.handle for n, c in after.chains.items()} == \
        {n: c.handle for n, c in before.chains.items()}
    assert tcp_ok(c, b.ip)


def test_forged_ip_and_mac_are_dropped_and_an_allowed_pair_passes(lab, part):
    a, b = two_guests(lab, "sg", allowed_address_pairs=[AddressPair("10.9.0.50", "")])
    part.reconcile(state_of(lab, SecurityGroup("sg", rules=EGRESS_ALL + [HTTP_IN])))
    a.run(["ip", "addr", "add", "10.9.0.50/24", "dev", "eth0"])
    a.run(["ip", "addr", "add", "10.9.0.99/24", "dev", "eth0"])
    assert tcp_ok(a, b.ip)
    assert tcp_ok(a, b.ip, source="10.9.0.50")
    assert not tcp_ok(a, b.ip, source="10.9.0.99")

    a.run(["ip", "link", "set", "eth0", "address", "02:00:00:00:00:99"])
    b.run(["ip", "neigh", "flush", "dev", "eth0"])
    assert not tcp_ok(a, b.ip)


def test_port_security_disabled_is_not_filtered(lab, part):
    a = lab.add_guest("02:00:00:00:00:0a", "10.9.0.10", security_group_ids=["sg"])
    b = lab.add_guest("02:00:00:00:00:0b", "10.9.0.11", port_security_enabled=False)
    lab.serve_tcp(b)
    part.reconcile(state_of(lab, SecurityGroup("sg", rules=list(EGRESS_ALL))))
    b.run(["ip", "addr", "add", "10.9.0.77/24", "dev", "eth0"])
    assert tcp_ok(a, b.ip)
    lab.serve_tcp(a, 8080)
    assert not tcp_ok(b, a.ip, 8080), "a is still filtered: no ingress rule"


def test_a_gone_port_and_group_lose_their_chains_and_teardown_leaves_no_tables(lab, part):
    lab.add_guest("02:00:00:00:00:0a", "10.9.0.10", security_group_ids=["sg"])
    b = lab.add_guest("02:00:00:00:00:0b", "10.9.0.11", security_group_ids=["other"])
    groups = [SecurityGroup("sg", rules=list(EGRESS_ALL)),
              SecurityGroup("other", rules=list(EGRESS_ALL))]
    assert part.reconcile(state_of(lab, *groups))
    lab.guests.remove(b)
    changes = part.reconcile(state_of(lab, *groups))
    assert f"inet {TABLE}: removed chain sgi-other" in changes
    table = nft.list_table("inet", TABLE, netns=lab.host)
    assert table is not None and "sgi-sg" in table.chains and "sgi-other" not in table.chains
    assert len([c for c in table.chains if c.startswith("in-")]) == 1
    lab.guests.append(b)    # the lab still removes its namespace
    assert part.teardown() == [f"table bridge {TABLE}: removed", f"table inet {TABLE}: removed"]
    out = nft.run_tool(["nft", "list", "tables"], netns=lab.host).stdout
    assert TABLE not in out
    assert part.teardown() == []


def test_a_damaged_table_is_rebuilt_in_one_transaction(lab, part):
    a, b = two_guests(lab, "sg")
    group = SecurityGroup("sg", rules=EGRESS_ALL + [HTTP_IN])
    part.reconcile(state_of(lab, group))
    # Someone replaces a map the rules use with a set of another type: the diff (which
    # trusts the names) cannot be applied.
    nft.apply(f"flush chain inet {TABLE} sg-raw\ndelete map inet {TABLE} zones\n"
              f"add set inet {TABLE} zones {{ type ipv4_addr; }}\n", netns=lab.host)
    changes = part.reconcile(state_of(lab, group))
    assert f"tables {TABLE}: rebuilt after a failed update" in changes
    assert part.reconcile(state_of(lab, group)) == []
    assert tcp_ok(a, b.ip)
