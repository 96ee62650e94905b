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


def test_a_host_gets_its_ports_groups_and_a_dhcp_port(net, admin_ctx, make_subnet):
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
