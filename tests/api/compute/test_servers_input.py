"""Bad boot requests get Nova's 400/403/409 with nothing made; version-dependent fields."""

from __future__ import annotations

import base64

import pytest
from novaclient import client as nova_client
from novaclient import exceptions as nova_exc

from tests.api.compute._servers_fixtures import TINY


def _boot(conn, version, server, hints=None):
    body = {"server": server}
    if hints:
        body["os:scheduler_hints"] = hints
    return conn.compute.post("/servers", json=body, microversion=version)


def _server(boot_image, boot_network, **extra):
    return {"name": "bad", "imageRef": boot_image.id, "flavorRef": TINY,
            "networks": [{"uuid": boot_network.id}], **extra}



@pytest.mark.parametrize("extra, words", [
    ({"name": "x" * 256}, "name"),
    ({"name": ""}, "name"),
    ({"user_data": "not base64!"}, "user_data"),
    ({"user_data": base64.b64encode(b"x" * 65536).decode()}, "user_data"),
    ({"networks": "everything"}, "networks"),
    ({"networks": [{"uuid": "not-a-uuid"}]}, "uuid"),
    ({"min_count": 0}, "min_count"),
    ({"accessIPv4": "300.1.1.1"}, "accessIPv4"),
    ({"metadata": {"k": "v" * 256}}, "metadata"),
    ({"unknown": 1}, "unknown"),
])
def test_invalid_bodies_are_400(admin, boot_image, boot_network, extra, words):
    answer = _boot(admin, "2.37", _server(boot_image, boot_network, **extra))
    assert answer.status_code == 400, answer.text
    assert words in answer.json()["badRequest"]["message"]


def test_fields_of_later_versions_are_refused_earlier(admin, boot_image, boot_network):
    for version, extra in (("2.18", {"description": "d"}), ("2.51", {"tags": ["a"]}),
                           ("2.89", {"hostname": "h"})):
        answer = _boot(admin, version, _server(boot_image, boot_network, **extra))
        assert answer.status_code == 400, (version, answer.text)
    answer = _boot(admin, "2.37", {"name": "x", "imageRef": boot_image.id,
                                   "flavorRef": TINY})
    assert answer.status_code == 400        # networks are required from 2.37


def test_unknown_network_and_used_port(admin, boot_image, boot_network, make_server):
    answer = _boot(admin, "2.37", _server(boot_image, boot_network, networks=[
        {"uuid": "5b1c8b6e-0000-4000-8000-00000000abcd"}]))
    assert answer.status_code == 400
    server = make_server()
    port = next(iter(admin.network.ports(device_id=server.id)))
    answer = _boot(admin, "2.37", _server(boot_image, boot_network,
                                          networks=[{"port": port.id}]))
    assert answer.status_code == 409


def test_a_member_cannot_force_a_host(boot_image, compute_user):
    user = compute_user()
    answer = _boot(user.conn, "2.37", {"name": "f", "imageRef": boot_image.id,
                                       "flavorRef": TINY, "networks": "none",
                                       "availability_zone": "nova:somehost"})
    assert answer.status_code == 403
    answer = _boot(user.conn, "2.74", {"name": "f", "imageRef": boot_image.id,
                                       "flavorRef": TINY, "networks": "none",
                                       "host": "somehost"})
    assert answer.status_code == 403


def test_a_member_sees_no_hosts(make_server, compute_user):
    user = compute_user()
    server = make_server(conn=user.conn, networks=[{"uuid": user.network.id}])
    shown = user.conn.compute.get_server(server.id)
    assert shown.hypervisor_hostname is None and shown.compute_host is None
    nova = nova_client.Client("2.1", session=user.conn.session)
    raw = nova.servers.get(server.id).to_dict()
    assert "OS-EXT-SRV-ATTR:host" not in raw
    assert raw["hostId"]
    with pytest.raises(nova_exc.Forbidden):
        nova.servers.list(search_opts={"all_tenants": 1})


def test_admin_sees_hosts_and_version_fields(admin, make_server):
    server = make_server(description="web server")
    nova = nova_client.Client("2.96", session=admin.session)
    raw = nova.servers.get(server.id).to_dict()
    assert raw["OS-EXT-SRV-ATTR:host"] and raw["OS-EXT-SRV-ATTR:instance_name"].startswith(
        "instance-")
    assert raw["description"] == "web server" and raw["locked"] is False
    assert raw["locked_reason"] is None and raw["tags"] == []
    assert raw["flavor"]["original_name"] == "m1.nano"
    assert "pinned_availability_zone" in raw
    old = nova_client.Client("2.1", session=admin.session).servers.get(server.id).to_dict()
    assert old["flavor"]["id"] == TINY and "description" not in old and "locked" not in old
    assert "OS-EXT-SRV-ATTR:reservation_id" not in old


def test_networks_none_and_multi_create(admin, boot_image, make_server):
    answer = _boot(admin, "2.37", {"name": "multi", "imageRef": boot_image.id,
                                   "flavorRef": TINY, "networks": "none", "min_count": 2,
                                   "return_reservation_id": True})
    assert answer.status_code == 202
    reservation = answer.json()["reservation_id"]
    nova = nova_client.Client("2.37", session=admin.session)
    made = nova.servers.list(search_opts={"reservation_id": reservation})
    try:
        assert sorted(s.name for s in made) == ["multi-1", "multi-2"]
        for server in made:
            admin.compute.wait_for_server(admin.compute.get_server(server.id), wait=30,
                                          interval=0.3)
            assert admin.compute.get_server(server.id).addresses == {}
    finally:
        for server in made:
            admin.compute.delete_server(server.id)


def test_pagination_and_sorting(admin, make_server):
    made = [make_server(name=f"page-{i}", wait=False) for i in range(3)]
    first = list(admin.compute.servers(details=False, limit=2, paginated=False,
                                       name="^page-"))
    assert len(first) == 2
    everything = list(admin.compute.servers(details=False, name="^page-",
                                            sort_key="display_name", sort_dir="asc"))
    assert [s.name for s in everything] == ["page-0", "page-1", "page-2"]
    answer = admin.compute.get("/servers?marker=11111111-0000-4000-8000-000000000000")
    assert answer.status_code == 400
    assert {s.id for s in made} >= {s.id for s in everything}
