"""Nova's deprecated Networking proxies (os-networks, os-security-groups,
os-floating-ip-pools) through python-novaclient and openstacksdk: read only, as the caller
sees Networking, and gone at 2.36."""

from __future__ import annotations

from typing import Any

from tests.api.compute._resources_fixtures import fault, raw
from tests.api.conftest import unique


def test_networks(admin: Any, member: Any) -> None:
    net = member.conn.network.create_network(name=unique("cr-proxy"))
    try:
        listed = raw(member.conn, "get", "/os-networks").json()["networks"]
        mine = [n for n in listed if n["id"] == net.id]
        assert mine and mine[0]["label"] == net.name and mine[0]["cidr"] is None
        assert "project_id" not in mine[0]  # an admin's field
        shown = raw(admin, "get", f"/os-networks/{net.id}").json()["network"]
        assert shown["label"] == net.name and shown["project_id"] == member.project.id
        assert fault(raw(member.conn, "get", "/os-networks/no-such-net"), 404)
        assert fault(raw(member.conn, "get", "/os-networks", "2.36"), 404)
        tenant = raw(member.conn, "get", "/os-tenant-networks").json()["networks"]
        assert {"id": net.id, "cidr": "None", "label": net.name} in tenant
        one = raw(member.conn, "get", f"/os-tenant-networks/{net.id}").json()["network"]
        assert one["label"] == net.name
        assert fault(raw(member.conn, "get", "/os-tenant-networks/nope"), 404)
    finally:
        member.conn.network.delete_network(net)


def test_floating_ip_pools(admin: Any) -> None:
    internal = admin.network.create_network(name=unique("cr-internal"))
    try:
        pools = raw(admin, "get", "/os-floating-ip-pools").json()["floating_ip_pools"]
        externals = [n.name for n in admin.network.networks(is_router_external=True)]
        assert sorted(p["name"] for p in pools) == sorted(externals)
        assert internal.name not in [p["name"] for p in pools]
    finally:
        admin.network.delete_network(internal)
    assert fault(raw(admin, "get", "/os-floating-ip-pools", "2.36"), 404)


def test_security_groups(member: Any) -> None:
    group = member.conn.network.create_security_group(name=unique("cr-sg"))
    member.conn.network.create_security_group_rule(
        security_group_id=group.id, direction="ingress", protocol="tcp",
        port_range_min=22, port_range_max=22, remote_ip_prefix="10.0.0.0/8")
    listed = raw(member.conn, "get", "/os-security-groups").json()["security_groups"]
    mine = [g for g in listed if g["id"] == group.id]
    assert mine and mine[0]["tenant_id"] == member.project.id
    assert mine[0]["rules"] == [{"id": mine[0]["rules"][0]["id"], "parent_group_id": group.id,
                                 "ip_protocol": "tcp", "from_port": 22, "to_port": 22,
                                 "ip_range": {"cidr": "10.0.0.0/8"}, "group": {}}]
    shown = raw(member.conn, "get", f"/os-security-groups/{group.id}").json()
    assert shown["security_group"]["name"] == group.name
    assert fault(raw(member.conn, "get", "/os-security-groups", "2.36"), 404)
    member.conn.network.delete_security_group(group)
