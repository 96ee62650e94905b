"""Servers hold their resources in Placement: a boot's allocation on the host's provider,
a resize's new flavor, nothing left after a delete (needs the placement service)."""

from __future__ import annotations

import pytest

pytest.importorskip("nimbus.services.placement", reason="the placement service is merged "
                    "separately (branch placement)")


def allocations_of(admin, server_id):
    answer = admin.session.get(f"/allocations/{server_id}",
                               endpoint_filter={"service_type": "placement"},
                               headers={"OpenStack-API-Version": "placement 1.28"})
    assert answer.status_code == 200
    return answer.json()["allocations"]


def test_a_server_is_a_placement_consumer(admin, make_server):
    server = make_server(flavor_id="42")
    held = allocations_of(admin, server.id)
    assert len(held) == 1
    (provider,) = held.values()
    assert provider["resources"] == {"VCPU": 1, "MEMORY_MB": 128, "DISK_GB": 1}
    admin.compute.resize_server(server, "84")
    admin.compute.wait_for_server(server, status="VERIFY_RESIZE", wait=30, interval=0.3)
    admin.compute.confirm_server_resize(server)
    admin.compute.wait_for_server(server, wait=30, interval=0.3)
    (provider,) = allocations_of(admin, server.id).values()
    assert provider["resources"]["MEMORY_MB"] == 192
    admin.compute.delete_server(server)
    admin.compute.wait_for_delete(server, wait=30, interval=0.3)
    assert allocations_of(admin, server.id) == {}
