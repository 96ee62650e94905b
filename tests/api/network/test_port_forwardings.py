"""Port forwardings of floating IPs through openstacksdk and the openstack CLI: single ports
and ranges, updates, collisions and the rule that a floating IP forwards ports or points at
a port (never both), filters, what another project sees, and bad input."""

from __future__ import annotations

import pytest
from openstack import exceptions as sdk_exc

from tests.api.network._routers_fixtures import *  # noqa: F403  (the L3 fixtures)


def fault(exc: sdk_exc.HttpException) -> str:
    return exc.response.json()["NeutronError"]["type"]


@pytest.fixture
def setup(l3):
    """A free floating IP on public, a router to the private network, and a port there."""
    public, _ = l3.public()
    private, subnet = l3.private()
    router = l3.router(external_gateway_info={"network_id": public.id})
    l3.admin.network.add_interface_to_router(router, subnet_id=subnet.id)
    port = l3.port(private)
    return {"fip": l3.fip(public), "port": port, "address": port.fixed_ips[0]["ip_address"],
            "router": router, "public": public, "private": private}


def test_cli_lifecycle(admin, cli, setup):
    fip, port = setup["fip"], setup["port"]
    made = cli("floating", "ip", "port", "forwarding", "create",
               "--internal-ip-address", setup["address"], "--port", port.id,
               "--internal-protocol-port", "22", "--external-protocol-port", "2222",
               "--protocol", "tcp", "--description", "ssh", fip.id, "-f", "json")
    assert (made["internal_port"], made["external_port"], made["protocol"]) == \
        (22, 2222, "tcp")
    assert made["internal_port_id"] == port.id and made["description"] == "ssh"
    listed = cli("floating", "ip", "port", "forwarding", "list", fip.id, "-f", "json")
    assert [p["ID"] for p in listed] == [made["id"]]
    cli("floating", "ip", "port", "forwarding", "set", "--external-protocol-port", "2200",
        fip.id, made["id"])
    shown = cli("floating", "ip", "port", "forwarding", "show", fip.id, made["id"],
                "-f", "json")
    assert shown["external_port"] == 2200
    owner = admin.network.get_ip(fip.id)
    assert owner.router_id == setup["router"].id
    assert owner.port_forwardings == [{"id": made["id"], "internal_ip_address": setup["address"],
                                       "protocol": "tcp", "internal_port_id": port.id,
                                       "internal_port": 22, "external_port": 2200}]
    cli("floating", "ip", "port", "forwarding", "delete", fip.id, made["id"])
    assert admin.network.get_ip(fip.id).router_id is None
    with pytest.raises(sdk_exc.NotFoundException) as err:
        admin.network.get_floating_ip_port_forwarding(fip, made["id"])
    assert fault(err.value) == "PortForwardingNotFound"


def test_ranges_and_filters(admin, setup):
    fip, port, address = setup["fip"], setup["port"], setup["address"]
    net = admin.network
    ranged = net.create_floating_ip_port_forwarding(
        fip, internal_port_id=port.id, internal_ip_address=address, protocol="udp",
        internal_port_range="1000:1010", external_port_range="5000:5010")
    assert ranged.external_port_range == "5000:5010" and ranged.external_port is None
    one = net.create_floating_ip_port_forwarding(
        fip, internal_port_id=port.id, internal_ip_address=address, protocol="tcp",
        internal_port=80, external_port=8080)
    assert {p.id for p in net.floating_ip_port_forwardings(fip, protocol="udp")} == \
        {ranged.id}
    assert {p.id for p in net.floating_ip_port_forwardings(fip, external_port=8080)} == \
        {one.id}
    resp = net.get(f"/floatingips/{fip.id}/port_forwardings?internal_port=80")
    assert resp.status_code == 400 and "is not supported" in resp.text
    with pytest.raises(sdk_exc.BadRequestException, match="N-N or 1-N"):
        net.create_floating_ip_port_forwarding(
            fip, internal_port_id=port.id, internal_ip_address=address, protocol="tcp",
            internal_port_range="100:105", external_port_range="200:202")


def test_conflicts(admin, l3, setup):
    fip, port, address = setup["fip"], setup["port"], setup["address"]
    net = admin.network
    net.create_floating_ip_port_forwarding(
        fip, internal_port_id=port.id, internal_ip_address=address, protocol="tcp",
        internal_port=22, external_port=2222)
    with pytest.raises(sdk_exc.BadRequestException, match="port collision"):
        net.create_floating_ip_port_forwarding(
            fip, internal_port_id=port.id, internal_ip_address=address, protocol="tcp",
            internal_port=23, external_port=2222)
    with pytest.raises(sdk_exc.BadRequestException, match="not suitable"):
        net.create_floating_ip_port_forwarding(
            fip, internal_port_id=port.id, internal_ip_address="10.254.0.9", protocol="tcp",
            internal_port=24, external_port=2224)
    with pytest.raises(sdk_exc.ConflictException) as err:
        net.update_ip(fip, port_id=port.id)
    assert fault(err.value) == "FipInUseByPortForwarding"
    other = l3.port(setup["private"])
    bound = l3.fip(setup["public"], port_id=other.id)
    with pytest.raises(sdk_exc.ConflictException) as err:
        net.create_floating_ip_port_forwarding(
            bound, internal_port_id=port.id, internal_ip_address=address, protocol="tcp",
            internal_port=25, external_port=2225)
    assert fault(err.value) == "FloatingIPPortAlreadyAssociated"
    with pytest.raises(sdk_exc.ConflictException) as err:
        net.create_floating_ip_port_forwarding(
            fip, internal_port_id=other.id,
            internal_ip_address=other.fixed_ips[0]["ip_address"], protocol="tcp",
            internal_port=26, external_port=2226)
    assert fault(err.value) == "PortHasBindingFloatingIP"


def test_port_delete_drops_forwardings(admin, setup):
    fip, port = setup["fip"], setup["port"]
    admin.network.create_floating_ip_port_forwarding(
        fip, internal_port_id=port.id, internal_ip_address=setup["address"],
        protocol="tcp", internal_port=22, external_port=2222)
    admin.network.delete_port(port)
    assert list(admin.network.floating_ip_port_forwardings(fip)) == []
    assert admin.network.get_ip(fip.id).router_id is None


def test_bad_input_and_other_projects(admin, setup, make_member):
    fip, port = setup["fip"], setup["port"]
    base = f"/floatingips/{fip.id}/port_forwardings"
    good = {"internal_port_id": port.id, "internal_ip_address": setup["address"],
            "protocol": "tcp", "internal_port": 22, "external_port": 2222}
    for bad in ({**good, "protocol": "icmp"}, {**good, "external_port": 70000},
                {**good, "colour": "red"}, {k: v for k, v in good.items() if k != "protocol"},
                {**good, "internal_ip_address": "fe80::1"},
                {**good, "external_port": None, "external_port_range": "9:3"}):
        resp = admin.network.post(base, json={"port_forwarding": bad})
        assert resp.status_code == 400, bad
    assert list(admin.network.floating_ip_port_forwardings(fip)) == []
    made = admin.network.create_floating_ip_port_forwarding(fip, **good)
    stranger = make_member()
    with pytest.raises(sdk_exc.NotFoundException):
        list(stranger.conn.network.floating_ip_port_forwardings(fip))
    with pytest.raises(sdk_exc.NotFoundException):
        stranger.conn.network.get_floating_ip_port_forwarding(fip, made.id)
    with pytest.raises(sdk_exc.NotFoundException):
        stranger.conn.network.create_floating_ip_port_forwarding(fip, **good)
