"""Server actions on the fake driver: power, pause, suspend, reboot, lock, reset state,
console output, resize; each refused with 409 in a state Nova refuses it."""

from __future__ import annotations

import pytest
from openstack import exceptions


def wait_status(conn, server, status):
    return conn.compute.wait_for_server(server, status=status, wait=30, interval=0.3)


def test_stop_then_start(admin, make_server):
    server = make_server()
    admin.compute.stop_server(server)
    stopped = wait_status(admin, server, "SHUTOFF")
    assert stopped.power_state == 4 and stopped.vm_state == "stopped"
    with pytest.raises(exceptions.ConflictException, match="vm_state stopped"):
        admin.compute.stop_server(server)
    admin.compute.start_server(server)
    assert wait_status(admin, server, "ACTIVE").power_state == 1


def test_pause_suspend_and_reboot(admin, make_server):
    server = make_server()
    admin.compute.pause_server(server)
    assert wait_status(admin, server, "PAUSED").power_state == 3
    with pytest.raises(exceptions.ConflictException):
        admin.compute.suspend_server(server)
    admin.compute.unpause_server(server)
    wait_status(admin, server, "ACTIVE")
    admin.compute.suspend_server(server)
    wait_status(admin, server, "SUSPENDED")
    admin.compute.resume_server(server)
    wait_status(admin, server, "ACTIVE")
    admin.compute.reboot_server(server, "HARD")
    assert wait_status(admin, server, "ACTIVE").power_state == 1


def test_a_locked_server_refuses_its_member(admin, make_server, compute_user):
    user = compute_user()
    server = make_server(conn=user.conn, networks=[{"uuid": user.network.id}])
    user.conn.compute.lock_server(server)
    assert user.conn.compute.get_server(server.id).is_locked
    with pytest.raises(exceptions.ConflictException, match="locked"):
        user.conn.compute.stop_server(server)
    user.conn.compute.unlock_server(server)
    user.conn.compute.stop_server(server)
    wait_status(user.conn, server, "SHUTOFF")


def test_reset_state_is_for_admins(admin, make_server, compute_user):
    user = compute_user()
    server = make_server(conn=user.conn, networks=[{"uuid": user.network.id}])
    with pytest.raises(exceptions.ForbiddenException):
        user.conn.compute.reset_server_state(server, "error")
    admin.compute.reset_server_state(server, "error")
    assert admin.compute.get_server(server.id).status == "ERROR"


def test_console_output(admin, make_server):
    server = make_server()
    output = admin.compute.get_server_console_output(server)["output"]
    assert output


def test_resize_then_confirm_and_revert(admin, make_server):
    server = make_server(flavor_id="42")
    admin.compute.resize_server(server, "84")
    resized = wait_status(admin, server, "VERIFY_RESIZE")
    admin.compute.confirm_server_resize(resized)
    done = wait_status(admin, server, "ACTIVE")
    assert done.flavor["original_name"] == "m1.micro"
    admin.compute.resize_server(server, "1")
    wait_status(admin, server, "VERIFY_RESIZE")
    admin.compute.revert_server_resize(server)
    back = wait_status(admin, server, "ACTIVE")
    assert back.flavor["original_name"] == "m1.micro"


def test_unknown_action_is_a_bad_request(admin, make_server):
    server = make_server()
    answer = admin.compute.post(f"/servers/{server.id}/action", json={"os-fly": None})
    assert answer.status_code == 400
    assert "os-fly" in answer.json()["badRequest"]["message"]


def test_lock_reason_filter_and_admin_lock_override(admin, make_server, compute_user):
    from novaclient import client as nova_client
    from novaclient import exceptions as nova_exc

    user = compute_user()
    server = make_server(conn=user.conn, networks=[{"uuid": user.network.id}])
    nova_admin = nova_client.Client("2.73", session=admin.session)
    nova_user = nova_client.Client("2.73", session=user.conn.session)
    nova_admin.servers.lock(server.id, reason="maintenance")
    shown = nova_user.servers.get(server.id)
    assert shown.locked is True and shown.locked_reason == "maintenance"
    assert [s.id for s in nova_user.servers.list(search_opts={"locked": True})] == [server.id]
    assert nova_user.servers.list(search_opts={"locked": False}) == []
    with pytest.raises(nova_exc.Forbidden):
        nova_user.servers.unlock(server.id)      # an admin's lock
    nova_admin.servers.unlock(server.id)
    assert nova_user.servers.get(server.id).locked is False
    old = admin.compute.post(f"/servers/{server.id}/action",
                             json={"lock": {"locked_reason": "x"}}, microversion="2.72")
    assert old.status_code == 400
