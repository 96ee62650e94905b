"""dnsmasq for one network: the files it reads (hosts, options, names) made from the
network's subnets and ports as Neutron's dnsmasq driver makes them, its command line, and
the daemon itself (started in the qdhcp namespace, found again by pid file, reloaded with
SIGHUP, stopped).

The generators are pure functions of ``messages.Network`` (tested without root). Tags:
``subnet-<id>`` is set by each subnet's ``--dhcp-range``, ``port-<id>`` by a port's host
entry when the port has ``extra_dhcp_opts``; option lines select on them.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nimbus.agents.network import ip
from nimbus.agents.network.messages import Network, Port, Subnet

DHCP_OWNER = "network:dhcp"
ROUTER_OWNERS = ("network:router_interface", "network:ha_router_replicated_interface")
METADATA_IP = "169.254.169.254"
METADATA_CIDR = "169.254.169.254/32"
# Windows 2003-era clients read classless routes from option 249, as Neutron sends both.
WIN2K3_STATIC_ROUTES = "249"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
# Neutron's dnsmasq_lease_max: the cap on leases of one network.
LEASE_MAX = 1 << 24


class DnsmasqError(ip.CommandError):
    """dnsmasq would not start; carries its command line and what it said."""


def subnet_tag(subnet_id: str) -> str:
    return f"subnet-{subnet_id}"


def port_tag(port_id: str) -> str:
    return f"port-{port_id}"


def hostname_for(port: Port, ip_address: str) -> str:
    """The port's DNS name, or Neutron's ``host-10-0-0-3`` made of the address."""
    return port.hostname or "host-" + ip_address.replace(".", "-").replace(":", "-")


def dhcp_subnets(network: Network) -> list[Subnet]:
    return sorted((s for s in network.subnets if s.enable_dhcp), key=lambda s: s.id)


def _v6_mode(subnet: Subnet) -> str:
    """The address mode a v6 subnet's clients use: the address mode, else the RA mode."""
    return subnet.ipv6_address_mode or subnet.ipv6_ra_mode or ""


def serves_addresses(subnet: Subnet) -> bool:
    """Does dnsmasq hand out this subnet's addresses (IPv4; DHCPv6 stateful, or IPv6 with
    no modes, as Neutron treats it)?"""
    return subnet.ip_version == 4 or _v6_mode(subnet) in ("", "dhcpv6-stateful")


def _host_ips(network: Network) -> Iterable[tuple[Port, str, Subnet]]:
    subnets = {s.id: s for s in dhcp_subnets(network)}
    for port in sorted(network.ports, key=lambda p: p.id):
        for fixed in port.fixed_ips:
            subnet = subnets.get(fixed.subnet_id)
            if subnet is not None:
                yield port, fixed.ip_address, subnet


def hosts_lines(network: Network) -> list[str]:
    """``--dhcp-hostsfile``: ``mac,[set:port-<id>,]hostname,ip`` per fixed IP in a subnet
    whose addresses dnsmasq hands out (IPv6 addresses in brackets)."""
    lines = []
    for port, address, subnet in _host_ips(network):
        if not serves_addresses(subnet):
            continue
        tag = f"set:{port_tag(port.id)}," if port.extra_dhcp_opts else ""
        shown = f"[{address}]" if subnet.ip_version == 6 else address
        lines.append(f"{port.mac_address.lower()},{tag}{hostname_for(port, address)},{shown}")
    return lines


def addn_hosts_lines(network: Network, domain: str) -> list[str]:
    """``--addn-hosts``: ``ip<TAB>fqdn hostname`` so the ports' names resolve in DNS."""
    domain = domain.strip(".")
    lines = []
    for port, address, _subnet in _host_ips(network):
        name = hostname_for(port, address)
        fqdn = f"{name}.{domain}" if domain else name
        lines.append(f"{address}\t{fqdn} {name}")
    return lines


def is_isolated(network: Network, subnet: Subnet) -> bool:
    """No router interface on the subnet: guests reach metadata through the DHCP port."""
    for port in network.ports:
        if port.device_owner.startswith(ROUTER_OWNERS) and \
                any(f.subnet_id == subnet.id for f in port.fixed_ips):
            return False
    return True


def dhcp_port(network: Network, host: str = "") -> Port | None:
    """The network's DHCP port on this host (one bound to ``host`` first)."""
    ports = sorted((p for p in network.ports if p.device_owner == DHCP_OWNER),
                   key=lambda p: (p.host != host, p.id))
    return ports[0] if ports else None


def _port_ip(port: Port | None, subnet: Subnet) -> str | None:
    if port is None:
        return None
    return next((f.ip_address for f in port.fixed_ips if f.subnet_id == subnet.id), None)


def _option(tag: str, name: str, value: str | None = None,
            version: int = 4) -> str:
    prefix = "option6:" if version == 6 else "option:"
    key = name if name.isdigit() else prefix + name
    return f"tag:{tag},{key}" + (f",{value}" if value is not None else "")


def _v4_routes(network: Network, subnet: Subnet, port: Port | None) -> tuple[list[str],
                                                                              str | None]:
    """Neutron's classless static routes for a v4 subnet, and its router."""
    gateway, routes = subnet.gateway_ip, []
    for route in subnet.host_routes:
        if route.destination == "0.0.0.0/0":
            gateway = gateway or route.nexthop
        else:
            routes.append(f"{route.destination},{route.nexthop}")
    dhcp_ip = _port_ip(port, subnet)
    if is_isolated(network, subnet):
        if dhcp_ip:
            routes.append(f"{METADATA_CIDR},{dhcp_ip}")
    elif gateway:
        routes.append(f"{METADATA_CIDR},{gateway}")
    for other in dhcp_subnets(network):
        if other.ip_version == 4 and other.cidr != subnet.cidr:
            routes.insert(0, f"{other.cidr},0.0.0.0")      # the other subnets are on-link
    if routes and gateway:
        routes.append(f"0.0.0.0/0,{gateway}")
    return routes, gateway


def opts_lines(network: Network, port: Port | None = None) -> list[str]:
    """``--dhcp-optsfile``: per subnet router (or none), DNS servers, classless static routes
    (121 and 249) with the metadata route, MTU (26); per port its ``extra_dhcp_opts``."""
    port = port or dhcp_port(network)
    lines = []
    for subnet in dhcp_subnets(network):
        tag = subnet_tag(subnet.id)
        if subnet.ip_version == 6:
            if subnet.dns_nameservers:
                servers = ",".join(f"[{s}]" for s in subnet.dns_nameservers)
                lines.append(_option(tag, "dns-server", servers, 6))
            continue
        if subnet.dns_nameservers:
            lines.append(_option(tag, "dns-server", ",".join(subnet.dns_nameservers)))
        routes, gateway = _v4_routes(network, subnet, port)
        if routes:
            lines.append(_option(tag, "classless-static-route", ",".join(routes)))
            lines.append(_option(tag, WIN2K3_STATIC_ROUTES, ",".join(routes)))
        lines.append(_option(tag, "router", gateway))
        lines.append(_option(tag, "mtu", str(network.mtu)))
    for p in sorted(network.ports, key=lambda p: p.id):
        for opt in p.extra_dhcp_opts:
            lines.append(_option(port_tag(p.id), opt.opt_name, opt.opt_value,
                                 opt.ip_version))
    return lines


def _range_mode(subnet: Subnet) -> str | None:
    """dnsmasq's range mode for a subnet, None when dnsmasq has nothing to do with it."""
    if subnet.ip_version == 4:
        return "static"
    mode, ra = _v6_mode(subnet), subnet.ipv6_ra_mode
    if mode in ("", "dhcpv6-stateful"):
        return "static"
    if mode == "dhcpv6-stateless":
        return "ra-stateless" if ra else "static"
    return "ra-only" if ra else None        # slaac: only the router advertisement


def dhcp_ranges(network: Network, lease: int) -> list[str]:
    """``--dhcp-range=`` values, one a subnet: v4 ``set:subnet-<id>,<net>,static,<mask>,
    <lease>``, v6 ``set:subnet-<id>,<net>,<mode>,<prefixlen>,<lease>``."""
    lease_text = "infinite" if lease < 0 else f"{lease}s"
    out = []
    for subnet in dhcp_subnets(network):
        mode, net = _range_mode(subnet), ipaddress.ip_network(subnet.cidr, strict=False)
        if mode is None:
            continue
        if subnet.ip_version == 4:
            size = str(net.netmask)
        elif net.prefixlen > 64 and mode != "static":
            continue                        # RA modes need a /64
        else:
            size = str(net.prefixlen)
        out.append(f"set:{subnet_tag(subnet.id)},{net.network_address},{mode},{size},"
                   f"{lease_text}")
    return out


@dataclass
class Paths:
    """The files of one network's dnsmasq, in a directory of the agent's state dir."""

    directory: Path

    @property
    def pid(self) -> Path:
        return self.directory / "pid"

    @property
    def hosts(self) -> Path:
        return self.directory / "host"

    @property
    def opts(self) -> Path:
        return self.directory / "opts"

    @property
    def addn_hosts(self) -> Path:
        return self.directory / "addn_hosts"

    @property
    def leases(self) -> Path:
        return self.directory / "leases"

    @property
    def log(self) -> Path:
        return self.directory / "dnsmasq.log"


def dnsmasq_argv(network: Network, interface: str, paths: Paths, *, lease: int = 86400,
                 domain: str = "openstacklocal") -> list[str]:
    """The daemon's command line. It runs as root because it re-reads its files (in the
    agent's private state dir) on SIGHUP; it listens only on the DHCP port's device."""
    argv = ["dnsmasq", "--conf-file=", "--no-hosts", "--no-resolv",
            f"--pid-file={paths.pid}", f"--dhcp-hostsfile={paths.hosts}",
            f"--addn-hosts={paths.addn_hosts}", f"--dhcp-optsfile={paths.opts}",
            f"--dhcp-leasefile={paths.leases}", f"--log-facility={paths.log}",
            "--user=root", "--group=root", "--bind-interfaces", f"--interface={interface}",
            "--except-interface=lo", "--dhcp-authoritative"]
    argv += [f"--dhcp-range={r}" for r in dhcp_ranges(network, lease)]
    subnets = dhcp_subnets(network)
    if any(s.ip_version == 6 and s.ipv6_ra_mode for s in subnets):
        # dnsmasq advertises the prefixes (flags from each range's mode) but is no router.
        argv += ["--enable-ra", f"--ra-param={interface},mtu:{network.mtu},60,0"]
    size = sum(ipaddress.ip_network(s.cidr, strict=False).num_addresses for s in subnets)
    argv.append(f"--dhcp-lease-max={min(max(size, 16), LEASE_MAX)}")
    if domain.strip("."):
        argv.append(f"--domain={domain.strip('.')}")
    return argv


def read_host_entries(path: Path) -> set[tuple[str, str]]:
    """The (MAC, address) pairs of a hosts file as ``hosts_lines`` writes it."""
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return set()
    pairs = set()
    for line in lines:
        fields = line.split(",")
        if len(fields) >= 3:
            pairs.add((fields[0], fields[-1].strip("[]")))
    return pairs


def write_if_changed(path: Path, lines: list[str]) -> bool:
    """Write ``lines`` atomically unless the file already holds them; True if written."""
    text = "".join(line + "\n" for line in lines)
    try:
        if path.read_text() == text:
            return False
    except FileNotFoundError:
        pass
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return True


class Dnsmasq:
    """The daemon of one network: a process of its own (not the agent's child once it has
    forked), found by its pid file and checked by its command line in /proc."""

    def __init__(self, paths: Paths, netns: str) -> None:
        self.paths = paths
        self.netns = netns

    def pid(self) -> int | None:
        """The pid of the running dnsmasq this pid file names, or None."""
        try:
            pid = int(self.paths.pid.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        argv = cmdline(pid)
        if argv and Path(argv[0]).name == "dnsmasq" and f"--pid-file={self.paths.pid}" in argv:
            return pid
        return None

    def strays(self) -> list[int]:
        """dnsmasq processes started with this pid file that it does not name (a lost or
        overwritten pid file): they would hold the namespace and the DHCP port."""
        marker = f"--pid-file={self.paths.pid}"
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                argv = cmdline(int(entry.name))
                if argv and Path(argv[0]).name == "dnsmasq" and marker in argv:
                    found.append(int(entry.name))
        return sorted(set(found) - {self.pid() or 0})

    def running_argv(self) -> list[str] | None:
        pid = self.pid()
        return cmdline(pid) if pid else None

    def start(self, argv: list[str]) -> int:
        """Start the daemon in the namespace; returns its pid once it has written it."""
        for pid in self.strays():
            terminate(pid)
        self.paths.pid.unlink(missing_ok=True)
        full = ip.netns_argv(self.netns) + argv
        with open(self.paths.directory / "start.err", "w+") as err:
            try:
                # dnsmasq forks and its parent exits with the start-up verdict.
                proc = subprocess.run(full, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=err,
                                      timeout=START_TIMEOUT, start_new_session=True,
                                      check=False)
            except (OSError, subprocess.TimeoutExpired) as e:
                raise DnsmasqError(full, self.netns, str(e)) from e
            err.seek(0)
            detail = err.read().strip()
        if proc.returncode != 0:
            raise DnsmasqError(full, self.netns, detail or "failed", proc.returncode)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            started = self.pid()
            if started:
                return started
            time.sleep(0.02)
        raise DnsmasqError(full, self.netns, "no pid file after start")

    def reload(self) -> None:
        """SIGHUP: dnsmasq re-reads its hosts, options and names files."""
        pid = self.pid()
        if pid:
            os.kill(pid, signal.SIGHUP)

    def release(self, interface: str, entries: Iterable[tuple[str, str]]) -> bool:
        """Forget the leases of host entries that are gone, so their addresses can go to
        other MACs at once (Neutron's dhcp_release, sent to the running daemon). Without
        dhcp_release (dnsmasq-utils) the lease lines are cut from the file instead; True
        then: the daemon must restart to load it."""
        v4 = [(mac, addr) for mac, addr in entries if ":" not in addr]
        if not v4:
            return False
        if not shutil.which("dhcp_release"):
            return self.prune_leases(v4)
        for mac, addr in v4:
            ip.run(["dhcp_release", interface, addr, mac], netns=self.netns)
        return False

    def prune_leases(self, entries: Iterable[tuple[str, str]]) -> bool:
        """Cut the leases of these (MAC, address) pairs from the lease file (for a daemon
        that is not running, or will restart); True if any was there."""
        gone = {addr for _mac, addr in entries}
        try:
            lines = self.paths.leases.read_text().splitlines()
        except FileNotFoundError:
            return False
        # A lease line: expiry MAC address hostname client-id.
        kept = [line for line in lines if len(line.split()) < 3 or line.split()[2] not in gone]
        write_if_changed(self.paths.leases, kept)
        return len(kept) != len(lines)

    def stop(self) -> bool:
        """Stop it and any stray of it (TERM, then KILL); False when none was running."""
        own = self.pid()
        pids = ([own] if own else []) + self.strays()
        for pid in pids:
            terminate(pid)
        self.paths.pid.unlink(missing_ok=True)
        return bool(pids)


def terminate(pid: int) -> None:
    """TERM, then KILL after the stop timeout (any daemon of the agent's)."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline and cmdline(pid):
        time.sleep(0.02)
    if cmdline(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def cmdline(pid: int) -> list[str]:
    """A process's argv from /proc, [] when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]
