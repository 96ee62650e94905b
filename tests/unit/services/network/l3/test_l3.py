"""The L3 stores without a server: routers with gateways and interfaces, extra routes,
floating IPs through a router, port forwardings, the delete hooks, and the routers an L3
host is given."""

from __future__ import annotations

import pytest

from nimbus.services.network.errors import NeutronError
from nimbus.services.network.service.hoststate_l3 import routers_for_host


@pytest.fixture
def topo(svc, admin, make_net, make_subnet, make_router):
    """public (172.24.4.0/24) -- router -- private (10.0.0.0/24)."""
    public = make_net(external=True)
    public_subnet = make_subnet(public, "172.24.4.0/24")
    private = make_net()
    private_subnet = make_subnet(private, "10.0.0.0/24")
    router = make_router(external_gateway_info={"network_id": public})
    svc.routers.add_interface(admin, router["id"], {"subnet_id": private_subnet})
    return {"public": public, "public_subnet": public_subnet, "private": private,
            "private_subnet": private_subnet, "router": router["id"]}


def fault(err: pytest.ExceptionInfo[NeutronError]) -> tuple[int, str]:
    from nimbus.services.network.errors import neutron_type

    return err.value.status, neutron_type(err.value)


def test_gateway_and_interface(svc, admin, topo):
    router = svc.routers.get(admin, topo["router"])
    gw = router["external_gateway_info"]
    assert gw["network_id"] == topo["public"] and gw["enable_snat"] is True
    assert gw["external_fixed_ips"][0]["subnet_id"] == topo["public_subnet"]
    ports = svc.ports.list(admin, _query(device_id=[topo["router"]]))
    owners = sorted(p["device_owner"] for p in ports)
    assert owners == ["network:router_gateway", "network:router_interface"]
    interface = next(p for p in ports if p["device_owner"] == "network:router_interface")
    assert interface["fixed_ips"] == [{"subnet_id": topo["private_subnet"],
                                       "ip_address": "10.0.0.1"}]


def test_interface_errors(svc, admin, topo, make_net, make_subnet, make_router):
    with pytest.raises(NeutronError, match="already has a port on subnet") as err:
        svc.routers.add_interface(admin, topo["router"], {"subnet_id": topo["private_subnet"]})
    assert fault(err) == (400, "BadRequest")
    overlapping = make_subnet(make_net(), "10.0.0.0/25")
    with pytest.raises(NeutronError, match="overlaps with cidr"):
        svc.routers.add_interface(admin, topo["router"], {"subnet_id": overlapping})
    no_gateway = make_subnet(make_net(), "10.9.0.0/24", gateway=None)
    with pytest.raises(NeutronError, match="must have a gateway IP"):
        svc.routers.add_interface(admin, topo["router"], {"subnet_id": no_gateway})
    with pytest.raises(NeutronError) as err:
        svc.routers.delete(admin, topo["router"])
    assert fault(err) == (409, "RouterInUse")
    with pytest.raises(NeutronError) as err:
        svc.routers.remove_interface(admin, topo["router"], {"subnet_id": no_gateway})
    assert fault(err) == (404, "RouterInterfaceNotFoundForSubnet")
    other = make_router()
    with pytest.raises(NeutronError) as err:
        svc.routers.add_interface(admin, other["id"], {"subnet_id": topo["private_subnet"]})
    assert fault(err) == (409, "IpAddressAlreadyAllocated")


def test_router_ports_guarded(svc, admin, topo):
    ports = svc.ports.list(admin, _query(device_id=[topo["router"]]))
    for port in ports:
        with pytest.raises(NeutronError) as err:
            svc.ports.delete(admin, port["id"])
        assert fault(err) == (409, "ServicePortInUse")
    with pytest.raises(NeutronError) as err:
        svc.networks.delete(admin, topo["public"])
    assert err.value.status == 409


def test_remove_interface_and_delete(svc, admin, topo):
    info = svc.routers.remove_interface(admin, topo["router"],
                                        {"subnet_id": topo["private_subnet"]})
    assert info["subnet_id"] == topo["private_subnet"] and info["id"] == topo["router"]
    svc.routers.delete(admin, topo["router"])
    assert svc.ports.list(admin, _query(device_id=[topo["router"]])) == []


def test_interface_by_port(svc, admin, topo, make_port, make_router):
    port = make_port(topo["private"])
    other = make_router()
    info = svc.routers.add_interface(admin, other["id"], {"port_id": port["id"]})
    assert info["port_id"] == port["id"] and info["subnet_ids"] == [topo["private_subnet"]]
    assert svc.ports.get(admin, port["id"])["device_id"] == other["id"]
    with pytest.raises(NeutronError) as err:
        svc.routers.add_interface(admin, topo["router"], {"port_id": port["id"]})
    assert fault(err) == (409, "PortInUse")
    with pytest.raises(NeutronError) as err:
        svc.routers.remove_interface(admin, topo["router"], {"port_id": port["id"]})
    assert fault(err) == (404, "RouterInterfaceNotFound")
    svc.routers.remove_interface(admin, other["id"], {"port_id": port["id"]})
    with pytest.raises(NeutronError):
        svc.ports.get(admin, port["id"])


def test_extra_routes(svc, admin, topo):
    routes = [{"destination": "192.168.0.0/24", "nexthop": "10.0.0.5"}]
    assert svc.routers.update(admin, topo["router"], {"routes": routes})["routes"] == routes
    with pytest.raises(NeutronError, match="not connected with router") as err:
        svc.routers.update(admin, topo["router"],
                           {"routes": [{"destination": "1.0.0.0/8", "nexthop": "9.9.9.9"}]})
    assert fault(err) == (400, "InvalidRoutes")
    with pytest.raises(NeutronError, match="used by router"):
        svc.routers.update(admin, topo["router"],
                           {"routes": [{"destination": "1.0.0.0/8", "nexthop": "10.0.0.1"}]})
    more = svc.routers.edit_routes(admin, topo["router"], [
        {"destination": "192.168.1.0/24", "nexthop": "10.0.0.6"}], add=True)
    assert len(more["routes"]) == 2
    with pytest.raises(NeutronError) as err:
        svc.routers.remove_interface(admin, topo["router"],
                                     {"subnet_id": topo["private_subnet"]})
    assert fault(err) == (409, "RouterInterfaceInUseByRoute")
    fewer = svc.routers.edit_routes(admin, topo["router"], routes, add=False)
    assert fewer["routes"] == [{"destination": "192.168.1.0/24", "nexthop": "10.0.0.6"}]


def test_floating_ip_lifecycle(svc, admin, topo, make_port, make_fip):
    port = make_port(topo["private"])
    fip = make_fip(topo["public"], port_id=port["id"])
    assert fip["router_id"] == topo["router"] and fip["status"] == "ACTIVE"
    assert fip["fixed_ip_address"] == port["fixed_ips"][0]["ip_address"]
    assert fip["port_details"]["network_id"] == topo["private"]
    assert fip["floating_ip_address"].startswith("172.24.4.")
    with pytest.raises(NeutronError) as err:
        svc.routers.update(admin, topo["router"], {"external_gateway_info": None})
    assert fault(err) == (409, "RouterExternalGatewayInUseByFloatingIp")
    with pytest.raises(NeutronError) as err:
        svc.routers.remove_interface(admin, topo["router"],
                                     {"subnet_id": topo["private_subnet"]})
    assert fault(err) == (409, "RouterInterfaceInUseByFloatingIP")
    hosted = routers_for_host_now(svc, "h1")
    assert hosted[0].floating_ips[0].floating_ip_address == fip["floating_ip_address"]
    svc.ports.delete(admin, port["id"])
    after = svc.floatingips.get(admin, fip["id"])
    assert (after["port_id"], after["router_id"], after["status"]) == (None, None, "DOWN")
    svc.floatingips.delete(admin, fip["id"])
    assert svc.floatingips.list(admin, _query()) == []


def test_floating_ip_unreachable(svc, admin, topo, make_net, make_subnet, make_port, make_fip):
    lonely = make_net()
    make_subnet(lonely, "10.5.0.0/24")
    port = make_port(lonely)
    with pytest.raises(NeutronError) as err:
        make_fip(topo["public"], port_id=port["id"])
    assert fault(err) == (404, "ExternalGatewayForFloatingIPNotFound")
    with pytest.raises(NeutronError, match="not a valid external network"):
        make_fip(lonely)
    assert svc.floatingips.list(admin, _query()) == []


def test_port_forwardings(svc, admin, topo, make_port, make_fip):
    port = make_port(topo["private"])
    address = port["fixed_ips"][0]["ip_address"]
    fip = make_fip(topo["public"])
    pfs = svc.port_forwardings
    pf = pfs.create(admin, fip["id"], {"internal_port_id": port["id"], "protocol": "tcp",
                                       "internal_ip_address": address, "internal_port": 22,
                                       "external_port": 2222, "description": "ssh"})
    assert (pf["internal_port"], pf["external_port"]) == (22, 2222)
    assert svc.floatingips.get(admin, fip["id"])["router_id"] == topo["router"]
    with pytest.raises(NeutronError, match="port collision"):
        pfs.create(admin, fip["id"], {"internal_port_id": port["id"], "protocol": "tcp",
                                      "internal_ip_address": address, "internal_port": 23,
                                      "external_port": 2222})
    with pytest.raises(NeutronError) as err:
        svc.floatingips.update(admin, fip["id"], {"port_id": port["id"]})
    assert fault(err) == (409, "FipInUseByPortForwarding")
    ranged = pfs.create(admin, fip["id"], {"internal_port_id": port["id"], "protocol": "udp",
                                           "internal_ip_address": address,
                                           "internal_port_range": "100:110",
                                           "external_port_range": "1100:1110"})
    assert ranged["external_port"] is None and ranged["external_port_range"] == "1100:1110"
    hosted = routers_for_host_now(svc, "h1")[0]
    assert {p.protocol for p in hosted.port_forwardings} == {"tcp", "udp"}
    assert svc.floatingips.get(admin, fip["id"])["port_forwardings"][0]["id"] in \
        (pf["id"], ranged["id"])
    svc.ports.delete(admin, port["id"])
    assert svc.floatingips.get(admin, fip["id"])["router_id"] is None
    assert pfs.list(admin, fip["id"], _query()) == []


def test_routers_for_host(svc, admin, topo, make_router):
    make_router()
    hosted = routers_for_host_now(svc, "h1")
    assert {r.id for r in hosted} >= {topo["router"]}
    mine = next(r for r in hosted if r.id == topo["router"])
    assert mine.gateway is not None and mine.gateway.ip_address.startswith("172.24.4.")
    assert mine.external_gateway_ip == "172.24.4.1" and mine.gateway.prefixlen == 24
    assert [i.ip_address for i in mine.interfaces] == ["10.0.0.1"]
    spread = {}
    with svc.db.session() as s:
        for host in ("h1", "h2"):
            spread[host] = routers_for_host(s, host, ["h1", "h2"])
    # routers stay with their alive host
    assert len(spread["h1"]) == 2 and spread["h2"] == []
    with svc.db.session() as s:
        moved = routers_for_host(s, "h2", ["h2", "h3"])
    assert len(moved) == 1


def routers_for_host_now(svc, host):
    with svc.db.session() as s:
        return routers_for_host(s, host)


def _query(**filters):
    from nimbus.services.network.api.resource import ListQuery

    return ListQuery(filters=dict(filters))


def test_the_host_state_carries_routers_and_binds_their_ports(svc, admin, topo):
    from nimbus.agents.network import messages as m

    svc.agents.report(m.to_wire(m.AgentReport(host="h1", agent_type="l3")))
    state = svc.host_state("h1")
    [router] = [r for r in state.routers if r.id == topo["router"]]
    assert router.gateway is not None and router.interfaces
    ports = svc.ports.list(admin, _query(device_id=[topo["router"]]))
    assert {p["binding:host_id"] for p in ports} == {"h1"}
    again = svc.host_state("h1")
    # the second pass sees the router's networks (its ports are bound here now)
    assert {topo["public"], topo["private"]} <= {n.id for n in again.networks}


def test_external_network_delete_takes_free_floating_ips(svc, admin, make_net, make_subnet,
                                                          make_fip):
    public = make_net(external=True)
    make_subnet(public, "172.24.9.0/24")
    make_fip(public)
    svc.networks.delete(admin, public)
    assert svc.floatingips.list(admin, _query()) == []


def test_gateway_network_stays_external(svc, admin, topo):
    with pytest.raises(NeutronError) as err:
        svc.networks.update(admin, topo["public"], {"router:external": False})
    assert fault(err) == (409, "ExternalNetworkInUse")
    assert svc.networks.update(admin, topo["public"], {"name": "still"})["router:external"]


def test_no_alive_l3_agent_moves_nothing(svc, admin, topo):
    with svc.db.session() as s:
        assert routers_for_host(s, "h1", []) == []
        assert [r.id for r in routers_for_host(s, "h1", ["h1"])] == [topo["router"]]
        # h1 stops reporting and no other L3 agent is alive: the router stays on h1
        assert [r.id for r in routers_for_host(s, "h1", [])] == [topo["router"]]
