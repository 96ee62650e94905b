"""The service side of the bus: PluginEndpoint called directly and through the in-process bus
(heartbeats become agent rows, port status updates, the host-state call site), and the
quota check and QoS rules the other families call."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nimbus.agents.network import messages
from nimbus.config import Settings
from nimbus.kernel.bus import InProcessBus
from nimbus.kernel.context import RequestContext
from nimbus.kernel.db import utcnow
from nimbus.kernel.migrate import upgrade
from nimbus.kernel.runtime import Runtime
from nimbus.services.network.agents import PluginEndpoint, serve_plugin
from nimbus.services.network.api.resource import ListQuery
from nimbus.services.network.errors import OverQuota
from nimbus.services.network.models.agents import Agent
from nimbus.services.network.models.core import Network, Port
from nimbus.services.network.models.qos import QosPolicy, QosRule
from nimbus.services.network.service import NetworkService, qos, quotas


@pytest.fixture
def service(tmp_path: Path) -> Iterator[NetworkService]:
    runtime = Runtime(Settings(data_dir=tmp_path / "data"))
    upgrade(runtime.db.engine)
    yield NetworkService(runtime)
    runtime.close()


@pytest.fixture
def bus() -> Iterator[InProcessBus]:
    bus = InProcessBus()
    yield bus
    bus.close()


def report(agent_type: str = "linuxbridge", host: str = "h1", **kw: Any) -> dict[str, Any]:
    return messages.to_wire(messages.AgentReport(host=host, agent_type=agent_type, **kw))


def agents_of(service: NetworkService, **filters: list[Any]) -> list[dict[str, Any]]:
    return service.agents.list(RequestContext(), ListQuery(filters=dict(filters)))


def test_report_state_makes_then_refreshes_one_row(service: NetworkService) -> None:
    endpoint = PluginEndpoint(service)
    first = endpoint.report_state(report("dhcp", configurations={"networks": 1},
                                         started_at=1_700_000_000.0))
    again = endpoint.report_state(report("dhcp", configurations={"networks": 3}))
    assert first == again
    [agent] = agents_of(service)
    assert agent["agent_type"] == "DHCP agent" and agent["binary"] == "neutron-dhcp-agent"
    assert agent["topic"] == "dhcp" and agent["host"] == "h1" and agent["alive"] is True
    assert agent["configurations"] == {"networks": 3}
    assert agent["availability_zone"] == "nova"


def test_l2_agents_have_no_zone_as_in_neutron(service: NetworkService) -> None:
    PluginEndpoint(service).report_state(report("linuxbridge"))
    [agent] = agents_of(service)
    assert agent["agent_type"] == "Linux bridge agent" and agent["availability_zone"] is None
    assert agent["binary"] == "neutron-linuxbridge-agent" and agent["topic"] == "N/A"


def test_unknown_agent_type_is_refused(service: NetworkService) -> None:
    with pytest.raises(ValueError, match="unknown agent type 'ovs'"):
        PluginEndpoint(service).report_state(report("ovs"))
    assert agents_of(service) == []


def test_alive_follows_agent_down_time(service: NetworkService) -> None:
    endpoint = PluginEndpoint(service)
    endpoint.report_state(report("l3", host="old"))
    endpoint.report_state(report("l3", host="new"))
    with service.db.session() as s, s.begin():
        row = s.query(Agent).filter_by(host="old").one()
        row.heartbeat_timestamp = utcnow() - dt.timedelta(seconds=76)
    assert [a["host"] for a in agents_of(service, alive=[True])] == ["new"]
    assert [a["host"] for a in agents_of(service, alive=[False])] == ["old"]
    zones = service.agents.availability_zones()
    assert zones == [{"name": "nova", "resource": "router", "state": "available"}]


def _port(service: NetworkService, host: str = "h1") -> str:
    with service.db.session() as s, s.begin():
        s.add(Network(id="n1", project_id="p", name="n"))
        s.flush()
        s.add(Port(id="p1", project_id="p", network_id="n1", mac_address="fa:16:3e:00:00:01",
                   binding_host_id=host))
    return "p1"


def test_update_port_status(service: NetworkService) -> None:
    port_id = _port(service)
    endpoint = PluginEndpoint(service)
    assert endpoint.update_port_status(port_id, "ACTIVE", "h1") is True
    assert endpoint.update_port_status(port_id, "ACTIVE", "h1") is False   # no change
    assert endpoint.update_port_status(port_id, "DOWN", "elsewhere") is False
    with service.db.session() as s:
        row = s.get(Port, port_id)
        assert row is not None and row.status == "ACTIVE" and row.revision_number == 1
    assert endpoint.update_port_status("gone", "DOWN", "h1") is False


def test_get_host_state_delegates(service: NetworkService) -> None:
    endpoint = PluginEndpoint(service)
    state = endpoint.get_host_state("h1")
    assert messages.from_wire(messages.HostState, state) == service.host_state("h1")


def test_through_the_in_process_bus(service: NetworkService, bus: InProcessBus) -> None:
    consumer = serve_plugin(bus, service)
    try:
        assert service.bus is bus
        bus.cast(messages.PLUGIN_TOPIC, "report_state", {"report": report("metadata")},
                 version=messages.VERSION)
        port_id = _port(service)
        assert bus.call(messages.PLUGIN_TOPIC, "update_port_status",
                        {"port_id": port_id, "status": "ACTIVE", "host": "h1"},
                        version=messages.VERSION, timeout=5) is True
        deadline = time.monotonic() + 5
        while not agents_of(service) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [a["agent_type"] for a in agents_of(service)] == ["Metadata agent"]
        state = bus.call(messages.PLUGIN_TOPIC, "get_host_state", {"host": "h1"},
                         version=messages.VERSION, timeout=5)
        assert [p["id"] for n in state["networks"] for p in n["ports"]] == [port_id]
    finally:
        consumer.stop()


def test_quota_check_counts_in_the_transaction(service: NetworkService) -> None:
    with service.db.session() as s, s.begin():
        s.add(Network(id="n1", project_id="p", name="n"))
        s.flush()
        quotas.check(s, "p", "network", adding=99)
        with pytest.raises(OverQuota, match=r"\['network'\]"):
            quotas.check(s, "p", "network", adding=100)
        quotas.check(s, "p", "trunk", adding=10_000)        # -1: unlimited
        quotas.check(s, "other", "network", adding=100)


def test_rules_for_ports(service: NetworkService) -> None:
    with service.db.session() as s, s.begin():
        s.add(QosPolicy(id="q1", project_id="p", name="q"))
        s.flush()
        s.add_all([
            QosRule(id="r1", policy_id="q1", rule_type="bandwidth_limit", direction="egress",
                    max_kbps=1000, max_burst_kbps=100),
            QosRule(id="r2", policy_id="q1", rule_type="bandwidth_limit",
                    direction="ingress", max_kbps=2000, max_burst_kbps=0),
            QosRule(id="r3", policy_id="q1", rule_type="dscp_marking", direction="",
                    dscp_mark=26)])
    with service.db.session() as s:
        want = messages.Qos(max_kbps=1000, max_burst_kbps=100, ingress_max_kbps=2000,
                            ingress_max_burst_kbps=0, dscp_mark=26)
        assert qos.rules_for(s, "q1") == want
        assert qos.rules_for(s, None) is None
        assert qos.rules_for_port(s, None, "q1", "compute:nova") == want
        assert qos.rules_for_port(s, None, "q1", "network:dhcp") is None


def test_dhcp_agents_serve_networks_with_dhcp_subnets(service: NetworkService) -> None:
    from nimbus.services.network.models.core import Subnet

    endpoint = PluginEndpoint(service)
    dhcp_id = endpoint.report_state(report("dhcp"))
    endpoint.report_state(report("l3"))
    with service.db.session() as s, s.begin():
        s.add_all([Network(id="n1", project_id="p", name="a"),
                   Network(id="n2", project_id="p", name="b")])
        s.flush()
        s.add_all([Subnet(id="s1", project_id="p", network_id="n1", ip_version=4,
                          cidr="10.0.0.0/24", enable_dhcp=True),
                   Subnet(id="s2", project_id="p", network_id="n2", ip_version=4,
                          cidr="10.0.1.0/24", enable_dhcp=False)])
    assert [a["id"] for a in service.agents.dhcp_agents("n1")] == [dhcp_id]
    assert service.agents.dhcp_agents("n2") == []
    assert service.agents.dhcp_networks(dhcp_id) == ["n1"]


def test_agent_type_filter_ignores_case(service: NetworkService) -> None:
    PluginEndpoint(service).report_state(report("dhcp"))
    PluginEndpoint(service).report_state(report("l3"))
    found = agents_of(service, agent_type=["DHCP Agent"])
    assert [a["agent_type"] for a in found] == ["DHCP agent"]


def test_dhcp_scheduling_add_and_remove(service: NetworkService) -> None:
    from nimbus.services.network.errors import ConflictNeutron
    from nimbus.services.network.models.core import Subnet

    endpoint = PluginEndpoint(service)
    dhcp_id = endpoint.report_state(report("dhcp", host="h1"))
    l3_id = endpoint.report_state(report("l3", host="h1"))
    with service.db.session() as s, s.begin():
        s.add(Network(id="n1", project_id="p", name="a"))
        s.flush()
        s.add(Subnet(id="s1", project_id="p", network_id="n1", ip_version=4,
                     cidr="10.0.0.0/24", enable_dhcp=True))
    with service.db.session() as s, s.begin():
        assert service.agents.dhcp_hosts(s, "n1") == ["h1"]
    service.agents.remove_dhcp_network(dhcp_id, "n1")
    assert service.agents.dhcp_agents("n1") == []          # removed stays removed
    with pytest.raises(ConflictNeutron, match="is not hosted by the DHCP agent"):
        service.agents.remove_dhcp_network(dhcp_id, "n1")
    with pytest.raises(ConflictNeutron, match="is not a valid DHCP Agent"):
        service.agents.add_dhcp_network(l3_id, "n1")
    service.agents.add_dhcp_network(dhcp_id, "n1")
    assert service.agents.dhcp_networks(dhcp_id) == ["n1"]
    with pytest.raises(ConflictNeutron, match="already hosted"):
        service.agents.add_dhcp_network(dhcp_id, "n1")
