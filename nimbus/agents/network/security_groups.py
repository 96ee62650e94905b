"""Security groups and port security (anti-spoofing) of the ports on this host, with nftables.

What this kernel offers decides the design (each point was checked by experiment):

* The ``bridge`` family works but has no conntrack (no nf_conntrack_bridge), and no
  ``meta ibrname``. So the *stateless* checks are done there and the *stateful* rules in the
  ``inet`` family, which sees bridged IPv4/IPv6 through br_netfilter (``bridge-nf-call-
  iptables``; the agent also sets the bridge option ``nf_call_iptables`` on its bridges so
  that a host whose sysctl is off still filters).
* In the inet hooks a bridged packet's ``iifname``/``oifname`` is the *bridge*, not the tap:
  the port is lost. So the bridge table marks the packet: at bridge prerouting (priority
  -200, before br_netfilter's hook at 0) ``meta mark`` is set from the ingress tap (the
  sending port: ``FLAG | index << 12``), and at bridge forward (-200, before br_netfilter's
  forward at -1) from the egress tap (the receiving port: ``FLAG | index``). Each copy of a
  flooded packet gets its own mark. The inet chains dispatch on those marks with verdict
  maps: prerouting -> the sender's egress chain ``out-<profile>``, forward -> the
  receiver's ingress chain ``in-<profile>``. Ports with the same groups and statefulness
  share one pair of chains (their *profile*), so the table has a few chains however many
  ports there are (listing thousands of rules takes nft seconds), and a port coming or
  going only changes map and set elements.
* Anti-spoofing (bridge table, chain ``spoof``, for every filtered port): the source MAC,
  and for ARP/IPv4/IPv6 the (tap, MAC, address) triple, must be in the sets ``macs``,
  ``addr4``, ``addr6`` (the port's fixed IPs, its EUI-64 link-local address, and its
  allowed_address_pairs, a pair's CIDR as an interval); DHCP discovery from 0.0.0.0 and IPv6
  DAD from :: pass; DHCP/DHCPv6 server replies and router advertisements from a guest are
  dropped; any other ethertype is dropped.
* Stateful rules (inet table): a profile chain drops ``ct state invalid``, accepts
  ``established,related``, always lets DHCP (client out, server in) and the ICMPv6 that
  neighbour discovery and MLD need through, as Neutron does, then jumps to the chain of each
  of its groups (``sgi-<group>`` ingress, ``sge-<group>`` egress: the rules, each an
  ``accept``) and drops what none accepted: default deny ingress, egress as per the rules.
  Remote groups are named sets ``rg4-<group>``/``rg6-<group>`` of the members' addresses,
  address groups ``ag4-``/``ag6-<group>`` (interval sets), updated in place.
* Stateless groups (``stateful=False``): the port's traffic is not tracked (``notrack`` at
  raw priority, by the sender's mark and by the receiver's MAC) and its chains have no
  conntrack rules, as Neutron does. A port is stateless when all its groups are.
* Conntrack zones: one per network (``ct zone set iifname map @zones``, the bridge name),
  so overlapping addresses of two networks never share a connection.
* Not filtered at all: ports with ``port_security_enabled=False`` and Neutron's trusted
  ports (device_owner ``network:*``: DHCP, router). Traffic the host itself sends to a guest
  (bridge output, not forward) is not filtered: the agent's bridges carry no host address.
* A removed rule, or a member gone from a remote group, would not stop a connection that
  is already tracked (``established`` is accepted first). As Neutron does, the part then
  deletes the conntrack entries that rule allowed (``conntrack -D`` by zone, the port's
  address, protocol and a single destination port; wider when the rule had a range). It
  knows what was removed from the previous reconcile of the same process; after a start
  there is nothing to compare with, and nothing is cut.

Both tables are named ``nimbus-sg`` and live in the agent's host netns. ``reconcile`` reads
them back (``nft -j``), and applies only the difference (chains whose digest, kept in the
comment of their first rule, changed are flushed and refilled; set and map elements are
added/removed in place) in one ``nft -f -`` transaction: the kernel swaps it in atomically,
so a rule change holds as soon as the reconcile returns (0.2 s with a few ports, under 1 s
with 400 ports on a loaded machine). Should the kernel refuse the update (a table changed
behind the agent's back in a way the diff does not foresee), both tables are rebuilt in
one transaction instead: no moment without filtering. Port indexes and
zone numbers are kept from what the tables already hold, so a new port never renumbers the
others. At most 4095 filtered ports per host (12 bits of the mark each way).

If the host netns is the machine's own and its iptables FORWARD policy drops (Docker sets
that), bridged traffic is dropped there too, since br_netfilter hands it to iptables: run
the agent in a host netns of its own (``[network] host_netns``) on such machines.

Not done (yet): a port that leaves a group keeps its tracked connections; trunk subports
are not filtered (their frames arrive on the VLAN device of the parent's tap, which is not
in the sets; a tagged frame that reaches the parent's bridge is dropped by ``spoof``).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass

from nimbus.agents.network import conntrack, nft
from nimbus.agents.network.base import HostContext
from nimbus.agents.network.messages import HostState, Port, SecurityGroup, SecurityGroupRule

TABLE = "nimbus-sg"
FLAG = 0x4E000000                   # "ours": the top byte of every mark this table sets
SRC_MASK = 0xFFFFF000               # FLAG | sender index << 12
DST_MASK = 0xFF000FFF               # FLAG | receiver index
MAX_INDEX = 0xFFF

PROTOCOLS = {
    "hopopt": 0, "icmp": 1, "igmp": 2, "ipip": 4, "tcp": 6, "egp": 8, "udp": 17, "dccp": 33,
    "ipv6-encap": 41, "ipv6-route": 43, "ipv6-frag": 44, "rsvp": 46, "gre": 47, "esp": 50,
    "ah": 51, "icmpv6": 58, "ipv6-icmp": 58, "ipv6-nonxt": 59, "ipv6-opts": 60, "ospf": 89,
    "pgm": 113, "vrrp": 112, "sctp": 132, "udplite": 136,
}
PORT_PROTOCOLS = {6, 17, 33, 132, 136}          # those with ports (th dport)
# The ICMPv6 that neighbour discovery and MLD need, always allowed (named sets: anonymous
# sets in every port chain make listing the table slow).
ICMP6_IN = {"mld-listener-query", "mld-listener-report", "mld-listener-done",
            "nd-router-advert", "nd-neighbor-solicit", "nd-neighbor-advert",
            "mld2-listener-report"}
ICMP6_OUT = {"mld-listener-report", "mld-listener-done", "nd-router-solicit",
             "nd-neighbor-solicit", "nd-neighbor-advert", "mld2-listener-report"}


def tap_name(port_id: str) -> str:
    return "tap" + port_id[:11]


def bridge_name(network_id: str) -> str:
    return "brq" + network_id[:11]


def is_filtered(port: Port) -> bool:
    """Neutron filters a port unless port security is off or it is a trusted network port."""
    return port.port_security_enabled and not port.device_owner.startswith("network:")


@dataclass
class FilteredPort:
    port: Port
    network_id: str
    index: int
    stateful: bool

    @property
    def tap(self) -> str:
        return tap_name(self.port.id)

    @property
    def groups(self) -> list[str]:
        return sorted(set(self.port.security_group_ids))

    @property
    def profile(self) -> str:
        """Ports with the same groups and statefulness share their chains: the name of the
        pair, from a digest of what they hold."""
        text = f"{self.stateful}|{','.join(self.groups)}"
        return hashlib.sha256(text.encode()).hexdigest()[:12]


# --- addresses ---------------------------------------------------------------------------

def canonical_net(text: str) -> str:
    """An address or prefix as nft prints it back: a host prefix as a bare address."""
    net = ipaddress.ip_network(text, strict=False)
    return str(net.network_address) if net.prefixlen == net.max_prefixlen else str(net)


def collapse(prefixes: Iterable[str], version: int) -> list[str]:
    """The addresses and prefixes of one IP version, in nft's text form, with none inside
    another (nft refuses overlapping intervals). Bare addresses, the common case, take the
    quick way: remote groups of thousands of members are parsed on every reconcile."""
    hosts: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = set()
    nets = []
    for text in prefixes:
        if "/" not in text:
            addr = ipaddress.ip_address(text)
            if addr.version == version:
                hosts.add(addr)
            continue
        net = ipaddress.ip_network(text, strict=False)
        if net.version != version:
            continue
        if net.prefixlen == net.max_prefixlen:
            hosts.add(net.network_address)
        else:
            nets.append(net)
    if nets:
        nets = list(ipaddress.collapse_addresses(nets))  # type: ignore[type-var]
        hosts = {h for h in hosts if not any(h in n for n in nets)}
    return [str(h) for h in hosts] + [str(n) for n in nets]


def link_local(mac: str) -> str:
    """The EUI-64 link-local IPv6 address of a MAC."""
    b = bytearray(int(x, 16) for x in mac.split(":"))
    eui = bytes([b[0] ^ 0x02, b[1], b[2], 0xFF, 0xFE, b[3], b[4], b[5]])
    return str(ipaddress.IPv6Address(b"\xfe\x80" + bytes(6) + eui))


def port_addresses(port: Port) -> dict[str, list[str]]:
    """MAC -> the addresses and prefixes it may send from (fixed IPs, link-local, pairs)."""
    mac = port.mac_address.lower()
    out: dict[str, list[str]] = {mac: [ip.ip_address for ip in port.fixed_ips]}
    out[mac].append(link_local(mac))
    for pair in port.allowed_address_pairs:
        pmac = (pair.mac_address or mac).lower()
        out.setdefault(pmac, [link_local(pmac)]).append(pair.ip_address)
    return out


# --- which ports, which numbers ----------------------------------------------------------

def allocate(wanted: list[str], existing: dict[str, int], limit: int) -> dict[str, int]:
    """Numbers 1..limit for ``wanted``, keeping those already given (``existing``)."""
    out = {k: v for k, v in existing.items() if k in wanted and 1 <= v <= limit}
    used = set(out.values())
    free = (n for n in range(1, limit + 1) if n not in used)
    for key in wanted:
        if key not in out:
            number = next(free, None)
            if number is None:
                raise ValueError(f"more than {limit} to number on this host")
            out[key] = number
    return out


def filtered_ports(state: HostState, indexes: dict[str, int]) -> list[FilteredPort]:
    groups = {g.id: g for g in state.security_groups}
    ports = [(p, n.id) for n in state.networks for p in n.ports if is_filtered(p)]
    given = allocate([tap_name(p.id) for p, _ in ports], indexes, MAX_INDEX)
    out = []
    for port, network_id in ports:
        mine = [groups[g] for g in port.security_group_ids if g in groups]
        stateful = not mine or any(g.stateful for g in mine)
        out.append(FilteredPort(port, network_id, given[tap_name(port.id)], stateful))
    return out


def existing_numbers(table: nft.Table | None, set_name: str, shift: int = 0) -> dict[str, int]:
    """Key -> number from a map of an existing table (tap -> mark, bridge -> zone)."""
    if table is None or set_name not in table.sets:
        return {}
    out = {}
    for element in table.sets[set_name].elements:
        key, _, value = element.partition(" : ")
        out[key] = (int(value) >> shift) & MAX_INDEX if shift else int(value)
    return out


# --- rules -------------------------------------------------------------------------------

def protocol_number(protocol: str | None, ipv6: bool) -> int | None:
    """A rule's protocol as a number; None for any. Neutron reads "icmp" under IPv6 as
    ICMPv6."""
    if protocol in (None, "", "any"):
        return None
    text = str(protocol).lower()
    number = int(text) if text.isdigit() else PROTOCOLS.get(text)
    if number is None:
        raise ValueError(f"unknown protocol {protocol!r}")
    if ipv6 and number == 1:
        return 58
    return number


def _remote_match(rule: SecurityGroupRule, ipv6: bool, field: str) -> str | None:
    """The remote side of a rule as a match; "" for anywhere, None for a rule that cannot
    match this ethertype (a prefix of the other family)."""
    fam, v = ("ip6", 6) if ipv6 else ("ip", 4)
    if rule.remote_ip_prefix:
        net = ipaddress.ip_network(rule.remote_ip_prefix, strict=False)
        if net.version != v:
            return None
        return "" if net.prefixlen == 0 else f"{fam} {field} {canonical_net(str(net))}"
    if rule.remote_group_id:
        return f"{fam} {field} @rg{v}-{rule.remote_group_id}"
    if rule.remote_address_group_id:
        return f"{fam} {field} @ag{v}-{rule.remote_address_group_id}"
    return ""


def _protocol_match(rule: SecurityGroupRule, ipv6: bool) -> str:
    number = protocol_number(rule.protocol, ipv6)
    if number is None:
        return ""
    lo, hi = rule.port_range_min, rule.port_range_max
    if number in (1, 58):
        icmp = "icmpv6" if number == 58 else "icmp"
        if lo is None:
            return f"meta l4proto {number}"
        return f"{icmp} type {lo}" + (f" {icmp} code {hi}" if hi is not None else "")
    if number in PORT_PROTOCOLS and (lo is not None or hi is not None):
        lo, hi = lo if lo is not None else 1, hi if hi is not None else lo
        ports = str(lo) if lo == hi else f"{lo}-{hi}"
        return f"meta l4proto {number} th dport {ports}"
    return f"meta l4proto {number}"


def render_rule(rule: SecurityGroupRule) -> str | None:
    """One Neutron rule as an nft rule that accepts; None when it can match nothing."""
    ipv6 = rule.ethertype == "IPv6"
    field = "saddr" if rule.direction == "ingress" else "daddr"
    remote = _remote_match(rule, ipv6, field)
    if remote is None:
        return None
    parts = [f"meta nfproto {'ipv6' if ipv6 else 'ipv4'}", remote,
             _protocol_match(rule, ipv6), "accept"]
    return " ".join(p for p in parts if p)


def group_chains(group: SecurityGroup) -> list[nft.ChainSpec]:
    rules: dict[str, list[str]] = {"ingress": [], "egress": []}
    for rule in sorted(group.rules, key=lambda r: r.id):
        text = render_rule(rule)
        if text is not None and rule.direction in rules:
            rules[rule.direction].append(text)
    return [nft.ChainSpec(f"sgi-{group.id}", rules["ingress"]),
            nft.ChainSpec(f"sge-{group.id}", rules["egress"])]


def profile_chains(fp: FilteredPort) -> list[nft.ChainSpec]:
    """The ingress and egress chains of the ports that share ``fp``'s profile."""
    conntrack = ["ct state invalid drop", "ct state established,related accept"]
    head = conntrack if fp.stateful else []
    ingress = head + [
        "meta nfproto ipv4 udp sport 67 udp dport 68 accept",
        "meta nfproto ipv6 udp sport 547 udp dport 546 accept",
        "icmpv6 type @icmp6_in accept",
    ] + [f"jump sgi-{g}" for g in fp.groups] + ["drop"]
    egress = head + [
        "meta nfproto ipv4 udp sport 68 udp dport 67 accept",
        "meta nfproto ipv6 udp sport 546 udp dport 547 accept",
        "icmpv6 type @icmp6_out accept",
    ] + [f"jump sge-{g}" for g in fp.groups] + ["drop"]
    return [nft.ChainSpec(f"in-{fp.profile}", ingress),
            nft.ChainSpec(f"out-{fp.profile}", egress)]


# --- the two tables ----------------------------------------------------------------------

def _address_sets(state: HostState, ports: list[FilteredPort]) -> list[nft.SetSpec]:
    """The remote-group and address-group sets the ports' rules name."""
    groups = {g.id: g for g in state.security_groups}
    addr_groups = {g.id: g for g in state.address_groups}
    used = {g for fp in ports for g in fp.port.security_group_ids if g in groups}
    remote, address = set(), set()
    for gid in used:
        for rule in groups[gid].rules:
            if rule.remote_group_id:
                remote.add(rule.remote_group_id)
            if rule.remote_address_group_id:
                address.add(rule.remote_address_group_id)
    out = []
    for prefix, ids, source in (("rg", remote, lambda i: groups[i].member_ips),
                                ("ag", address, lambda i: addr_groups[i].addresses)):
        known = groups if prefix == "rg" else addr_groups
        for gid in sorted(ids):
            addresses = source(gid) if gid in known else []
            for v, kind in ((4, "ipv4_addr"), (6, "ipv6_addr")):
                out.append(nft.SetSpec(f"{prefix}{v}-{gid}", f"type {kind}; flags interval;",
                                       set(collapse(addresses, v))))
    return out


def inet_table(state: HostState, ports: list[FilteredPort],
               zones: dict[str, int]) -> nft.TableSpec:
    table = nft.TableSpec("inet", TABLE)
    stateless = [fp for fp in ports if not fp.stateful]
    table.add_set(nft.SetSpec("zones", "typeof iifname : ct zone;",
                              {f"{b} : {z}" for b, z in zones.items()}, True, frozenset({0})))
    table.add_set(nft.SetSpec("stateless_src", "type mark;",
                              {str(FLAG | fp.index << 12) for fp in stateless}))
    table.add_set(nft.SetSpec("stateless_mac", "type ether_addr;",
                              {fp.port.mac_address.lower() for fp in stateless}))
    table.add_set(nft.SetSpec("icmp6_in", "type icmpv6_type;", set(ICMP6_IN)))
    table.add_set(nft.SetSpec("icmp6_out", "type icmpv6_type;", set(ICMP6_OUT)))
    table.add_set(nft.SetSpec("egress", "type mark : verdict;", {
        f"{FLAG | fp.index << 12} : jump out-{fp.profile}" for fp in ports}, True))
    table.add_set(nft.SetSpec("ingress", "type mark : verdict;", {
        f"{FLAG | fp.index} : jump in-{fp.profile}" for fp in ports}, True))
    for spec in _address_sets(state, ports):
        table.add_set(spec)
    table.add_chain(nft.ChainSpec("sg-raw", [
        f"meta mark & {SRC_MASK:#x} @stateless_src notrack accept",
        "ether daddr @stateless_mac notrack accept",
        "ct zone set iifname map @zones",
    ], "type filter hook prerouting priority raw; policy accept;"))
    table.add_chain(nft.ChainSpec("sg-pre", [f"meta mark & {SRC_MASK:#x} vmap @egress"],
                                  "type filter hook prerouting priority filter; policy accept;"))
    table.add_chain(nft.ChainSpec("sg-fwd", [f"meta mark & {DST_MASK:#x} vmap @ingress"],
                                  "type filter hook forward priority filter; policy accept;"))
    used = {g for fp in ports for g in fp.port.security_group_ids}
    for group in state.security_groups:
        if group.id in used:
            for chain in group_chains(group):
                table.add_chain(chain)
    for gid in used - {g.id for g in state.security_groups}:
        # A group the state does not describe (yet): its chains exist, empty: deny.
        table.add_chain(nft.ChainSpec(f"sgi-{gid}", []))
        table.add_chain(nft.ChainSpec(f"sge-{gid}", []))
    for fp in ports:
        if f"in-{fp.profile}" not in table.chains:
            for chain in profile_chains(fp):
                table.add_chain(chain)
    return table


SPOOF_RULES = [
    "iifname . ether saddr != @macs drop",
    "ether type arp iifname . arp saddr ether . arp saddr ip @addr4 return",
    "ether type arp arp saddr ip 0.0.0.0 return",
    "ether type arp drop",
    "udp sport 67 udp dport 68 drop",
    "ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 return",
    "iifname . ether saddr . ip saddr @addr4 return",
    "ether type ip drop",
    "icmpv6 type nd-router-advert drop",
    "udp sport 547 udp dport 546 drop",
    "ip6 saddr :: icmpv6 type { nd-neighbor-solicit, mld2-listener-report } return",
    "iifname . ether saddr . ip6 saddr @addr6 return",
    "drop",
]


def bridge_table(ports: list[FilteredPort]) -> nft.TableSpec:
    table = nft.TableSpec("bridge", TABLE)
    q0 = frozenset({0})
    table.add_set(nft.SetSpec("srcmark", "typeof iifname : meta mark;", {
        f"{fp.tap} : {FLAG | fp.index << 12}" for fp in ports}, True, q0))
    table.add_set(nft.SetSpec("dstmark", "typeof oifname : meta mark;", {
        f"{fp.tap} : {FLAG | fp.index}" for fp in ports}, True, q0))
    table.add_set(nft.SetSpec("ports", "typeof iifname;", {fp.tap for fp in ports},
                              quoted=q0))
    macs, ip4, ip6 = set(), set(), set()
    for fp in ports:
        for mac, addresses in port_addresses(fp.port).items():
            macs.add(f"{fp.tap} . {mac}")
            ip4 |= {f"{fp.tap} . {mac} . {a}" for a in collapse(addresses, 4)}
            ip6 |= {f"{fp.tap} . {mac} . {a}" for a in collapse(addresses, 6)}
    table.add_set(nft.SetSpec("macs", "typeof iifname . ether saddr;", macs, quoted=q0))
    table.add_set(nft.SetSpec("addr4", "typeof iifname . ether saddr . ip saddr; flags interval;",
                              ip4, quoted=q0))
    table.add_set(nft.SetSpec("addr6", "typeof iifname . ether saddr . ip6 saddr; "
                              "flags interval;", ip6, quoted=q0))
    table.add_chain(nft.ChainSpec("spoof", list(SPOOF_RULES)))
    table.add_chain(nft.ChainSpec("sg-pre", [
        "meta mark set iifname map @srcmark", "iifname @ports jump spoof",
    ], "type filter hook prerouting priority -200; policy accept;"))
    table.add_chain(nft.ChainSpec("sg-fwd", ["meta mark set oifname map @dstmark"],
                                  "type filter hook forward priority -200; policy accept;"))
    return table


def desired_tables(state: HostState, bridge_now: nft.Table | None,
                   inet_now: nft.Table | None) -> tuple[nft.TableSpec, nft.TableSpec]:
    """Both tables for ``state``, keeping the port indexes and zones already in use."""
    ports = filtered_ports(state, existing_numbers(bridge_now, "srcmark", shift=12))
    bridges = [bridge_name(n.id) for n in state.networks]
    zones = allocate(bridges, existing_numbers(inet_now, "zones"), 0xFFFF)
    return bridge_table(ports), inet_table(state, ports, zones)


# --- connections a change no longer allows ----------------------------------------------

# Group id -> (its rules by id, its members' addresses), as last applied.
Snapshot = dict[str, tuple[dict[str, SecurityGroupRule], frozenset[str]]]


@dataclass(frozen=True)
class Flow:
    """Conntrack entries to delete (``conntrack.delete`` arguments)."""

    ipv6: bool
    zone: int | None
    src: str | None
    dst: str | None
    protocol: int | None = None
    dport: int | None = None


def snapshot(state: HostState) -> Snapshot:
    return {g.id: ({r.id: r for r in g.rules}, frozenset(g.member_ips))
            for g in state.security_groups}


def _single_addresses(port: Port) -> list[str]:
    out = [ip.ip_address for ip in port.fixed_ips]
    for pair in port.allowed_address_pairs:
        net = ipaddress.ip_network(pair.ip_address, strict=False)
        if net.prefixlen == net.max_prefixlen:
            out.append(str(net.network_address))
    return out


def _flows(rule: SecurityGroupRule, fp: FilteredPort, zone: int | None,
           remote: str | None = None) -> list[Flow]:
    ipv6 = rule.ethertype == "IPv6"
    number = protocol_number(rule.protocol, ipv6)
    lo, hi = rule.port_range_min, rule.port_range_max
    dport = lo if number in PORT_PROTOCOLS and lo is not None and lo == hi else None
    out = []
    for address in _single_addresses(fp.port):
        if (":" in address) != ipv6 or (remote is not None and (":" in remote) != ipv6):
            continue
        src, dst = (remote, address) if rule.direction == "ingress" else (address, remote)
        out.append(Flow(ipv6, zone, src, dst, number, dport))
    return out


def stale_flows(before: Snapshot, state: HostState, ports: list[FilteredPort],
                zones: dict[str, int]) -> list[Flow]:
    """The tracked connections of stateful ports that a removed rule, or a member gone from
    a remote group, allowed: Neutron deletes them so that the change holds for them too."""
    now = snapshot(state)
    out: list[Flow] = []
    for fp in (p for p in ports if p.stateful):
        zone = zones.get(bridge_name(fp.network_id))
        for gid in fp.port.security_group_ids:
            old_rules, _ = before.get(gid, ({}, frozenset()))
            new_rules = now.get(gid, ({}, frozenset()))[0]
            for rid, rule in old_rules.items():
                if rid not in new_rules:
                    out += _flows(rule, fp, zone)
            for rule in new_rules.values():
                remote = rule.remote_group_id
                if remote and remote in before and remote in now:
                    for member in sorted(before[remote][1] - now[remote][1]):
                        out += _flows(rule, fp, zone, member)
    return list(dict.fromkeys(out))


# --- the part ----------------------------------------------------------------------------

class SecurityGroupsPart:
    """Keeps the ``nimbus-sg`` tables of the host netns equal to what ``state`` asks."""

    name = "security_groups"

    def __init__(self, ctx: HostContext) -> None:
        self.ctx = ctx
        self._warned_no_br_netfilter = False
        # What the rules were at the last reconcile (none after a start: nothing to cut).
        self._before: Snapshot | None = None

    def reconcile(self, state: HostState) -> list[str]:
        netns = self.ctx.netns
        bridge_now = nft.list_table("bridge", TABLE, netns=netns)
        inet_now = nft.list_table("inet", TABLE, netns=netns)
        bridge_want, inet_want = desired_tables(state, bridge_now, inet_now)
        if not bridge_want.sets["ports"].elements:
            return self.teardown()
        cmds_b, changes_b = nft.plan(bridge_want, bridge_now)
        cmds_i, changes_i = nft.plan(inet_want, inet_now)
        changes = changes_i + changes_b
        if cmds_b or cmds_i:
            # inet first: the bridge table only marks; both land in one transaction.
            try:
                nft.apply("\n".join(cmds_i + cmds_b) + "\n", netns=netns)
            except nft.NftError as e:
                self.ctx.log.error("security groups: the update failed, rebuilding: %s", e)
                nft.apply(rebuild_script(bridge_want, inet_want), netns=netns)
                changes.append(f"tables {TABLE}: rebuilt after a failed update")
            changes += self._cut_stale_connections(state, bridge_want, inet_want)
        self._before = snapshot(state)
        changes += self._bridges_call_netfilter(state)
        for line in changes:
            self.ctx.log.info("security groups: %s", line)
        return changes

    def teardown(self) -> list[str]:
        changes = []
        for family in ("bridge", "inet"):
            if nft.delete_table(family, TABLE, netns=self.ctx.netns):
                changes.append(f"table {family} {TABLE}: removed")
        for line in changes:
            self.ctx.log.info("security groups: %s", line)
        return changes

    def _cut_stale_connections(self, state: HostState, bridge: nft.TableSpec,
                               inet: nft.TableSpec) -> list[str]:
        if self._before is None:
            return []
        marks = existing_numbers(_as_table(bridge), "srcmark", shift=12)
        ports = filtered_ports(state, marks)
        zones = existing_numbers(_as_table(inet), "zones")
        changes = []
        for flow in stale_flows(self._before, state, ports, zones):
            gone = conntrack.delete(netns=self.ctx.netns, ipv6=flow.ipv6, zone=flow.zone,
                                    src=flow.src, dst=flow.dst, protocol=flow.protocol,
                                    dport=flow.dport)
            if gone:
                changes.append(f"conntrack: deleted {gone} entries no rule allows now "
                               f"({flow.src or '*'} -> {flow.dst or '*'} zone {flow.zone})")
        return changes

    def _bridges_call_netfilter(self, state: HostState) -> list[str]:
        """Make bridged IP of the networks with filtered ports pass the inet hooks, whatever
        the netns-wide sysctl says: the bridge option nf_call_iptables/ip6tables."""
        if not os.path.exists("/proc/sys/net/bridge") and not self._warned_no_br_netfilter:
            self._warned_no_br_netfilter = True
            self.ctx.log.error("security groups: br_netfilter is not loaded; bridged traffic "
                               "bypasses the stateful rules (anti-spoofing still applies)")
        wanted = {bridge_name(n.id) for n in state.networks
                  if any(is_filtered(p) for p in n.ports)}
        changes = []
        for name, calls in bridge_nf_calls(self.ctx.netns).items():
            if name in wanted and not calls:
                set_bridge_nf_calls(name, self.ctx.netns)
                changes.append(f"bridge {name}: nf_call_iptables/ip6tables on")
        return changes


def rebuild_script(*tables: nft.TableSpec) -> str:
    """Both tables written anew in one transaction: no moment without filtering. ("add"
    before "delete" makes the delete valid whether or not the table is there.)"""
    cmds = []
    for spec in tables:
        cmds += [f"add table {spec.family} {spec.name}", f"delete table {spec.family} {spec.name}"]
        cmds += nft.plan(spec, None)[0]
    return "\n".join(cmds) + "\n"


def _as_table(spec: nft.TableSpec) -> nft.Table:
    """A desired table seen as if listed from the kernel (for its numbers)."""
    table = nft.Table(spec.family, spec.name, 0)
    table.sets = {n: nft.NamedSet(n, 0, s.is_map, s.elements) for n, s in spec.sets.items()}
    return table


def bridge_nf_calls(netns: str | None) -> dict[str, bool]:
    """Bridge name -> whether both nf_call_iptables and nf_call_ip6tables are on."""
    proc = nft.run_tool(["ip", "-d", "-j", "link", "show", "type", "bridge"], netns=netns)
    out = {}
    for link in json.loads(proc.stdout or "[]"):
        data = link.get("linkinfo", {}).get("info_data", {})
        out[link["ifname"]] = bool(data.get("nf_call_iptables")) and \
            bool(data.get("nf_call_ip6tables"))
    return out


def set_bridge_nf_calls(name: str, netns: str | None) -> None:
    nft.run_tool(["ip", "link", "set", "dev", name, "type", "bridge", "nf_call_iptables", "1",
                  "nf_call_ip6tables", "1"], netns=netns)
