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


def test_a_boot_no_host_can_take_ends_in_error_with_a_fault(admin, make_server):
    server = make_server(availability_zone="nova:no-such-host", wait=False)
    failed = admin.compute.wait_for_server(server, status="ERROR", failures=[], wait=30,
                                           interval=0.3)
    assert "No valid host" in failed.fault["message"]
    assert failed.fault["code"] == 500
    assert list(admin.network.ports(device_id=server.id)) == []
    admin.compute.delete_server(server)
    admin.compute.wait_for_delete(server, wait=30, interval=0.3)
    answer = admin.compute.post("/servers", json={"server": {
        "name": "z", "imageRef": server.image.id, "flavorRef": "42", "networks": "none",
        "availability_zone": "atlantis"}}, microversion="2.37")
    assert answer.status_code == 400 and "availability zone" in answer.text


def test_a_server_deleted_while_building_goes(admin, make_server):
    server = make_server(wait=False)
    admin.compute.delete_server(server)
    admin.compute.wait_for_delete(server, wait=30, interval=0.3)
    deadline_ports = list(admin.network.ports(device_id=server.id))
    assert deadline_ports == []


def test_update_name_description_and_hostname(admin, make_server):
    server = make_server()
    nova = __import__("novaclient.client", fromlist=["Client"]).Client(
        "2.90", session=admin.session)
    nova.servers.update(server.id, name="renamed", description="about", hostname="host-a")
    shown = nova.servers.get(server.id)
    assert shown.name == "renamed" and shown.description == "about"
    assert getattr(shown, "OS-EXT-SRV-ATTR:hostname") == "host-a"


def test_changes_since_lists_deleted_servers_for_an_admin(admin, make_server):
    import datetime as dt

    start = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    server = make_server()
    admin.compute.delete_server(server)
    admin.compute.wait_for_delete(server, wait=30, interval=0.3)
    found = {s.id: s.status for s in admin.compute.servers(changes_since=start)}
    assert found.get(server.id) == "DELETED"
    deleted = {s.id for s in admin.compute.servers(deleted=True, all_projects=True)}
    assert server.id in deleted


def test_local_block_devices_and_instance_actions_of_a_deleted_server(admin, boot_image):
    from novaclient import client as nova_client

    body = {"server": {"name": "bdm", "flavorRef": "42", "networks": "none",
                       "block_device_mapping_v2": [
                           {"source_type": "image", "destination_type": "local",
                            "uuid": boot_image.id, "boot_index": 0},
                           {"source_type": "blank", "destination_type": "local",
                            "volume_size": 1, "guest_format": "ext4"},
                           {"source_type": "blank", "destination_type": "local",
                            "volume_size": 64, "guest_format": "swap"}]}}
    answer = admin.compute.post("/servers", json=body, microversion="2.37")
    assert answer.status_code == 202, answer.text
    server = admin.compute.get_server(answer.json()["server"]["id"])
    admin.compute.wait_for_server(server, wait=30, interval=0.3)
    assert admin.compute.get_server(server.id).image.id == boot_image.id
    admin.compute.delete_server(server)
    admin.compute.wait_for_delete(server, wait=30, interval=0.3)
    nova = nova_client.Client("2.21", session=admin.session)
    assert [a.action for a in nova.instance_action.list(server.id)] == ["delete", "create"]
    volume = dict(body["server"], block_device_mapping_v2=[
        {"source_type": "volume", "destination_type": "volume", "uuid": boot_image.id,
         "boot_index": 0}])
    refused = admin.compute.post("/servers", json={"server": volume}, microversion="2.37")
    assert refused.status_code == 400
