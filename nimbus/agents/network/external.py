"""The all-in-one external network (DevStack's ``public``): the host's side of it.

The external network's bridge is Neutron's ``brq<network[:11]>`` like any other (the
routers' ``qg-`` devices are plugged into it); the host — the agent's host netns — holds
``public_gateway``/prefix on that bridge, so the host itself reaches floating IPs through
its connected route. ``public_bridge`` (``br-ex``) is given to the bridge as an alternative
name, so ``ip link show br-ex`` finds it. The network this applies to is the external
network of the state whose subnet contains ``public_gateway``.

Forwarding the external network to the host's uplink (masquerade) happens only when
``masquerade_interface`` is set: then an nftables table ``ip nimbus-external`` in the host
netns masquerades ``public_cidr`` leaving through that interface, and forwarding is turned
on in the host netns. Unset (the default), nothing leaves the machine. Nothing else of the
host is touched: no other interface, route or table.
"""

from __future__ import annotations

import ipaddress

from nimbus.agents.network import ip, nft
from nimbus.agents.network import l3_links as links
from nimbus.agents.network.base import HostContext
from nimbus.agents.network.l3 import bridge_name
from nimbus.agents.network.messages import HostState, Network

MASQUERADE_TABLE = "nimbus-external"


def _option(ctx: HostContext, name: str, default: object) -> object:
    return getattr(ctx.options, name, default) if ctx.options is not None else default


def public_network(ctx: HostContext, state: HostState) -> tuple[Network, str] | None:
    """The external network that is the all-in-one ``public`` one, and the host's
    address on it ("gateway/prefixlen"); None when there is none."""
    if not _option(ctx, "public_network", True):
        return None
    gateway = str(_option(ctx, "public_gateway", "172.24.4.1"))
    if not gateway:
        return None
    address = ipaddress.ip_address(gateway)
    for network in state.networks:
        if not network.external:
            continue
        for subnet in network.subnets:
            cidr = ipaddress.ip_network(subnet.cidr, strict=False)
            if address in cidr:
                return network, f"{gateway}/{cidr.prefixlen}"
    return None


class ExternalPart:
    """The host's gateway address on the public bridge, and the optional masquerade."""

    name = "external"

    def __init__(self, ctx: HostContext) -> None:
        self.ctx = ctx
        self.ledger = links.Ledger(ctx.state_dir, "external")

    def reconcile(self, state: HostState) -> list[str]:
        changes: list[str] = []
        try:
            changes += self._gateway(public_network(self.ctx, state))
            changes += self._masquerade()
        except links.HOST_ERRORS as exc:
            self.ctx.log.error("external: %s", exc)
            changes.append(f"failed: {exc}")
        for line in changes:
            self.ctx.log.info("external: %s", line)
        return changes

    def teardown(self) -> list[str]:
        changes = self._gateway(None)
        if self.ledger.data.get("nft_tables"):
            changes += self._drop_masquerade()
        return changes

    def _gateway(self, public: tuple[Network, str] | None) -> list[str]:
        data = self.ledger.data
        host_ns = self.ctx.netns
        changes: list[str] = []
        old_bridge, old_address = data.get("bridge"), data.get("address")
        bridge = bridge_name(public[0].id) if public else None
        address = public[1] if public else None
        if old_bridge and (old_bridge, old_address) != (bridge, address):
            changes += self._release(old_bridge, old_address)
        if bridge is None or address is None:
            return changes
        data.update(bridge=bridge, address=address)   # recorded before it is made
        self.ledger.save()
        if links.ensure_bridge(host_ns, bridge, public[0].mtu if public else None):
            data["bridges"] = [bridge]
            changes.append(f"bridge {bridge} created")
        self.ledger.save()
        changes += links.set_addresses(host_ns, bridge, {address}, only={address})
        alias = str(_option(self.ctx, "public_bridge", ""))
        if alias and alias not in links.link_names(host_ns):
            done = links.run(["ip", "link", "property", "add", "dev", bridge, "altname",
                              alias], host_ns, check=False)
            if done.returncode == 0:
                changes.append(f"{bridge} also named {alias}")
        return changes

    def _release(self, bridge: str, address: str | None) -> list[str]:
        """Take our address off a bridge that no longer is the public one; remove the
        bridge too when we made it and nothing is plugged into it."""
        host_ns = self.ctx.netns
        changes = []
        if bridge in links.link_names(host_ns):
            if address:
                changes += links.set_addresses(host_ns, bridge, set(), only={address})
            if bridge in self.ledger.data.get("bridges", []) and \
                    not links.bridge_ports(host_ns, bridge):
                links.delete_link(host_ns, bridge)
                changes.append(f"bridge {bridge} removed")
        for key in ("bridge", "address", "bridges"):
            self.ledger.data.pop(key, None)
        self.ledger.save()
        return changes

    def _masquerade(self) -> list[str]:
        interface = str(_option(self.ctx, "masquerade_interface", ""))
        if not interface:
            return self._drop_masquerade() if self.ledger.data.get("nft_tables") else []
        cidr = str(ipaddress.ip_network(str(_option(self.ctx, "public_cidr",
                                                    "172.24.4.0/24")), strict=False))
        ruleset = (f"table ip {MASQUERADE_TABLE} {{\n"
                   f"  chain postrouting {{\n"
                   f"    type nat hook postrouting priority srcnat; policy accept;\n"
                   f'    oifname "{interface}" ip saddr {cidr} masquerade\n  }}\n}}\n')
        wanted = f'oifname "{interface}" ip saddr {cidr} masquerade'
        current = nft.table_text("ip", MASQUERADE_TABLE, netns=self.ctx.netns) or ""
        changes = []
        self.ledger.data["nft_tables"] = [[self.ctx.netns, "ip", MASQUERADE_TABLE]]
        if "forward_was" not in self.ledger.data:
            self.ledger.data["forward_was"] = ip.sysctl_get("net.ipv4.ip_forward",
                                                            netns=self.ctx.netns)
        self.ledger.save()
        if wanted not in current:
            nft.apply(f"table ip {MASQUERADE_TABLE}\ndelete table ip {MASQUERADE_TABLE}\n"
                      + ruleset, netns=self.ctx.netns)
            changes.append(f"masquerade of {cidr} to {interface}")
        if links.sysctl(self.ctx.netns, "net.ipv4.ip_forward", "1"):
            changes.append("net.ipv4.ip_forward=1 (masquerade)")
        return changes

    def _drop_masquerade(self) -> list[str]:
        changes = []
        if links.drop_nft_table(self.ctx.netns, "ip", MASQUERADE_TABLE):
            changes.append(f"table {MASQUERADE_TABLE} removed")
        was = self.ledger.data.pop("forward_was", None)
        if was is not None and links.sysctl(self.ctx.netns, "net.ipv4.ip_forward", was):
            changes.append(f"net.ipv4.ip_forward={was} restored")
        self.ledger.data.pop("nft_tables", None)
        self.ledger.save()
        return changes
