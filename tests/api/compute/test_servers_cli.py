"""The openstack CLI's server commands against the fake driver."""

from __future__ import annotations

import pytest
from novaclient import client as nova_client

from tests.api.conftest import unique


@pytest.fixture
def flavors_api(admin):
    """The CLI finds flavors by name through /flavors (the compute-resources family)."""
    assert admin.compute.get("/flavors").status_code == 200, "API missing"


def test_cli_create_wait_list_stop_start_reboot(cli, boot_image, boot_network, admin,
                                                  flavors_api):
    name = unique("cli")
    made = cli("server", "create", "--image", boot_image.id, "--flavor", "m1.nano",
               "--network", boot_network.id, "--wait", "--property", "k=v", name,
               "-f", "json")
    try:
        assert made["status"] == "ACTIVE"
        listed = cli("server", "list", "--long", "--name", name, "-f", "json")
        assert [s["Name"] for s in listed] == [name]
        assert listed[0]["Power State"] in (1, "Running")
        server = admin.compute.find_server(name)
        cli("server", "stop", name)
        admin.compute.wait_for_server(server, status="SHUTOFF", wait=30, interval=0.3)
        assert cli("server", "show", name, "-f", "json")["status"] == "SHUTOFF"
        cli("server", "start", name)
        admin.compute.wait_for_server(server, wait=30, interval=0.3)
        cli("server", "reboot", "--wait", name)
        cli("server", "pause", name)
        admin.compute.wait_for_server(server, status="PAUSED", wait=30, interval=0.3)
        cli("server", "unpause", name)
        admin.compute.wait_for_server(server, wait=30, interval=0.3)
        cli("server", "lock", name)
        assert cli("server", "show", name, "-f", "json")["locked"] in (True, "True")
        cli("server", "unlock", name)
        log = cli("console", "log", "show", name)
        assert log.stdout.strip()
    finally:
        cli("server", "delete", "--wait", name)
    assert cli("server", "list", "--name", name, "-f", "json") == []


def test_cli_resize_confirm(cli, make_server, flavors_api):
    server = make_server(flavor_id="42")
    cli("server", "resize", "--flavor", "m1.micro", "--wait", server.id)
    cli("server", "resize", "confirm", server.id)
    shown = cli("server", "show", server.id, "-f", "json")
    assert shown["status"] in ("ACTIVE", "VERIFY_RESIZE")
    assert "m1.micro" in str(shown["flavor"])


def test_cli_image_create_uploads_a_snapshot(cli, make_server, admin):
    server = make_server()
    name = unique("snap")
    image = cli("server", "image", "create", "--name", name, "--wait", server.id,
                "-f", "json")
    try:
        record = admin.image.get_image(image["id"])
        assert record.status == "active" and record.size > 0
        assert record.properties.get("instance_uuid") == server.id \
            or getattr(record, "instance_uuid", None) == server.id
        assert admin.compute.get_server(server.id).task_state is None
    finally:
        admin.image.delete_image(image["id"], ignore_missing=True)


def test_backups_rotate(admin, make_server):
    server = make_server()
    nova = nova_client.Client("2.45", session=admin.session)
    ids = []
    for i in range(3):
        ids.append(nova.servers.backup(server.id, f"bk-{i}", "daily", 2)["image_id"])
        admin.image.wait_for_status(admin.image.get_image(ids[-1]), "active", wait=30,
                                    interval=0.3)
        admin.compute.wait_for_server(admin.compute.get_server(server.id), wait=30,
                                      interval=0.3)
    left = [i for i in ids if admin.image.find_image(i) is not None]
    try:
        assert left == ids[1:]
    finally:
        for image_id in ids:
            admin.image.delete_image(image_id, ignore_missing=True)
