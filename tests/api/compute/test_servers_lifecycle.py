"""Rebuild, rescue, shelve/unshelve, interfaces, security groups, consoles, password,
diagnostics on the fake driver."""

from __future__ import annotations

import pytest
from novaclient import client as nova_client
from novaclient import exceptions as nova_exc
from openstack import exceptions


def wait_status(conn, server, status="ACTIVE"):
    return conn.compute.wait_for_server(server, status=status, wait=30, interval=0.3)


def test_rebuild_keeps_the_ports_and_addresses(admin, make_server, boot_image):
    server = make_server()
    before = admin.compute.get_server(server.id).addresses
    ports = {p.id for p in admin.network.ports(device_id=server.id)}
    rebuilt = admin.compute.rebuild_server(server, image=boot_image.id, name="rebuilt",
                                           admin_password="s3cret")
    assert rebuilt.admin_password == "s3cret"
    after = wait_status(admin, server)
    assert after.name == "rebuilt" and after.addresses == before
    assert {p.id for p in admin.network.ports(device_id=server.id)} == ports


def test_rebuild_of_a_paused_server_is_a_conflict(admin, make_server, boot_image):
    server = make_server()
    admin.compute.pause_server(server)
    wait_status(admin, server, "PAUSED")
    with pytest.raises(exceptions.ConflictException):
        admin.compute.rebuild_server(server, image=boot_image.id)


def test_rescue_and_unrescue(admin, make_server):
    server = make_server()
    nova = nova_client.Client("2.1", session=admin.session)
    _resp, body = nova.servers.rescue(server.id)
    assert body["adminPass"]
    wait_status(admin, server, "RESCUE")
    admin.compute.unrescue_server(server)
    wait_status(admin, server)


def test_shelve_offload_and_unshelve(admin, make_server):
    server = make_server()
    ports = {p.id for p in admin.network.ports(device_id=server.id)}
    admin.compute.shelve_server(server)
    shelved = wait_status(admin, server, "SHELVED")
    assert shelved.power_state == 4
    admin.compute.shelve_offload_server(server)
    offloaded = wait_status(admin, server, "SHELVED_OFFLOADED")
    assert offloaded.compute_host is None
    admin.compute.unshelve_server(server)
    back = wait_status(admin, server)
    assert back.compute_host and back.power_state == 1
    assert {p.id for p in admin.network.ports(device_id=server.id)} == ports
    assert [i for i in admin.image.images() if i.name == f"{server.name}-shelved"] == []


def test_interfaces_attach_and_detach(admin, make_server, boot_network):
    server = make_server()
    nova = nova_client.Client("2.70", session=admin.session)
    assert len(nova.servers.interface_list(server.id)) == 1
    added = nova.servers.interface_attach(server.id, None, boot_network.id, None)
    listed = nova.servers.interface_list(server.id)
    assert len(listed) == 2 and added.port_id in [i.port_id for i in listed]
    nova.servers.interface_detach(server.id, added.port_id)
    assert [i.port_id for i in nova.servers.interface_list(server.id)] != [added.port_id]
    assert admin.network.find_port(added.port_id) is None


def test_security_groups_of_a_server(admin, make_server):
    server = make_server()
    group = admin.network.create_security_group(name="web-sg")
    try:
        admin.compute.add_security_group_to_server(server, group)
        names = {g["name"] for g in admin.compute.fetch_server_security_groups(
            server).security_groups}
        assert {"web-sg", "default"} <= names
        admin.compute.remove_security_group_from_server(server, group)
        port = next(iter(admin.network.ports(device_id=server.id)))
        assert group.id not in port.security_group_ids
    finally:
        admin.network.delete_security_group(group, ignore_missing=True)


def test_consoles_password_and_diagnostics(admin, make_server):
    server = make_server()
    nova = nova_client.Client("2.96", session=admin.session)
    console = nova.servers.get_console_url(server.id, "novnc")
    assert console["remote_console"]["protocol"] == "vnc"
    assert console["remote_console"]["url"].startswith("http")
    legacy = nova_client.Client("2.1", session=admin.session)
    assert legacy.servers.get_vnc_console(server.id, "novnc")["console"]["type"] == "novnc"
    assert nova.servers.get_password(server.id) == ""
    nova.servers.clear_password(server.id)
    diagnostics = nova.servers.diagnostics(server.id)[1]
    assert diagnostics["state"] == "running" and diagnostics["num_cpus"] == 1
    with pytest.raises(nova_exc.ClientException) as err:
        nova.servers.change_password(server.id, "new-pass")
    assert err.value.code == 501


def test_a_member_cannot_read_diagnostics(make_server, compute_user):
    user = compute_user()
    server = make_server(conn=user.conn, networks=[{"uuid": user.network.id}])
    nova = nova_client.Client("2.48", session=user.conn.session)
    with pytest.raises(nova_exc.Forbidden):
        nova.servers.diagnostics(server.id)
