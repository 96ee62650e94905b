"""Absolute limits through openstacksdk, the openstack CLI and python-novaclient: the fields
of each version, usage from the families' own counts, another project's limits for admins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.api.compute._resources_fixtures import fault, raw
from tests.api.conftest import unique


def _absolute(conn: Any, version: str, query: str = "") -> dict[str, Any]:
    answer = raw(conn, "get", f"/limits{query}", version).json()["limits"]
    assert answer["rate"] == []
    return dict(answer["absolute"])


def test_fields_per_version(member: Any) -> None:
    v21 = _absolute(member.conn, "2.1")
    assert v21["maxTotalCores"] == 20 and v21["maxTotalInstances"] == 10
    assert v21["maxTotalRAMSize"] == 51200 and v21["maxServerMeta"] == 128
    assert v21["maxPersonality"] == 5 and v21["maxSecurityGroups"] == -1
    assert v21["maxImageMeta"] == 128 and v21["totalCoresUsed"] == 0
    v236 = _absolute(member.conn, "2.36")
    assert "maxSecurityGroups" not in v236 and "totalFloatingIpsUsed" not in v236
    assert "maxImageMeta" in v236
    assert "maxImageMeta" not in _absolute(member.conn, "2.39")
    v257 = _absolute(member.conn, "2.57")
    assert set(v257) == {"maxServerMeta", "maxTotalCores", "maxTotalInstances",
                         "maxTotalKeypairs", "maxTotalRAMSize", "maxServerGroups",
                         "maxServerGroupMembers", "totalCoresUsed", "totalInstancesUsed",
                         "totalRAMUsed", "totalServerGroupsUsed"}


def test_usage_counts_and_clients(member: Any, cli: Callable[..., Any], nova: Any,
                                  admin: Any) -> None:
    raw(member.conn, "post", "/os-server-groups", "2.64",
        json={"server_group": {"name": unique("cr-lim"), "policy": "affinity"}})
    assert _absolute(member.conn, "2.57")["totalServerGroupsUsed"] == 1
    sdk = member.conn.compute.get_limits().absolute
    assert sdk.server_groups_used == 1 and sdk.instances == 10
    rows = cli("limits", "show", "--absolute", "-f", "json")
    names = {r["Name"]: r["Value"] for r in rows}
    assert names["total_cores"] == 20  # the CLI runs as the admin, in its own project
    by_nova = {lim.name: lim.value for lim in nova.limits.get().absolute}
    assert by_nova["maxTotalInstances"] == 10


def test_another_projects_limits_are_for_admins(admin: Any, member: Any,
                                                make_member: Any) -> None:
    raw(admin, "put", f"/os-quota-sets/{member.project.id}",
        json={"quota_set": {"cores": 3}})
    try:
        theirs = _absolute(admin, "2.1", f"?tenant_id={member.project.id}")
        assert theirs["maxTotalCores"] == 3
        other = make_member()
        refused = raw(other.conn, "get", f"/limits?tenant_id={member.project.id}")
        assert fault(refused, 403)
        assert fault(raw(member.conn, "get", "/limits?colour=1", "2.75"), 400)
    finally:
        raw(admin, "delete", f"/os-quota-sets/{member.project.id}")
