"""What the L3 part, the external bridge, the metadata proxy and teardown share: the
ledger, a command runner, the gratuitous ARP, and thin calls of ``ip.py`` (the one netlink
wrapper) in the shape these callers use (namespace first, sets of addresses, ``only=``).
No netlink of its own: every link, address, route and namespace goes through ``ip.py``.

Every function takes the network namespace it works in: ``None`` is the one this process
runs in, a name is a named namespace under /run/netns. Nothing here setns()es the process;
subprocesses go through ``ip netns exec``.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
from typing import Any

from pyroute2.netlink.exceptions import NetlinkError

from nimbus.agents.network import ip, nft
from nimbus.agents.network.ip import IpError, LinkNotFound
from nimbus.agents.network.nft import ToolError

COMMAND_TIMEOUT = 15.0


class HostCommandError(RuntimeError):
    """A host command or netlink request failed; the message names what was asked."""


# What a part catches around one resource, so one broken router does not stop a pass.
HOST_ERRORS = (HostCommandError, IpError, ToolError, NetlinkError, OSError)


def run(argv: list[str], netns_name: str | None = None, stdin: str | None = None,
        timeout: float = COMMAND_TIMEOUT, check: bool = True,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``argv`` (in ``netns_name`` through ``ip netns exec``); the command line is in
    every error."""
    full = (["ip", "netns", "exec", netns_name] if netns_name else []) + argv
    try:
        done = subprocess.run(full, input=stdin, capture_output=True, text=True,
                              timeout=timeout, check=False, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HostCommandError(f"{' '.join(full)}: {exc}") from exc
    if check and done.returncode != 0:
        raise HostCommandError(f"{' '.join(full)}: exit {done.returncode}: "
                               f"{done.stderr.strip()[:2000]}")
    return done


netns_exists = ip.netns_exists


def ensure_netns(name: str) -> bool:
    """Create the named namespace (with its loopback up); False when it was there."""
    return ip.netns_create(name)


def delete_netns(name: str) -> bool:
    return ip.netns_delete(name)


def link_names(netns_name: str | None) -> dict[str, dict[str, Any]]:
    """Every link in the namespace: name -> {index, kind, master (index or None)}."""
    return {link.name: {"index": link.index, "kind": link.kind or None,
                        "master": link.master}
            for link in ip.links(netns_name)}


def ensure_bridge(netns_name: str | None, name: str, mtu: int | None = None) -> bool:
    """A Linux bridge, up; False when it was there. Creating it races with the L2 part
    harmlessly: EEXIST counts as there. The MTU is only set on a bridge made here."""
    if not ip.link_exists(name, netns_name):
        try:
            ip.create_bridge(name, netns=netns_name, mtu=mtu or None)
            return True
        except IpError as exc:
            if exc.code != errno.EEXIST:
                raise
    ip.set_link(name, netns=netns_name, up=True)
    return False


def delete_link(netns_name: str | None, name: str) -> bool:
    """Delete a device; False when it (or its namespace) was not there."""
    if netns_name is not None and not netns_exists(netns_name):
        return False
    try:
        return ip.delete_link(name, netns=netns_name)
    except IpError as exc:
        if exc.code != errno.ENODEV:     # gone meanwhile
            raise
        return True


def bridge_ports(netns_name: str | None, bridge: str) -> list[str]:
    links = link_names(netns_name)
    master = links.get(bridge)
    if master is None:
        return []
    return [n for n, v in links.items() if v["master"] == master["index"]]


def veth_ok(host_ns: str | None, host_name: str, bridge: str, peer_ns: str,
            peer_name: str, mac: str) -> bool:
    """Both ends exist, the host end is on ``bridge`` and the inner end has ``mac``."""
    host, br = ip.get_link(host_name, host_ns), ip.get_link(bridge, host_ns)
    if host is None or br is None or host.master != br.index or not host.up:
        return False
    peer = ip.get_link(peer_name, peer_ns)
    return peer is not None and peer.mac == mac.lower() and peer.up


def plug_veth(host_ns: str | None, host_name: str, bridge: str, peer_ns: str,
              peer_name: str, mac: str, mtu: int | None = None) -> None:
    """(Re)create the veth ``host_name`` (on ``bridge`` in ``host_ns``) <-> ``peer_name``
    (in ``peer_ns``, with ``mac``), both up. The pair is made inside ``peer_ns`` (ours, so
    ``peer_name`` cannot clash with a host device there) and the host end moved out."""
    delete_link(host_ns, host_name)
    delete_link(peer_ns, peer_name)
    ip.create_veth(peer_name, host_name, netns=peer_ns, mac=mac, mtu=mtu or None)
    ip.move_link(host_name, host_ns, netns=peer_ns)
    ip.set_master(host_name, bridge, netns=host_ns)
    ip.set_link(host_name, netns=host_ns, up=True)
    ip.set_link(peer_name, netns=peer_ns, up=True)


def addresses(netns_name: str | None, ifname: str) -> set[str]:
    """The addresses on ``ifname`` as "ip/prefixlen" (link-local IPv6 left out)."""
    try:
        return set(ip.addresses(ifname, netns=netns_name))
    except LinkNotFound:
        return set()


def set_addresses(netns_name: str | None, ifname: str, wanted: set[str],
                  only: set[str] | None = None) -> list[str]:
    """Make the addresses of ``ifname`` be ``wanted``; with ``only``, remove only extras
    from that set (the addresses this caller once added: ``ip.set_addresses`` would remove
    the host's own). Returns what changed."""
    have = set(ip.addresses(ifname, netns=netns_name))
    changes = []
    for cidr in sorted(wanted - have):
        ip.add_address(ifname, cidr, netns=netns_name)
        changes.append(f"+{cidr} on {ifname}")
    extras = have - wanted if only is None else (have & only) - wanted
    for cidr in sorted(extras):
        ip.delete_address(ifname, cidr, netns=netns_name)
        changes.append(f"-{cidr} on {ifname}")
    return changes


def set_static_routes(netns_name: str, wanted: set[tuple[str, str]]) -> list[str]:
    return ip.set_static_routes(wanted, netns=netns_name)


def sysctl(netns_name: str | None, key: str, value: str) -> bool:
    """Set a sysctl in the namespace (they are per netns under net.*); False when it
    already had the value."""
    if ip.sysctl_get(key, netns=netns_name) == value:
        return False
    ip.sysctl_set(key, value, netns=netns_name)
    return True


def drop_nft_table(netns_name: str | None, family: str, table: str) -> bool:
    """Remove an nftables table if it is there (``nft.delete_table``); for cleanup paths,
    where a failure only means it is not removed (logged by nobody, as before)."""
    try:
        return nft.delete_table(family, table, netns=netns_name)
    except nft.NftError:
        return False


class Ledger:
    """What one part made on the host, in ``state_dir/ledger/<part>.json``, so that only
    what Nimbus made is ever removed (named namespaces and processes are global).

    Known keys, read by ``teardown``: ``namespaces`` (names), ``bridges`` and ``links``
    (names in the host netns), ``nft_tables`` ([netns or None, family, name]); a part may
    keep more under keys of its own."""

    def __init__(self, state_dir: os.PathLike | str, part: str) -> None:
        self.path = os.path.join(os.fspath(state_dir), "ledger", f"{part}.json")
        self.data: dict[str, Any] = self._load()

    def _load(self) -> dict[str, Any]:
        try:
            with open(self.path) as handle:
                return json.load(handle)
        except FileNotFoundError:
            return {}

    def save(self) -> None:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        tmp = f"{self.path}.tmp"
        with open(tmp, "w") as handle:
            json.dump(self.data, handle, indent=1, sort_keys=True)
        os.replace(tmp, self.path)


# Sent from inside the namespace by a short-lived process: a gratuitous ARP (a request for
# its own address), which refreshes the neighbours' entries, also failed ones.
_GARP = """
import socket, sys
ifname, ip, mac = sys.argv[1], socket.inet_aton(sys.argv[2]), bytes.fromhex(sys.argv[3])
frame = (b"\\xff" * 6 + mac + b"\\x08\\x06" + b"\\x00\\x01\\x08\\x00\\x06\\x04\\x00\\x01"
         + mac + ip + b"\\x00" * 6 + ip)
with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
    s.bind((ifname, 0))
    s.send(frame)
"""


def send_gratuitous_arp(netns_name: str, ifname: str, address: str, mac: str) -> None:
    """Tell the segment that ``address`` is at ``mac`` (Neutron's arping -U on a new
    floating IP), so a host that failed to resolve it a moment ago tries again at once."""
    import sys

    run([sys.executable, "-c", _GARP, ifname, address, mac.replace(":", "")], netns_name)
