"""The data-plane figures of bench/network.py: port create -> DHCP answer, security-group
rule create -> enforcement, idle memory of `nimbus up` with its network agent.

They run one `nimbus up` (its default workers) whose agent has the linuxbridge driver, the
host name ``bench-host`` and a network namespace made here as its host netns. A stand-in
guest is a netns of its own with a veth: the guest end ``eth0`` has the port's MAC, the
host end (in the agent's host netns) is named ``tap<port_id[:11]>`` as QEMU's tap would be.
Probes run in the guests (bench/netprobe.py, via ``ip netns exec``) and stamp their
results with CLOCK_MONOTONIC, which every namespace shares.

Cleaning up: resources are deleted through the API while the agent still runs (it removes
its qdhcp- namespaces and dnsmasq), then the server stops; then every process whose command
line names the bench's temp dir (dnsmasq keeps its files there) is stopped by pid, and the
guests', the host's and any qdhcp-<network> namespace of a network the bench made is
deleted. Nothing outside those namespaces is touched.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from identity import Row, process_tree, server_env, tree_memory
from network import (
    Api,
    ApiError,
    Bench,
    NetworkNimbus,
    make_network,
    serving,
    unlimited_quotas,
)

HERE = Path(__file__).resolve().parent
PROBE = HERE / "netprobe.py"
HOST = "bench-host"
DHCP_TARGET_S = 2.0
SG_TARGET_S = 1.0
RSS_TARGET_MIB = 200
AGENT_MODULES = ("agent", "l2", "dhcp", "security_groups")
NO_AGENT = "n/a (no agent on this tree)"
LISTEN_PORT = 8080
FIGURE_NAMES = {"dhcp": "port create -> DHCP offer", "sg": "SG rule create -> enforced",
                "rss": "nimbus up + agent, idle RSS", "agent": f"network agent on {HOST}"}
FIGURE_TARGETS = {"dhcp": f"< {DHCP_TARGET_S:g} s", "sg": f"< {SG_TARGET_S:g} s",
                  "rss": f"< {RSS_TARGET_MIB} MiB", "agent": "alive"}
DATA_PLANE = {"dhcp", "sg", "rss"}
T = TypeVar("T")
DP_CIDR = "10.97.0.0/24"


# -- can this tree run it? ----------------------------------------------------------------
def missing_data_plane(args: Any) -> str | None:
    """Why the data-plane figures cannot run here, or None."""
    if os.geteuid() != 0:
        return "n/a (needs root)"
    modules = ", ".join(f"nimbus.agents.network.{m}" for m in AGENT_MODULES)
    found = subprocess.run([*args.nimbus.split()[:1], "-c", f"import {modules}"],
                           env=server_env(), capture_output=True, text=True,
                           cwd="/tmp", timeout=60)
    if found.returncode != 0:
        return NO_AGENT
    return None


# -- namespaces and veths -----------------------------------------------------------------
def ip(*argv: str, check: bool = True, timeout: float = 15) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["ip", *argv], capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(argv)}: {done.stderr.strip()}")
    return done


def short_id() -> str:
    return uuid.uuid4().hex[:8]


def tap_name(port_id: str) -> str:
    return f"tap{port_id[:11]}"


class Probe:
    """A netprobe.py run in a guest; ``wait(word)`` reads its lines until one starts with
    ``word`` (or it ends) and gives (monotonic time, rest of the line)."""

    def __init__(self, netns: str, *argv: str) -> None:
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", netns, sys.executable, str(PROBE), *argv],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def wait(self, word: str) -> tuple[float, str]:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            head, _, rest = line.strip().partition(" ")
            if head == word:
                stamp, _, detail = rest.partition(" ")
                return float(stamp), detail
            if head in ("ok", "timeout"):
                raise RuntimeError(f"probe said {line.strip()!r}, waiting for {word!r}")
        raise RuntimeError(f"probe ended (rc {self.proc.wait()}) before {word!r}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


@dataclass
class Guest:
    netns: str
    port: dict[str, Any]

    @property
    def address(self) -> str:
        return str(self.port["fixed_ips"][0]["ip_address"])


@dataclass
class Plane:
    """The host netns, the guests and the probes the bench made; ``close()`` removes them."""

    workdir: Path
    host_netns: str = field(default_factory=lambda: f"nimbus-bench-{short_id()}")
    namespaces: list[str] = field(default_factory=list)
    probes: list[Probe] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)

    def netns(self, name: str) -> str:
        ip("netns", "add", name)
        self.namespaces.append(name)
        ip("-n", name, "link", "set", "lo", "up")
        return name

    def guest(self, mac: str, mtu: int) -> tuple[str, str]:
        """A guest netns whose eth0 (``mac``) is the peer of a device in the host netns
        with a temporary name; (guest netns, temporary name). ``plug`` names it tap..."""
        netns = self.netns(f"nimbus-bg-{short_id()}")
        temporary = f"bvh{short_id()}"
        ip("link", "add", temporary, "netns", self.host_netns, "mtu", str(mtu), "type",
           "veth", "peer", "name", "eth0", "netns", netns, "address", mac, "mtu", str(mtu))
        ip("-n", netns, "link", "set", "eth0", "up")
        return netns, temporary

    def plug(self, temporary: str, port_id: str) -> None:
        """The host end becomes tap<port>: to the agent a device that just appeared."""
        ip("-n", self.host_netns, "link", "set", temporary, "name", tap_name(port_id))

    def probe(self, netns: str, *argv: str) -> Probe:
        probe = Probe(netns, *argv)
        self.probes.append(probe)
        return probe

    def close(self) -> None:
        for probe in self.probes:
            probe.stop()
        stop_processes_naming(self.workdir)
        existing = set(ip("netns", "list", check=False).stdout.split())
        for name in [*(f"qdhcp-{n}" for n in self.networks), *reversed(self.namespaces)]:
            if name in existing:
                ip("netns", "delete", name, check=False)


def stop_processes_naming(path: Path) -> list[int]:
    """Stops (TERM, then KILL) every process whose command line names ``path``: the
    dnsmasq daemons of the bench's data dir, nothing of anyone else's."""
    mine = {os.getpid()}
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in mine:
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(path) in cmdline:
            found.append(int(entry.name))
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in found:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        if sig == signal.SIGTERM and found:
            time.sleep(0.5)
    return found


# -- the cloud side -----------------------------------------------------------------------
def wait_for_agent(api: Api, seconds: float = 90) -> str:
    """Waits until GET /v2.0/agents shows an alive DHCP agent on bench-host; a note."""
    deadline = time.monotonic() + seconds
    began = time.monotonic()
    while time.monotonic() < deadline:
        try:
            agents = api.call("GET", "/agents")["agents"]
        except ApiError as exc:
            if " 404" in str(exc):
                return "GET /v2.0/agents not served"
            raise
        alive = {a["agent_type"] for a in agents if a.get("host") == HOST and a.get("alive")}
        if "DHCP agent" in alive:
            return f"agents on {HOST} alive after {time.monotonic() - began:.1f} s"
        time.sleep(0.2)
    raise RuntimeError(f"no alive DHCP agent on {HOST} within {seconds:g} s")


def bound_port(api: Api, net_id: str, name: str, **extra: Any) -> tuple[dict[str, Any], float]:
    """A port bound to bench-host, as Nova would make it; (port, monotonic time of the
    API's answer)."""
    body = {"port": {"network_id": net_id, "name": name, "binding:host_id": HOST,
                     "device_owner": "compute:bench", "device_id": str(uuid.uuid4()),
                     **extra}}
    port = api.call("POST", "/ports", body, 201)["port"]
    return port, time.monotonic()


def random_mac() -> str:
    tail = os.urandom(3)
    return "fa:16:3e:" + ":".join(f"{b:02x}" for b in tail)


# -- DHCP ---------------------------------------------------------------------------------
def dhcp_sample(api: Api, plane: Plane, net_id: str, mtu: int, name: str,
                deadline: float) -> tuple[float, Guest]:
    """Seconds from the port create's answer to a DHCP offer of the port's address in a
    guest plugged right after that answer (the probe already asking before it)."""
    mac = random_mac()
    netns, temporary = plane.guest(mac, mtu)
    probe = plane.probe(netns, "dhcp", "--mac", mac, "--deadline", str(deadline))
    probe.wait("ready")
    port, answered = bound_port(api, net_id, name, mac_address=mac)
    plane.plug(temporary, port["id"])
    offered_at, detail = probe.wait("ok")
    address = port["fixed_ips"][0]["ip_address"]
    if not detail.startswith(f"{address} "):
        raise RuntimeError(f"DHCP offered {detail}, the port has {address}")
    return offered_at - answered, Guest(netns, port)


def figure_dhcp(bench: Bench, api: Api, plane: Plane, net_id: str, mtu: int) -> list[Guest]:
    """One untimed port first (the network's bridge, qdhcp namespace and dnsmasq start
    with it), then ``--repeat`` timed ones; the guests, for the SG figure."""
    cold, guest = dhcp_sample(api, plane, net_id, mtu, "bench-dhcp-0", 60)
    guests = [guest]
    times = []
    for n in range(bench.args.repeat):
        seconds, guest = dhcp_sample(api, plane, net_id, mtu, f"bench-dhcp-{n + 1}", 30)
        times.append(seconds)
        guests.append(guest)
    times.sort()
    confirmed = udhcpc_lease(guests[-1])
    bench.add(Row("port create -> DHCP offer", clients="1",
                  workers=dp_workers(bench), p50=f"{median(times):.2f} s",
                  rate=f"max {times[-1]:.2f} s", target=f"< {DHCP_TARGET_S:g} s",
                  note=f"{len(times)} ports ({', '.join(f'{t:.2f}' for t in times)} s), "
                       f"from the API's answer to the offer in the guest (DISCOVER every "
                       f"20 ms, broadcast); first port of the network (bridge, qdhcp, "
                       f"dnsmasq start) {cold:.2f} s, not counted; {confirmed}",
                  ok=times[-1] < DHCP_TARGET_S and confirmed.startswith("udhcpc got its")))
    return guests


def udhcpc_lease(guest: Guest) -> str:
    """busybox udhcpc's view of the last guest: the whole exchange (discover, offer,
    request, ack) with a real client, after the timed samples."""
    busybox = shutil.which("busybox")
    if busybox is None:
        return "busybox missing: no udhcpc check"
    done = subprocess.run(["ip", "netns", "exec", guest.netns, busybox, "udhcpc", "-i", "eth0",
                           "-n", "-q", "-f", "-t", "5", "-T", "1", "-s", "/bin/true"],
                          capture_output=True, text=True, timeout=30)
    leased = re.search(r"lease of (\S+) obtained", done.stdout + done.stderr)
    if leased is None or leased.group(1) != guest.address:
        return f"udhcpc got NO lease of {guest.address}: {(done.stdout + done.stderr)[-200:]}"
    return f"udhcpc got its lease of {guest.address} (DISCOVER to ACK)"


def dp_workers(bench: Bench) -> str:
    return str(bench.args.data_plane_workers or "default")


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


# -- security groups ----------------------------------------------------------------------
def guest_address(guest: Guest, prefixlen: int) -> None:
    ip("-n", guest.netns, "addr", "add", f"{guest.address}/{prefixlen}", "dev", "eth0")


def wait_for_ping(source: Guest, target: Guest, seconds: float = 60) -> float:
    """Seconds until ``source`` pings ``target`` (ICMP is allowed in): both are plugged
    and filtered."""
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        done = subprocess.run(["ip", "netns", "exec", source.netns, "ping", "-c", "1", "-W",
                               "1", target.address], capture_output=True, timeout=10)
        if done.returncode == 0:
            return time.monotonic() - began
        time.sleep(0.1)
    raise RuntimeError(f"{source.address} could not ping {target.address} in {seconds:g} s")


def tcp_connects(plane: Plane, source: Guest, target: Guest) -> bool:
    probe = plane.probe(source.netns, "connect", "--to", f"{target.address}:{LISTEN_PORT}",
                        "--once", "--every", "0.3")
    probe.proc.wait(timeout=30)
    return probe.proc.returncode == 0


def wait_blocked(plane: Plane, source: Guest, target: Guest, seconds: float = 10) -> None:
    began = time.monotonic()
    while tcp_connects(plane, source, target):
        if time.monotonic() - began > seconds:
            raise RuntimeError(f"TCP {LISTEN_PORT} to {target.address} is still open after "
                               f"{seconds:g} s without a rule allowing it")


def sg_sample(api: Api, plane: Plane, group: str, source: Guest, target: Guest) -> float:
    """Seconds from the rule create's answer to the first TCP connect that succeeds."""
    wait_blocked(plane, source, target)
    probe = plane.probe(source.netns, "connect", "--to", f"{target.address}:{LISTEN_PORT}",
                        "--every", "0.02", "--deadline", "30")
    probe.wait("ready")
    rule = api.call("POST", "/security-group-rules", {"security_group_rule": {
        "security_group_id": group, "direction": "ingress", "ethertype": "IPv4",
        "protocol": "tcp", "port_range_min": LISTEN_PORT, "port_range_max": LISTEN_PORT,
        "remote_ip_prefix": DP_CIDR}}, 201)["security_group_rule"]
    answered = time.monotonic()
    connected, _ = probe.wait("ok")
    api.call("DELETE", f"/security-group-rules/{rule['id']}", expect=204)
    return connected - answered


def figure_sg(bench: Bench, api: Api, plane: Plane, guests: list[Guest], prefixlen: int
              ) -> None:
    """Two guests in a group of their own that lets only ICMP in; a listener on TCP 8080
    in one; each sample creates the rule for 8080 and times the first connect through."""
    group = api.call("POST", "/security-groups", {"security_group": {
        "name": "bench-sg", "description": "bench/network.py"}}, 201)["security_group"]["id"]
    api.call("POST", "/security-group-rules", {"security_group_rule": {
        "security_group_id": group, "direction": "ingress", "ethertype": "IPv4",
        "protocol": "icmp"}}, 201)
    source, target = guests[0], guests[1]
    for guest in (source, target):
        api.call("PUT", f"/ports/{guest.port['id']}", {"port": {"security_groups": [group]}})
        guest_address(guest, prefixlen)
    listener = plane.probe(target.netns, "listen", "--port", str(LISTEN_PORT), "--deadline",
                           "600")
    listener.wait("ready")
    plumbed = wait_for_ping(source, target)
    times = sorted(sg_sample(api, plane, group, source, target)
                   for _ in range(bench.args.repeat))
    bench.add(Row("SG rule create -> enforced", clients="1",
                  workers=dp_workers(bench), p50=f"{median(times):.2f} s",
                  rate=f"max {times[-1]:.2f} s", target=f"< {SG_TARGET_S:g} s",
                  ok=times[-1] < SG_TARGET_S,
                  note=f"{len(times)} rules ({', '.join(f'{t:.3f}' for t in times)} s), from "
                       f"the API's answer to the first TCP connect through (a new connect "
                       f"every 20 ms; blocked checked before each); guests pinged each "
                       f"other {plumbed:.1f} s after the group change"))


# -- memory -------------------------------------------------------------------------------
def figure_rss(bench: Bench, server: NetworkNimbus, agent_note: str, when: str,
               target: bool) -> None:
    """The whole process tree's memory (uvicorn workers, the supervisor, the agent's
    threads); the dnsmasq daemons apart, as they outlive Nimbus by design."""
    rss, pss, procs = tree_memory(server.proc.pid)  # type: ignore[union-attr]
    bench.add(Row(f"nimbus up + agent, RSS (PSS), {when}", workers=dp_workers(bench),
                  rate=f"{rss:.0f} MiB ({pss:.0f})",
                  target=f"< {RSS_TARGET_MIB} MiB" if target else "",
                  ok=rss < RSS_TARGET_MIB if target else None,
                  note=f"whole process tree, {procs} processes; dnsmasq daemons (not in "
                       f"the tree) {daemon_rss(server):.0f} MiB; {agent_note}"))


def daemon_rss(server: NetworkNimbus) -> float:
    """MiB of the processes outside the server's tree that name its data dir (dnsmasq)."""
    tree = set(process_tree(server.proc.pid))  # type: ignore[union-attr]
    data_dir = server.data_dir
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in tree:
            continue
        try:
            if str(data_dir) not in (entry / "cmdline").read_bytes().decode(errors="replace"):
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


# -- the figures --------------------------------------------------------------------------
def attempt(bench: Bench, server: NetworkNimbus, figure: str, run: Callable[..., T],
            *args: Any) -> T | None:
    """``run(*args)``; a figure that fails becomes a MISS row saying why (with the
    agent's last complaint in the server's log), and the others still run."""
    try:
        return run(*args)
    except (RuntimeError, ApiError, subprocess.TimeoutExpired) as exc:
        bench.add(Row(FIGURE_NAMES[figure], rate="FAILED", target=FIGURE_TARGETS[figure],
                      ok=False, note=f"{str(exc)[:300]}; {agent_complaint(server)}"))
        return None


def agent_complaint(server: NetworkNimbus) -> str:
    """The last warning or error of the agent in the server's log, if any."""
    log = server.data_dir.parent / f"nimbus-{server.port}.log"
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return "no server log"
    for line in reversed(lines):
        if "nimbus.agent" in line and (" WARNING " in line or " ERROR " in line):
            return f"agent's last complaint: {line.split(' ', 2)[-1][:300]}"
    return "the agent logged no warning"


def unavailable(bench: Bench, why: str, figures: set[str] | None = None) -> None:
    only = bench.args.only if figures is None else figures
    for figure in ("dhcp", "sg", "rss"):
        if figure in only & DATA_PLANE:
            bench.add(Row(FIGURE_NAMES[figure], rate=why, target=FIGURE_TARGETS[figure],
                          ok=None))


def data_plane_figures(bench: Bench) -> None:
    why = missing_data_plane(bench.args)
    if why is not None:
        unavailable(bench, why)
        return
    plane = Plane(bench.workdir)
    with ExitStack() as stack:
        stack.callback(plane.close)
        plane.netns(plane.host_netns)
        server = stack.enter_context(agent_server(bench, plane))
        api = Api.of(server)
        agent_note = attempt(bench, server, "agent", wait_for_agent, api)
        if agent_note is None:
            unavailable(bench, "not run: the agent did not report", bench.args.only)
            return
        if "rss" in bench.args.only:
            time.sleep(bench.args.settle)
            figure_rss(bench, server, agent_note, "idle", True)
        if bench.args.only & {"dhcp", "sg"}:
            with resources(api, plane) as (net_id, mtu, prefixlen):
                guests = attempt(bench, server, "dhcp", figure_dhcp, bench, api, plane,
                                 net_id, mtu)
                if "sg" in bench.args.only and guests:
                    attempt(bench, server, "sg", figure_sg, bench, api, plane, guests,
                            prefixlen)
                elif "sg" in bench.args.only:
                    unavailable(bench, "not run: no guests (the DHCP figure failed)", {"sg"})
            if "rss" in bench.args.only:
                figure_rss(bench, server, agent_note, "after the figures", False)


@contextmanager
def agent_server(bench: Bench, plane: Plane) -> Iterator[NetworkNimbus]:
    network = {"driver": "linuxbridge", "host": HOST, "host_netns": plane.host_netns,
               "public_network": "false"}
    with serving(bench.args, bench.workdir / "dataplane", bench.args.data_plane_workers,
                 network) as server:
        yield server


@contextmanager
def resources(api: Api, plane: Plane) -> Iterator[tuple[str, int, int]]:
    """A tenant network with a DHCP subnet; (network id, MTU, prefix length). Its ports,
    groups and itself are deleted at the end, while the agent still runs."""
    unlimited_quotas(api)
    net_id, _subnet = make_network(api, "bench-dataplane", DP_CIDR)
    plane.networks.append(net_id)
    mtu = int(api.call("GET", f"/networks/{net_id}")["network"].get("mtu") or 1450)
    try:
        yield net_id, mtu, int(DP_CIDR.rsplit("/", 1)[1])
    finally:
        delete_all(api, net_id)
        wait_gone(f"qdhcp-{net_id}", 15)


def delete_all(api: Api, net_id: str) -> None:
    """Ports, the network, the group; what fails is said, and close() sweeps after it."""
    steps = [f"/ports/{p['id']}" for p in listed(api, f"/ports?network_id={net_id}", "ports")
             if p["device_owner"] != "network:dhcp"]
    steps.append(f"/networks/{net_id}")
    steps += [f"/security-groups/{g['id']}"
              for g in listed(api, "/security-groups?name=bench-sg", "security_groups")]
    for path in steps:
        try:
            api.call("DELETE", path, expect=204)
        except ApiError as exc:
            print(f"  cleanup: {exc}", flush=True)


def listed(api: Api, path: str, key: str) -> list[dict[str, Any]]:
    try:
        return list(api.call("GET", path)[key])
    except ApiError as exc:
        print(f"  cleanup: {exc}", flush=True)
        return []


def wait_gone(netns: str, seconds: float) -> bool:
    """Waits for the agent to remove ``netns``; close() deletes it if it does not."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if netns not in ip("netns", "list", check=False).stdout.split():
            return True
        time.sleep(0.2)
    return False
