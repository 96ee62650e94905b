"""Host aggregates through openstacksdk, the openstack CLI and python-novaclient: CRUD,
hosts, metadata, availability zones and Nova's rule that a host is in one zone, uuid from
2.41, bad input and RBAC."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.api.compute._resources_fixtures import fault, raw
from tests.api.conftest import unique


@pytest.fixture
def make_aggregate(admin: Any) -> Iterator[Callable[..., dict[str, Any]]]:
    made: list[int] = []

    def make(zone: str | None = None, version: str = "2.41") -> dict[str, Any]:
        body: dict[str, Any] = {"name": unique("cr-agg")}
        if zone:
            body["availability_zone"] = zone
        answer = raw(admin, "post", "/os-aggregates", version, json={"aggregate": body})
        assert answer.status_code == 200, answer.text
        aggregate = dict(answer.json()["aggregate"])
        made.append(aggregate["id"])
        return aggregate

    yield make
    for aggregate_id in made:
        current = raw(admin, "get", f"/os-aggregates/{aggregate_id}")
        if current.status_code != 200:
            continue
        for host in current.json()["aggregate"]["hosts"]:
            raw(admin, "post", f"/os-aggregates/{aggregate_id}/action",
                json={"remove_host": {"host": host}})
        raw(admin, "delete", f"/os-aggregates/{aggregate_id}")


def _action(conn: Any, aggregate_id: int, body: dict[str, Any]) -> Any:
    return raw(conn, "post", f"/os-aggregates/{aggregate_id}/action", "2.41", json=body)


def test_cli_lifecycle(cli: Callable[..., Any], make_host: Callable[..., str]) -> None:
    host = make_host()
    name = unique("cr-agg-cli")
    made = cli("aggregate", "create", "--zone", name + "-az", "--property", "ssd=true",
               name, "-f", "json")
    try:
        assert made["availability_zone"] == name + "-az"
        cli("aggregate", "add", "host", name, host)
        shown = cli("aggregate", "show", name, "-f", "json")
        assert shown["hosts"] == [host]
        assert shown["properties"] == {"ssd": "true"}
        cli("aggregate", "set", "--property", "gpu=1", "--name", name + "-2", name)
        shown = cli("aggregate", "show", name + "-2", "-f", "json")
        assert shown["properties"] == {"ssd": "true", "gpu": "1"}
        cli("aggregate", "unset", "--property", "ssd", name + "-2")
        assert cli("aggregate", "show", name + "-2", "-f", "json")["properties"] == \
            {"gpu": "1"}
        assert name + "-2" in [a["Name"] for a in cli("aggregate", "list", "-f", "json")]
        cli("aggregate", "remove", "host", name + "-2", host)
    finally:
        cli("aggregate", "delete", name + "-2", check=False)
        cli("aggregate", "delete", name, check=False)


def test_shapes_per_version(admin: Any, make_aggregate: Callable[..., dict[str, Any]]
                            ) -> None:
    old = make_aggregate(version="2.1")
    assert "uuid" not in old and "hosts" not in old and "metadata" not in old
    new = make_aggregate(zone=unique("cr-az"))
    assert len(new["uuid"]) == 36 and new["deleted"] is False
    shown = raw(admin, "get", f"/os-aggregates/{new['id']}", "2.41").json()["aggregate"]
    assert shown["metadata"] == {"availability_zone": new["availability_zone"]}
    assert shown["hosts"] == []
    sdk = admin.compute.get_aggregate(new["id"])
    assert sdk.availability_zone == new["availability_zone"] and sdk.uuid == new["uuid"]


def test_hosts_and_zones(admin: Any, make_host: Callable[..., str],
                         make_aggregate: Callable[..., dict[str, Any]]) -> None:
    host = make_host()
    zone_a, zone_b = unique("cr-az-a"), unique("cr-az-b")
    agg_a, agg_b, plain = make_aggregate(zone_a), make_aggregate(zone_b), make_aggregate()
    added = _action(admin, agg_a["id"], {"add_host": {"host": host}}).json()["aggregate"]
    assert added["hosts"] == [host]
    twice = _action(admin, agg_a["id"], {"add_host": {"host": host}})
    assert "already has host" in fault(twice, 409)
    other_zone = _action(admin, agg_b["id"], {"add_host": {"host": host}})
    assert "availability zone" in fault(other_zone, 409)
    assert _action(admin, plain["id"], {"add_host": {"host": host}}).status_code == 200
    moved = _action(admin, plain["id"], {"set_metadata": {"metadata":
                                                          {"availability_zone": zone_b}}})
    assert "availability zone" in fault(moved, 400)
    services = raw(admin, "get", f"/os-services?host={host}").json()["services"]
    assert services[0]["zone"] == zone_a
    zones = raw(admin, "get", "/os-availability-zone").json()["availabilityZoneInfo"]
    assert zone_a in [z["zoneName"] for z in zones]
    assert zone_b not in [z["zoneName"] for z in zones]  # no hosts, no zone
    busy = raw(admin, "delete", f"/os-aggregates/{agg_a['id']}")
    assert "not empty" in fault(busy, 400)
    unknown = _action(admin, agg_a["id"], {"add_host": {"host": "no-such-host"}})
    assert fault(unknown, 404)
    absent = _action(admin, agg_b["id"], {"remove_host": {"host": host}})
    assert "has no host" in fault(absent, 404)


def test_metadata_null_removes_a_key(admin: Any,
                                     make_aggregate: Callable[..., dict[str, Any]]) -> None:
    agg = make_aggregate()
    _action(admin, agg["id"], {"set_metadata": {"metadata": {"a": "1", "b": "2"}}})
    done = _action(admin, agg["id"], {"set_metadata": {"metadata": {"a": None}}})
    assert done.json()["aggregate"]["metadata"] == {"b": "2"}


@pytest.mark.parametrize("body, status", [
    ({"aggregate": {"name": "x" * 65536}}, 400),
    ({"aggregate": {"name": "ok", "availability_zone": "a:b"}}, 400),
    ({"aggregate": {"name": "ok", "colour": "red"}}, 400),
    ({"aggregate": {}}, 400),
    ({"aggregate": {"name": "ok", "availability_zone": "internal"}}, 400),
])
def test_bad_aggregates_are_refused(admin: Any, body: dict[str, Any], status: int) -> None:
    fault(raw(admin, "post", "/os-aggregates", json=body), status)
    assert "ok" not in [a["name"] for a in raw(admin, "get", "/os-aggregates").json()
                        ["aggregates"]]


def test_duplicates_bad_actions_and_rbac(admin: Any, member: Any,
                                         make_aggregate: Callable[..., dict[str, Any]],
                                         nova: Any) -> None:
    agg = make_aggregate()
    same = raw(admin, "post", "/os-aggregates", json={"aggregate": {"name": agg["name"]}})
    assert "already exists" in fault(same, 409)
    assert fault(_action(admin, agg["id"], {"explode": {}}), 400)
    assert fault(_action(admin, agg["id"], {"set_metadata": {"metadata": {"k": 1}}}), 400)
    assert fault(raw(admin, "get", "/os-aggregates/999999"), 404)
    assert fault(raw(member.conn, "get", "/os-aggregates"), 403)
    assert fault(raw(member.conn, "post", "/os-aggregates",
                     json={"aggregate": {"name": unique("cr-no")}}), 403)
    assert fault(_action(member.conn, agg["id"], {"set_metadata": {"metadata": {}}}), 403)
    assert agg["name"] in [a.name for a in nova.aggregates.list()]
    updated = nova.aggregates.update(agg["id"], {"name": agg["name"] + "-x"})
    assert updated.name == agg["name"] + "-x"
