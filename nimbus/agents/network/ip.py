"""The agent's one wrapper around netlink (pyroute2) and the few ``ip``/``sysctl`` commands
it runs: named network namespaces, links (bridges, veth pairs, VXLAN, VLAN), addresses,
routes, the bridge FDB, sysctls.

Every function takes ``netns``: the name of a namespace under /run/netns, or None for the
one the process runs in. The process itself never changes namespace: pyroute2 opens its
socket inside the target (``IPRoute(netns=...)``) and subprocesses go through
``nsenter --net=/run/netns/NAME``. Failures raise ``IpError`` (netlink) or ``CommandError``
(a subprocess), both naming the operation, the namespace and, for commands, the argv.

Callers: l2.py and dhcp.py (this helper), security groups and l3 (others). Keep it general:
no Nimbus names in here.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyroute2 import IPRoute
from pyroute2 import netns as pr_netns
from pyroute2.netlink.exceptions import NetlinkError

NETNS_DIR = Path("/run/netns")
COMMAND_TIMEOUT = 10.0
ZERO_MAC = "00:00:00:00:00:00"
VXLAN_PORT = 4789
IFA_F_NODAD = 0x02


class IpError(Exception):
    """A netlink operation failed. ``op`` says what was attempted, ``code`` is the errno."""

    def __init__(self, op: str, netns: str | None, detail: str, code: int = 0) -> None:
        self.op = op
        self.netns = netns
        self.code = code
        super().__init__(f"{op} (netns {netns or '<own>'}): {detail}")


class LinkNotFound(IpError):
    pass


class CommandError(IpError):
    """A subprocess failed or timed out; ``argv`` is the command line that ran."""

    def __init__(self, argv: Sequence[str], netns: str | None, detail: str,
                 returncode: int | None = None) -> None:
        self.argv = list(argv)
        self.returncode = returncode
        super().__init__("run " + " ".join(self.argv), netns, detail, code=returncode or 0)


@dataclass
class Link:
    """What ``links()`` reports of one device."""

    index: int
    name: str
    kind: str               # bridge | veth | vxlan | vlan | tun | dummy | "" (physical)
    mac: str
    mtu: int
    up: bool                # administratively up (IFF_UP)
    master: int | None      # index of the bridge it is enslaved to
    # Kind-specific facts: vxlan: vni, local, port, learning; vlan: vlan_id; both: parent
    # (index of the lower device, when over one).
    info: dict[str, Any] = field(default_factory=dict)


# --- processes ---------------------------------------------------------------------------

def netns_argv(netns: str | None) -> list[str]:
    """The prefix that runs a command inside ``netns`` (nothing for the own namespace)."""
    return [] if netns is None else ["nsenter", f"--net={NETNS_DIR / netns}", "--"]


def run(argv: Sequence[str], *, netns: str | None = None, timeout: float = COMMAND_TIMEOUT,
        check: bool = True, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` (a list, never a shell string) inside ``netns``; raises CommandError with
    the whole command line on failure or timeout when ``check``."""
    full = netns_argv(netns) + list(argv)
    try:
        proc = subprocess.run(full, capture_output=True, text=True, timeout=timeout,
                              input=input, check=False)
    except subprocess.TimeoutExpired as e:
        raise CommandError(full, netns, f"timed out after {timeout}s") from e
    except OSError as e:
        raise CommandError(full, netns, str(e)) from e
    if check and proc.returncode != 0:
        raise CommandError(full, netns, (proc.stderr or proc.stdout).strip(),
                           returncode=proc.returncode)
    return proc


# --- namespaces --------------------------------------------------------------------------

def netns_exists(name: str) -> bool:
    return (NETNS_DIR / name).exists()


def netns_list() -> list[str]:
    try:
        return sorted(p.name for p in NETNS_DIR.iterdir())
    except FileNotFoundError:
        return []


def netns_create(name: str, *, exist_ok: bool = True) -> bool:
    """Create the named namespace with its loopback up; False when it already existed."""
    if netns_exists(name):
        if exist_ok:
            return False
        raise IpError(f"create netns {name}", None, "exists", errno.EEXIST)
    try:
        pr_netns.create(name)
    except OSError as e:
        raise IpError(f"create netns {name}", None, str(e), e.errno or 0) from e
    set_link("lo", up=True, netns=name)
    return True


def netns_delete(name: str) -> bool:
    """Remove the named namespace (its devices go when nothing holds it any more); False
    when it did not exist."""
    if not netns_exists(name):
        return False
    close_sockets(name, all_threads=True)       # a socket inside would keep it alive
    try:
        pr_netns.remove(name)
    except OSError as e:
        raise IpError(f"delete netns {name}", None, str(e), e.errno or 0) from e
    return True


# --- netlink plumbing --------------------------------------------------------------------

# Netlink sockets kept open per (thread, namespace): opening one inside a namespace costs a
# fork, and pyroute2's sockets belong to the thread that made them. Each remembers the inode
# of the namespace it was opened in, so a namespace deleted and made again under the same
# name gets a fresh socket; netns_delete closes those of the namespace it deletes.
# Namespaces deleted behind our back (``ip netns del``) are swept out at most once a second.
_sockets: dict[tuple[int, str | None], tuple[IPRoute, int]] = {}
_sockets_lock = threading.Lock()
_last_sweep = 0.0


def _sweep() -> None:
    global _last_sweep
    now = time.monotonic()
    if now - _last_sweep < 1.0:
        return
    _last_sweep = now
    with _sockets_lock:
        entries = list(_sockets.items())
    for key, (_unused, inode) in entries:
        try:
            alive = key[1] is None or _netns_inode(key[1]) == inode
        except FileNotFoundError:
            alive = False
        if not alive:
            _drop(key)


def _netns_inode(netns: str | None) -> int:
    return os.stat(NETNS_DIR / netns).st_ino if netns is not None else 0


def _socket(op: str, netns: str | None) -> IPRoute:
    _sweep()
    try:
        inode = _netns_inode(netns)
    except FileNotFoundError:
        raise IpError(op, netns, "no such network namespace", errno.ENOENT) from None
    key = (threading.get_ident(), netns)
    with _sockets_lock:
        cached = _sockets.get(key)
    if cached is not None and cached[1] == inode:
        return cached[0]
    if cached is not None:
        _drop(key)
    try:
        ipr = IPRoute(netns=netns) if netns is not None else IPRoute()
    except (OSError, NetlinkError) as e:
        raise IpError(op, netns, f"cannot open netlink: {e}") from e
    with _sockets_lock:
        _sockets[key] = (ipr, inode)
    return ipr


def _drop(key: tuple[int, str | None]) -> None:
    with _sockets_lock:
        cached = _sockets.pop(key, None)
    if cached is not None:
        try:
            cached[0].close()
        except Exception:       # closing a broken socket: nothing left to do
            pass


def close_sockets(netns: str | None = None, *, all_threads: bool = False) -> None:
    """Close the calling thread's cached netlink sockets (all of them, or those of one
    namespace with ``all_threads``). A thread that used this module calls it before it
    ends; ``netns_delete`` calls it for the namespace it deletes."""
    with _sockets_lock:
        keys = [k for k in _sockets
                if (k[1] == netns if all_threads else k[0] == threading.get_ident())]
    for key in keys:
        _drop(key)


@contextmanager
def _ipr(op: str, netns: str | None) -> Iterator[IPRoute]:
    """The (cached) IPRoute socket inside ``netns`` for one operation; netlink and OS
    errors come out as IpError naming ``op`` (a socket that failed is not reused)."""
    ipr = _socket(op, netns)
    try:
        yield ipr
    except NetlinkError as e:
        raise IpError(op, netns, os.strerror(e.code) if e.code else str(e), e.code) from e
    except OSError as e:
        _drop((threading.get_ident(), netns))
        raise IpError(op, netns, str(e), e.errno or 0) from e


def _index(ipr: IPRoute, name: str, op: str, netns: str | None) -> int:
    found = ipr.link_lookup(ifname=name)
    if not found:
        raise LinkNotFound(op, netns, f"no device {name}", errno.ENODEV)
    return int(found[0])


def _link_from_msg(msg: Any) -> Link:
    linkinfo = msg.get_attr("IFLA_LINKINFO")
    kind, info = "", {}
    if linkinfo is not None:
        kind = linkinfo.get_attr("IFLA_INFO_KIND") or ""
        data = linkinfo.get_attr("IFLA_INFO_DATA")
        if data is not None and kind == "vxlan":
            info = {"vni": data.get_attr("IFLA_VXLAN_ID"),
                    "local": data.get_attr("IFLA_VXLAN_LOCAL"),
                    "port": data.get_attr("IFLA_VXLAN_PORT"),
                    "learning": bool(data.get_attr("IFLA_VXLAN_LEARNING"))}
        elif data is not None and kind == "vlan":
            info = {"vlan_id": data.get_attr("IFLA_VLAN_ID")}
    parent = msg.get_attr("IFLA_LINK")
    if parent and kind in ("vlan", "vxlan"):
        info["parent"] = parent
    return Link(index=msg["index"], name=msg.get_attr("IFLA_IFNAME"), kind=kind,
                mac=(msg.get_attr("IFLA_ADDRESS") or "").lower(),
                mtu=msg.get_attr("IFLA_MTU") or 0, up=bool(msg["flags"] & 1),
                master=msg.get_attr("IFLA_MASTER"), info=info)


# --- links -------------------------------------------------------------------------------

def links(netns: str | None = None) -> list[Link]:
    """Every device in ``netns``."""
    with _ipr("list links", netns) as ipr:
        return [_link_from_msg(m) for m in ipr.get_links()]


def get_link(name: str, netns: str | None = None) -> Link | None:
    """The device called ``name``, or None."""
    with _ipr(f"show {name}", netns) as ipr:
        found = ipr.link_lookup(ifname=name)
        if not found:
            return None
        return _link_from_msg(ipr.get_links(found[0])[0])


def link_exists(name: str, netns: str | None = None) -> bool:
    return get_link(name, netns) is not None


def create_bridge(name: str, *, netns: str | None = None, mtu: int | None = None,
                  up: bool = True) -> None:
    """A Linux bridge; STP off and no forwarding delay, so a plugged port forwards at once."""
    with _ipr(f"create bridge {name}", netns) as ipr:
        ipr.link("add", ifname=name, kind="bridge", br_stp_state=0, br_forward_delay=0)
    set_link(name, netns=netns, mtu=mtu, up=up)


def create_veth(name: str, peer: str, *, netns: str | None = None,
                peer_netns: str | None = None, mac: str | None = None,
                peer_mac: str | None = None, mtu: int | None = None) -> None:
    """A veth pair made in ``netns``; ``peer`` is moved to ``peer_netns`` when given. Both
    ends are left down; MACs and MTU are set on each end where given."""
    with _ipr(f"create veth {name}/{peer}", netns) as ipr:
        ipr.link("add", ifname=name, kind="veth", peer=peer)
    try:
        set_link(name, netns=netns, mac=mac, mtu=mtu)
        set_link(peer, netns=netns, mac=peer_mac, mtu=mtu)
        if peer_netns is not None:
            move_link(peer, peer_netns, netns=netns)
    except IpError:
        delete_link(name, netns=netns)
        raise


def move_link(name: str, target_netns: str | None, *, netns: str | None = None,
              new_name: str | None = None) -> None:
    """Move a device from ``netns`` into ``target_netns`` (None: the process's own)."""
    op = f"move {name} to netns {target_netns or '<own>'}"
    with _ipr(op, netns) as ipr:
        index = _index(ipr, name, op, netns)
        kwargs: dict[str, Any] = {"index": index}
        if target_netns is None:
            kwargs["net_ns_pid"] = os.getpid()
        else:
            if not netns_exists(target_netns):
                raise IpError(op, netns, "no such target namespace", errno.ENOENT)
            kwargs["net_ns_fd"] = target_netns
        if new_name:
            kwargs["ifname"] = new_name
        ipr.link("set", **kwargs)


def set_link(name: str, *, netns: str | None = None, mac: str | None = None,
             mtu: int | None = None, up: bool | None = None,
             new_name: str | None = None) -> None:
    """Change what is given of a device: MAC, MTU, name, state (up/down)."""
    op = f"set {name}"
    with _ipr(op, netns) as ipr:
        kwargs: dict[str, Any] = {"index": _index(ipr, name, op, netns)}
        if mac is not None:
            kwargs["address"] = mac
        if mtu is not None:
            kwargs["mtu"] = mtu
        if new_name is not None:
            kwargs["ifname"] = new_name
        if up is not None:
            kwargs["state"] = "up" if up else "down"
        if len(kwargs) > 1:
            ipr.link("set", **kwargs)


def set_master(name: str, master: str | None, *, netns: str | None = None) -> None:
    """Enslave a device to the bridge ``master``, or release it (None)."""
    op = f"set {name} master {master or 'none'}"
    with _ipr(op, netns) as ipr:
        index = _index(ipr, name, op, netns)
        master_index = _index(ipr, master, op, netns) if master else 0
        ipr.link("set", index=index, master=master_index)


def delete_link(name: str, *, netns: str | None = None, missing_ok: bool = True) -> bool:
    """Delete a device (a veth takes its peer with it); False when it was not there."""
    op = f"delete {name}"
    with _ipr(op, netns) as ipr:
        found = ipr.link_lookup(ifname=name)
        if not found:
            if missing_ok:
                return False
            raise LinkNotFound(op, netns, f"no device {name}", errno.ENODEV)
        ipr.link("del", index=found[0])
        return True


def create_vxlan(name: str, vni: int, *, local_ip: str, netns: str | None = None,
                 dstport: int = VXLAN_PORT, learning: bool = False, dev: str | None = None,
                 mtu: int | None = None, up: bool = True) -> None:
    """A VXLAN device (unicast: no group; peers come from FDB entries, see ``fdb_append``);
    ``learning`` off as Neutron's l2population runs it."""
    op = f"create vxlan {name} id {vni}"
    with _ipr(op, netns) as ipr:
        kwargs: dict[str, Any] = {"ifname": name, "kind": "vxlan", "vxlan_id": vni,
                                  "vxlan_local": local_ip, "vxlan_port": dstport,
                                  "vxlan_learning": 1 if learning else 0}
        if dev:
            kwargs["vxlan_link"] = _index(ipr, dev, op, netns)
        ipr.link("add", **kwargs)
    set_link(name, netns=netns, mtu=mtu, up=up)


def create_vlan(name: str, parent: str, vlan_id: int, *, netns: str | None = None,
                mtu: int | None = None, up: bool = True) -> None:
    """An 802.1Q subinterface ``name`` of ``parent``."""
    op = f"create vlan {name} on {parent} id {vlan_id}"
    with _ipr(op, netns) as ipr:
        ipr.link("add", ifname=name, kind="vlan", link=_index(ipr, parent, op, netns),
                 vlan_id=vlan_id)
    set_link(name, netns=netns, mtu=mtu, up=up)


# --- bridge FDB --------------------------------------------------------------------------

def fdb_entries(dev: str, *, netns: str | None = None) -> set[tuple[str, str]]:
    """The (MAC, remote IP) entries of a VXLAN device that carry a destination: the static
    ones ``fdb_append`` makes (learned local entries without dst are left out)."""
    op = f"list fdb of {dev}"
    with _ipr(op, netns) as ipr:
        index = _index(ipr, dev, op, netns)
        out = set()
        for msg in ipr.fdb("dump", ifindex=index):
            dst = msg.get_attr("NDA_DST")
            if msg["ifindex"] == index and dst:
                out.add((msg.get_attr("NDA_LLADDR").lower(), dst))
        return out


def fdb_append(dev: str, mac: str, dst: str, *, netns: str | None = None) -> None:
    """``bridge fdb append MAC dev DEV dst DST``: ``ZERO_MAC`` floods broadcast, unknown
    unicast and multicast to ``dst`` (one entry per peer); a real MAC pins one guest."""
    op = f"fdb append {mac} dev {dev} dst {dst}"
    with _ipr(op, netns) as ipr:
        ipr.fdb("append", ifindex=_index(ipr, dev, op, netns), lladdr=mac, dst=dst)


def fdb_delete(dev: str, mac: str, dst: str, *, netns: str | None = None) -> None:
    op = f"fdb del {mac} dev {dev} dst {dst}"
    with _ipr(op, netns) as ipr:
        ipr.fdb("del", ifindex=_index(ipr, dev, op, netns), lladdr=mac, dst=dst)


# --- addresses and routes ----------------------------------------------------------------

def addresses(name: str, *, netns: str | None = None, family: int | None = None) -> list[str]:
    """The addresses of a device as ``ip/prefixlen`` (link-local IPv6 left out)."""
    op = f"list addresses of {name}"
    with _ipr(op, netns) as ipr:
        index = _index(ipr, name, op, netns)
        kwargs: dict[str, Any] = {"index": index}
        if family is not None:
            kwargs["family"] = family
        out = []
        for msg in ipr.get_addr(**kwargs):
            addr = msg.get_attr("IFA_ADDRESS")
            if msg["family"] == socket.AF_INET6 and addr.lower().startswith("fe80:"):
                continue
            out.append(f"{addr}/{msg['prefixlen']}")
        return out


def _split_cidr(cidr: str) -> tuple[str, int]:
    iface = ipaddress.ip_interface(cidr)
    return str(iface.ip), iface.network.prefixlen


def add_address(name: str, cidr: str, *, netns: str | None = None,
                nodad: bool = False) -> None:
    """Add ``ip/prefixlen`` to a device (an existing one is left alone); ``nodad``: an IPv6
    address usable at once, without duplicate address detection."""
    ip, prefixlen = _split_cidr(cidr)
    op = f"add address {cidr} to {name}"
    with _ipr(op, netns) as ipr:
        kwargs: dict[str, Any] = {}
        if nodad and ":" in ip:
            kwargs["flags"] = IFA_F_NODAD
        try:
            ipr.addr("add", index=_index(ipr, name, op, netns), address=ip,
                     prefixlen=prefixlen, **kwargs)
        except NetlinkError as e:
            if e.code != errno.EEXIST:
                raise


def delete_address(name: str, cidr: str, *, netns: str | None = None) -> None:
    ip, prefixlen = _split_cidr(cidr)
    op = f"delete address {cidr} from {name}"
    with _ipr(op, netns) as ipr:
        ipr.addr("del", index=_index(ipr, name, op, netns), address=ip, prefixlen=prefixlen)


def set_addresses(name: str, cidrs: Sequence[str], *, netns: str | None = None,
                  nodad: bool = False) -> list[str]:
    """Make a device's addresses exactly ``cidrs`` (link-local IPv6 kept); returns what
    changed as ``+cidr`` / ``-cidr``."""
    want = {str(ipaddress.ip_interface(c)) for c in cidrs}
    have = {str(ipaddress.ip_interface(c)) for c in addresses(name, netns=netns)}
    changes = []
    for cidr in sorted(have - want):
        delete_address(name, cidr, netns=netns)
        changes.append(f"-{cidr}")
    for cidr in sorted(want - have):
        add_address(name, cidr, netns=netns, nodad=nodad)
        changes.append(f"+{cidr}")
    return changes


def _route_kwargs(ipr: IPRoute, dst: str, via: str | None, dev: str | None,
                  table: int | None, metric: int | None, op: str,
                  netns: str | None) -> dict[str, Any]:
    net = ipaddress.ip_network(dst, strict=False)
    kwargs: dict[str, Any] = {"dst": str(net.network_address), "dst_len": net.prefixlen,
                              "family": socket.AF_INET6 if net.version == 6 else socket.AF_INET}
    if via:
        kwargs["gateway"] = via
    if dev:
        kwargs["oif"] = _index(ipr, dev, op, netns)
    if table is not None:
        kwargs["table"] = table
    if metric is not None:
        kwargs["priority"] = metric
    return kwargs


def replace_route(dst: str, *, via: str | None = None, dev: str | None = None,
                  netns: str | None = None, table: int | None = None,
                  metric: int | None = None) -> None:
    """``ip route replace DST [via VIA] [dev DEV]``; ``dst`` "default" or a CIDR."""
    dst = _normal_dst(dst, via)
    op = f"replace route {dst} via {via or '-'} dev {dev or '-'}"
    with _ipr(op, netns) as ipr:
        ipr.route("replace", **_route_kwargs(ipr, dst, via, dev, table, metric, op, netns))


def delete_route(dst: str, *, via: str | None = None, dev: str | None = None,
                 netns: str | None = None, table: int | None = None,
                 missing_ok: bool = True) -> None:
    dst = _normal_dst(dst, via)
    op = f"delete route {dst} via {via or '-'} dev {dev or '-'}"
    with _ipr(op, netns) as ipr:
        try:
            ipr.route("del", **_route_kwargs(ipr, dst, via, dev, table, None, op, netns))
        except NetlinkError as e:
            if not (missing_ok and e.code in (errno.ESRCH, errno.ENOENT)):
                raise


def _normal_dst(dst: str, via: str | None) -> str:
    if dst != "default":
        return dst
    six = via is not None and ipaddress.ip_address(via).version == 6
    return "::/0" if six else "0.0.0.0/0"


def routes(*, netns: str | None = None, family: int = socket.AF_INET,
           table: int = 254) -> list[dict[str, Any]]:
    """The routes of a table (main by default), each ``{"dst", "via", "dev"}``; ``dst``
    is a CIDR (``0.0.0.0/0`` for the default route)."""
    with _ipr("list routes", netns) as ipr:
        names = {m["index"]: m.get_attr("IFLA_IFNAME") for m in ipr.get_links()}
        out = []
        for msg in ipr.get_routes(family=family, table=table):
            zero = "::" if family == socket.AF_INET6 else "0.0.0.0"
            dst = f"{msg.get_attr('RTA_DST') or zero}/{msg['dst_len']}"
            out.append({"dst": dst, "via": msg.get_attr("RTA_GATEWAY"),
                        "dev": names.get(msg.get_attr("RTA_OIF"))})
        return out


# --- sysctls -----------------------------------------------------------------------------

def sysctl_set(key: str, value: str | int, *, netns: str | None = None) -> None:
    """Set a sysctl (dotted ``net.ipv4.ip_forward`` form) as seen inside ``netns``: /proc/sys
    shows the namespace of whoever opens it, hence a subprocess for a named one. Device
    names with dots (VLAN devices) are written with slashes, as sysctl(8) wants."""
    run(["sysctl", "-q", "-w", f"{key}={value}"], netns=netns)


def sysctl_get(key: str, *, netns: str | None = None) -> str:
    return run(["sysctl", "-n", key], netns=netns).stdout.strip()


# --- link events -------------------------------------------------------------------------

class LinkWatcher:
    """A netlink socket in ``netns`` subscribed to link events (devices appearing, going,
    changing). ``wait(timeout)`` returns True when something happened since the last call;
    the caller then looks at ``links()`` itself (events are hints, the scan is the truth).
    ``wake()`` (from another thread) ends a ``wait`` at once. The netlink socket is opened
    by the first ``wait``: pyroute2's sockets belong to the thread that made them."""

    def __init__(self, netns: str | None = None) -> None:
        self.netns = netns
        self._ipr: IPRoute | None = None
        self._wake_r, self._wake_w = os.pipe()

    def _open(self) -> IPRoute:
        from pyroute2.netlink.rtnl import RTMGRP_LINK

        if self._ipr is None:
            if self.netns is not None and not netns_exists(self.netns):
                raise IpError("watch links", self.netns, "no such network namespace")
            with _ipr_errors("watch links", self.netns):
                ipr = IPRoute(netns=self.netns) if self.netns is not None else IPRoute()
                ipr.bind(groups=RTMGRP_LINK)
            self._ipr = ipr
        return self._ipr

    def wait(self, timeout: float) -> bool:
        import select

        ipr = self._open()
        ready, _, _ = select.select([ipr.fileno(), self._wake_r], [], [], timeout)
        if self._wake_r in ready:
            os.read(self._wake_r, 512)
        if ipr.fileno() not in ready:
            return False
        with _ipr_errors("read link events", self.netns):
            ipr.get()
        return True

    def wake(self) -> None:
        os.write(self._wake_w, b"x")

    def close(self) -> None:
        if self._ipr is not None:
            self._ipr.close()
        os.close(self._wake_r)
        os.close(self._wake_w)


@contextmanager
def _ipr_errors(op: str, netns: str | None) -> Iterator[None]:
    try:
        yield
    except NetlinkError as e:
        raise IpError(op, netns, os.strerror(e.code) if e.code else str(e), e.code) from e
    except OSError as e:
        raise IpError(op, netns, str(e), e.errno or 0) from e


# --- static routes (added for the L3 part by helper cleanup) -----------------------------

RTPROT_STATIC = 4


def _static_route_key(msg: Any) -> tuple[str, str]:
    zero = "0.0.0.0" if msg["family"] == socket.AF_INET else "::"
    return f"{msg.get_attr('RTA_DST') or zero}/{msg['dst_len']}", msg.get_attr("RTA_GATEWAY") or ""


def set_static_routes(wanted: set[tuple[str, str]], *, netns: str | None = None) -> list[str]:
    """Make the routes with protocol "static" in the main table be ``wanted``
    ({(destination cidr, nexthop)}); the kernel's connected routes and routes of other
    protocols are left alone. Returns what changed as ``+route``/``-route``."""
    changes = []
    with _ipr("set static routes", netns) as ipr:
        have = set()
        for family in (socket.AF_INET, socket.AF_INET6):
            for msg in ipr.get_routes(family=family, table=254, proto=RTPROT_STATIC):
                have.add(_static_route_key(msg))
        for dst, gw in sorted(have - wanted):
            ipr.route("del", dst=dst, gateway=gw or None, table=254, proto=RTPROT_STATIC)
            changes.append(f"-route {dst} via {gw}")
        for dst, gw in sorted(wanted - have):
            net = ipaddress.ip_network(dst, strict=False)
            ipr.route("replace", dst=str(net), gateway=gw, table=254, proto=RTPROT_STATIC)
            changes.append(f"+route {dst} via {gw}")
    return changes
