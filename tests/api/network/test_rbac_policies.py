"""RBAC policies through openstacksdk, the CLI and python-neutronclient: sharing a network
with one project or all, external access, subnet pools and address scopes; duplicates,
owner-only grants, the wildcard reserved to admins, and the flags that follow the rows."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import unique
from tests.api.network._subnets_fixtures import fault, neutron


def rbac_body(**kw: Any) -> dict[str, Any]:
    kw.setdefault("action", "access_as_shared")
    kw.setdefault("object_type", "network")
    return {"rbac_policy": kw}


def test_share_network_with_one_project(admin: Any, make_member: Any,
                                        make_network: Any) -> None:
    alice, bob, carol = make_member(), make_member(), make_member()
    net = make_network(alice.conn)
    sub = alice.conn.network.create_subnet(network_id=net.id, ip_version=4,
                                           cidr="10.120.0.0/24")
    assert fault(bob.conn, "GET", f"/networks/{net.id}")[0] == 404
    policy = alice.conn.network.create_rbac_policy(
        object_type="network", object_id=net.id, action="access_as_shared",
        target_project_id=bob.project.id)
    assert policy.target_project_id == bob.project.id and policy.project_id == alice.project.id
    assert bob.conn.network.get_network(net.id).id == net.id
    assert bob.conn.network.get_subnet(sub.id).cidr == "10.120.0.0/24"
    assert fault(carol.conn, "GET", f"/networks/{net.id}")[0] == 404
    # Only the wildcard makes the network "shared".
    assert admin.network.get_network(net.id).is_shared is False
    # Bob sees the network but not alice's policy.
    assert fault(bob.conn, "GET", f"/rbac-policies/{policy.id}")[0] == 404
    status, doc = neutron(alice.conn, "GET", f"/rbac-policies/{policy.id}")
    assert status == 200 and doc["rbac_policy"]["target_tenant"] == bob.project.id
    got = fault(alice.conn, "POST", "/rbac-policies",
                rbac_body(object_id=net.id, target_tenant=bob.project.id))
    assert got[:2] == (409, "DuplicateRbacPolicy")
    updated = alice.conn.network.update_rbac_policy(policy, target_project_id=carol.project.id)
    assert updated.target_project_id == carol.project.id
    assert carol.conn.network.get_network(net.id).id == net.id
    assert fault(bob.conn, "GET", f"/networks/{net.id}")[0] == 404
    alice.conn.network.delete_rbac_policy(policy)
    assert fault(carol.conn, "GET", f"/networks/{net.id}")[0] == 404


def test_wildcard_is_for_admins_and_drives_shared(admin: Any, make_member: Any,
                                                  make_network: Any) -> None:
    alice, bob = make_member(), make_member()
    net = make_network(alice.conn)
    got = fault(alice.conn, "POST", "/rbac-policies",
                rbac_body(object_id=net.id, target_tenant="*"))
    assert got[0] == 403
    policy = admin.network.create_rbac_policy(object_type="network", object_id=net.id,
                                              action="access_as_shared",
                                              target_project_id="*")
    assert admin.network.get_network(net.id).is_shared is True
    assert bob.conn.network.get_network(net.id).is_shared is True
    admin.network.delete_rbac_policy(policy)
    assert admin.network.get_network(net.id).is_shared is False
    # The network's shared flag writes the same wildcard row.
    admin.network.update_network(net, is_shared=True)
    wild = [p for p in admin.network.rbac_policies(object_id=net.id)
            if p.target_project_id == "*"]
    assert len(wild) == 1 and wild[0].action == "access_as_shared"


def test_only_owner_or_admin_grants(admin: Any, make_member: Any, make_network: Any) -> None:
    alice, bob = make_member(), make_member()
    shared = make_network(shared=True)
    got = fault(bob.conn, "POST", "/rbac-policies",
                rbac_body(object_id=shared.id, target_tenant=alice.project.id))
    assert got[0] == 400 and "Only admins can manipulate policies" in got[2]
    private = make_network(alice.conn)
    got = fault(bob.conn, "POST", "/rbac-policies",
                rbac_body(object_id=private.id, target_tenant=bob.project.id))
    assert got[:2] == (404, "NetworkNotFound")
    assert list(admin.network.rbac_policies(object_id=private.id)) == []


def test_external_access(admin: Any, make_member: Any, make_network: Any) -> None:
    bob = make_member()
    net = make_network()
    policy = admin.network.create_rbac_policy(object_type="network", object_id=net.id,
                                              action="access_as_external",
                                              target_project_id=bob.project.id)
    assert admin.network.get_network(net.id).is_router_external is True
    assert bob.conn.network.get_network(net.id).id == net.id
    admin.network.delete_rbac_policy(policy)
    assert admin.network.get_network(net.id).is_router_external is False
    assert fault(bob.conn, "GET", f"/networks/{net.id}")[0] == 404


@pytest.mark.parametrize("body, status, kind", [
    ({"object_type": "router"}, 400, "InvalidInput"),
    ({"action": "access_as_owner"}, 400, "InvalidInput"),
    ({"target_tenant": "not a project"}, 400, "InvalidInput"),
    ({"object_id": "nope"}, 400, "InvalidInput"),
    ({"bogus": 1}, 400, "BadRequest"),
    ({"object_type": "subnetpool", "action": "access_as_external"}, 400, "InvalidInput"),
])
def test_bad_policies(admin: Any, make_network: Any, body: dict[str, Any], status: int,
                      kind: str) -> None:
    net = make_network()
    base = {"object_id": net.id, "target_tenant": "5a1e7f4c2f9b4d3e9b1a0c2d3e4f5a6b"}
    got = fault(admin, "POST", "/rbac-policies", rbac_body(**{**base, **body}))
    assert got[:2] == (status, kind), got
    assert list(admin.network.rbac_policies(object_id=net.id)) == []


def test_missing_policy(admin: Any) -> None:
    got = fault(admin, "GET", "/rbac-policies/5a1e7f4c-2f9b-4d3e-9b1a-0c2d3e4f5a6b")
    assert got[:2] == (404, "RbacPolicyNotFound")


def test_subnetpool_and_address_scope(admin: Any, make_member: Any, cleanup: Any,
                                      make_network: Any) -> None:
    alice, bob = make_member(), make_member()
    scope = alice.conn.network.create_address_scope(name=unique("s"), ip_version=4)
    cleanup(lambda: admin.network.delete_address_scope(scope.id))
    pool = alice.conn.network.create_subnet_pool(name=unique("p"), prefixes=["10.121.0.0/16"],
                                                 default_prefix_length=24)
    cleanup(lambda: admin.network.delete_subnet_pool(pool.id))
    assert fault(bob.conn, "GET", f"/subnetpools/{pool.id}")[0] == 404
    for object_type, object_id in (("subnetpool", pool.id), ("address_scope", scope.id)):
        alice.conn.network.create_rbac_policy(object_type=object_type, object_id=object_id,
                                              action="access_as_shared",
                                              target_project_id=bob.project.id)
    assert bob.conn.network.get_subnet_pool(pool.id).id == pool.id
    assert bob.conn.network.get_address_scope(scope.id).id == scope.id
    net = make_network(bob.conn)
    sub = bob.conn.network.create_subnet(network_id=net.id, ip_version=4,
                                         subnetpool_id=pool.id)
    cleanup(lambda: admin.network.delete_subnet(sub.id))
    # Bob's subnet depends on the grant: it cannot be taken away.
    grant = next(p for p in admin.network.rbac_policies(object_id=pool.id))
    got = fault(alice.conn, "DELETE", f"/rbac-policies/{grant.id}")
    assert got[:2] == (409, "RbacPolicyInUse")
    admin.network.delete_subnet(sub)
    alice.conn.network.delete_rbac_policy(grant)
    assert fault(bob.conn, "GET", f"/subnetpools/{pool.id}")[0] == 404


def test_cli(cli: Any, admin: Any, make_member: Any, make_network: Any) -> None:
    bob = make_member()
    net = make_network()
    made = cli("network", "rbac", "create", "--type", "network", "--action",
               "access_as_shared", "--target-project", bob.project.id, net.id, "-f", "json")
    assert made["object_id"] == net.id
    listed = cli("network", "rbac", "list", "-f", "json")
    assert made["id"] in {p["ID"] for p in listed}
    shown = cli("network", "rbac", "show", made["id"], "-f", "json")
    assert shown["target_project_id"] == bob.project.id
    cli("network", "rbac", "delete", made["id"])
    assert admin.network.find_rbac_policy(made["id"]) is None


def test_neutronclient(admin: Any, make_member: Any, make_network: Any) -> None:
    from neutronclient.common import exceptions as nexc
    from neutronclient.v2_0 import client

    bob = make_member()
    net = make_network()
    nc = client.Client(session=admin.session, region_name="RegionOne")
    made = nc.create_rbac_policy({"rbac_policy": {
        "object_type": "network", "object_id": net.id, "action": "access_as_shared",
        "target_tenant": bob.project.id}})["rbac_policy"]
    assert nc.show_rbac_policy(made["id"])["rbac_policy"]["object_id"] == net.id
    with pytest.raises(nexc.Conflict):
        nc.create_rbac_policy({"rbac_policy": {
            "object_type": "network", "object_id": net.id, "action": "access_as_shared",
            "target_tenant": bob.project.id}})
    nc.delete_rbac_policy(made["id"])
