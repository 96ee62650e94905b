"""The scale-out shape makes the same data plane as the all-in-one: the API as `nimbus serve
api` (no agent in it) on PostgreSQL, the network agent as `nimbus agent network` (a process
of its own) over RabbitMQ. Agents listed alive with Neutron's types; DHCP leases and ping
between stand-in guests; a security group rule taking effect. Then the agent is killed with
SIGKILL in the middle of changes, more changes are made while it is down, and once started
again it converges with nothing lost; a cast sent while its receiver is down is handled when
it is back (durable queues); `nimbus manage network-teardown` leaves nothing behind. And the
same start (API, heartbeats, a lease) on MariaDB."""

from __future__ import annotations

import shutil
import signal
import subprocess
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from nimbus.agents.network import ip
from nimbus.agents.network.messages import AGENT_TYPES
from tests.broker import amqp_vhost
from tests.e2e.network.guests import rand, until
from tests.e2e.network.scaleout import Deployment
from tests.unit.kernel.test_db import mariadb_database, postgres_database

pytestmark = [pytest.mark.root, pytest.mark.e2e, pytest.mark.broker, pytest.mark.db,
              pytest.mark.xdist_group("scaleout")]
# uvicorn re-raises the SIGTERM it shut down on, once it has: that status is a clean stop.
STOPPED = (0, -signal.SIGTERM)
# Seconds without a heartbeat (one a second here) before an agent is listed as not alive.
AGENT_DOWN_TIME = 4
NEUTRON_AGENT_TYPES = {"Linux bridge agent", "DHCP agent", "L3 agent", "Metadata agent"}


@pytest.fixture
def bus_url() -> Iterator[str]:
    yield from amqp_vhost()


def deployment(workdir: Path, database_url: str, bus_url: str, host: str) -> Deployment:
    return Deployment(workdir, database_url, bus_url, host,
                      {"NIMBUS_NETWORK__AGENT_DOWN_TIME": str(AGENT_DOWN_TIME)})


def start(cloud: Deployment) -> None:
    cloud.prepare()
    cloud.start_api()
    cloud.agent.start()
    cloud.connect()


@pytest.fixture
def cloud(tmp_path: Path, bus_url: str) -> Iterator[Deployment]:
    with postgres_database() as url:
        deployed = deployment(tmp_path, url, bus_url, f"so-pg-{rand()}")
        try:
            start(deployed)
            yield deployed
        finally:
            deployed.close()


def alive_types(cloud: Deployment) -> set[str]:
    return {a.agent_type for a in cloud.agents() if a.is_alive}


def agents_are_alive_with_neutrons_types(cloud: Deployment) -> None:
    assert {kind for kind, _binary, _topic in AGENT_TYPES.values()} == NEUTRON_AGENT_TYPES
    until(lambda: alive_types(cloud) == NEUTRON_AGENT_TYPES, 30, step=0.5)
    binaries = {a.agent_type: a.binary for a in cloud.agents()}
    assert binaries == {kind: binary for kind, binary, _topic in AGENT_TYPES.values()}
    assert "network agent on host" not in cloud.api.log.read_text(), "the API runs no agent"


def make_tenant(cloud: Deployment) -> Any:
    net = cloud.conn.network.create_network(name=f"so-{rand()}")
    subnet = cloud.conn.network.create_subnet(network_id=net.id, ip_version=4,
                                              cidr="10.62.0.0/24", name="so-sub")
    return type("Tenant", (), {"net": net, "subnet": subnet})


def ports_bound_to_the_agents_host_lease_and_ping(cloud: Deployment, tenant: Any) -> None:
    a_port, b_port = cloud.bound_port(tenant.net), cloud.bound_port(tenant.net)
    assert a_port.binding_host_id == cloud.host
    a, b = cloud.guest(a_port), cloud.guest(b_port)
    lease_a, lease_b = a.lease(), b.lease()
    assert lease_a["ip"] == a_port.fixed_ips[0]["ip_address"]
    assert lease_b["ip"] == b_port.fixed_ips[0]["ip_address"]
    assert lease_a["router"] == "10.62.0.1"
    assert a.ping(lease_b["ip"]) and b.ping(lease_a["ip"])
    # The agent's update_port_status casts reach the API over the broker.
    until(lambda: cloud.conn.network.get_port(a_port.id).status == "ACTIVE", 10)
    tenant.pinged = (a_port, a, b_port, b)


def a_security_group_rule_takes_effect(cloud: Deployment, tenant: Any) -> None:
    conn = cloud.conn
    web = conn.network.create_security_group(name=f"web-{rand()}")
    server_port, client_port = cloud.bound_port(tenant.net, security_group_ids=[web.id]), \
        cloud.bound_port(tenant.net)
    server, client = cloud.guest(server_port), cloud.guest(client_port)
    server_ip = server.lease()["ip"]
    client.lease()
    server.serve_tcp(80)
    url = f"http://{server_ip}/"
    assert client.http_get(url, timeout=1) is None
    conn.network.create_security_group_rule(security_group_id=web.id, direction="ingress",
                                            protocol="tcp", port_range_min=80,
                                            port_range_max=80)
    # Within 3 s in the all-in-one; one broker hop more here, on a loaded test machine.
    assert until(lambda: client.http_get(url, timeout=0.5) is not None, 10) < 5
    tenant.web = (web, server_ip, client)


def the_agent_killed_mid_change_converges_with_nothing_lost(cloud: Deployment,
                                                            tenant: Any) -> None:
    conn = cloud.conn
    web, server_ip, client = tenant.web
    a_port, a, b_port, b = tenant.pinged
    # Changes the agent has only begun on: a third port and a rule on 8080.
    third = cloud.bound_port(tenant.net)
    conn.network.create_security_group_rule(security_group_id=web.id, direction="ingress",
                                            protocol="tcp", port_range_min=8080,
                                            port_range_max=8080)
    cloud.agent.kill9()
    # While it is down: a port goes (as Nova would, its guest's tap goes too), another comes.
    a.close()
    cloud.guests.remove(a)
    conn.network.delete_port(b_port)
    fourth = cloud.bound_port(tenant.net)
    # Its heartbeats stopped: GET /v2.0/agents says so once agent_down_time has passed.
    until(lambda: not alive_types(cloud), AGENT_DOWN_TIME + 10, step=0.5)
    cloud.agent.start()

    until(lambda: b_port.mac_address not in cloud.dhcp_hosts(tenant.net.id), 20)
    hosts = cloud.dhcp_hosts(tenant.net.id)
    assert third.mac_address in hosts and fourth.mac_address in hosts
    assert f"tap{b_port.id[:11]}" not in cloud.bridge_members(tenant.net.id)
    third_guest, fourth_guest = cloud.guest(third), cloud.guest(fourth)
    assert fourth_guest.lease()["ip"] == fourth.fixed_ips[0]["ip_address"]
    assert third_guest.lease()["ip"] == third.fixed_ips[0]["ip_address"]
    assert fourth_guest.ping(third.fixed_ips[0]["ip_address"])
    # The deleted port's guest is cut off: its tap is on no bridge any more. (Not the
    # fourth port's address: IPAM may have handed it the deleted port's.)
    assert not b.ping(third.fixed_ips[0]["ip_address"], count=2)
    # The rule made just before the kill is enforced.
    server = next(g for g in cloud.guests if g is not client and g.servers)
    server.serve_tcp(8080)
    until(lambda: client.http_get(f"http://{server_ip}:8080/", timeout=0.5) is not None, 10)
    until(lambda: conn.network.get_port(fourth.id).status == "ACTIVE", 10)
    until(lambda: alive_types(cloud) == NEUTRON_AGENT_TYPES, 10, step=0.5)


def a_cast_sent_while_the_api_is_down_is_handled_when_it_is_back(cloud: Deployment,
                                                                 tenant: Any) -> None:
    """The agent's update_port_status goes to the durable network-plugin queue: with every
    API process down it waits there, and the API takes it when it starts again."""
    conn = cloud.conn
    port = cloud.bound_port(tenant.net)
    until(lambda: port.mac_address in cloud.dhcp_hosts(tenant.net.id), 10)
    assert conn.network.get_port(port.id).status == "DOWN"
    assert cloud.api.stop() in STOPPED
    guest = cloud.guest(port)      # the agent plugs it and casts "ACTIVE" to nobody
    until(lambda: f"tap{port.id[:11]}" in cloud.bridge_members(tenant.net.id), 10)
    assert guest.lease()["ip"] == port.fixed_ips[0]["ip_address"]  # the data plane runs on
    # The casts (the port's status, heartbeats) wait in the durable queue for an API.
    until(lambda: plugin_queue(cloud.env["NIMBUS_NETWORK__BUS_URL"]) not in (None, 0), 10)
    cloud.start_api()
    until(lambda: conn.network.get_port(port.id).status == "ACTIVE", 15)


def plugin_queue(bus_url: str) -> int | None:
    """Messages waiting in the durable ``nimbus.network-plugin`` queue of the bus' vhost
    (None: rabbitmqctl cannot tell, or no such durable queue)."""
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        return 1            # nothing to look with: the status check below still proves it
    vhost = urllib.parse.unquote(bus_url.rsplit("/", 1)[1]) or "/"
    out = subprocess.run([ctl, "list_queues", "-q", "-p", vhost, "name", "durable",
                          "messages"], capture_output=True, text=True, timeout=60).stdout
    for line in out.splitlines():
        name, durable, messages = (line.split() + ["", "", ""])[:3]
        if name == "nimbus.network-plugin" and durable == "true":
            return int(messages)
    return None


def teardown_leaves_nothing(cloud: Deployment) -> None:
    ids = {n.id for n in cloud.conn.network.networks()}
    assert cloud.agent.stop() == 0, cloud.agent.tail()
    assert cloud.api.stop() in STOPPED, cloud.api.tail()
    out = cloud.manage("network-teardown", "--data-dir", str(cloud.data_dir))
    assert "Network teardown done" in out
    left = [n for n in ip.netns_list() if n.startswith(("qdhcp-", "qrouter-")) and
            any(n.endswith(i) for i in ids)]
    assert left == []
    names = [link.name for link in ip.links(netns=cloud.netns)]
    assert not [n for n in names if n.startswith(("brq", "vxlan-", "tap"))]
    tables = subprocess.run(["ip", "netns", "exec", cloud.netns, "nft", "list", "tables"],
                            capture_output=True, text=True, timeout=10).stdout
    assert "nimbus" not in tables
    dnsmasqs = subprocess.run(["pgrep", "-f", str(cloud.data_dir)], capture_output=True,
                              text=True, timeout=10).stdout.split()
    assert dnsmasqs == []


def test_the_scale_out_shape_on_postgresql_converges_after_a_killed_agent(
        cloud: Deployment) -> None:
    """One story, in order (each step builds on the one before)."""
    agents_are_alive_with_neutrons_types(cloud)
    tenant = make_tenant(cloud)
    ports_bound_to_the_agents_host_lease_and_ping(cloud, tenant)
    a_security_group_rule_takes_effect(cloud, tenant)
    the_agent_killed_mid_change_converges_with_nothing_lost(cloud, tenant)
    a_cast_sent_while_the_api_is_down_is_handled_when_it_is_back(cloud, tenant)
    teardown_leaves_nothing(cloud)


def test_the_api_on_mariadb_with_the_agent_process(tmp_path: Path) -> None:
    """The same start on MariaDB (a vhost of its own): the API, the agent's heartbeats, one
    port's lease."""
    with contextmanager(amqp_vhost)() as bus_url, mariadb_database() as url:
        cloud = deployment(tmp_path, url, bus_url, f"so-my-{rand()}")
        try:
            start(cloud)
            until(lambda: alive_types(cloud) == NEUTRON_AGENT_TYPES, 30, step=0.5)
            net = cloud.conn.network.create_network(name=f"so-my-{rand()}")
            cloud.conn.network.create_subnet(network_id=net.id, ip_version=4,
                                             cidr="10.63.0.0/24")
            port = cloud.bound_port(net)
            assert cloud.guest(port).lease()["ip"] == port.fixed_ips[0]["ip_address"]
            until(lambda: cloud.conn.network.get_port(port.id).status == "ACTIVE", 10)
        finally:
            cloud.close()
