"""The host state the agent asks for: networks with the host's ports, subnets, security
groups with member addresses, and a DHCP port scheduled to the asking host."""

from __future__ import annotations

from nimbus.agents.network import messages as m


def _network(net, ctx, **kw):
    values = {"name": "n", "project_id": ctx.project_id, "admin_state_up": True,
              "router:external": False, "port_security_enabled": True, "shared": False, **kw}
    return net.networks.create(ctx, values)


def _port(net, ctx, network_id, host="", **kw):
    values = {"network_id": network_id, "project_id": ctx.project_id, "name": "",
              "binding:host_id": host, **kw}
    return net.ports.create(ctx, values)


def _dhcp_agent(net, host="h1"):
    net.agents.report(m.to_wire(m.AgentReport(host=host, agent_type="dhcp")))


def test_a_host_gets_its_ports_groups_and_a_dhcp_port(net, admin_ctx, make_subnet):
    _dhcp_agent(net)
    network = _network(net, admin_ctx)
    subnet_id = make_subnet(network["id"])
    mine = _port(net, admin_ctx, network["id"], host="h1")
    _port(net, admin_ctx, network["id"], host="h2")

    state = net.host_state("h1")
    wire = m.from_wire(m.HostState, m.to_wire(state))
    assert wire == state
    (served,) = state.networks
    assert served.id == network["id"] and served.network_type == "vxlan" and served.dhcp
    assert [s.id for s in served.subnets] == [subnet_id]
    owners = sorted(p.device_owner for p in served.ports)
    assert owners == ["", "", "network:dhcp"]  # a DHCP host sees every port
    port = next(p for p in served.ports if p.id == mine["id"])
    assert port.fixed_ips[0].ip_address == mine["fixed_ips"][0]["ip_address"]
    assert port.hostname == "host-" + port.fixed_ips[0].ip_address.replace(".", "-")
    (group,) = state.security_groups
    assert group.id == port.security_group_ids[0]
    assert len(group.rules) == 4
    # Both hosts' ports are members of the default group.
    assert len(group.member_ips) == 2


def test_dhcp_is_scheduled_once(net, admin_ctx, make_subnet):
    _dhcp_agent(net)
    network = _network(net, admin_ctx)
    make_subnet(network["id"])
    net.host_state("h1")
    net.host_state("h1")
    ports = net.ports.list(admin_ctx, _query(device_owner=["network:dhcp"]))
    assert len(ports) == 1 and ports[0]["binding:host_id"] == "h1"


def test_an_idle_host_gets_nothing(net, admin_ctx):
    _network(net, admin_ctx)
    state = net.host_state("empty")
    assert state.networks == [] and state.security_groups == []


def _query(**filters):
    from nimbus.services.network.schemas.listing import ListQuery

    return ListQuery(filters=filters)


def test_no_dhcp_port_without_a_dhcp_agent_and_it_goes_with_the_binding(
        net, admin_ctx, make_subnet):
    network = _network(net, admin_ctx)
    make_subnet(network["id"])
    net.host_state("h1")
    assert net.ports.list(admin_ctx, _query(device_owner=["network:dhcp"])) == []
    _dhcp_agent(net)
    net.host_state("h1")
    assert len(net.ports.list(admin_ctx, _query(device_owner=["network:dhcp"]))) == 1
    agent_id = net.agents.list(admin_ctx, _query(agent_type=["DHCP agent"]))[0]["id"]
    net.agents.remove_dhcp_network(agent_id, network["id"])
    net.host_state("h1")
    assert net.ports.list(admin_ctx, _query(device_owner=["network:dhcp"])) == []


def test_a_port_carries_its_network_qos_policy(net, admin_ctx, make_subnet):
    from nimbus.services.network.models.qos import QosPolicy, QosRule

    with net.db.session() as s, s.begin():
        s.add(QosPolicy(id="qp1", project_id="p-admin", name="slow"))
        s.flush()
        s.add(QosRule(id="qr1", policy_id="qp1", rule_type="bandwidth_limit",
                      direction="egress", max_kbps=1000, max_burst_kbps=100))
    network = _network(net, admin_ctx, qos_policy_id="qp1")
    make_subnet(network["id"])
    _port(net, admin_ctx, network["id"], host="h1")
    (served,) = net.host_state("h1").networks
    (port,) = [p for p in served.ports if p.device_owner == ""]
    assert port.qos == m.Qos(max_kbps=1000, max_burst_kbps=100)
