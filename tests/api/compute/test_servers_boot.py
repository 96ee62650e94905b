"""Servers boot, show, list and go on the fake driver, as openstacksdk sees them."""

from __future__ import annotations

import pytest
from openstack import exceptions

from tests.api.compute._servers_fixtures import TINY


def test_a_server_boots_to_active_with_its_port_address(admin, make_server, boot_network):
    server = make_server(metadata={"role": "web"})
    assert server.status == "ACTIVE"
    assert server.vm_state == "active" and server.task_state is None
    assert server.power_state == 1
    assert server.metadata == {"role": "web"}
    net_name = boot_network.name
    assert net_name in server.addresses
    address = server.addresses[net_name][0]
    assert address["OS-EXT-IPS:type"] == "fixed" and address["version"] == 4
    ports = list(admin.network.ports(device_id=server.id))
    assert len(ports) == 1
    assert ports[0].device_owner.startswith("compute:")
    assert ports[0].fixed_ips[0]["ip_address"] == address["addr"]
    assert ports[0].status == "ACTIVE"
    assert server.launched_at


def test_list_and_detail_find_the_server(admin, make_server):
    server = make_server()
    names = {s.name for s in admin.compute.servers(details=False)}
    assert server.name in names
    detailed = [s for s in admin.compute.servers(name=server.name)]
    assert [s.id for s in detailed] == [server.id]
    assert detailed[0].flavor["original_name"] == "m1.nano"


def test_delete_removes_the_server_and_its_ports(admin, make_server):
    server = make_server()
    admin.compute.delete_server(server)
    admin.compute.wait_for_delete(server, wait=30, interval=0.5)
    with pytest.raises(exceptions.NotFoundException):
        admin.compute.get_server(server.id)
    assert list(admin.network.ports(device_id=server.id)) == []


def test_an_unknown_flavor_or_image_is_a_bad_request(admin, boot_image, boot_network):
    with pytest.raises(exceptions.BadRequestException, match="Flavor"):
        admin.compute.create_server(name="x", image_id=boot_image.id, flavor_id="nope",
                                    networks=[{"uuid": boot_network.id}])
    with pytest.raises(exceptions.BadRequestException, match="Image"):
        admin.compute.create_server(name="x", flavor_id=TINY,
                                    image_id="7a3e1f2c-0000-4000-8000-000000000000",
                                    networks=[{"uuid": boot_network.id}])
