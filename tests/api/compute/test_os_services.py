"""Compute services and availability zones through openstacksdk, the openstack CLI and
python-novaclient: what report_service heartbeats make, state from service_down_time and
forced_down, the actions before 2.53 and PUT by uuid from 2.53, delete, RBAC."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from tests.api.compute._resources_fixtures import fault, raw


def _service(conn: Any, host: str, version: str = "2.53") -> dict[str, Any]:
    found = raw(conn, "get", f"/os-services?host={host}", version).json()["services"]
    assert len(found) == 1, found
    return dict(found[0])


def test_reported_services_are_listed(admin: Any, make_host: Callable[..., str],
                                      cli: Callable[..., Any]) -> None:
    host = make_host()
    service = _service(admin, host)
    assert service["binary"] == "nova-compute" and service["state"] == "up"
    assert service["status"] == "enabled" and service["zone"] == "nova"
    assert service["forced_down"] is False and len(service["id"]) == 36
    old = _service(admin, host, "2.1")
    assert isinstance(old["id"], int) and "forced_down" not in old
    rows = cli("compute", "service", "list", "--host", host, "-f", "json")
    assert [(r["Host"], r["Binary"], r["State"]) for r in rows] == \
        [(host, "nova-compute", "up")]
    sdk = [s for s in admin.compute.services() if s.host == host]
    assert sdk and sdk[0].binary == "nova-compute"
    assert raw(admin, "get", "/os-services?binary=nova-scheduler&host=" + host).json() == \
        {"services": []}


def test_a_silent_service_is_down(admin: Any, make_host: Callable[..., str],
                                  compute_store: Any) -> None:
    host = make_host()
    service = compute_store.hosts.find_service(host, "nova-compute")
    old = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=3600)
    compute_store.hosts.update_service(service["id"], {"last_seen_up": old})
    assert _service(admin, host)["state"] == "down"
    assert compute_store.hosts.service_is_up(compute_store.hosts.service(service["id"])) is \
        False
    assert not compute_store.hosts.host_is_up(host)
    assert host not in compute_store.hosts.enabled_up_hosts()
    compute_store.hosts.report_service(host)
    assert _service(admin, host)["state"] == "up"
    assert compute_store.hosts.host_is_up(host) and not compute_store.hosts.host_is_up("x")
    assert host in compute_store.hosts.enabled_up_hosts()


def test_update_by_uuid_from_2_53(admin: Any, make_host: Callable[..., str],
                                  cli: Callable[..., Any]) -> None:
    host = make_host()
    service_id = _service(admin, host)["id"]
    path = f"/os-services/{service_id}"
    done = raw(admin, "put", path, "2.53",
               json={"status": "disabled", "disabled_reason": "maintenance"}).json()
    assert done["service"]["status"] == "disabled"
    assert done["service"]["disabled_reason"] == "maintenance"
    down = raw(admin, "put", path, "2.53", json={"forced_down": True}).json()["service"]
    assert down["forced_down"] is True and down["state"] == "down"
    cli("--os-compute-api-version", "2.53", "compute", "service", "set", "--enable",
        "--up", host, "nova-compute")
    service = _service(admin, host)
    assert (service["status"], service["forced_down"], service["state"]) == \
        ("enabled", False, "up")
    assert service["disabled_reason"] is None


@pytest.mark.parametrize("body, words", [
    ({}, "No updates were requested"),
    ({"disabled_reason": "alone"}, "No updates were requested"),
    ({"status": "enabled", "disabled_reason": "x"}, "disabled_reason"),
    ({"status": "paused"}, "status"),
    ({"forced_down": "maybe"}, "forced_down"),
    ({"disabled_reason": "x" * 256, "status": "disabled"}, "disabled_reason"),
    ({"host": "h"}, "host"),
])
def test_bad_updates_are_refused(admin: Any, make_host: Callable[..., str],
                                 body: dict[str, Any], words: str) -> None:
    service_id = _service(admin, make_host())["id"]
    assert words in fault(raw(admin, "put", f"/os-services/{service_id}", "2.53", json=body),
                          400)
    assert fault(raw(admin, "put", "/os-services/not-a-uuid", "2.53",
                     json={"status": "disabled"}), 400)


def test_actions_before_2_53(nova: Any, admin: Any, make_host: Callable[..., str]) -> None:
    host = make_host()
    disabled = nova.services.disable_log_reason(host, "nova-compute", "testing")
    assert disabled.status == "disabled" and disabled.disabled_reason == "testing"
    assert _service(admin, host)["disabled_reason"] == "testing"
    enabled = nova.services.enable(host, "nova-compute")
    assert enabled.status == "enabled"
    forced = raw(admin, "put", "/os-services/force-down", "2.11",
                 json={"host": host, "binary": "nova-compute", "forced_down": True}).json()
    assert forced == {"service": {"host": host, "binary": "nova-compute",
                                  "forced_down": True}}
    assert _service(admin, host)["state"] == "down"
    assert fault(raw(admin, "put", "/os-services/force-down", "2.10",
                     json={"host": host, "binary": "nova-compute"}), 404)
    missing = raw(admin, "put", "/os-services/disable", "2.1",
                  json={"host": "no-such-host", "binary": "nova-compute"})
    assert fault(missing, 404)
    scheduler = raw(admin, "put", "/os-services/disable", "2.1",
                    json={"host": host, "binary": "nova-scheduler"})
    assert "Only nova-compute services can be updated" in fault(scheduler, 400)
    assert fault(raw(admin, "put", "/os-services/disable-log-reason", "2.1",
                     json={"host": host, "binary": "nova-compute"}), 400)


def test_delete(admin: Any, make_host: Callable[..., str], compute_store: Any) -> None:
    host = make_host()
    service = _service(admin, host)
    assert fault(raw(admin, "delete", f"/os-services/{service['id']}", "2.1"), 400)
    assert raw(admin, "delete", f"/os-services/{service['id']}", "2.53").status_code == 204
    assert raw(admin, "get", f"/os-services?host={host}").json() == {"services": []}
    assert compute_store.hosts.nodes() == [n for n in compute_store.hosts.nodes()
                                           if n["host"] != host]
    assert fault(raw(admin, "delete", f"/os-services/{service['id']}", "2.53"), 404)


def test_members_are_refused(member: Any, make_host: Callable[..., str]) -> None:
    host = make_host()
    assert fault(raw(member.conn, "get", "/os-services"), 403)
    assert fault(raw(member.conn, "put", "/os-services/disable", "2.1",
                     json={"host": host, "binary": "nova-compute"}), 403)
    assert fault(raw(member.conn, "get", "/os-availability-zone/detail"), 403)


def test_availability_zones(admin: Any, member: Any, make_host: Callable[..., str],
                            cli: Callable[..., Any]) -> None:
    host = make_host()
    zones = raw(member.conn, "get", "/os-availability-zone").json()["availabilityZoneInfo"]
    nova = [z for z in zones if z["zoneName"] == "nova"]
    assert nova == [{"zoneName": "nova", "zoneState": {"available": True}, "hosts": None}]
    assert "internal" not in [z["zoneName"] for z in zones]
    detail = raw(admin, "get", "/os-availability-zone/detail").json()["availabilityZoneInfo"]
    hosts = {z["zoneName"]: z["hosts"] for z in detail}["nova"]
    assert hosts[host]["nova-compute"]["available"] is True
    assert hosts[host]["nova-compute"]["active"] is True
    rows = cli("availability", "zone", "list", "--compute", "-f", "json")
    assert "nova" in [r["Zone Name"] for r in rows]
    assert "nova" in [z.name for z in member.conn.compute.availability_zones()]
