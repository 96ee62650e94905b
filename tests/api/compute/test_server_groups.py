"""Server groups through openstacksdk, the openstack CLI and python-novaclient: policies per
version (a list before 2.64, policy and rules from 2.64), listing across projects for admins,
members kept by the public functions the servers engineer calls, quotas, bad input, RBAC."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.api.compute._resources_fixtures import fault, raw
from tests.api.conftest import unique


def _create(conn: Any, version: str, **group: Any) -> Any:
    group.setdefault("name", unique("cr-sg"))
    return raw(conn, "post", "/os-server-groups", version, json={"server_group": group})


def test_cli_creates_lists_shows_and_deletes(cli: Callable[..., Any]) -> None:
    name = unique("cr-sg-cli")
    made = cli("server", "group", "create", "--policy", "soft-anti-affinity", name,
               "-f", "json")
    try:
        assert made["name"] == name and "soft-anti-affinity" in str(made.get("policy")
                                                                   or made.get("policies"))
        assert name in [g["Name"] for g in cli("server", "group", "list", "-f", "json")]
        shown = cli("server", "group", "show", made["id"], "-f", "json")
        assert shown["id"] == made["id"] and shown["members"] in ("", [])
    finally:
        cli("server", "group", "delete", made["id"])
    assert cli("server", "group", "show", made["id"], check=False).returncode != 0


def test_policy_and_rules_from_2_64(admin: Any) -> None:
    made = _create(admin, "2.64", policy="anti-affinity", rules={"max_server_per_host": 2})
    assert made.status_code == 200
    group = made.json()["server_group"]
    assert group["policy"] == "anti-affinity" and group["rules"] == {"max_server_per_host": 2}
    assert "policies" not in group and "metadata" not in group
    old = raw(admin, "get", f"/os-server-groups/{group['id']}", "2.1").json()["server_group"]
    assert old["policies"] == ["anti-affinity"] and old["metadata"] == {}
    assert "project_id" not in old
    v213 = raw(admin, "get", f"/os-server-groups/{group['id']}", "2.13").json()
    assert v213["server_group"]["project_id"] == admin.current_project_id
    sdk = admin.compute.get_server_group(group["id"])
    assert sdk.policy == "anti-affinity" and sdk.rules == {"max_server_per_host": 2}
    admin.compute.delete_server_group(group["id"])
    assert fault(raw(admin, "get", f"/os-server-groups/{group['id']}"), 404)


@pytest.mark.parametrize("version, group, words", [
    ("2.1", {"policies": ["soft-affinity"]}, "policies"),
    ("2.1", {"policies": ["affinity", "anti-affinity"]}, "policies"),
    ("2.1", {"policies": []}, "policies"),
    ("2.15", {"policy": "affinity"}, "policy"),
    ("2.64", {"policies": ["affinity"]}, "polic"),
    ("2.64", {"policy": "affinity", "rules": {"max_server_per_host": 2}}, "anti-affinity"),
    ("2.64", {"policy": "anti-affinity", "rules": {"max_server_per_host": 0}}, "max_server"),
    ("2.64", {"policy": "anti-affinity", "rules": {"other": 1}}, "other"),
    ("2.64", {"policy": "anti-affinity", "name": "x" * 65536}, "name"),
])
def test_bad_groups_are_refused(member: Any, version: str, group: dict[str, Any],
                                words: str) -> None:
    assert words in fault(_create(member.conn, version, **group), 400)
    assert list(member.conn.compute.server_groups()) == []


def test_projects_see_their_own_groups_and_admins_all(admin: Any, member: Any,
                                                      make_member: Any) -> None:
    other = make_member()
    mine = _create(member.conn, "2.15", policies=["soft-affinity"]).json()["server_group"]
    theirs = _create(other.conn, "2.64", policy="affinity").json()["server_group"]
    assert [g.id for g in member.conn.compute.server_groups()] == [mine["id"]]
    assert fault(raw(member.conn, "get", f"/os-server-groups/{theirs['id']}"), 404)
    assert fault(raw(member.conn, "delete", f"/os-server-groups/{theirs['id']}"), 404)
    everyone = raw(admin, "get", "/os-server-groups?all_projects=True").json()
    ids = [g["id"] for g in everyone["server_groups"]]
    assert mine["id"] in ids and theirs["id"] in ids
    # A member's all_projects is ignored, as Nova ignores it.
    mine_only = raw(member.conn, "get", "/os-server-groups?all_projects=True").json()
    assert [g["id"] for g in mine_only["server_groups"]] == [mine["id"]]
    paged = raw(admin, "get", "/os-server-groups?all_projects=True&limit=1&offset=1").json()
    assert len(paged["server_groups"]) == 1 and paged["server_groups"][0]["id"] == ids[1]
    assert fault(raw(admin, "get", "/os-server-groups?limit=-1"), 400)
    assert raw(admin, "get", f"/os-server-groups/{theirs['id']}").status_code == 200


def test_readers_list_but_do_not_create(make_member: Any) -> None:
    reader = make_member("reader")
    assert list(reader.conn.compute.server_groups()) == []
    assert fault(_create(reader.conn, "2.64", policy="affinity"), 403)


def test_members_kept_for_the_servers_engineer(member: Any, compute_store: Any) -> None:
    group = _create(member.conn, "2.64", policy="anti-affinity").json()["server_group"]
    groups = compute_store.server_groups
    servers = [str(uuid.uuid4()) for _ in range(2)]
    for server in servers:
        groups.add_member(group["id"], server)
    groups.add_member(group["id"], servers[0])  # twice is once
    shown = raw(member.conn, "get", f"/os-server-groups/{group['id']}", "2.64").json()
    assert shown["server_group"]["members"] == servers
    assert groups.group_of(servers[1])["id"] == group["id"]
    assert groups.get(group["id"])["policy"] == "anti-affinity"
    groups.remove_member(servers[0])
    assert groups.group_of(servers[0]) is None
    assert groups.get(group["id"])["members"] == [servers[1]]


def test_quotas_on_groups_and_members(admin: Any, member: Any, compute_store: Any) -> None:
    raw(admin, "put", f"/os-quota-sets/{member.project.id}",
        json={"quota_set": {"server_groups": 1, "server_group_members": 1}})
    try:
        group = _create(member.conn, "2.64", policy="affinity").json()["server_group"]
        over = _create(member.conn, "2.64", policy="affinity")
        assert fault(over, 403) == "Quota exceeded, too many server groups."
        compute_store.server_groups.add_member(group["id"], str(uuid.uuid4()))
        from nimbus.services.compute.errors import LimitExceeded
        with pytest.raises(LimitExceeded):
            compute_store.server_groups.add_member(group["id"], str(uuid.uuid4()))
        limits = member.conn.compute.get_limits().absolute
        assert limits.server_groups == 1 and limits.server_groups_used == 1
    finally:
        raw(admin, "delete", f"/os-quota-sets/{member.project.id}")


def test_novaclient(nova: Any) -> None:
    group = nova.server_groups.create(name=unique("cr-sg-nova"), policies=["affinity"])
    try:
        assert group.policies == ["affinity"]
        assert group.id in [g.id for g in nova.server_groups.list()]
    finally:
        nova.server_groups.delete(group.id)
