"""The few netlink and process helpers the L3 part, the external bridge and the metadata
proxy need, until they are folded into ``ip.py`` (the L2/DHCP helper's netlink wrapper).

Every function takes the network namespace it works in: ``None`` is the one this process
runs in, a name is a named namespace under /run/netns. Nothing here setns()es the process:
pyroute2 opens its netlink socket in the namespace, and subprocesses go through
``ip netns exec``.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pyroute2 import IPRoute, netns
from pyroute2.netlink.exceptions import NetlinkError

NETNS_DIR = "/run/netns"
RTPROT_STATIC = 4
COMMAND_TIMEOUT = 15.0


class HostCommandError(RuntimeError):
    """A host command or netlink request failed; the message names what was asked."""


# What a part catches around one resource, so one broken router does not stop a pass.
HOST_ERRORS = (HostCommandError, NetlinkError, OSError)


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


def netns_exists(name: str) -> bool:
    return os.path.exists(os.path.join(NETNS_DIR, name))


def ensure_netns(name: str) -> bool:
    """Create the named namespace (with its loopback up); False when it was there."""
    if netns_exists(name):
        return False
    netns.create(name)
    with ipr(name) as ip:
        ip.link("set", index=ip.link_lookup(ifname="lo")[0], state="up")
    return True


def delete_netns(name: str) -> bool:
    _forget(name)   # an open socket would keep the namespace (and its devices) alive
    if not netns_exists(name):
        return False
    run(["ip", "netns", "delete", name])
    return True


_local = threading.local()


@contextmanager
def session() -> Iterator[None]:
    """Within it, ``ipr`` keeps one netlink socket per namespace open (a socket in a named
    namespace costs a fork to open: a reconcile pass would open dozens)."""
    if getattr(_local, "sockets", None) is not None:
        yield
        return
    _local.sockets = {}
    try:
        yield
    finally:
        sockets, _local.sockets = _local.sockets, None
        for ip in sockets.values():
            ip.close()


def _forget(netns_name: str) -> None:
    sockets = getattr(_local, "sockets", None)
    if sockets and netns_name in sockets:
        sockets.pop(netns_name).close()


@contextmanager
def ipr(netns_name: str | None) -> Iterator[IPRoute]:
    """An IPRoute in ``netns_name``; never creates the namespace (flags=0)."""
    sockets = getattr(_local, "sockets", None)
    if sockets is not None and netns_name in sockets:
        yield sockets[netns_name]
        return
    if netns_name is not None and not netns_exists(netns_name):
        raise HostCommandError(f"netns {netns_name}: does not exist")
    ip = IPRoute(netns=netns_name, flags=0) if netns_name else IPRoute()
    if sockets is not None:
        sockets[netns_name] = ip
        yield ip
        return
    try:
        yield ip
    finally:
        ip.close()


def _request(what: str, call: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return call(*args, **kwargs)
    except NetlinkError as exc:
        raise HostCommandError(f"netlink {what} {args} {kwargs}: {exc}") from exc


def link_index(ip: IPRoute, name: str) -> int | None:
    found = ip.link_lookup(ifname=name)
    return found[0] if found else None


def link_names(netns_name: str | None) -> dict[str, dict[str, Any]]:
    """Every link in the namespace: name -> {index, kind, master (index or None)}."""
    out: dict[str, dict[str, Any]] = {}
    with ipr(netns_name) as ip:
        for link in ip.get_links():
            info = link.get_attr("IFLA_LINKINFO")
            out[link.get_attr("IFLA_IFNAME")] = {
                "index": link["index"],
                "kind": info.get_attr("IFLA_INFO_KIND") if info else None,
                "master": link.get_attr("IFLA_MASTER"),
            }
    return out


def ensure_bridge(netns_name: str | None, name: str, mtu: int | None = None) -> bool:
    """A Linux bridge, up; False when it was there. Creating it races with the L2 part
    harmlessly: EEXIST counts as there."""
    with ipr(netns_name) as ip:
        index = link_index(ip, name)
        created = False
        if index is None:
            try:
                ip.link("add", ifname=name, kind="bridge")
                created = True
            except NetlinkError as exc:
                if exc.code != errno.EEXIST:
                    raise HostCommandError(f"netlink add bridge {name}: {exc}") from exc
            index = link_index(ip, name)
        kwargs: dict[str, Any] = {"state": "up"}
        if mtu and created:
            kwargs["mtu"] = mtu
        _request("set", ip.link, "set", index=index, **kwargs)
        return created


def delete_link(netns_name: str | None, name: str) -> bool:
    if netns_name is not None and not netns_exists(netns_name):
        return False
    with ipr(netns_name) as ip:
        index = link_index(ip, name)
        if index is None:
            return False
        try:
            ip.link("del", index=index)
        except NetlinkError as exc:
            if exc.code != errno.ENODEV:
                raise HostCommandError(f"netlink del {name}: {exc}") from exc
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
    with ipr(host_ns) as ip:
        index = link_index(ip, host_name)
        bridge_index = link_index(ip, bridge)
        if index is None or bridge_index is None:
            return False
        link = ip.get_links(index)[0]
        if link.get_attr("IFLA_MASTER") != bridge_index or link["flags"] & 1 == 0:
            return False
    with ipr(peer_ns) as ip:
        index = link_index(ip, peer_name)
        if index is None:
            return False
        link = ip.get_links(index)[0]
        return (link.get_attr("IFLA_ADDRESS") or "").lower() == mac.lower() \
            and link["flags"] & 1 == 1


def plug_veth(host_ns: str | None, host_name: str, bridge: str, peer_ns: str,
              peer_name: str, mac: str, mtu: int | None = None) -> None:
    """(Re)create the veth ``host_name`` (on ``bridge`` in ``host_ns``) <-> ``peer_name``
    (in ``peer_ns``, with ``mac``), both up."""
    delete_link(host_ns, host_name)
    delete_link(peer_ns, peer_name)
    peer_fd = os.open(os.path.join(NETNS_DIR, peer_ns), os.O_RDONLY)
    try:
        with ipr(host_ns) as ip:
            _request("add veth", ip.link, "add", ifname=host_name, kind="veth",
                     peer={"ifname": peer_name, "net_ns_fd": peer_fd})
            index = link_index(ip, host_name)
            extra = {"mtu": mtu} if mtu else {}
            _request("set", ip.link, "set", index=index, master=link_index(ip, bridge),
                     state="up", **extra)
    finally:
        os.close(peer_fd)
    with ipr(peer_ns) as ip:
        index = link_index(ip, peer_name)
        extra = {"mtu": mtu} if mtu else {}
        _request("set", ip.link, "set", index=index, address=mac, state="up", **extra)


def addresses(netns_name: str | None, ifname: str) -> set[str]:
    """The addresses on ``ifname`` as "ip/prefixlen" (link-local IPv6 left out)."""
    with ipr(netns_name) as ip:
        index = link_index(ip, ifname)
        if index is None:
            return set()
        out = set()
        for a in ip.get_addr(index=index):
            addr = a.get_attr("IFA_ADDRESS")
            if not addr.lower().startswith("fe80:"):
                out.add(f"{addr}/{a['prefixlen']}")
        return out


def set_addresses(netns_name: str | None, ifname: str, wanted: set[str],
                  only: set[str] | None = None) -> list[str]:
    """Make the addresses of ``ifname`` be ``wanted``; with ``only``, remove only extras
    from that set (the addresses this caller once added). Returns what changed."""
    have = addresses(netns_name, ifname)
    changes = []
    with ipr(netns_name) as ip:
        index = link_index(ip, ifname)
        if index is None:
            raise HostCommandError(f"netns {netns_name}: no link {ifname}")
        for cidr in sorted(wanted - have):
            addr, plen = cidr.split("/")
            _request("add addr", ip.addr, "add", index=index, address=addr,
                     prefixlen=int(plen))
            changes.append(f"+{cidr} on {ifname}")
        extras = have - wanted if only is None else (have & only) - wanted
        for cidr in sorted(extras):
            addr, plen = cidr.split("/")
            _request("del addr", ip.addr, "del", index=index, address=addr,
                     prefixlen=int(plen))
            changes.append(f"-{cidr} on {ifname}")
    return changes


def _route_key(route: Any) -> tuple[str, str]:
    family_any = "0.0.0.0" if route["family"] == 2 else "::"
    dst = route.get_attr("RTA_DST") or family_any
    return f"{dst}/{route['dst_len']}", route.get_attr("RTA_GATEWAY") or ""


def set_static_routes(netns_name: str, wanted: set[tuple[str, str]]) -> list[str]:
    """Make the routes with protocol "static" in the main table be ``wanted``
    ({(destination cidr, nexthop)}); the kernel's connected routes are left alone."""
    changes = []
    with ipr(netns_name) as ip:
        have = {}
        for family in (2, 10):
            for route in ip.get_routes(family=family, table=254, proto=RTPROT_STATIC):
                have[_route_key(route)] = route
        for key in sorted(set(have) - wanted):
            dst, gw = key
            _request("del route", ip.route, "del", dst=dst, gateway=gw or None,
                     table=254, proto=RTPROT_STATIC)
            changes.append(f"-route {dst} via {gw}")
        for dst, gw in sorted(wanted - set(have)):
            net = ipaddress.ip_network(dst, strict=False)
            _request("add route", ip.route, "replace", dst=str(net), gateway=gw,
                     table=254, proto=RTPROT_STATIC)
            changes.append(f"+route {dst} via {gw}")
    return changes


def sysctl(netns_name: str | None, key: str, value: str) -> bool:
    """Set a sysctl in the namespace (they are per netns under net.*); False when it
    already had the value."""
    current = run(["sysctl", "-n", key], netns_name).stdout.strip()
    if current == value:
        return False
    run(["sysctl", "-q", "-w", f"{key}={value}"], netns_name)
    return True


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
