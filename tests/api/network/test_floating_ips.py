"""Floating IPs through openstacksdk, the openstack CLI and python-neutronclient: create on
an external network, associate through a router (and to one of several fixed IPs),
disassociate, port details, filters, floating IP pools, Neutron's faults, a port's delete,
and what another project sees."""

from __future__ import annotations

import pytest
from neutronclient.v2_0 import client as neutron_client
from openstack import exceptions as sdk_exc

from tests.api.network._routers_fixtures import *  # noqa: F403  (the L3 fixtures)


def fault(exc: sdk_exc.HttpException) -> str:
    return exc.response.json()["NeutronError"]["type"]


@pytest.fixture
def topo(l3):
    """public -- router -- private, all the admin's."""
    public, public_subnet = l3.public()
    private, private_subnet = l3.private()
    router = l3.router(external_gateway_info={"network_id": public.id})
    l3.admin.network.add_interface_to_router(router, subnet_id=private_subnet.id)
    return {"public": public, "public_subnet": public_subnet, "private": private,
            "private_subnet": private_subnet, "router": router}


def test_cli_create_associate_disassociate(admin, cli, l3, topo):
    port = l3.port(topo["private"])
    made = cli("floating", "ip", "create", topo["public"].name, "-f", "json")
    l3.fips.append(made["id"])
    assert made["status"] == "DOWN" and made["port_id"] is None
    assert made["floating_network_id"] == topo["public"].id
    cli("floating", "ip", "set", "--port", port.id, made["id"])
    shown = cli("floating", "ip", "show", made["id"], "-f", "json")
    assert shown["port_id"] == port.id and shown["status"] == "ACTIVE"
    assert shown["fixed_ip_address"] == port.fixed_ips[0]["ip_address"]
    assert shown["router_id"] == topo["router"].id
    fip = admin.network.get_ip(made["id"])
    assert fip.port_details["network_id"] == topo["private"].id
    assert fip.port_details["mac_address"] == port.mac_address
    cli("floating", "ip", "unset", "--port", made["id"])
    shown = cli("floating", "ip", "show", made["id"], "-f", "json")
    assert (shown["port_id"], shown["fixed_ip_address"], shown["router_id"]) == \
        (None, None, None)
    address = shown["floating_ip_address"]
    cli("floating", "ip", "delete", made["id"])
    again = l3.fip(topo["public"], floating_ip_address=address)
    assert again.floating_ip_address == address


def test_several_fixed_ips(admin, l3, topo):
    cidr = topo["private_subnet"].cidr
    import ipaddress

    first, second = (str(ipaddress.ip_network(cidr)[n]) for n in (50, 51))
    port = l3.port(topo["private"], fixed_ips=[{"ip_address": first},
                                               {"ip_address": second}])
    with pytest.raises(sdk_exc.BadRequestException, match="multiple fixed IPv4"):
        l3.fip(topo["public"], port_id=port.id)
    fip = l3.fip(topo["public"], port_id=port.id, fixed_ip_address=first)
    assert fip.fixed_ip_address == first
    # Both keys, as tempest sends them (openstacksdk would send only what changed, and
    # Neutron refuses a fixed_ip_address without a port_id).
    resp = admin.network.put(f"/floatingips/{fip.id}", json={"floatingip": {
        "port_id": port.id, "fixed_ip_address": second}})
    assert resp.json()["floatingip"]["fixed_ip_address"] == second
    resp = admin.network.put(f"/floatingips/{fip.id}", json={"floatingip": {
        "port_id": port.id, "fixed_ip_address": "10.255.255.1"}})
    assert resp.status_code == 400 and "does not have fixed ip" in resp.text
    with pytest.raises(sdk_exc.ConflictException) as err:
        l3.fip(topo["public"], port_id=port.id, fixed_ip_address=second)
    assert fault(err.value) == "FloatingIPPortAlreadyAssociated"
    with pytest.raises(sdk_exc.BadRequestException, match="its original fixed_ip"):
        admin.network.update_port(port, fixed_ips=[{"ip_address": first}])


def test_faults(admin, l3, topo):
    lonely = l3.network()
    l3.subnet(lonely)
    stranger = l3.port(lonely)
    with pytest.raises(sdk_exc.NotFoundException) as err:
        l3.fip(topo["public"], port_id=stranger.id)
    assert fault(err.value) == "ExternalGatewayForFloatingIPNotFound"
    assert "is not reachable from subnet" in str(err.value)
    with pytest.raises(sdk_exc.BadRequestException, match="not a valid external network"):
        l3.fip(topo["private"])
    with pytest.raises(sdk_exc.NotFoundException) as err:
        l3.fip(topo["public"], port_id=topo["router"].id)
    assert fault(err.value) == "PortNotFound"
    with pytest.raises(sdk_exc.BadRequestException, match="without a port_id"):
        l3.fip(topo["public"], fixed_ip_address="10.0.0.9")
    fip = l3.fip(topo["public"])
    with pytest.raises(sdk_exc.ConflictException) as err:
        l3.fip(topo["public"], floating_ip_address=fip.floating_ip_address)
    assert fault(err.value) == "IpAddressAlreadyAllocated"
    with pytest.raises(sdk_exc.ConflictException, match="cannot be deleted directly"):
        admin.network.delete_port(next(iter(admin.network.ports(device_id=fip.id))).id)
    with pytest.raises(sdk_exc.ConflictException):
        admin.network.delete_network(topo["public"].id)
    before = len(list(admin.network.ips()))
    for body in ({}, {"floating_network_id": "nope"}, {"floating_network_id": lonely.id,
                                                       "colour": "red"},
                 {"floating_network_id": topo["public"].id, "port_id": "x"}):
        resp = admin.network.post("/floatingips", json={"floatingip": body})
        assert resp.status_code == 400, body
    assert len(list(admin.network.ips())) == before


def test_gateway_kept_while_floating_ips_use_it(admin, l3, topo):
    port = l3.port(topo["private"])
    l3.fip(topo["public"], port_id=port.id)
    with pytest.raises(sdk_exc.ConflictException) as err:
        admin.network.update_router(topo["router"], external_gateway_info=None)
    assert fault(err.value) == "RouterExternalGatewayInUseByFloatingIp"
    with pytest.raises(sdk_exc.ConflictException) as err:
        admin.network.remove_interface_from_router(topo["router"],
                                                   subnet_id=topo["private_subnet"].id)
    assert fault(err.value) == "RouterInterfaceInUseByFloatingIP"


def test_port_delete_disassociates(admin, l3, topo):
    port = l3.port(topo["private"])
    fip = l3.fip(topo["public"], port_id=port.id)
    admin.network.delete_port(port)
    after = admin.network.get_ip(fip.id)
    assert (after.port_id, after.fixed_ip_address, after.router_id, after.status) == \
        (None, None, None, "DOWN")
    assert after.port_details is None


def test_filters_and_pools(admin, l3, topo):
    port = l3.port(topo["private"])
    bound = l3.fip(topo["public"], port_id=port.id)
    free = l3.fip(topo["public"])
    net = admin.network

    def ids(**filters):
        return {f.id for f in net.ips(**filters)}

    assert ids(floating_ip_address=bound.floating_ip_address) == {bound.id}
    assert ids(port_id=port.id) == {bound.id}
    assert ids(router_id=topo["router"].id) == {bound.id}
    assert ids(fixed_ip_address=bound.fixed_ip_address) == {bound.id}
    assert ids(floating_network_id=topo["public"].id) == {bound.id, free.id}
    assert free.id in ids(status="DOWN") and bound.id in ids(status="ACTIVE")
    pools = net.get("/floatingip_pools").json()["floatingip_pools"]
    mine = [p for p in pools if p["network_id"] == topo["public"].id]
    assert mine == [{"subnet_id": topo["public_subnet"].id,
                     "subnet_name": mine[0]["subnet_name"], "network_id": topo["public"].id,
                     "cidr": topo["public_subnet"].cidr,
                     "project_id": topo["public"].project_id,
                     "tenant_id": topo["public"].project_id}]


def test_projects_and_their_floating_ips(admin, l3, topo, make_member):
    alice, bob = make_member(), make_member()
    net, subnet = l3.private(alice.conn)
    router = l3.router(alice.conn, external_gateway_info={"network_id": topo["public"].id})
    alice.conn.network.add_interface_to_router(router, subnet_id=subnet.id)
    port = l3.port(net, alice.conn)
    fip = l3.fip(topo["public"], alice.conn, port_id=port.id)
    assert fip.router_id == router.id and fip.project_id == alice.project.id
    assert fip.id not in {f.id for f in bob.conn.network.ips()}
    for call in (lambda: bob.conn.network.get_ip(fip.id),
                 lambda: bob.conn.network.update_ip(fip.id, port_id=None),
                 lambda: bob.conn.network.delete_ip(fip.id, ignore_missing=False)):
        with pytest.raises(sdk_exc.NotFoundException):
            call()
    bobs = l3.fip(topo["public"], bob.conn)
    with pytest.raises(sdk_exc.NotFoundException):
        bob.conn.network.update_ip(bobs, port_id=port.id)
    with pytest.raises(sdk_exc.ForbiddenException):
        l3.fip(topo["public"], alice.conn, floating_ip_address="172.31.250.250")


def test_neutronclient(admin, l3, topo):
    client = neutron_client.Client(session=admin.session, region_name="RegionOne")
    port = l3.port(topo["private"])
    made = client.create_floatingip({"floatingip": {
        "floating_network_id": topo["public"].id, "port_id": port.id}})["floatingip"]
    l3.fips.append(made["id"])
    assert made["router_id"] == topo["router"].id
    listed = client.list_floatingips(port_id=port.id)["floatingips"]
    assert [f["id"] for f in listed] == [made["id"]]
    client.update_floatingip(made["id"], {"floatingip": {"port_id": None}})
    assert client.show_floatingip(made["id"])["floatingip"]["port_id"] is None
    client.delete_floatingip(made["id"])


def test_dns_name_and_domain(admin, l3, topo):
    fip = l3.fip(topo["public"], dns_name="web", dns_domain="example.org.")
    shown = admin.network.get_ip(fip.id)
    assert (shown.dns_name, shown.dns_domain) == ("web", "example.org.")
    assert {f.id for f in admin.network.ips(dns_name="web")} == {fip.id}
    resp = admin.network.put(f"/floatingips/{fip.id}", json={"floatingip": {"dns_name": "x"}})
    assert resp.status_code == 400


def test_cli_listings(cli, l3, topo):
    port = l3.port(topo["private"])
    fip = l3.fip(topo["public"], port_id=port.id, description="web")
    rows = cli("floating", "ip", "list", "--long", "-f", "json")
    mine = next(r for r in rows if r["ID"] == fip.id)
    assert mine["Port"] == port.id and mine["Router"] == topo["router"].id
    assert mine["Description"] == "web"
    by_port = cli("floating", "ip", "list", "--port", port.id, "-f", "json")
    assert [r["ID"] for r in by_port] == [fip.id]
    routers = cli("router", "list", "--long", "-f", "json")
    listed = next(r for r in routers if r["ID"] == topo["router"].id)
    assert listed["External gateway info"]["network_id"] == topo["public"].id
    shown = cli("router", "show", topo["router"].id, "-f", "json")
    assert shown["interfaces_info"][0]["subnet_id"] == topo["private_subnet"].id
