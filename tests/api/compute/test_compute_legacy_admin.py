"""Nova's older admin APIs through openstacksdk: /extensions,
/os-hosts (before 2.43) and /os-instance_usage_audit_log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.api.compute._resources_fixtures import fault, raw


def test_extensions(member: Any) -> None:
    listed = raw(member.conn, "get", "/extensions").json()["extensions"]
    assert "Hosts" in [e["name"] for e in listed] and len(listed) > 90
    shown = raw(member.conn, "get", "/extensions/os-consoles").json()["extension"]
    assert shown["alias"] == "os-consoles" and shown["links"] == []
    assert fault(raw(member.conn, "get", "/extensions/no-such"), 404)
    assert "os-hosts" in [e.alias for e in member.conn.compute.extensions()]


def test_hosts(admin: Any, member: Any, make_host: Callable[..., str], compute_store: Any
               ) -> None:
    host = make_host()
    compute_store.hosts.report_service(host, "nova-scheduler", topic="scheduler")
    hosts = raw(admin, "get", "/os-hosts").json()["hosts"]
    mine = sorted((h["service"], h["zone"]) for h in hosts if h["host_name"] == host)
    assert mine == [("compute", "nova"), ("scheduler", "internal")]
    in_zone = raw(admin, "get", "/os-hosts?zone=internal").json()["hosts"]
    assert {"host_name": host, "service": "scheduler", "zone": "internal"} in in_zone
    assert raw(admin, "get", "/os-hosts?zone=xxx").json() == {"hosts": []}
    shown = raw(admin, "get", f"/os-hosts/{host}").json()["host"]
    assert shown[0]["resource"] == {"host": host, "project": "(total)", "cpu": 4,
                                    "memory_mb": 8192, "disk_gb": 100}
    assert [r["resource"]["project"] for r in shown] == ["(total)", "(used_now)",
                                                         "(used_max)"]
    off = raw(admin, "put", f"/os-hosts/{host}", json={"status": "disable"}).json()
    assert off == {"host": host, "status": "disabled"}
    assert raw(admin, "get", f"/os-services?host={host}&binary=nova-compute").json()[
        "services"][0]["status"] == "disabled"
    assert fault(raw(admin, "put", f"/os-hosts/{host}", json={"status": "bogus"}), 400)
    assert fault(raw(admin, "put", f"/os-hosts/{host}", json={}), 400)
    assert fault(raw(admin, "put", f"/os-hosts/{host}", json={"maintenance_mode": "enable"}),
                 501)
    assert fault(raw(admin, "get", f"/os-hosts/{host}/reboot"), 501)
    assert fault(raw(admin, "get", "/os-hosts/nonexistent/reboot"), 404)
    assert fault(raw(admin, "get", "/os-hosts/nonexistent"), 404)
    assert fault(raw(admin, "get", "/os-hosts", "2.43"), 404)
    assert fault(raw(member.conn, "get", "/os-hosts"), 403)


def test_instance_usage_audit_log(admin: Any, member: Any, make_host: Callable[..., str]
                                  ) -> None:
    host = make_host()
    log = raw(admin, "get", "/os-instance_usage_audit_log").json()["instance_usage_audit_logs"]
    assert host in log["hosts_not_run"] and log["num_hosts_done"] == 0
    assert log["overall_status"].startswith("0 of ")
    past = raw(admin, "get", "/os-instance_usage_audit_log/2026-03-15 10:00:00").json()
    assert past["instance_usage_audit_log"]["period_beginning"] == "2026-02-01 00:00:00"
    assert past["instance_usage_audit_log"]["period_ending"] == "2026-03-01 00:00:00"
    assert "Invalid timestamp" in fault(
        raw(admin, "get", "/os-instance_usage_audit_log/yesterday"), 400)
    assert fault(raw(member.conn, "get", "/os-instance_usage_audit_log"), 403)
