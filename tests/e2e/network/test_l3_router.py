"""Routers with real packets: a guest namespace on a tenant network reaches the "host"
through its router (SNAT), the host reaches the guest through a floating IP and a port
forwarding, and the metadata proxy signs the guest's identity.

Each test has a host netns of its own (``nimbus-t-<random>``: the agent's host, holding the
external network's gateway address) and random router/network ids, so tests running in
parallel never meet; everything is removed at the end, also on failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from nimbus.agents.network import l3_links as links
from nimbus.agents.network import metadata_proxy, radvd
from nimbus.agents.network.base import HostContext
from nimbus.agents.network.external import ExternalPart
from nimbus.agents.network.l3 import L3Part, bridge_name
from nimbus.agents.network.messages import (
    FixedIp,
    FloatingIp,
    HostRoute,
    HostState,
    Network,
    Port,
    PortForwarding,
    Router,
    RouterPort,
    Subnet,
)
from nimbus.agents.network.teardown import teardown_host
from nimbus.config import NetworkSettings

pytestmark = [pytest.mark.root,
              pytest.mark.skipif(os.geteuid() != 0, reason="needs root (namespaces)")]

SECRET = "metadata-test-secret"
GUEST_IP = "10.0.0.5"
GATEWAY_IP = "172.24.4.10"      # the router's qg- address
HOST_IP = "172.24.4.1"          # the host's address on the external bridge
FIP = "172.24.4.20"
PF_FIP = "172.24.4.30"

# A TCP server answering every connection with "<its port> <the peer's address>".
WHOAMI = """
import socket, sys, threading
def serve(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[1], port)); s.listen(16)
    while True:
        c, peer = s.accept(); c.sendall(f"{port} {peer[0]}".encode()); c.close()
ports = [int(p) for p in sys.argv[2:]]
for p in ports[1:]:
    threading.Thread(target=serve, args=(p,), daemon=True).start()
print("ready", flush=True)
serve(ports[0])
"""

CONNECT = """
import socket, sys
with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3) as c:
    print(c.recv(200).decode())
"""

FETCH = """
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], headers={"X-Instance-ID": "forged"})
print(urllib.request.urlopen(req, timeout=10).read().decode())
"""


def new_id() -> str:
    return str(uuid.uuid4())


def mac() -> str:
    b = os.urandom(3)
    return f"fa:16:3e:{b[0]:02x}:{b[1]:02x}:{b[2]:02x}"


class _Echo(BaseHTTPRequestHandler):
    """The stand-in metadata API: answers with the path and headers it was sent."""

    def do_GET(self) -> None:  # noqa: N802
        body = json.dumps({"path": self.path, "headers": dict(self.headers)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@dataclass
class World:
    ctx: HostContext
    host_ns: str
    guest_ns: str
    project: str
    instance: str
    ext: str
    tenant: str
    router: str
    ext_subnet: str
    tenant_subnet: str
    gw_port: RouterPort
    qr_port: RouterPort
    guest_port: str
    procs: list[subprocess.Popen]

    def state(self, floating: bool = True, forwarding: bool = True,
              router: bool = True) -> HostState:
        ext = Network(id=self.ext, project_id="admin", network_type="flat", external=True,
                      mtu=1500, subnets=[Subnet(self.ext_subnet, self.ext, "172.24.4.0/24",
                                                4, gateway_ip=HOST_IP)])
        guest = Port(self.guest_port, self.tenant, self.project, "fa:16:3e:00:00:05",
                     fixed_ips=[FixedIp(self.tenant_subnet, GUEST_IP)],
                     device_owner="compute:nova", device_id=self.instance)
        tenant = Network(id=self.tenant, project_id=self.project, mtu=1450,
                         subnets=[Subnet(self.tenant_subnet, self.tenant, "10.0.0.0/24", 4,
                                         gateway_ip="10.0.0.1")], ports=[guest])
        routers = []
        if router:
            fips = [FloatingIp(new_id(), FIP, GUEST_IP, self.guest_port)] if floating else []
            pfs = [PortForwarding("pf-1", PF_FIP, 2222, GUEST_IP, 8080, "tcp"),
                   PortForwarding("pf-2", PF_FIP, 0, GUEST_IP, 0, "tcp",
                                  external_port_range="3000:3001",
                                  internal_port_range="8080:8081")] if forwarding else []
            routers.append(Router(self.router, self.project, gateway=self.gw_port,
                                  gateway_ips=[self.gw_port], external_gateway_ip=HOST_IP,
                                  interfaces=[self.qr_port], floating_ips=fips,
                                  port_forwardings=pfs))
        return HostState(host="t", networks=[ext, tenant], routers=routers)

    def parts(self) -> tuple[ExternalPart, L3Part]:
        return ExternalPart(self.ctx), L3Part(self.ctx)

    def reconcile(self, state: HostState) -> list[str]:
        changes: list[str] = []
        for part in self.parts():
            changes += part.reconcile(state)
        return changes

    def in_ns(self, ns: str, *argv: str, timeout: float = 20) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", ns, *argv], capture_output=True,
                              text=True, timeout=timeout)

    def serve(self, ns: str, address: str, *ports: int) -> None:
        proc = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", WHOAMI,
                                 address, *map(str, ports)], stdout=subprocess.PIPE,
                                text=True)
        self.procs.append(proc)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"

    def connect(self, ns: str, address: str, port: int) -> str:
        done = self.in_ns(ns, sys.executable, "-c", CONNECT, address, str(port))
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def can_connect(self, ns: str, address: str, port: int) -> bool:
        return self.in_ns(ns, sys.executable, "-c", CONNECT, address, str(port)).returncode == 0

    def ping(self, ns: str, address: str) -> bool:
        return self.in_ns(ns, "ping", "-c", "1", "-W", "2", address).returncode == 0

    def plug_guest(self) -> None:
        """The stand-in guest: a namespace on the tenant bridge with the port's MAC/IP."""
        links.ensure_netns(self.guest_ns)
        tap = f"tap{self.guest_port[:11]}"
        links.ensure_bridge(self.host_ns, bridge_name(self.tenant))
        links.plug_veth(self.host_ns, tap, bridge_name(self.tenant), self.guest_ns, "eth0",
                        "fa:16:3e:00:00:05")
        links.set_addresses(self.guest_ns, "eth0", {f"{GUEST_IP}/24"})
        links.set_static_routes(self.guest_ns, {("0.0.0.0/0", "10.0.0.1")})


@pytest.fixture
def metadata_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def world(tmp_path: Path, metadata_api: str) -> Iterator[World]:
    tag = uuid.uuid4().hex[:8]
    host_ns, guest_ns = f"nimbus-t-{tag}", f"nimbus-t-{tag}-g"
    links.ensure_netns(host_ns)
    options = NetworkSettings(public_gateway=HOST_IP, public_cidr="172.24.4.0/24")
    ctx = HostContext(host="t", state_dir=tmp_path / "state", netns=host_ns, options=options,
                      metadata_url=metadata_api, metadata_secret=SECRET)
    ext, tenant = new_id(), new_id()
    ext_subnet, tenant_subnet = new_id(), new_id()
    w = World(ctx, host_ns, guest_ns, new_id(), new_id(), ext, tenant, new_id(),
              ext_subnet, tenant_subnet,
              gw_port=RouterPort(new_id(), ext, ext_subnet, mac(), GATEWAY_IP, 24),
              qr_port=RouterPort(new_id(), tenant, tenant_subnet, mac(), "10.0.0.1", 24),
              guest_port=new_id(), procs=[])
    try:
        yield w
    finally:
        for proc in w.procs:
            proc.kill()
            proc.wait(timeout=10)
        teardown_host(ctx.state_dir, host_ns)
        for ns in (f"qrouter-{w.router}", f"qdhcp-{w.tenant}", guest_ns, host_ns):
            links.delete_netns(ns)


def proxy_pids(w: World) -> list[int]:
    return [p for ns in metadata_proxy.proxied_namespaces(w.ctx)
            if (p := metadata_proxy.proxy_pid(w.ctx, ns)) is not None]


def test_guest_reaches_host_through_snat_and_host_reaches_floating_ip(world: World) -> None:
    w = world
    w.reconcile(w.state(floating=False))
    w.plug_guest()
    assert w.ping(w.guest_ns, HOST_IP)
    w.serve(w.host_ns, HOST_IP, 7000)
    # The host sees the router's gateway address: the internal subnet is SNATed.
    assert w.connect(w.guest_ns, HOST_IP, 7000) == f"7000 {GATEWAY_IP}"
    assert not w.ping(w.host_ns, FIP)

    w.reconcile(w.state())
    w.serve(w.guest_ns, "0.0.0.0", 8080, 8081)
    assert w.ping(w.host_ns, FIP)
    assert w.connect(w.host_ns, FIP, 8080) == f"8080 {HOST_IP}"
    # With a floating IP, the guest's own traffic leaves as its floating address.
    assert w.connect(w.guest_ns, HOST_IP, 7000) == f"7000 {FIP}"
    # Port forwardings: one port, and a range onto a range port by port.
    assert w.connect(w.host_ns, PF_FIP, 2222) == f"8080 {HOST_IP}"
    assert w.connect(w.host_ns, PF_FIP, 3000) == f"8080 {HOST_IP}"
    assert w.connect(w.host_ns, PF_FIP, 3001) == f"8081 {HOST_IP}"
    assert not w.can_connect(w.host_ns, PF_FIP, 8080)


def test_disassociating_a_floating_ip_stops_it(world: World) -> None:
    w = world
    w.reconcile(w.state())
    w.plug_guest()
    w.serve(w.guest_ns, "0.0.0.0", 8080)
    assert w.ping(w.host_ns, FIP)
    assert w.connect(w.host_ns, FIP, 8080) == f"8080 {HOST_IP}"

    changes = w.reconcile(w.state(floating=False))
    assert any("conntrack" in c for c in changes)
    assert not w.ping(w.host_ns, FIP)
    assert not w.can_connect(w.host_ns, FIP, 8080)
    assert w.connect(w.host_ns, PF_FIP, 2222) == f"8080 {HOST_IP}"


def test_metadata_proxy_signs_the_guest_identity(world: World) -> None:
    w = world
    w.reconcile(w.state())
    w.plug_guest()
    done = w.in_ns(w.guest_ns, sys.executable, "-c", FETCH,
                   "http://169.254.169.254/openstack/latest/meta_data.json")
    assert done.returncode == 0, done.stderr
    echoed = json.loads(done.stdout)
    headers = {k.lower(): v for k, v in echoed["headers"].items()}
    assert echoed["path"] == "/openstack/latest/meta_data.json"
    assert headers["x-instance-id"] == w.instance
    assert headers["x-tenant-id"] == w.project
    assert headers["x-forwarded-for"] == GUEST_IP
    assert headers["x-neutron-router-id"] == w.router
    assert headers["x-instance-id-signature"] == \
        metadata_proxy.sign_instance_id(SECRET, w.instance)


def test_metadata_proxy_in_a_dhcp_namespace(world: World) -> None:
    """An isolated network: the proxy runs in qdhcp-<network>; the guest reaches it via
    the DHCP port's address (the host route dnsmasq hands out)."""
    w = world
    state = w.state(router=False)
    state.networks[1].dhcp = True
    w.plug_guest()
    ns = f"qdhcp-{w.tenant}"
    # What the DHCP part makes (and records in its ledger): the namespace and its port.
    links.ensure_netns(ns)
    ledger = w.ctx.state_dir / "dhcp" / "ledger.json"
    ledger.parent.mkdir(parents=True, exist_ok=True)
    ledger.write_text(json.dumps({"networks": [w.tenant]}))
    dhcp_port = new_id()
    links.plug_veth(w.host_ns, f"tap{dhcp_port[:11]}", bridge_name(w.tenant), ns,
                    f"ns-{dhcp_port[:11]}", mac())
    links.set_addresses(ns, f"ns-{dhcp_port[:11]}", {"10.0.0.2/24"})
    links.set_static_routes(w.guest_ns, {("169.254.169.254/32", "10.0.0.2")})

    part = metadata_proxy.MetadataProxyPart(w.ctx)
    assert part.reconcile(state)
    done = w.in_ns(w.guest_ns, sys.executable, "-c", FETCH, "http://169.254.169.254/x")
    assert done.returncode == 0, done.stderr
    headers = {k.lower(): v for k, v in json.loads(done.stdout)["headers"].items()}
    assert headers["x-instance-id"] == w.instance
    assert headers["x-neutron-network-id"] == w.tenant
    assert headers["x-instance-id-signature"] == \
        metadata_proxy.sign_instance_id(SECRET, w.instance)
    assert metadata_proxy.MetadataProxyPart(w.ctx).reconcile(state) == []
    pid = metadata_proxy.proxy_pid(w.ctx, ns)
    assert pid is not None

    # A router interface on the network: the router's proxy serves it, this one goes.
    state.networks[1].ports.append(Port(new_id(), w.tenant, w.project, mac(),
                                        device_owner="network:router_interface"))
    assert f"{ns}: metadata proxy stopped" in part.reconcile(state)
    assert not metadata_proxy._alive(pid)
    state.networks[1].ports.pop()
    part.reconcile(state)
    pid = metadata_proxy.proxy_pid(w.ctx, ns)
    # Teardown goes by the DHCP ledger and the pid files.
    assert f"namespace {ns} removed" in teardown_host(w.ctx.state_dir, w.host_ns)
    assert pid is not None and not metadata_proxy._alive(pid)
    assert not links.netns_exists(ns)


def test_reconcile_twice_changes_nothing_and_proxies_survive_a_restart(world: World) -> None:
    w = world
    assert w.reconcile(w.state())
    assert w.reconcile(w.state()) == []
    pids = proxy_pids(w)
    assert len(pids) == 1
    # A new agent (new part objects, same state dir) finds everything as it was.
    assert w.reconcile(w.state()) == []
    assert proxy_pids(w) == pids


def test_a_removed_router_leaves_nothing(world: World) -> None:
    w = world
    w.reconcile(w.state())
    pids = proxy_pids(w)
    changes = w.reconcile(w.state(router=False))
    assert any("removed" in c for c in changes)
    assert not links.netns_exists(f"qrouter-{w.router}")
    assert not any(metadata_proxy._alive(p) for p in pids)
    host_links = links.link_names(w.host_ns)
    assert not [n for n in host_links if n.startswith("tap")]
    # The tenant bridge was the router's only; the external one keeps the host's gateway.
    assert bridge_name(w.tenant) not in host_links
    assert links.addresses(w.host_ns, bridge_name(w.ext)) == {f"{HOST_IP}/24"}
    assert L3Part(w.ctx).ledger.data.get("routers") == {}
    assert w.reconcile(w.state(router=False)) == []


def test_teardown_leaves_nothing(world: World) -> None:
    w = world
    w.reconcile(w.state())
    w.plug_guest()
    pids = proxy_pids(w)
    assert teardown_host(w.ctx.state_dir, w.host_ns)
    assert not links.netns_exists(f"qrouter-{w.router}")
    assert not any(metadata_proxy._alive(p) for p in pids)
    assert [n for n in links.link_names(w.host_ns) if n != "lo"] == []
    tables = links.run(["nft", "list", "tables"], w.host_ns).stdout
    assert "nimbus" not in tables
    time.sleep(0.1)
    assert teardown_host(w.ctx.state_dir, w.host_ns) == []


def test_east_west_between_two_networks_and_floating_ip_from_inside(world: World) -> None:
    """Two tenant networks on one router: routed without NAT between them; a guest on the
    other network reaches the first guest's floating IP too (DNAT from inside)."""
    w = world
    net2, subnet2, port2 = new_id(), new_id(), new_id()
    state = w.state(forwarding=False)
    state.networks.append(Network(
        id=net2, project_id=w.project,
        subnets=[Subnet(subnet2, net2, "10.0.1.0/24", 4, gateway_ip="10.0.1.1")],
        ports=[Port(port2, net2, w.project, "fa:16:3e:00:01:05",
                    fixed_ips=[FixedIp(subnet2, "10.0.1.5")], device_id="vm-2")]))
    state.routers[0].interfaces.append(RouterPort(new_id(), net2, subnet2, mac(),
                                                  "10.0.1.1", 24))
    w.reconcile(state)
    w.plug_guest()
    guest2 = f"{w.guest_ns}2"
    links.ensure_netns(guest2)
    try:
        links.plug_veth(w.host_ns, f"tap{port2[:11]}", bridge_name(net2), guest2, "eth0",
                        "fa:16:3e:00:01:05")
        links.set_addresses(guest2, "eth0", {"10.0.1.5/24"})
        links.set_static_routes(guest2, {("0.0.0.0/0", "10.0.1.1")})
        w.serve(w.guest_ns, "0.0.0.0", 8080)
        assert w.connect(guest2, GUEST_IP, 8080) == "8080 10.0.1.5"
        assert w.connect(guest2, FIP, 8080).startswith("8080 ")
        assert w.reconcile(state) == []
        # The floating IP moves to the second guest: the host reaches that one now.
        w.serve(guest2, "0.0.0.0", 8081)
        assert not w.can_connect(w.host_ns, FIP, 8081)
        state.routers[0].floating_ips = [FloatingIp(new_id(), FIP, "10.0.1.5", port2)]
        assert any("conntrack" in c for c in w.reconcile(state))
        assert w.connect(w.host_ns, FIP, 8081) == f"8081 {HOST_IP}"
    finally:
        for proc in w.procs:
            proc.kill()
            proc.wait(timeout=10)
        w.procs.clear()
        links.delete_netns(guest2)


def test_extra_routes_and_clearing_the_gateway(world: World) -> None:
    w = world
    state = w.state()
    state.routers[0].routes = [HostRoute("192.168.7.0/24", "10.0.0.7")]
    w.reconcile(state)
    ns = f"qrouter-{w.router}"
    routes = w.in_ns(ns, "ip", "route").stdout
    assert "192.168.7.0/24 via 10.0.0.7" in routes and f"default via {HOST_IP}" in routes

    router = state.routers[0]
    router.gateway, router.gateway_ips, router.external_gateway_ip = None, [], None
    router.floating_ips, router.port_forwardings, router.routes = [], [], []
    changes = w.reconcile(state)
    assert any(f"qg-{w.gw_port.port_id[:11]} removed" in c for c in changes)
    routes = w.in_ns(ns, "ip", "route").stdout
    assert "default" not in routes and "192.168.7.0" not in routes
    assert "snat" not in w.in_ns(ns, "nft", "list", "table", "ip", "nimbus-l3").stdout
    assert f"tap{w.gw_port.port_id[:11]}" not in links.link_names(w.host_ns)
    assert w.reconcile(state) == []


def test_parts_teardown(world: World) -> None:
    w = world
    w.reconcile(w.state())
    pids = proxy_pids(w)
    external, l3 = w.parts()
    assert l3.teardown()
    assert not links.netns_exists(f"qrouter-{w.router}")
    assert pids and not any(metadata_proxy._alive(p) for p in pids)
    assert external.teardown()
    assert bridge_name(w.ext) not in links.link_names(w.host_ns)
    assert bridge_name(w.tenant) not in links.link_names(w.host_ns)
    assert L3Part(w.ctx).teardown() == [] and ExternalPart(w.ctx).teardown() == []


def _v6_default_route(ns: str, w: World) -> str:
    return w.in_ns(ns, "ip", "-6", "route", "show", "default").stdout.strip()


def test_router_advertises_its_ipv6_subnets_to_guests(world: World) -> None:
    """A SLAAC subnet on the router: radvd in the router namespace gives the guest its
    address (from the prefix and its MAC) and a default route via the router; the subnet
    leaving the router stops radvd."""
    w = world
    state = w.state(floating=False, forwarding=False)
    v6_subnet = new_id()
    tenant = next(n for n in state.networks if n.id == w.tenant)
    tenant.subnets.append(Subnet(v6_subnet, w.tenant, "fd00:99::/64", 6,
                                 gateway_ip="fd00:99::1", ipv6_ra_mode="slaac",
                                 ipv6_address_mode="slaac"))
    qr = w.qr_port
    state.routers[0].interfaces.append(RouterPort(
        qr.port_id, w.tenant, v6_subnet, qr.mac_address, "fd00:99::1", 64,
        ipv6_ra_mode="slaac", ipv6_address_mode="slaac"))
    changes = w.reconcile(state)
    assert any("radvd started" in c for c in changes), changes
    w.plug_guest()
    w.in_ns(w.guest_ns, "sysctl", "-qw", "net.ipv6.conf.eth0.accept_ra=2")
    # SLAAC from fa:16:3e:00:00:05 (EUI-64) and the default route via the router.
    expected = "fd00:99::f816:3eff:fe00:5"
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        addrs = w.in_ns(w.guest_ns, "ip", "-6", "addr", "show", "dev", "eth0").stdout
        if expected in addrs and _v6_default_route(w.guest_ns, w):
            break
        time.sleep(0.5)
    assert expected in addrs, addrs
    route = _v6_default_route(w.guest_ns, w)
    assert route.startswith("default via fe80::") and "dev eth0" in route, route
    assert w.in_ns(w.guest_ns, "ping", "-6", "-c", "1", "-W", "3",
                   "fd00:99::1").returncode == 0
    assert w.reconcile(state) == []
    # Without an RA mode subnet on it, the router advertises nothing.
    state.routers[0].interfaces = [p for p in state.routers[0].interfaces if
                                   p.subnet_id != v6_subnet]
    assert any("radvd stopped" in c for c in w.reconcile(state))
    assert radvd.for_router(w.ctx, w.router, f"qrouter-{w.router}").pid() is None
