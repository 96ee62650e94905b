"""Packets before guests exist: a whole `nimbus up` with the real network driver, its
agent's host in a netns of the test's own, driven through openstacksdk, with stand-in
guests (namespaces on veths named as QEMU's taps would be) proving with real traffic:
DHCP leases, ping between ports, security groups (and remote groups) that block and then
admit, anti-spoofing, SNAT to the host, floating IPs from the host, the metadata proxy's
signed headers, a restart that keeps traffic flowing, and a clean teardown (checked
when the module's cloud goes)."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from nimbus.agents.network import ip
from tests.conftest import free_port, start_cloud
from tests.e2e.conftest import connect
from tests.e2e.network.guests import Guest, host_http_server, rand, until

pytestmark = [pytest.mark.root, pytest.mark.e2e, pytest.mark.xdist_group("dataplane")]
HOST = "e2e-host"
SECRET = "e2e-metadata-secret"


class _Echo(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = json.dumps({"path": self.path, "headers": dict(self.headers)}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def metadata_api() -> Iterator[str]:
    """Stands in for the metadata API (the compute issue serves it): echoes the headers."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, metadata_api: str) -> Iterator[Any]:
    host_netns = f"nimbus-e2e-{rand()}"
    ip.netns_create(host_netns, exist_ok=False)
    ip.set_link("lo", netns=host_netns, up=True)
    data_dir = tmp_path_factory.mktemp("dataplane") / "data"
    cloud = start_cloud(data_dir, free_port(), {
        "NIMBUS_NETWORK__DRIVER": "linuxbridge", "NIMBUS_NETWORK__HOST": HOST,
        "NIMBUS_NETWORK__HOST_NETNS": host_netns, "NIMBUS_NETWORK__REPORT_INTERVAL": "2",
        "NIMBUS_NETWORK__METADATA_URL": metadata_api,
        "NIMBUS_NETWORK__METADATA_PROXY_SHARED_SECRET": SECRET})
    conn = connect(cloud)
    world = type("World", (), {})()
    world.cloud, world.conn, world.netns, world.workdir = cloud, conn, host_netns, data_dir.parent
    world.guests = []
    try:
        yield world
        # Whatever order the tests ran in: network-teardown removes what this cloud made.
        ids = {n.id for n in world.conn.network.networks()} | \
            {r.id for r in world.conn.network.routers()}
        for guest in world.guests:
            guest.close()
        world.guests = []
        world.cloud.stop()
        subprocess.run([sys.executable, "-m", "nimbus.cli", "manage", "network-teardown",
                        "--data-dir", str(data_dir)], env=world.cloud.env, timeout=120,
                       check=True)
        assert_nothing_left(host_netns, ids)
    finally:
        for guest in world.guests:
            guest.close()
        world.cloud.stop()
        subprocess.run([sys.executable, "-m", "nimbus.cli", "manage", "network-teardown",
                        "--data-dir", str(data_dir)], env=world.cloud.env, timeout=120,
                       check=False)
        ip.netns_delete(host_netns)


def assert_nothing_left(host_netns: str, ids: set[str]) -> None:
    left = [n for n in ip.netns_list() if n.startswith(("qdhcp-", "qrouter-")) and
            any(n.endswith(i) for i in ids)]
    assert left == []
    names = [link.name for link in ip.links(netns=host_netns)]
    assert not [n for n in names if n.startswith(("brq", "vxlan-", "tap"))]
    tables = subprocess.run(["ip", "netns", "exec", host_netns, "nft", "list", "tables"],
                            capture_output=True, text=True, timeout=10).stdout
    assert "nimbus" not in tables


def guest_for(world: Any, port: Any) -> Guest:
    guest = Guest(world.netns, port.id, port.mac_address, world.workdir)
    world.guests.append(guest)
    return guest


@pytest.fixture(scope="module")
def tenant(world: Any) -> Any:
    """A tenant network and subnet with DHCP; ports made by ``world.port()``."""
    conn = world.conn
    net = conn.network.create_network(name=f"e2e-{rand()}")
    subnet = conn.network.create_subnet(network_id=net.id, ip_version=4,
                                        cidr="10.61.0.0/24", name="e2e-sub")

    def port(**kw: Any) -> Any:
        return conn.network.create_port(network_id=net.id, binding_host_id=HOST, **kw)

    world.port, world.net, world.subnet = port, net, subnet
    return world


def test_ports_get_their_lease_ping_each_other_and_go_active(tenant: Any) -> None:
    a_port, b_port = tenant.port(), tenant.port()
    a, b = guest_for(tenant, a_port), guest_for(tenant, b_port)
    lease_a, lease_b = a.lease(), b.lease()
    assert lease_a["ip"] == a_port.fixed_ips[0]["ip_address"]
    assert lease_b["ip"] == b_port.fixed_ips[0]["ip_address"]
    assert lease_a["router"] == "10.61.0.1"
    assert a.ping(lease_b["ip"]) and b.ping(lease_a["ip"])
    until(lambda: tenant.conn.network.get_port(a_port.id).status == "ACTIVE", 10)


def test_security_group_blocks_tcp_until_a_rule_allows_it(tenant: Any) -> None:
    conn = tenant.conn
    web = conn.network.create_security_group(name=f"web-{rand()}")
    server_port = tenant.port(security_group_ids=[web.id])
    client_port = tenant.port()
    server, client = guest_for(tenant, server_port), guest_for(tenant, client_port)
    server_ip = server.lease()["ip"]
    client.lease()
    server.serve_tcp(80)
    url = f"http://{server_ip}/"
    assert client.http_get(url, timeout=1) is None
    conn.network.create_security_group_rule(security_group_id=web.id, direction="ingress",
                                            protocol="tcp", port_range_min=80,
                                            port_range_max=80)
    took = until(lambda: client.http_get(url, timeout=0.5) is not None, 5)
    assert took < 3


def test_a_remote_group_rule_admits_only_members(tenant: Any) -> None:
    conn = tenant.conn
    members = conn.network.create_security_group(name=f"members-{rand()}")
    guarded = conn.network.create_security_group(name=f"guarded-{rand()}")
    conn.network.create_security_group_rule(security_group_id=guarded.id, direction="ingress",
                                            protocol="tcp", port_range_min=8080,
                                            port_range_max=8080, remote_group_id=members.id)
    server = guest_for(tenant, tenant.port(security_group_ids=[guarded.id]))
    member = guest_for(tenant, tenant.port(security_group_ids=[members.id]))
    outsider = guest_for(tenant, tenant.port())
    server_ip = server.lease()["ip"]
    member.lease()
    outsider.lease()
    server.serve_tcp(8080)
    url = f"http://{server_ip}:8080/"
    until(lambda: member.http_get(url, timeout=0.5) is not None, 5)
    assert outsider.http_get(url, timeout=1) is None


def test_anti_spoofing_drops_a_forged_source(tenant: Any) -> None:
    victim_port, forger_port = tenant.port(), tenant.port()
    victim, forger = guest_for(tenant, victim_port), guest_for(tenant, forger_port)
    victim_ip = victim.lease()["ip"]
    forger.lease()
    assert forger.ping(victim_ip)
    forger.configure("10.61.0.250", 24)
    assert not forger.ping(victim_ip, count=2)


def test_snat_to_the_host_and_floating_ip_from_the_host(tenant: Any) -> None:
    conn = tenant.conn
    public = conn.network.find_network("public")
    router = conn.network.create_router(name=f"r-{rand()}",
                                        external_gateway_info={"network_id": public.id})
    conn.network.add_interface_to_router(router, subnet_id=tenant.subnet.id)
    web = conn.network.create_security_group(name=f"fip-web-{rand()}")
    conn.network.create_security_group_rule(security_group_id=web.id, direction="ingress",
                                            protocol="tcp", port_range_min=80,
                                            port_range_max=80)
    port = tenant.port(security_group_ids=[web.id])
    guest = guest_for(tenant, port)
    guest.lease()
    gateway_ip = conn.network.get_router(router.id).external_gateway_info[
        "external_fixed_ips"][0]["ip_address"]
    server = host_http_server(tenant.netns, 8000)
    try:
        seen = until(lambda: guest.http_get("http://172.24.4.1:8000/") is not None, 10)
        assert seen is not None
        assert guest.http_get("http://172.24.4.1:8000/") == gateway_ip   # SNAT
        fip = conn.network.create_ip(floating_network_id=public.id, port_id=port.id)
        address = fip.floating_ip_address
        guest.serve_tcp(80)
        # The host reaches the guest through its floating IP (DNAT)...
        until(lambda: host_get(tenant.netns, f"http://{address}/") == "172.24.4.1", 10)
        # ...and the guest's own traffic now leaves as its floating IP (SNAT).
        until(lambda: guest.http_get("http://172.24.4.1:8000/") == address, 10)
    finally:
        server.kill()
        server.wait(timeout=5)


def host_get(netns: str, url: str) -> str | None:
    code = ("import sys,urllib.request as u; "
            "print(u.urlopen(sys.argv[1], timeout=2).read().decode())")
    proc = subprocess.run(["ip", "netns", "exec", netns, sys.executable, "-c", code, url],
                          capture_output=True, text=True, timeout=10)
    return proc.stdout.strip() if proc.returncode == 0 else None


def test_metadata_proxy_signs_the_instance(tenant: Any) -> None:
    port = tenant.port(device_id="11111111-2222-3333-4444-555555555555")
    guest = guest_for(tenant, port)
    guest.lease()
    answer = until_answer(guest, "http://169.254.169.254/openstack/latest/meta_data.json")
    headers = {k.lower(): v for k, v in json.loads(answer)["headers"].items()}
    assert headers["x-instance-id"] == port.device_id
    assert headers["x-tenant-id"] == port.project_id
    expected = hmac.new(SECRET.encode(), port.device_id.encode(), hashlib.sha256).hexdigest()
    assert headers["x-instance-id-signature"] == expected
    assert headers["x-forwarded-for"] == port.fixed_ips[0]["ip_address"]


def until_answer(guest: Guest, url: str) -> str:
    found: list[str] = []

    def check() -> bool:
        body = guest.http_get(url)
        if body:
            found.append(body)
        return bool(body)

    until(check, 40, step=0.5)
    return found[0]


def test_a_restart_of_nimbus_does_not_interrupt_traffic(tenant: Any) -> None:
    a_port, b_port = tenant.port(), tenant.port()
    a, b = guest_for(tenant, a_port), guest_for(tenant, b_port)
    a.lease()
    b_ip = b.lease()["ip"]
    assert a.ping(b_ip)
    pinger = subprocess.Popen(["ip", "netns", "exec", a.name, "ping", "-i", "0.2", "-w", "60",
                               b_ip], stdout=subprocess.PIPE, text=True)
    try:
        old = tenant.cloud
        old.stop()
        tenant.cloud = start_cloud(old.data_dir, old.port, {
            k: v for k, v in old.env.items() if k.startswith("NIMBUS_")})
        tenant.conn = connect(tenant.cloud)
        # The agent is back: a port made now is served too.
        c = guest_for(tenant, tenant.port())
        c.lease()
    finally:
        pinger.send_signal(signal.SIGINT)  # ping prints its summary on SIGINT
        out, _ = pinger.communicate(timeout=10)
    sent = int(out.split(" packets transmitted")[0].rsplit("\n", 1)[-1])
    received = int(out.split(" received")[0].rsplit(", ", 1)[-1])
    assert sent >= 10 and received >= sent - 1, out
