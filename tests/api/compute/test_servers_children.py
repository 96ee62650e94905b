"""Server metadata, tags, instance actions and external events, through openstacksdk and
python-novaclient."""

from __future__ import annotations

import pytest
from novaclient import client as nova_client
from novaclient import exceptions as nova_exc
from openstack import exceptions


def test_metadata_crud(admin, make_server):
    server = make_server(metadata={"a": "1"})
    admin.compute.set_server_metadata(server, b="2")
    assert admin.compute.get_server_metadata(server).metadata == {"a": "1", "b": "2"}
    admin.compute.delete_server_metadata(server, ["a"])
    assert admin.compute.get_server_metadata(server).metadata == {"b": "2"}
    nova = nova_client.Client("2.1", session=admin.session)
    nova.servers.set_meta_item(server.id, "c", "3")
    assert nova.servers.get(server.id).metadata == {"b": "2", "c": "3"}
    with pytest.raises(nova_exc.BadRequest):
        nova.servers.set_meta(server.id, {"k" * 300: "v"})


def test_tags_crud_from_2_26(admin, make_server):
    server = make_server()
    nova = nova_client.Client("2.26", session=admin.session)
    nova.servers.set_tags(server.id, ["x", "y"])
    nova.servers.add_tag(server.id, "z")
    assert sorted(nova.servers.tag_list(server.id)) == ["x", "y", "z"]
    nova.servers.delete_tag(server.id, "x")
    assert sorted(nova.servers.tag_list(server.id)) == ["y", "z"]
    found = nova.servers.list(search_opts={"tags": "y,z"})
    assert [s.id for s in found] == [server.id]
    assert server.id not in [s.id for s in nova.servers.list(search_opts={"not-tags": "y"})]
    nova.servers.delete_all_tags(server.id)
    assert nova.servers.tag_list(server.id) == []
    old = admin.compute.get(f"/servers/{server.id}/tags", microversion="2.25")
    assert old.status_code == 404


def test_instance_actions_record_create_and_stop(admin, make_server):
    server = make_server()
    admin.compute.stop_server(server)
    admin.compute.wait_for_server(server, status="SHUTOFF", wait=30, interval=0.3)
    nova = nova_client.Client("2.84", session=admin.session)
    actions = nova.instance_action.list(server.id)
    assert [a.action for a in actions] == ["stop", "create"]
    create = nova.instance_action.get(server.id, actions[-1].request_id)
    events = create.events
    assert events and events[0]["event"] == "compute__do_build_and_run_instance"
    assert events[0]["result"] == "Success"


def test_external_events_are_for_admins(admin, make_server, compute_user):
    server = make_server()
    nova = nova_client.Client("2.1", session=admin.session)
    answer = nova.server_external_events.create([
        {"server_uuid": server.id, "name": "network-changed"},
        {"server_uuid": "8a4c3a0e-0000-4000-8000-000000000001", "name": "network-changed"}])
    codes = sorted(e["code"] for e in answer)
    assert codes == [200, 404]
    user = compute_user(network=False)
    member = nova_client.Client("2.1", session=user.conn.session)
    with pytest.raises(nova_exc.Forbidden):
        member.server_external_events.create([{"server_uuid": server.id,
                                               "name": "network-changed"}])


def test_another_projects_server_is_not_found(admin, make_server, compute_user):
    server = make_server()
    user = compute_user(network=False)
    with pytest.raises(exceptions.NotFoundException):
        user.conn.compute.get_server(server.id)
    assert server.id not in [s.id for s in user.conn.compute.servers()]
    with pytest.raises(exceptions.NotFoundException):
        user.conn.compute.delete_server(server.id, ignore_missing=False)
