"""Networks through openstacksdk, the openstack CLI and python-neutronclient: attributes,
provider segments, sharing and external access, filters, sorting and paging, tags,
revisions, Neutron's faults, and what another project sees."""

from __future__ import annotations

import pytest
from keystoneauth1 import session as ks_session
from neutronclient.common import exceptions as nc_exc
from neutronclient.v2_0 import client as neutron_client
from openstack import exceptions as sdk_exc

from tests.api.conftest import unique


def test_create_show_update_delete(admin, make_network):
    net = make_network(description="first", mtu=1400)
    assert net.status == "ACTIVE" and net.is_admin_state_up is True
    assert net.mtu == 1400 and net.description == "first"
    assert net.provider_network_type == "vxlan" and net.provider_segmentation_id >= 1
    assert net.is_port_security_enabled is True and net.subnet_ids == []
    assert net.revision_number == 0 and net.created_at.endswith("Z")
    updated = admin.network.update_network(net, name="renamed", is_admin_state_up=False)
    assert updated.name == "renamed" and updated.is_admin_state_up is False
    assert updated.revision_number == 1
    admin.network.delete_network(net)
    with pytest.raises(sdk_exc.ResourceNotFound):
        admin.network.get_network(net.id)


def test_provider_networks_allocate_distinct_segments(admin, make_network):
    a = make_network(provider_network_type="vxlan")
    b = make_network(provider_network_type="vxlan")
    assert a.provider_segmentation_id != b.provider_segmentation_id
    vlan = make_network(provider_network_type="vlan", provider_physical_network="physnet1",
                        provider_segmentation_id=100)
    assert (vlan.mtu, vlan.provider_segmentation_id) == (1500, 100)
    with pytest.raises(sdk_exc.ConflictException):
        make_network(provider_network_type="vlan", provider_physical_network="physnet1",
                     provider_segmentation_id=100)
    with pytest.raises(sdk_exc.BadRequestException):
        make_network(provider_network_type="vlan", provider_physical_network="nope")
    with pytest.raises(sdk_exc.BadRequestException, match="MTU is too big"):
        make_network(mtu=9000)


def test_filters_sorting_and_paging(admin, make_network):
    tag = unique("t")
    nets = [make_network(name=f"{tag}-{i}") for i in range(5)]
    for net in nets:
        admin.network.set_tags(net, [tag])
    found = list(admin.network.networks(tags=tag, sort_key="name", sort_dir="desc"))
    assert [n.name for n in found] == [f"{tag}-{i}" for i in reversed(range(5))]
    paged = list(admin.network.networks(tags=tag, sort_key="name", limit=2, paginated=True))
    assert [n.name for n in paged] == [f"{tag}-{i}" for i in range(5)]
    assert [n.name for n in admin.network.networks(name=f"{tag}-3")] == [f"{tag}-3"]


def test_cli_network_lifecycle(cli):
    name = unique("clinet")
    made = cli("network", "create", name, "--description", "d", "--tag", "x", "-f", "json")
    try:
        assert made["name"] == name and made["tags"] == ["x"]
        cli("network", "set", "--name", name + "-b", "--disable", made["id"])
        shown = cli("network", "show", made["id"], "-f", "json")
        assert shown["name"] == name + "-b" and shown["admin_state_up"] is False
        listed = cli("network", "list", "--tags", "x", "-f", "json")
        assert made["id"] in [n["ID"] for n in listed]
    finally:
        cli("network", "delete", made["id"])


def test_neutronclient_reads_and_faults(cloud, admin, make_network):
    net = make_network()
    sess = ks_session.Session(auth=admin.session.auth)
    client = neutron_client.Client(session=sess, region_name="RegionOne")
    assert client.show_network(net.id)["network"]["id"] == net.id
    assert net.id in [n["id"] for n in client.list_networks(id=net.id)["networks"]]
    with pytest.raises(nc_exc.NetworkNotFoundClient):
        client.show_network("00000000-0000-0000-0000-000000000000")


def test_bad_input_gives_neutron_errors_and_writes_nothing(admin):
    before = len(list(admin.network.networks()))
    for body in ({"network": {"name": "x" * 65536}}, {"network": {"bogus": 1}},
                 {"network": {"admin_state_up": "maybe"}}, {"network": {"mtu": "big"}},
                 {"network": {"id": "abc"}}, {"nets": {}}):
        answer = admin.network.post("/networks", json=body)
        assert answer.status_code == 400, body
        fault = answer.json()["NeutronError"]
        assert set(fault) == {"type", "message", "detail"}
    assert len(list(admin.network.networks())) == before


def test_revision_if_match(admin, make_network):
    net = make_network()
    stale = admin.network.put(f"/networks/{net.id}", json={"network": {"name": "x"}},
                              headers={"If-Match": "revision_number=7"})
    assert stale.status_code == 412
    assert stale.json()["NeutronError"]["type"] == "RevisionNumberConstraintFailed"
    fresh = admin.network.put(f"/networks/{net.id}", json={"network": {"name": "x"}},
                              headers={"If-Match": "revision_number=0"})
    assert fresh.status_code == 200


def test_another_project_sees_only_shared_and_external(admin, make_network, make_member):
    private = make_network()
    shared = make_network(is_shared=True)
    external = make_network(is_router_external=True)
    other = make_member()
    seen = {n.id for n in other.conn.network.networks()}
    assert shared.id in seen and external.id in seen and private.id not in seen
    with pytest.raises(sdk_exc.ResourceNotFound):
        other.conn.network.get_network(private.id)
    with pytest.raises(sdk_exc.ResourceNotFound):
        other.conn.network.delete_network(private.id, ignore_missing=False)
    with pytest.raises(sdk_exc.ForbiddenException):
        other.conn.network.update_network(shared.id, name="mine")
    own = other.conn.network.create_network(name=unique("own"))
    try:
        assert own.project_id == other.project.id
        assert own.provider_network_type is None     # provider attributes are admin-only
        with pytest.raises(sdk_exc.ForbiddenException):
            other.conn.network.create_network(provider_network_type="vxlan")
        with pytest.raises(sdk_exc.ForbiddenException):
            other.conn.network.create_network(is_shared=True)
    finally:
        other.conn.network.delete_network(own)
