"""Routers through openstacksdk, the openstack CLI and python-neutronclient: attributes,
the gateway (ext-gw-mode), interfaces by subnet and by port, extra routes, the admin-only
attributes, Neutron's faults, and what another project sees."""

from __future__ import annotations

import ipaddress

import pytest
from neutronclient.common import exceptions as nc_exc
from neutronclient.v2_0 import client as neutron_client
from openstack import exceptions as sdk_exc

from tests.api.conftest import unique
from tests.api.network._routers_fixtures import *  # noqa: F403  (the L3 fixtures)


def fault(exc: sdk_exc.HttpException) -> str:
    return exc.response.json()["NeutronError"]["type"]


def test_create_show_list_update_delete(admin, l3):
    router = l3.router(is_admin_state_up=False, description="first",
                       availability_zone_hints=[])
    assert router.is_admin_state_up is False and router.status == "ACTIVE"
    assert router.external_gateway_info is None and router.routes == []
    assert router.is_ha is False and router.is_distributed is False
    assert router.availability_zones == ["nova"] and router.flavor_id is None
    assert router.revision_number == 0 and router.created_at.endswith("Z")
    shown = admin.network.get_router(router.id)
    assert shown.name == router.name and shown.description == "first"
    assert router.id in {r.id for r in admin.network.routers(name=router.name)}
    updated = admin.network.update_router(router, name="renamed", is_admin_state_up=True)
    assert updated.name == "renamed" and updated.is_admin_state_up is True
    assert updated.revision_number == 1
    admin.network.set_tags(updated, ["blue"])
    assert admin.network.get_router(router.id).tags == ["blue"]
    assert [r.id for r in admin.network.routers(tags="blue")] == [router.id]
    admin.network.delete_router(router)
    with pytest.raises(sdk_exc.ResourceNotFound) as err:
        admin.network.get_router(router.id)
    assert fault(err.value) == "RouterNotFound"
    with pytest.raises(sdk_exc.ResourceNotFound):
        admin.network.delete_router(router.id, ignore_missing=False)


def test_gateway_with_the_cli(cli, l3):
    public, public_subnet = l3.public()
    name = unique("r")
    made = cli("router", "create", name, "-f", "json")
    l3.routers.append(made["id"])
    cli("router", "set", "--external-gateway", public.name, "--enable-snat", name)
    shown = cli("router", "show", name, "-f", "json")
    gateway = shown["external_gateway_info"]
    assert gateway["network_id"] == public.id and gateway["enable_snat"] is True
    [fixed] = gateway["external_fixed_ips"]
    assert fixed["subnet_id"] == public_subnet.id
    assert fixed["ip_address"] != public_subnet.gateway_ip
    cli("router", "set", "--external-gateway", public.name, "--disable-snat", name)
    assert cli("router", "show", name, "-f", "json")[
        "external_gateway_info"]["enable_snat"] is False
    cli("router", "unset", "--external-gateway", name)
    assert not cli("router", "show", name, "-f", "json")["external_gateway_info"]


def test_gateway_errors(admin, l3, make_member):
    public, _ = l3.public()
    private, _ = l3.private()
    router = l3.router()
    with pytest.raises(sdk_exc.BadRequestException, match="is not an external network"):
        admin.network.update_router(router, external_gateway_info={"network_id": private.id})
    with pytest.raises(sdk_exc.NotFoundException) as err:
        admin.network.update_router(router, external_gateway_info={"network_id": router.id})
    assert fault(err.value) == "NetworkNotFound"
    with pytest.raises(sdk_exc.BadRequestException):
        admin.network.update_router(router, external_gateway_info={"enable_snat": True})
    with pytest.raises(sdk_exc.BadRequestException, match="Unexpected keys"):
        admin.network.update_router(router, external_gateway_info={"network_id": public.id,
                                                                   "colour": "red"})
    assert admin.network.get_router(router.id).external_gateway_info is None
    member = make_member()
    mine = l3.router(member.conn, external_gateway_info={"network_id": public.id})
    assert mine.external_gateway_info["enable_snat"] is True
    with pytest.raises(sdk_exc.ForbiddenException):
        member.conn.network.update_router(mine, external_gateway_info={
            "network_id": public.id, "enable_snat": False})
    with pytest.raises(sdk_exc.ForbiddenException):
        l3.router(member.conn, external_gateway_info={
            "network_id": public.id, "external_fixed_ips": [{"subnet_id": router.id}]})


def test_interfaces_with_the_cli(admin, cli, l3):
    net1, sub1 = l3.private()
    net2, sub2 = l3.private()
    name = unique("r")
    router_id = cli("router", "create", name, "-f", "json")["id"]
    l3.routers.append(router_id)
    cli("router", "add", "subnet", name, sub1.id)
    port = l3.port(net2)
    cli("router", "add", "port", name, port.id)
    ports = {p.id: p for p in admin.network.ports(device_id=router_id)}
    assert len(ports) == 2
    assert {p.device_owner for p in ports.values()} == {"network:router_interface"}
    by_subnet = next(p for p in ports.values() if p.network_id == net1.id)
    assert by_subnet.fixed_ips == [{"subnet_id": sub1.id, "ip_address": sub1.gateway_ip}]
    assert ports[port.id].device_id == router_id
    with pytest.raises(sdk_exc.ConflictException) as err:
        admin.network.delete_router(router_id)
    assert fault(err.value) == "RouterInUse"
    with pytest.raises(sdk_exc.ConflictException, match="cannot be deleted directly via "
                                                        "the port API"):
        admin.network.delete_port(by_subnet.id)
    cli("router", "remove", "subnet", name, sub1.id)
    cli("router", "remove", "port", name, port.id)
    assert list(admin.network.ports(device_id=router_id)) == []
    cli("router", "delete", name)


def test_interface_by_port_with_the_cli(admin, cli, l3):
    net, subnet = l3.private()
    router = l3.router()
    port = l3.port(net)
    cli("router", "add", "port", router.name, port.id)
    attached = admin.network.get_port(port.id)
    assert attached.device_id == router.id
    assert attached.device_owner == "network:router_interface"
    assert attached.fixed_ips[0]["subnet_id"] == subnet.id
    cli("router", "remove", "port", router.name, port.id)
    with pytest.raises(sdk_exc.ResourceNotFound):
        admin.network.get_port(port.id)


def test_interface_errors(admin, l3):
    net, subnet = l3.private()
    router = l3.router()
    info = admin.network.add_interface_to_router(router, subnet_id=subnet.id)
    assert set(info) >= {"subnet_id", "subnet_ids", "port_id", "id", "tenant_id",
                         "project_id", "network_id"}
    assert (info["id"], info["subnet_id"], info["network_id"]) == (router.id, subnet.id,
                                                                    net.id)
    with pytest.raises(sdk_exc.BadRequestException, match="already has a port on subnet"):
        admin.network.add_interface_to_router(router, subnet_id=subnet.id)
    _, twin = l3.private()
    other_net = l3.network()
    overlapping = l3.subnet(other_net, subnet.cidr)
    with pytest.raises(sdk_exc.BadRequestException, match="overlaps with cidr"):
        admin.network.add_interface_to_router(router, subnet_id=overlapping.id)
    no_gateway = l3.subnet(l3.network(), gateway=None)
    with pytest.raises(sdk_exc.BadRequestException, match="must have a gateway IP"):
        admin.network.add_interface_to_router(router, subnet_id=no_gateway.id)
    resp = admin.network.put(f"/routers/{router.id}/add_router_interface", json={})
    assert resp.status_code == 400 and "Either subnet_id or port_id" in resp.text
    with pytest.raises(sdk_exc.NotFoundException) as err:
        admin.network.remove_interface_from_router(router, subnet_id=twin.id)
    assert fault(err.value) == "RouterInterfaceNotFoundForSubnet"
    with pytest.raises(sdk_exc.NotFoundException) as err:
        admin.network.remove_interface_from_router(router, port_id=router.id)
    assert fault(err.value) == "RouterInterfaceNotFound"
    busy = l3.port(net, device_id="some-server")
    with pytest.raises(sdk_exc.ConflictException) as err:
        admin.network.add_interface_to_router(router, port_id=busy.id)
    assert fault(err.value) == "PortInUse"
    with pytest.raises(sdk_exc.ConflictException):
        admin.network.delete_network(net.id)
    removed = admin.network.remove_interface_from_router(router, subnet_id=subnet.id)
    assert removed["port_id"] == info["port_id"]


def test_extra_routes_with_the_cli(admin, cli, l3):
    _, subnet = l3.private()
    router = l3.router()
    admin.network.add_interface_to_router(router, subnet_id=subnet.id)
    hop = str(ipaddress.ip_network(subnet.cidr)[10])
    cli("router", "add", "route", "--route", f"destination=192.168.50.0/24,gateway={hop}",
        router.id)
    cli("router", "add", "route", "--route", f"destination=192.168.51.0/24,gateway={hop}",
        router.id)
    routes = admin.network.get_router(router.id).routes
    assert sorted(r["destination"] for r in routes) == ["192.168.50.0/24", "192.168.51.0/24"]
    cli("router", "remove", "route", "--route", f"destination=192.168.50.0/24,gateway={hop}",
        router.id)
    assert admin.network.get_router(router.id).routes == [
        {"destination": "192.168.51.0/24", "nexthop": hop}]
    with pytest.raises(sdk_exc.BadRequestException, match="not connected with router") as err:
        admin.network.update_router(router, routes=[{"destination": "10.99.0.0/16",
                                                     "nexthop": "203.0.113.9"}])
    assert fault(err.value) == "InvalidRoutes"
    with pytest.raises(sdk_exc.BadRequestException):
        admin.network.update_router(router, routes=[{"destination": "nonsense",
                                                     "nexthop": hop}])
    with pytest.raises(sdk_exc.ConflictException) as err:
        admin.network.remove_interface_from_router(router, subnet_id=subnet.id)
    assert fault(err.value) == "RouterInterfaceInUseByRoute"
    assert admin.network.update_router(router, routes=None).routes == []


def test_ha_and_distributed_are_for_admins(admin, l3, make_member):
    router = l3.router(is_ha=True, is_distributed=True, is_admin_state_up=False)
    assert router.is_ha is True and router.is_distributed is True
    with pytest.raises(sdk_exc.BadRequestException, match="active routers"):
        l3.admin.network.update_router(l3.router(), is_ha=True)
    member = make_member()
    with pytest.raises(sdk_exc.ForbiddenException):
        l3.router(member.conn, is_distributed=True)
    with pytest.raises(sdk_exc.ForbiddenException):
        l3.router(member.conn, is_ha=False)
    mine = l3.router(member.conn)
    raw = member.conn.network.get(f"/routers/{mine.id}").json()["router"]
    assert "ha" not in raw and "distributed" not in raw
    with pytest.raises(sdk_exc.ForbiddenException):
        member.conn.network.update_router(mine, is_ha=True)


def test_other_projects_see_nothing(admin, l3, make_member):
    alice, bob = make_member(), make_member()
    router = l3.router(alice.conn)
    assert router.project_id == alice.project.id
    assert router.id not in {r.id for r in bob.conn.network.routers()}
    for call in (lambda: bob.conn.network.get_router(router.id),
                 lambda: bob.conn.network.update_router(router.id, name="x"),
                 lambda: bob.conn.network.delete_router(router.id, ignore_missing=False),
                 lambda: bob.conn.network.add_interface_to_router(router.id,
                                                                  subnet_id=router.id)):
        with pytest.raises(sdk_exc.NotFoundException):
            call()
    _, bobs_subnet = l3.private(bob.conn)
    with pytest.raises(sdk_exc.NotFoundException):
        alice.conn.network.add_interface_to_router(router, subnet_id=bobs_subnet.id)
    assert admin.network.get_router(router.id).name == router.name


def test_bad_input_writes_nothing(admin, l3):
    before = {r.id for r in admin.network.routers()}
    for body in ({"name": "x" * 300}, {"colour": "red"}, {"admin_state_up": "maybe"},
                 {"routes": []}, {"external_gateway_info": "public"},
                 {"availability_zone_hints": "nova"}):
        resp = admin.network.post("/routers", json={"router": body})
        assert resp.status_code == 400, body
        assert "NeutronError" in resp.json()
    assert {r.id for r in admin.network.routers()} == before


def test_neutronclient(cloud, admin, l3):
    _, subnet = l3.private()
    client = neutron_client.Client(session=admin.session, region_name="RegionOne")
    router = client.create_router({"router": {"name": unique("nc")}})["router"]
    l3.routers.append(router["id"])
    info = client.add_interface_router(router["id"], {"subnet_id": subnet.id})
    assert info["subnet_id"] == subnet.id
    assert client.show_router(router["id"])["router"]["name"] == router["name"]
    client.remove_interface_router(router["id"], {"subnet_id": subnet.id})
    client.delete_router(router["id"])
    with pytest.raises(nc_exc.NotFound):
        client.show_router(router["id"])


def test_gateway_with_chosen_addresses(admin, l3):
    public, subnet = l3.public()
    wanted = str(ipaddress.ip_network(subnet.cidr)[77])
    router = l3.router(external_gateway_info={
        "network_id": public.id, "enable_snat": False,
        "external_fixed_ips": [{"subnet_id": subnet.id, "ip_address": wanted}]})
    gateway = router.external_gateway_info
    assert gateway["external_fixed_ips"] == [{"subnet_id": subnet.id, "ip_address": wanted}]
    assert gateway["enable_snat"] is False
    moved = str(ipaddress.ip_network(subnet.cidr)[78])
    updated = admin.network.update_router(router, external_gateway_info={
        "network_id": public.id, "external_fixed_ips": [{"ip_address": moved}]})
    assert updated.external_gateway_info["external_fixed_ips"][0]["ip_address"] == moved
    with pytest.raises(sdk_exc.BadRequestException, match="same as the gateway IP"):
        admin.network.update_router(router, external_gateway_info={
            "network_id": public.id, "external_fixed_ips": [{"ip_address": subnet.gateway_ip}]})
    with pytest.raises(sdk_exc.ConflictException):
        l3.router(external_gateway_info={"network_id": public.id,
                                         "external_fixed_ips": [{"ip_address": moved}]})


def test_a_reader_looks_but_does_not_touch(admin, l3, make_member):
    reader = make_member("reader")
    router = l3.router(project_id=reader.project.id)
    assert reader.conn.network.get_router(router.id).id == router.id
    with pytest.raises(sdk_exc.ForbiddenException):
        reader.conn.network.update_router(router, name="x")
    with pytest.raises(sdk_exc.ForbiddenException):
        reader.conn.network.add_interface_to_router(router, subnet_id=router.id)
    with pytest.raises(sdk_exc.ForbiddenException):
        reader.conn.network.delete_router(router.id, ignore_missing=False)
