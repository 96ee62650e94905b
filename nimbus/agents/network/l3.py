"""The L3 part: Neutron's legacy routers, one ``qrouter-<router_id>`` namespace each.

Per router: each interface a veth ``qr-<port[:11]>`` (inside) / ``tap<port[:11]>`` (on the
network's bridge ``brq<network[:11]>`` in the host netns) with the port's MAC and
addresses; the gateway likewise as ``qg-<port[:11]>`` on the external network's bridge,
with the default route via the external subnet's gateway; the router's extra routes;
forwarding on. NAT lives in one nftables table ``ip nimbus-l3`` inside the namespace:
SNAT of the internal subnets to the gateway address (``enable_snat``), each floating IP as
a DNAT/SNAT pair, port forwardings as DNAT. Floating addresses are put on ``qg-`` as /32,
so the router itself answers ARP for them on the external bridge. A metadata proxy serves
169.254.169.254 in the namespace (``metadata_proxy``); radvd advertises its IPv6 subnets
that have an RA mode (``radvd``).

Routers no longer in the state (or administratively down: Neutron's agent drops those
too) are removed: their proxy, then their namespace (which takes its veths with it). Only
what the ledger names is removed.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass, field

from nimbus.agents.network import l3_links as links
from nimbus.agents.network import metadata_proxy, nft, radvd
from nimbus.agents.network.base import HostContext
from nimbus.agents.network.messages import (
    HostState,
    Network,
    PortForwarding,
    Router,
    RouterPort,
)

NAT_TABLE = "nimbus-l3"
_TABLE_COMMENT = re.compile(r'comment "nimbus-l3 ([0-9a-f]+)"')


def bridge_name(network_id: str) -> str:
    return f"brq{network_id[:11]}"


def namespace_name(router_id: str) -> str:
    return f"qrouter-{router_id}"


@dataclass
class _Plan:
    """The devices one router must have: link name -> (bridge, mac, {addresses}, network)."""

    ports: dict[str, tuple[str, str, set[str], str]] = field(default_factory=dict)
    routes: set[tuple[str, str]] = field(default_factory=set)
    gateway_device: str | None = None
    gateway_address: str | None = None


def plan_router(router: Router) -> _Plan:
    plan = _Plan()
    for iface in router.interfaces:
        _add_port(plan, "qr-", iface)
    if router.gateway is not None:
        gateway_ips = router.gateway_ips or [router.gateway]
        plan.gateway_device = f"qg-{router.gateway.port_id[:11]}"
        for ip in gateway_ips:
            _add_port(plan, "qg-", ip, port_id=router.gateway.port_id)
        v4 = [ip.ip_address for ip in gateway_ips if ":" not in ip.ip_address]
        plan.gateway_address = v4[0] if v4 else None
        plan.ports[plan.gateway_device][2].update(f"{a}/32" for a in nat_addresses(router))
        if router.external_gateway_ip:
            default = "::/0" if ":" in router.external_gateway_ip else "0.0.0.0/0"
            plan.routes.add((default, router.external_gateway_ip))
    for route in router.routes:
        destination = ipaddress.ip_network(route.destination, strict=False)
        plan.routes.add((str(destination), route.nexthop))
    return plan


def _add_port(plan: _Plan, prefix: str, port: RouterPort, port_id: str | None = None) -> None:
    name = f"{prefix}{(port_id or port.port_id)[:11]}"
    entry = plan.ports.setdefault(
        name, (bridge_name(port.network_id), port.mac_address, set(), port.network_id))
    entry[2].add(f"{port.ip_address}/{port.prefixlen}")


def nat_addresses(router: Router) -> set[str]:
    """The floating addresses the router answers for: its floating IPs and the floating
    IPs its port forwardings use."""
    return {f.floating_ip_address for f in router.floating_ips} | \
        {p.floating_ip_address for p in router.port_forwardings}


def nat_mappings(router: Router) -> set[str]:
    """One line per translation ("<kind> <floating address> ..."): when one goes, the
    flows of its floating address are flushed."""
    return {f"fip {f.floating_ip_address} {f.fixed_ip_address}" for f in router.floating_ips} \
        | {f"pf {p.floating_ip_address} {p.id} {_forwarding_rule(p)}"
           for p in router.port_forwardings}


def render_nat(router: Router, plan: _Plan) -> str:
    """The router's ``ip nimbus-l3`` table, comment carrying a digest of the rules so a
    second pass can tell nothing moved."""
    pre, post = [], []
    qg = plan.gateway_device
    if qg is not None:
        for fip in sorted(router.floating_ips, key=lambda f: f.floating_ip_address):
            pre.append(f"ip daddr {fip.floating_ip_address} dnat to {fip.fixed_ip_address}")
            post.append(f'oifname "{qg}" ip saddr {fip.fixed_ip_address} '
                        f"snat to {fip.floating_ip_address}")
        for pf in sorted(router.port_forwardings, key=lambda p: p.id):
            pre.append(_forwarding_rule(pf))
        if plan.gateway_address:
            internal = sorted({str(ipaddress.ip_interface(f"{i.ip_address}/{i.prefixlen}")
                                   .network) for i in router.interfaces
                               if ":" not in i.ip_address})
            # Hairpin: a guest reaching another's floating IP from inside gets its reply
            # through the router, not straight from its neighbour.
            post.append(f'iifname "qr-*" oifname "qr-*" ct status dnat '
                        f"snat to {plan.gateway_address}")
            if router.enable_snat and internal:
                post.append(f'oifname "{qg}" ip saddr {{ {", ".join(internal)} }} '
                            f"snat to {plan.gateway_address}")
    body = "\n".join([
        "  chain prerouting {",
        "    type nat hook prerouting priority dstnat; policy accept;",
        *(f"    {r}" for r in pre), "  }",
        "  chain output {",
        "    type nat hook output priority -100; policy accept;",
        *(f"    {r}" for r in pre), "  }",
        "  chain postrouting {",
        "    type nat hook postrouting priority srcnat; policy accept;",
        *(f"    {r}" for r in post), "  }",
    ])
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    return f'table ip {NAT_TABLE} {{\n  comment "nimbus-l3 {digest}"\n{body}\n}}\n'


def _forwarding_rule(pf: PortForwarding) -> str:
    """One port forwarding as DNAT: a port, a range onto one port, or a range onto a range
    of the same size (port by port, through a map)."""
    proto, fip, ip = pf.protocol, pf.floating_ip_address, pf.internal_ip_address
    ext = _port_range(pf.external_port_range, pf.external_port)
    inner = _port_range(pf.internal_port_range, pf.internal_port)
    match = f"ip daddr {fip} {proto} dport {ext[0]}" if ext[0] == ext[1] else \
        f"ip daddr {fip} {proto} dport {ext[0]}-{ext[1]}"
    if inner[0] == inner[1]:
        return f"{match} dnat to {ip}:{inner[0]}"
    pairs = ", ".join(f"{e} : {ip} . {i}" for e, i in
                      zip(range(ext[0], ext[1] + 1), range(inner[0], inner[1] + 1),
                          strict=False))
    return f"{match} dnat ip to {proto} dport map {{ {pairs} }}"


def _port_range(text: str, single: int) -> tuple[int, int]:
    if text:
        low, _, high = text.partition(":")
        return int(low), int(high or low)
    return int(single), int(single)


class L3Part:
    """Routers on this host (see the module docstring)."""

    name = "l3"

    def __init__(self, ctx: HostContext) -> None:
        self.ctx = ctx
        self.ledger = links.Ledger(ctx.state_dir, "l3")

    def reconcile(self, state: HostState) -> list[str]:
        changes: list[str] = []
        wanted = {r.id: r for r in state.routers if r.admin_state_up}
        networks = {n.id: n for n in state.networks}
        for router in wanted.values():
            try:
                changes += [f"router {router.id}: {c}" for c in
                            self._reconcile_router(router, networks)]
            except links.HOST_ERRORS as exc:
                self.ctx.log.error("router %s: %s", router.id, exc)
                changes.append(f"router {router.id}: failed: {exc}")
        for router_id in sorted(set(self._routers()) - set(wanted)):
            try:
                changes += [f"router {router_id}: {c}" for c in
                            self._remove_router(router_id)]
            except links.HOST_ERRORS as exc:
                self.ctx.log.error("router %s: removing: %s", router_id, exc)
                changes.append(f"router {router_id}: failed to remove: {exc}")
        for line in changes:
            self.ctx.log.info("l3: %s", line)
        return changes

    def teardown(self) -> list[str]:
        changes = []
        for router_id in sorted(self._routers()):
            changes += [f"router {router_id}: {c}" for c in self._remove_router(router_id)]
        return changes

    # --- the ledger -----------------------------------------------------------------------

    def _routers(self) -> dict[str, dict]:
        return self.ledger.data.setdefault("routers", {})

    def _remember(self, router_id: str, **values: object) -> None:
        entry = self._routers().setdefault(router_id, {"namespace": namespace_name(router_id)})
        entry.update(values)
        self.ledger.data["namespaces"] = sorted(r["namespace"] for r in self._routers().values())
        self.ledger.save()

    # --- one router -----------------------------------------------------------------------

    def _reconcile_router(self, router: Router, networks: dict[str, Network]) -> list[str]:
        ns = namespace_name(router.id)
        self._remember(router.id)   # before making anything: a crash leaves no orphan
        changes = ["namespace created"] if links.ensure_netns(ns) else []
        for key in ("net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"):
            if links.sysctl(ns, key, "1"):
                changes.append(f"{key}=1")
        plan = plan_router(router)
        changes += self._plug_ports(router, ns, plan, networks)
        changes += links.set_static_routes(ns, plan.routes)
        changes += self._apply_nat(router, ns, plan)
        changes += radvd.for_router(self.ctx, router.id, ns).ensure(
            radvd.render_config(router, networks))
        if self.ctx.metadata_url:
            changes += metadata_proxy.ensure_for_router(self.ctx, router, networks)
        else:   # nothing to forward to: no proxy (one answering 502 helps no guest)
            changes += metadata_proxy.stop(self.ctx, ns)
        return changes

    def _plug_ports(self, router: Router, ns: str, plan: _Plan,
                    networks: dict[str, Network]) -> list[str]:
        changes = []
        host_ns = self.ctx.netns
        made_bridges = set(self.ledger.data.get("bridges", []))
        for name, (bridge, mac, addrs, network_id) in sorted(plan.ports.items()):
            tap = f"tap{name[3:]}"
            mtu = networks[network_id].mtu if network_id in networks else None
            if links.ensure_bridge(host_ns, bridge, mtu):
                made_bridges.add(bridge)
                self.ledger.data["bridges"] = sorted(made_bridges)
                changes.append(f"bridge {bridge} created")
            if not links.veth_ok(host_ns, tap, bridge, ns, name, mac):
                links.plug_veth(host_ns, tap, bridge, ns, name, mac, mtu)
                changes.append(f"{name} plugged into {bridge}")
            added = links.set_addresses(ns, name, addrs)
            if name.startswith("qg-"):
                self._announce(ns, name, mac, added)
            changes += added
        for name in sorted(self._router_links(ns) - set(plan.ports)):
            links.delete_link(ns, name)
            changes.append(f"{name} removed")
        self._remember(router.id, links=sorted(f"tap{n[3:]}" for n in plan.ports),
                       bridges=sorted({p[0] for p in plan.ports.values()}))
        return changes

    @staticmethod
    def _announce(ns: str, device: str, mac: str, added: list[str]) -> None:
        for line in added:
            cidr = line.split()[0]
            if cidr.startswith("+") and ":" not in cidr:
                links.send_gratuitous_arp(ns, device, cidr[1:].split("/")[0], mac)

    @staticmethod
    def _router_links(ns: str) -> set[str]:
        return {n for n in links.link_names(ns) if n.startswith(("qr-", "qg-"))}

    def _apply_nat(self, router: Router, ns: str, plan: _Plan) -> list[str]:
        ruleset = render_nat(router, plan)
        digest = _TABLE_COMMENT.search(ruleset).group(1)  # type: ignore[union-attr]
        current = nft.table_text("ip", NAT_TABLE, netns=ns) or ""
        found = _TABLE_COMMENT.search(current)
        changes = []
        if found is None or found.group(1) != digest:
            # Declaring the table first makes the delete safe when it does not exist yet.
            nft.apply(f"table ip {NAT_TABLE}\ndelete table ip {NAT_TABLE}\n{ruleset}", netns=ns)
            changes.append(f"nat table {NAT_TABLE} loaded ({digest})")
        entry = self._routers()[router.id]
        gone = set(entry.get("nat_mappings", [])) - nat_mappings(router)
        for address in sorted({m.split()[1] for m in gone}):
            # Conntrack would keep translating the flows of a mapping that went away (or
            # moved to another fixed IP).
            links.run(["conntrack", "-D", "-d", address], ns, check=False)
            links.run(["conntrack", "-D", "-q", address], ns, check=False)
            changes.append(f"conntrack of {address} flushed")
        self._remember(router.id, nat_mappings=sorted(nat_mappings(router)))
        return changes

    def _remove_router(self, router_id: str) -> list[str]:
        ns = namespace_name(router_id)
        changes = metadata_proxy.stop(self.ctx, ns)
        if radvd.for_router(self.ctx, router_id, ns).stop():
            changes.append("radvd stopped")
        if links.netns_exists(ns):
            for name in sorted(self._router_links(ns)):
                links.delete_link(ns, name)
            links.delete_netns(ns)
            changes.append(f"namespace {ns} removed")
        entry = self._routers().pop(router_id, {})
        changes += self._drop_unused_bridges(entry.get("bridges", []))
        self._remember_namespaces()
        return changes

    def _remember_namespaces(self) -> None:
        self.ledger.data["namespaces"] = sorted(r["namespace"] for r in self._routers().values())
        self.ledger.save()

    def _drop_unused_bridges(self, bridges: list[str]) -> list[str]:
        """Remove the bridges this part created once nothing is plugged into them (the L2
        part may have plugged its own ports meanwhile; then the bridge stays)."""
        changes = []
        made = set(self.ledger.data.get("bridges", []))
        still_used = {b for r in self._routers().values() for b in r.get("bridges", [])}
        for bridge in sorted(set(bridges) & made - still_used):
            # A bridge with addresses is the external part's (the host's gateway on it).
            if not links.bridge_ports(self.ctx.netns, bridge) and \
                    not links.addresses(self.ctx.netns, bridge):
                links.delete_link(self.ctx.netns, bridge)
                changes.append(f"bridge {bridge} removed")
            made.discard(bridge)
        self.ledger.data["bridges"] = sorted(made)
        return changes
