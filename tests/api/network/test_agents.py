"""Agents and availability zones through the openstack CLI, openstacksdk and
python-neutronclient. The agents here report through the plugin endpoint of a second
service process on the cloud's database — what any API worker does with a heartbeat."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from neutronclient.v2_0 import client as neutron_client
from sqlalchemy import delete

# The api package first: service/ and api/resource.py import each other.
import nimbus.services.network.api  # noqa: F401
from nimbus.agents.network import messages
from nimbus.config import Settings
from nimbus.kernel.db import utcnow
from nimbus.kernel.runtime import Runtime
from nimbus.services.network.agents import PluginEndpoint
from nimbus.services.network.models.agents import Agent
from nimbus.services.network.service import NetworkService
from tests.conftest import LiveCloud


@pytest.fixture
def plugin(cloud: LiveCloud) -> Iterator[PluginEndpoint]:
    runtime = Runtime(Settings(data_dir=cloud.data_dir))
    endpoint = PluginEndpoint(NetworkService(runtime))
    yield endpoint
    runtime.close()


@pytest.fixture
def host(plugin: PluginEndpoint) -> Iterator[str]:
    """A host name of this test's own; its agents are removed after."""
    name = f"host-{uuid.uuid4().hex[:8]}"
    yield name
    with plugin.service.db.session() as s, s.begin():
        s.execute(delete(Agent).where(Agent.host == name))


def report(plugin: PluginEndpoint, host: str, *kinds: str) -> dict[str, str]:
    """Heartbeats for ``kinds`` on ``host``; agent type name -> agent id."""
    out = {}
    for kind in kinds:
        wire = messages.to_wire(messages.AgentReport(
            host=host, agent_type=kind, configurations={"kind": kind}))
        out[messages.AGENT_TYPES[kind][0]] = plugin.report_state(wire)
    return out


def raw(conn: Any, method: str, path: str, **kw: Any) -> Any:
    return getattr(conn.network, method)(path, raise_exc=False, **kw)


def test_cli_lists_reported_agents(plugin: PluginEndpoint, host: str,
                                   cli: Callable[..., Any]) -> None:
    ids = report(plugin, host, "linuxbridge", "dhcp", "l3", "metadata")
    listed = cli("network", "agent", "list", "--host", host, "-f", "json")
    assert {a["Agent Type"] for a in listed} == set(ids)
    assert all(a["Alive"] in (True, ":-)") and a["State"] in (True, "UP") for a in listed)
    assert {a["Binary"] for a in listed} == {"neutron-linuxbridge-agent",
                                             "neutron-dhcp-agent", "neutron-l3-agent",
                                             "neutron-metadata-agent"}
    dhcp = cli("network", "agent", "list", "--host", host, "--agent-type", "dhcp", "-f",
               "json")
    assert [a["ID"] for a in dhcp] == [ids["DHCP agent"]]
    shown = cli("network", "agent", "show", ids["L3 agent"], "-f", "json")
    assert shown["availability_zone"] == "nova" and shown["topic"] == "l3_agent"
    assert shown["configuration"] == {"kind": "l3"}


def test_sdk_show_update_delete(admin: Any, plugin: PluginEndpoint, host: str,
                                cli: Callable[..., Any]) -> None:
    agent_id = report(plugin, host, "dhcp")["DHCP agent"]
    agent = admin.network.get_agent(agent_id)
    assert agent.agent_type == "DHCP agent" and agent.is_alive and agent.host == host
    body = admin.network.get(f"/agents/{agent_id}").json()["agent"]
    assert set(body) == {"id", "agent_type", "binary", "topic", "host", "admin_state_up",
                         "created_at", "started_at", "heartbeat_timestamp", "alive",
                         "configurations", "description", "availability_zone"}
    dt.datetime.strptime(body["heartbeat_timestamp"], "%Y-%m-%d %H:%M:%S")
    cli("network", "agent", "set", "--disable", "--description", "maintenance", agent_id)
    agent = admin.network.get_agent(agent_id)
    assert agent.is_admin_state_up is False and agent.description == "maintenance"
    report(plugin, host, "dhcp")          # a heartbeat keeps what the admin set
    assert admin.network.get_agent(agent_id).is_admin_state_up is False
    cli("network", "agent", "delete", agent_id)
    assert raw(admin, "get", f"/agents/{agent_id}").status_code == 404


def test_alive_filter(admin: Any, plugin: PluginEndpoint, host: str) -> None:
    ids = report(plugin, host, "linuxbridge", "l3")
    with plugin.service.db.session() as s, s.begin():
        row = s.get(Agent, ids["L3 agent"])
        assert row is not None
        row.heartbeat_timestamp = utcnow() - dt.timedelta(seconds=300)
    dead = admin.network.get(f"/agents?host={host}&alive=false").json()["agents"]
    assert [(a["agent_type"], a["alive"]) for a in dead] == [("L3 agent", False)]
    alive = admin.network.get(f"/agents?host={host}&alive=true").json()["agents"]
    assert [a["agent_type"] for a in alive] == ["Linux bridge agent"]


def test_availability_zones(plugin: PluginEndpoint, host: str,
                            cli: Callable[..., Any], admin: Any) -> None:
    report(plugin, host, "dhcp", "l3")
    zones = admin.network.get("/availability_zones").json()["availability_zones"]
    assert {"name": "nova", "resource": "network", "state": "available"} in zones
    assert {"name": "nova", "resource": "router", "state": "available"} in zones
    routers = admin.network.get("/availability_zones?resource=router").json()
    assert {z["resource"] for z in routers["availability_zones"]} == {"router"}
    listed = cli("availability", "zone", "list", "--network", "--long", "-f", "json")
    assert {(z["Zone Name"], z["Zone Resource"]) for z in listed} >= {
        ("nova", "network"), ("nova", "router")}


def test_dhcp_scheduling(admin: Any, plugin: PluginEndpoint, host: str,
                         cli: Callable[..., Any]) -> None:
    ids = report(plugin, host, "dhcp", "l3")
    agent_id = ids["DHCP agent"]
    net = admin.network.create_network(name=f"net-{host}")
    try:
        # No DHCP-enabled subnet: the scheduler has not placed it.
        assert cli("network", "agent", "list", "--network", net.id, "-f", "json") == []
        cli("network", "agent", "add", "network", "--dhcp", agent_id, net.id)
        listed = cli("network", "agent", "list", "--network", net.id, "-f", "json")
        assert [a["ID"] for a in listed] == [agent_id]
        nets = admin.network.get(f"/agents/{agent_id}/dhcp-networks").json()["networks"]
        assert [n["id"] for n in nets if n["id"] == net.id] == [net.id]
        assert nets[0]["name"] and "subnets" in nets[0]
        again = raw(admin, "post", f"/agents/{agent_id}/dhcp-networks",
                    json={"network_id": net.id})
        assert again.status_code == 409
        assert again.json()["NeutronError"]["type"] == "NetworkHostedByDHCPAgent"
        l3 = raw(admin, "post", f"/agents/{ids['L3 agent']}/dhcp-networks",
                 json={"network_id": net.id})
        assert l3.status_code == 409 and l3.json()["NeutronError"]["type"] == \
            "InvalidDHCPAgent"
        cli("network", "agent", "remove", "network", "--dhcp", agent_id, net.id)
        assert cli("network", "agent", "list", "--network", net.id, "-f", "json") == []
        gone = raw(admin, "delete", f"/agents/{agent_id}/dhcp-networks/{net.id}")
        assert gone.status_code == 409
        bad = raw(admin, "post", f"/agents/{agent_id}/dhcp-networks", json={"net": 1})
        assert bad.status_code == 400
        missing = raw(admin, "post", f"/agents/{agent_id}/dhcp-networks",
                      json={"network_id": "00000000-0000-0000-0000-000000000000"})
        assert missing.status_code == 404
    finally:
        admin.network.delete_network(net)


def test_members_see_no_agents(make_member: Callable[..., Any], plugin: PluginEndpoint,
                               host: str) -> None:
    agent_id = report(plugin, host, "dhcp")["DHCP agent"]
    member = make_member()
    assert member.conn.network.get("/agents").json() == {"agents": []}
    for method, kw in (("get", {}), ("put", {"json": {"agent": {"description": "x"}}}),
                       ("delete", {})):
        resp = raw(member.conn, method, f"/agents/{agent_id}", **kw)
        assert resp.status_code == 404, (method, resp.text)
    assert raw(member.conn, "get", f"/agents/{agent_id}/dhcp-networks").status_code == 403
    resp = raw(member.conn, "post", f"/agents/{agent_id}/dhcp-networks",
               json={"network_id": agent_id})
    assert resp.status_code == 403
    zones = member.conn.network.get("/availability_zones").json()["availability_zones"]
    assert {"name": "nova", "resource": "network", "state": "available"} in zones


@pytest.mark.parametrize("body, fragment", [
    ({"agent": {"agent_type": "L3 agent"}}, "Cannot update read-only attribute agent_type"),
    ({"agent": {"admin_state_up": "maybe"}}, "cannot be converted to boolean"),
    ({"agent": {"description": "x" * 256}}, "exceeds maximum length of 255"),
    ({"agent": {"nonsense": 1}}, "Unrecognized attribute(s) 'nonsense'"),
])
def test_bad_updates_change_nothing(admin: Any, plugin: PluginEndpoint, host: str,
                                    body: Any, fragment: str) -> None:
    agent_id = report(plugin, host, "metadata")["Metadata agent"]
    resp = raw(admin, "put", f"/agents/{agent_id}", json=body)
    assert resp.status_code == 400 and fragment in resp.json()["NeutronError"]["message"]
    agent = admin.network.get(f"/agents/{agent_id}").json()["agent"]
    assert agent["admin_state_up"] is True and agent["description"] is None


def test_neutronclient(admin: Any, plugin: PluginEndpoint, host: str) -> None:
    agent_id = report(plugin, host, "linuxbridge")["Linux bridge agent"]
    nc = neutron_client.Client(session=admin.session, region_name="RegionOne")
    assert agent_id in {a["id"] for a in nc.list_agents(host=host)["agents"]}
    nc.update_agent(agent_id, {"agent": {"description": "lb"}})
    assert nc.show_agent(agent_id)["agent"]["description"] == "lb"
