"""Trunks through openstacksdk and the CLI: parent and subports, VLAN ids, the conflicts
Neutron answers, trunk_details on the parent port, and another project's view."""

from __future__ import annotations

import pytest
from openstack import exceptions as sdk_exc

from tests.api.conftest import unique


@pytest.fixture
def world(admin):
    net = admin.network.create_network(name=unique("trunknet"))
    ports = [admin.network.create_port(network_id=net.id, name=unique("tp")) for _ in range(4)]
    yield net, ports
    for trunk in admin.network.trunks():
        if trunk.port_id in {p.id for p in ports}:
            admin.network.delete_trunk(trunk)
    for port in ports:
        admin.network.delete_port(port, ignore_missing=True)
    admin.network.delete_network(net)


def test_trunk_with_subports(admin, world):
    _net, (parent, sub1, sub2, _) = world
    trunk = admin.network.create_trunk(
        port_id=parent.id, name=unique("trunk"),
        sub_ports=[{"port_id": sub1.id, "segmentation_type": "vlan", "segmentation_id": 10}])
    assert trunk.status == "DOWN" and trunk.is_admin_state_up
    assert trunk.sub_ports == [{"port_id": sub1.id, "segmentation_type": "vlan",
                                "segmentation_id": 10}]
    admin.network.add_trunk_subports(trunk, [{"port_id": sub2.id, "segmentation_type": "vlan",
                                              "segmentation_id": 20}])
    subs = admin.network.get_trunk_subports(trunk)["sub_ports"]
    assert sorted(s["segmentation_id"] for s in subs) == [10, 20]
    details = admin.network.get_port(parent.id).trunk_details
    assert details["trunk_id"] == trunk.id and len(details["sub_ports"]) == 2
    assert admin.network.get_port(sub1.id).device_owner == "trunk:subport"
    admin.network.delete_trunk_subports(trunk, [{"port_id": sub1.id}])
    assert [s["port_id"] for s in admin.network.get_trunk(trunk.id).sub_ports] == [sub2.id]


def test_trunk_conflicts(admin, world):
    _net, (parent, sub1, sub2, spare) = world
    trunk = admin.network.create_trunk(port_id=parent.id, sub_ports=[
        {"port_id": sub1.id, "segmentation_type": "vlan", "segmentation_id": 10}])
    with pytest.raises(sdk_exc.ConflictException, match="in use by another trunk"):
        admin.network.create_trunk(port_id=parent.id)
    with pytest.raises(sdk_exc.ConflictException, match="segmentation_id 10"):
        admin.network.add_trunk_subports(trunk, [{"port_id": sub2.id,
                                                  "segmentation_type": "vlan",
                                                  "segmentation_id": 10}])
    with pytest.raises(sdk_exc.ConflictException, match="subport"):
        admin.network.create_trunk(port_id=sub1.id)
    with pytest.raises(sdk_exc.ConflictException, match="parent port"):
        admin.network.delete_port(parent.id, ignore_missing=False)
    with pytest.raises(sdk_exc.BadRequestException):
        admin.network.add_trunk_subports(trunk, [{"port_id": spare.id,
                                                  "segmentation_type": "vlan",
                                                  "segmentation_id": 5000}])
    assert len(admin.network.get_trunk(trunk.id).sub_ports) == 1


def test_cli_trunk(cli, world):
    _net, (parent, sub1, _s2, _) = world
    name = unique("clitrunk")
    made = cli("network", "trunk", "create", "--parent-port", parent.id, "--subport",
               f"port={sub1.id},segmentation-type=vlan,segmentation-id=42", name, "-f", "json")
    try:
        assert made["name"] == name
        listed = cli("network", "subport", "list", "--trunk", name, "-f", "json")
        assert [(s["Port"], s["Segmentation ID"]) for s in listed] == [(sub1.id, 42)]
    finally:
        cli("network", "trunk", "delete", name)


def test_another_project_cannot_see_or_use(admin, world, make_member):
    _net, (parent, *_rest) = world
    trunk = admin.network.create_trunk(port_id=parent.id)
    other = make_member()
    with pytest.raises(sdk_exc.ResourceNotFound):
        other.conn.network.get_trunk(trunk.id)
    assert trunk.id not in {t.id for t in other.conn.network.trunks()}
    with pytest.raises(sdk_exc.ResourceNotFound):
        other.conn.network.create_trunk(port_id=parent.id)
